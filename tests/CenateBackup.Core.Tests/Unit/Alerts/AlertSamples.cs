using System;
using CenateBackup.Core.Alerts;

namespace CenateBackup.Core.Tests.Unit.Alerts;

/// <summary>Messages for the channel tests, built by hand (the composer is tested on its own).</summary>
internal static class AlertSamples
{
    public static readonly DateTimeOffset Start = new(2026, 11, 30, 2, 0, 0, TimeSpan.Zero);

    public static AlertItem FailedDump => new()
    {
        Kind = "Backup", Status = AlertItemStatus.Failed, Subject = "maestro_cenate 20261130_020000",
        Message = "pg_dump failed: <disk> & \"quota\"", ErrorId = "PgDumpFailed", Database = "maestro_cenate",
        Stamp = "20261130_020000", Path = "/backups/cenate/maestro_cenate_20261130_020000.dump", Size = 1234,
        Age = TimeSpan.FromHours(2.5), Time = Start,
    };

    public static AlertItem GoodVerification => new()
    {
        Kind = "Verification", Status = AlertItemStatus.Ok, Subject = "maestro_cenate 20261129_020000",
        Message = "restored and counted", Database = "maestro_cenate", Stamp = "20261129_020000", IsGoodBackup = true,
    };

    public static AlertMessage Message(AlertItem[]? items = null, bool test = false, bool delayed = false,
        string? subject = null, string? shortText = null, AlertChange change = AlertChange.Failed)
    {
        var run = new AlertRun
        {
            RunId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
            Host = "db01", Job = "nightly", StartedAt = Start, EndedAt = Start.AddMinutes(7), ModuleVersion = "0.1.0",
            Items = items ?? new[] { FailedDump, GoodVerification },
            LastGoodBackup = new AlertGoodBackup("maestro_cenate", "20261129_020000", "/backups/x.dump", 99,
                Start.AddDays(-1)),
        };
        var subj = subject ?? "[CenateBackup] FAILED nightly @ db01: maestro_cenate <x> & \"y\"";
        return new AlertMessage
        {
            Run = run, Change = change, IsTest = test, Delayed = delayed, Subject = subj,
            Text = "text body", Html = "<p>html body</p>",
            Short = shortText ?? subj + "\nBackup maestro_cenate: pg_dump failed <disk> & co",
        };
    }
}
