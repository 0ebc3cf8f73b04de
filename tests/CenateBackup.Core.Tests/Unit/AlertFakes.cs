using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>A channel that records what it was asked to send and fails while <see cref="Down"/> is set.</summary>
internal sealed class FakeAlertChannel : IAlertChannel
{
    public FakeAlertChannel(AlertChannelKind kind, string target = "fake://target") { Kind = kind; Target = target; }
    public AlertChannelKind Kind { get; }
    public string Target { get; }
    public bool Spools => Kind is AlertChannelKind.Mail or AlertChannelKind.Webhook;
    public bool Down { get; set; }
    public bool Hang { get; set; }
    public CenateErrorKind FailureKind { get; set; } = CenateErrorKind.ConnectionError;
    public List<AlertMessage> Sent { get; } = new();
    public int Attempts { get; private set; }
    /// <summary>Messages the server refuses for good (SMTP 550, HTTP 400): the channel itself works.</summary>
    public Func<AlertMessage, bool>? Refuses { get; set; }

    public async Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        Attempts++;
        if (Hang) await Task.Delay(Timeout.Infinite, cancellationToken);
        if (Down) throw new CenateException(ErrorIds.AlertDeliveryFailed, FailureKind, "connection refused");
        if (Refuses?.Invoke(message) == true)
        {
            throw new CenateException(ErrorIds.AlertDeliveryFailed, CenateErrorKind.InvalidOperation,
                "550 5.6.0 message refused");
        }
        Sent.Add(message);
        return new AlertReceipt { Reply = "250 OK" };
    }
}

/// <summary>Runs and items for the alert tests.</summary>
internal static class AlertSamples
{
    public static readonly DateTimeOffset Now = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    public static AlertItem GoodSet(string stamp = "20261130_020000", long size = 600L << 20) => new()
    {
        Kind = "Backup", Status = AlertItemStatus.Ok, Subject = $"maestro_cenate {stamp}",
            Database = "maestro_cenate", Stamp = stamp,
        Path = $"/srv/backups/maestro_cenate_{stamp}.manifest.json", Size = size, Time = Now.AddHours(-8),
            Age = TimeSpan.FromHours(8),
        IsGoodBackup = true, Message = "complete, verified (Read)",
    };

    public static AlertItem Failure(string message = "the dump failed", string errorId = "PgDumpFailed") => new()
    {
        Kind = "Error", Status = AlertItemStatus.Failed, Subject = "New-CenateDump", Message = message,
            ErrorId = errorId,
        NextStep = "Check that the container postgres_cenate is running.",
    };

    public static AlertRun Run(params AlertItem[] items) => new()
    {
        Host = "srv-cenate", Job = "nightly", StartedAt = Now.AddMinutes(-5), EndedAt = Now, ModuleVersion = "1.2.3",
            Items = items,
    };
}
