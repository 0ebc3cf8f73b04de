using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// Turns what the module's cmdlets emit (and ErrorRecords, exceptions, booleans) into AlertItems. By type name and
/// through PSObject properties, so deserialized objects from jobs and remoting ("Deserialized.…") work too. Audit
/// entries are counted, never their contents (personal data). Text of foreign errors goes through
/// <see cref="AlertRedactor"/>.
/// </summary>
internal static class AlertItemFactory
{
    private const string OutputNamespace = "CenateBackup.PowerShell.Output.";

    /// <summary>The item of <paramref name="input"/> and, for an ErrorRecord, its category; null item when it
    /// is ignored.</summary>
    public static (AlertItem? Item, ErrorCategory? Category) Create(object? input, DateTimeOffset now)
    {
        if (input is null) return (null, null);
        var ps = input as PSObject ?? PSObject.AsPSObject(input);
        var baseObject = ps.BaseObject;
        switch (baseObject)
        {
            case ErrorRecord record: return FromErrorRecord(record);
            case Exception ex: return (ErrorItem(ex.GetType().Name, ex.Message,
                (ex as IContainsErrorRecord)?.ErrorRecord?.FullyQualifiedErrorId, null), ErrorCategory.InvalidResult);
            case bool b: return (Check(b), b ? null : ErrorCategory.InvalidResult);
        }
        var type = TypeOf(ps);
        return type switch
        {
            "CenateBackupSet" => (BackupSet(ps, now), ErrorCategory.InvalidResult),
            "CenateVerificationResult" => (Verification(ps), ErrorCategory.InvalidResult),
            "CenateRetentionDecision" => (Retention(ps), null),
            "CenateOffsiteResult" => (Offsite(ps), ErrorCategory.InvalidResult),
            "CenateRestoreResult" => (Restore(ps), null),
            "CenateWalArchive" => (WalArchive(ps), ErrorCategory.InvalidResult),
            "CenateReplicationStatus" => (Standby(ps), ErrorCategory.InvalidResult),
            "CenateUndeleteResult" or "CenateAuditEntry" => (new AlertItem
            {
                Kind = "Audit", Status = AlertItemStatus.Ok, Subject = type == "CenateAuditEntry" ? "audit entry"
                    : "undelete",
                Database = Str(ps, "Database"),
            }, null),
            "ErrorRecord" when ps.TypeNames.Any(t => t.StartsWith("Deserialized.", StringComparison.Ordinal))
                => (DeserializedError(ps), ErrorCategory.InvalidResult),
            _ => (null, null),
        };
    }

    /// <summary>The failure of a run in which nothing the module reports reached the cmdlet.</summary>
    public static AlertItem NothingReported(string job, int ignored) => new()
    {
        Kind = "Check", Status = AlertItemStatus.Failed, Subject = job, ErrorId = "NothingReported",
        Message = ignored == 0
            ? Messages.Get("NothingReported")
            : Messages.Format("NothingReported.Ignored", ignored),
        NextStep = Messages.Format("NothingReported.Action"),
    };

    /// <summary>
    /// Audit items become one line per subject with their count (the admins learn how many entries passed, never
    /// what they hold, and a thousand entries do not make a thousand lines).
    /// </summary>
    public static List<AlertItem> Summarise(IEnumerable<AlertItem> items)
    {
        var result = new List<AlertItem>();
        var audit = new List<AlertItem>();
        foreach (var item in items) (item.Kind == "Audit" ? audit : result).Add(item);
        // `New-CenateDump | Test-CenateBackup` passes the set on before its verification: a set this very run
        // verified is not "not verified" (the warning would be noise in every daily mail).
        var verified = result.Where(i => i is { Kind: "Verification", Status: AlertItemStatus.Ok, Stamp: not null })
            .Select(i => (i.Database, i.Stamp)).ToHashSet();
        for (var n = 0; n < result.Count; n++)
        {
            if (result[n] is { Kind: "Backup", Status: AlertItemStatus.Warning } set
                && verified.Contains((set.Database, set.Stamp)))
            {
                result[n] = set with { Status = AlertItemStatus.Ok, Message = "complete, verified in this run" };
            }
        }
        foreach (var group in audit.GroupBy(i => i.Subject, StringComparer.Ordinal))
        {
            var databases = string.Join(", ",
                group.Select(i => i.Database).OfType<string>().Distinct(StringComparer.Ordinal));
            result.Add(new AlertItem
            {
                Kind = "Audit", Status = AlertItemStatus.Ok, Subject = group.Key,
                Message = $"{group.Count()} counted (contents are never sent)"
                    + (databases.Length > 0 ? $" in {databases}" : ""),
            });
        }
        return result;
    }

    /// <summary>The short type name of a module output (also when deserialized), or "ErrorRecord".</summary>
    public static string? TypeOf(PSObject ps)
    {
        foreach (var name in ps.TypeNames)
        {
            var bare = name.StartsWith("Deserialized.", StringComparison.Ordinal) ? name["Deserialized.".Length..]
                : name;
            if (bare.StartsWith(OutputNamespace, StringComparison.Ordinal)) return bare[OutputNamespace.Length..];
            if (bare == "System.Management.Automation.ErrorRecord") return "ErrorRecord";
        }
        return null;
    }

    private static AlertItem BackupSet(PSObject ps, DateTimeOffset now)
    {
        var complete = Get(ps, "Complete") is true;
        var passed = Get(ps, "VerificationPassed") as bool?;
        var good = complete && passed == true;
        var failed = !complete || passed == false;
        var time = Time(ps, "CompletedAt") ?? Time(ps, "StartedAt");
        var missing = (Get(ps, "MissingFiles") as IEnumerable)?.Cast<object>().Count() ?? 0;
        var message = !complete ? (missing > 0 ? $"incomplete: {missing} file(s) missing" : "incomplete set")
            : passed == false ? "its last verification failed"
            : passed == true ? $"complete, verified ({Str(ps, "VerifiedLevel")})" : "complete, not verified";
        return new AlertItem
        {
            Kind = "Backup", Status = failed ? AlertItemStatus.Failed : passed is null ? AlertItemStatus.Warning
                : AlertItemStatus.Ok,
            Subject = $"{Str(ps, "Database")} {Str(ps, "Stamp")}".Trim(), Message = message,
            ErrorId = failed ? (complete ? "VerificationFailed" : "BackupIncomplete") : null,
            Database = Str(ps, "Database"), Stamp = Str(ps, "Stamp"), Path = Str(ps, "Path"), Size = Long(ps,
                "TotalSize"),
            Time = time, Age = time is DateTimeOffset t ? now - t : null, IsGoodBackup = good,
        };
    }

    private static AlertItem Verification(PSObject ps)
    {
        var passed = Get(ps, "Passed") is true;
        var problems = (Get(ps, "Problems") as IEnumerable)?.Cast<object?>().Select(p
            => AlertRedactor.Redact(p?.ToString())).ToList() ?? new();
        var stamp = Str(ps, "Stamp");
        var age = Get(ps, "Age") is TimeSpan a ? a : (TimeSpan?)null;
        return new AlertItem
        {
            Kind = "Verification", Status = passed ? AlertItemStatus.Ok : AlertItemStatus.Failed,
            Subject = stamp is null ? Str(ps, "Path") ?? "verification" : $"{Str(ps, "Database")} {stamp}".Trim(),
            Message = passed ? $"passed ({Str(ps, "Level")})" : problems.Count > 0 ? string.Join("; ", problems)
                : "failed",
            // A drop of a critical table's rows is its own alarm (the message names table, counts and stamps).
            ErrorId = passed ? null : RowCountDropped(ps) ? ErrorIds.RowCountDropped : "VerificationFailed",
            Database = Str(ps, "Database"), Stamp = stamp, Path = Str(ps, "Path"), Size = Long(ps, "Size"), Age = age,
            // The backup's own time (the verification's time less the backup's age then), as for a set.
            Time = age is TimeSpan a2 && Time(ps, "VerifiedAt") is DateTimeOffset at ? at - a2 : Time(ps, "VerifiedAt"),
            IsGoodBackup = passed && stamp is not null,
        };
    }

    private static bool RowCountDropped(PSObject ps) => (Get(ps, "Problems") as IEnumerable)?.Cast<object?>()
        .Any(p => p is not null && string.Equals(Str(PSObject.AsPSObject(p), "Kind"), "RowCountDropped",
            StringComparison.Ordinal)) == true;

    private static AlertItem Retention(PSObject ps) => new()
    {
        Kind = "Retention", Status = AlertItemStatus.Ok, Subject = $"{Str(ps, "Database")} {Str(ps, "Stamp")}".Trim(),
        Message = $"{Str(ps, "Action")?.ToLowerInvariant()} ({Str(ps, "Rule")})", Database = Str(ps, "Database"),
            Stamp = Str(ps, "Stamp"),
        Size = Long(ps, "TotalSize"),
    };

    private static AlertItem Offsite(PSObject ps)
    {
        var failed = string.Equals(Str(ps, "Status"), "Failed", StringComparison.OrdinalIgnoreCase);
        return new AlertItem
        {
            Kind = "Offsite", Status = failed ? AlertItemStatus.Failed : AlertItemStatus.Ok,
            Subject = $"{Str(ps, "Database")} {Str(ps, "Stamp")} → {AlertRedactor.Redact(Str(ps, "Destination"))}"
                .Trim(),
            Message = $"{Str(ps, "Status")}: {AlertRedactor.Redact(Str(ps, "Reason"))}", ErrorId = failed ? Str(ps,
                "ErrorId") : null,
            Database = Str(ps, "Database"), Stamp = Str(ps, "Stamp"), Size = Long(ps, "TotalSize"),
        };
    }

    private static AlertItem WalArchive(PSObject ps) => Health(ps, "WalArchive", "WAL archive",
        $", last segment {Str(ps, "LastSegment") ?? "-"}", Str(ps, "Path"));

    private static AlertItem Standby(PSObject ps) => Health(ps, "Standby", "standby",
        Get(ps, "LagBytes") is long b ? $", {b:N0} bytes to replay" : "", null);

    /// <summary>A status with Healthy, State, Problems, ErrorId and LagSeconds (the WAL archive, a standby).</summary>
    private static AlertItem Health(PSObject ps, string kind, string what, string detail, string? path)
    {
        var healthy = Get(ps, "Healthy") is true;
        var problems = (Get(ps, "Problems") as IEnumerable)?.Cast<object?>().Select(p => AlertRedactor.Redact(p?.ToString())).ToList() ?? new();
        var lag = Get(ps, "LagSeconds") is double s ? $", {s:0.#} s behind" : "";
        return new AlertItem
        {
            Kind = kind, Status = healthy ? AlertItemStatus.Ok : AlertItemStatus.Failed,
            Subject = $"{what} {Str(ps, "Name")}".Trim(),
            Message = healthy ? $"{Str(ps, "State")?.ToLowerInvariant()}{lag}{detail}"
                : problems.Count > 0 ? string.Join("; ", problems) : Str(ps, "State") ?? "unhealthy",
            ErrorId = healthy ? null : Str(ps, "ErrorId"),
            Path = path,
        };
    }

    private static AlertItem Restore(PSObject ps)
    {
        var warnings = (Get(ps, "Warnings") as IEnumerable)?.Cast<object?>().Select(w
            => AlertRedactor.Redact(w?.ToString())).ToList() ?? new();
        return new AlertItem
        {
            Kind = "Restore", Status = warnings.Count > 0 ? AlertItemStatus.Warning : AlertItemStatus.Ok,
            Subject = $"{Str(ps, "Database")} {Str(ps, "Table")}".Trim(),
            Message = warnings.Count > 0 ? string.Join("; ", warnings) : $"restored ({Str(ps, "Mode")})",
                Database = Str(ps, "Database"),
        };
    }

    private static AlertItem Check(bool ok) => new()
    {
        Kind = "Check", Status = ok ? AlertItemStatus.Ok : AlertItemStatus.Failed, Subject = "check",
        Message = ok ? "a check returned True" : "a check returned False", ErrorId = ok ? null : "CheckFailed",
    };

    private static (AlertItem, ErrorCategory?) FromErrorRecord(ErrorRecord record)
    {
        var subject = record.TargetObject switch
        {
            string s => s,
            FileSystemInfo f => f.FullName,
            _ => record.InvocationInfo?.MyCommand?.Name ?? record.CategoryInfo.Activity,
        };
        var message = record.ErrorDetails?.Message ?? record.Exception?.Message ?? record.ToString();
        return (ErrorItem(subject, message, record.FullyQualifiedErrorId, record.ErrorDetails?.RecommendedAction),
            record.CategoryInfo.Category);
    }

    private static AlertItem DeserializedError(PSObject ps)
    {
        var exception = Get(ps, "Exception") as PSObject;
        var message = Str(ps, "ErrorDetails_Message") ?? (exception is null ? null : Str(exception, "Message"))
            ?? ps.ToString();
        var subject = Get(ps, "TargetObject") as string ?? Str(ps, "InvocationInfo_MyCommand") ?? "error";
        return ErrorItem(subject, message, Str(ps, "FullyQualifiedErrorId"), Str(ps, "ErrorDetails_RecommendedAction"));
    }

    private static AlertItem ErrorItem(string subject, string message, string? errorId, string? nextStep) => new()
    {
        Kind = "Error", Status = AlertItemStatus.Failed, Subject = AlertRedactor.Redact(subject),
            Message = AlertRedactor.Redact(message),
        // `throw "text"` makes the text its FullyQualifiedErrorId: an id can carry a secret as a message can.
        ErrorId = errorId is null ? null : AlertRedactor.Redact(errorId),
        NextStep = nextStep is null ? null : AlertRedactor.Redact(nextStep),
    };

    private static object? Get(PSObject ps, string name)
    {
        var value = ps.Properties[name]?.Value;
        return value is PSObject inner && inner.BaseObject is not PSCustomObject ? inner.BaseObject : value;
    }

    private static string? Str(PSObject ps, string name) => Get(ps, name) switch
    {
        null => null,
        string s => s,
        var v => v.ToString(),
    };

    private static long? Long(PSObject ps, string name) => Get(ps, name) switch
    {
        long l => l,
        int i => i,
        _ => null,
    };

    private static DateTimeOffset? Time(PSObject ps, string name) => Get(ps, name) switch
    {
        DateTimeOffset d => d,
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d,
            DateTimeKind.Utc) : d),
        // A DateTimeOffset that went through a job or remoting is a property bag: its UtcTicks are the instant.
        PSObject bag when LanguagePrimitives.TryConvertTo<long>(bag.Properties["UtcTicks"]?.Value, out var ticks)
            => new DateTimeOffset(ticks, TimeSpan.Zero),
        // ... or its text, written in the culture of the session that serialized it.
        string text when DateTimeOffset.TryParse(text, CultureInfo.CurrentCulture, DateTimeStyles.AssumeUniversal,
            out var local) => local,
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal,
            out var invariant) => invariant,
        _ => null,
    };
}
