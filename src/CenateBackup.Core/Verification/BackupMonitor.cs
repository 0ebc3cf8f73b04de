using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Verification;

/// <summary>What the daily monitor asks of a backup directory.</summary>
public sealed class MonitorRequest
{
    /// <summary>The backup directory.</summary>
    public required string Directory { get; init; }
    /// <summary>Only sets of this database (null: any).</summary>
    public string? Database { get; init; }
    /// <summary>The set kinds that count (null: any); Test-CenateBackup passes Full unless -Kind says otherwise.</summary>
    public IReadOnlySet<BackupSetKind>? Kinds { get; init; } = new HashSet<BackupSetKind> { BackupSetKind.Full };
    /// <summary>The newest complete set must be younger than this.</summary>
    public TimeSpan? MaxAge { get; init; }
    /// <summary>Its dump must be at least this many bytes.</summary>
    public long? MinimumSize { get; init; }
    /// <summary>The level the set must pass.</summary>
    public VerificationLevel Level { get; init; } = VerificationLevel.Read;
    /// <summary>False (-WhatIf): the verification is not recorded in the manifest.</summary>
    public bool RecordVerification { get; init; } = true;
    /// <summary>Where the sets are; null: the directory <see cref="Directory"/> of this machine.</summary>
    public IBackupStore? Store { get; init; }
    /// <summary>How the chosen set is verified; null: <see cref="VerificationService.VerifyPathAsync"/> on its manifest.</summary>
    public Func<CatalogEntry, CancellationToken, Task<VerificationReport>>? VerifySet { get; init; }
    /// <summary>The row-drift check for the chosen set (null: none).</summary>
    public RowDriftOptions? Drift { get; init; }
}

/// <summary>
/// Monitoring mode of Test-CenateBackup: judges the newest complete set of a directory — it exists, it is fresh,
/// its dump is big enough, it passes the level — in one result whose problems read as an alert.
/// </summary>
public static class BackupMonitor
{
    /// <summary>Evaluates the directory.</summary>
    public static async Task<VerificationReport> EvaluateAsync(MonitorRequest request, RestoreToolOptions tools, IOperationReporter reporter, CancellationToken cancellationToken)
    {
        var store = request.Store ?? new LocalBackupStore(request.Directory);
        var scan = store.Scan();
        var ofDatabase = scan.Sets.Where(s => request.Database is null || string.Equals(s.Manifest.Database, request.Database, StringComparison.Ordinal)).ToList();
        var sets = ofDatabase.Where(s => request.Kinds is null || request.Kinds.Contains(s.Kind)).ToList();
        var what = (request.Kinds is null ? "complete backup set" : "complete " + DescribeKinds(request.Kinds))
            + (request.Database is null ? "" : " of " + request.Database);
        var newest = sets.Where(s => s.Complete).OrderByDescending(s => s.Time).FirstOrDefault();
        if (newest is null)
        {
            var report = new VerificationReport
            {
                Directory = request.Directory,
                Database = request.Database,
                Level = request.Level,
                At = DateTimeOffset.UtcNow,
            };
            report.Checks.Add($"looked for a {what} in {request.Directory}");
            var incomplete = sets.Count(s => !s.Complete);
            var otherKinds = ofDatabase.Count(s => s.Complete && !sets.Contains(s));
            report.Problems.Add(new VerificationProblem(ProblemKind.NoBackup, null,
                $"no {what} in {request.Directory}"
                + (incomplete > 0 ? $" ({incomplete} incomplete or with missing files)" : "")
                + (otherKinds > 0 ? $" ({otherKinds} complete set(s) of other kinds do not count: {string.Join(", ", ofDatabase.Where(s => s.Complete && !sets.Contains(s)).Select(s => s.Kind).Distinct())}; -Kind selects them)" : "")
                + (scan.Damaged.Count > 0 ? $" ({scan.Damaged.Count} damaged manifests)" : "")));
            report.Passed = false;
            return report;
        }
        reporter.Verbose($"Newest complete set: {BackupNaming.FileNameOf(newest.ManifestPath)}.");
        var result = request.VerifySet is { } verify
            ? await verify(newest, cancellationToken).ConfigureAwait(false)
            : await VerificationService.VerifyPathAsync(newest.ManifestPath, request.Level, tools, reporter, cancellationToken, request.RecordVerification, request.Drift).ConfigureAwait(false);
        if (request.Drift is { } drift) RowDriftVerification.AddOpenDrops(result, scan.Sets, newest, drift.Policy);
        var newerBroken = sets.Where(s => !s.Complete && s.Time > newest.Time).Select(s => s.Manifest.Stamp).ToList();
        if (newerBroken.Count > 0) result.Checks.Add($"newer sets that are incomplete or miss files were passed over: {string.Join(", ", newerBroken)}");
        if (tools.WalPath is { } walPath && newest.Kind == BackupSetKind.Base)
        {
            // The oldest kept base backup must be able to roll forward too: the archive needs every segment from its end.
            var oldest = sets.Where(s => s.Complete && s.Kind == BackupSetKind.Base && s.Manifest.Base is not null)
                .OrderBy(s => s.Time).FirstOrDefault();
            if (oldest is not null && oldest.ManifestPath != newest.ManifestPath)
            {
                WalContinuity.Apply(result, walPath, oldest.Manifest.Base!, BackupNaming.FileNameOf(oldest.ManifestPath));
            }
        }
        ApplyLimits(result, request.MaxAge, request.MinimumSize);
        return result;
    }

    private static string DescribeKinds(IReadOnlySet<BackupSetKind> kinds) =>
        kinds.Count == 1 && kinds.Contains(BackupSetKind.Full) ? "full database backup set" : $"backup set of kind {string.Join(" or ", kinds.OrderBy(k => k))}";

    /// <summary>Adds Stale and TooSmall problems to a report whose Age and Size are known, and judges it again.</summary>
    public static void ApplyLimits(VerificationReport report, TimeSpan? maxAge, long? minimumSize)
    {
        if (maxAge is { } max && report.Age is { } age)
        {
            report.Checks.Add($"age under {FormatAge(max)}");
            if (age > max)
                report.Problems.Add(new VerificationProblem(ProblemKind.Stale, null, $"the newest complete set ({report.Stamp}) is {FormatAge(age)} old, more than -MaxAge {FormatAge(max)}"));
        }
        if (minimumSize is { } min && report.Size is { } size)
        {
            report.Checks.Add($"size at least {FormatSize(min)}");
            if (size < min)
                report.Problems.Add(new VerificationProblem(ProblemKind.TooSmall, report.SizeFile,
                    $"{FormatSize(size)} ({size} bytes), below -MinimumSize {FormatSize(min)} ({min} bytes)"));
        }
        report.Passed = report.Checks.Count > 0 && report.Files.Count > 0 && report.Problems.All(p => p.Kind == ProblemKind.ManifestMissing);
    }

    /// <summary>"3d 02h 05m" (from 48 hours), "26h 00m", "45m 10s".</summary>
    public static string FormatAge(TimeSpan t)
    {
        if (t < TimeSpan.Zero) return "-" + FormatAge(-t);
        if (t.TotalHours >= 48) return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}d {t.Hours:00}h {t.Minutes:00}m");
        if (t.TotalHours >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h {t.Minutes:00}m");
        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m {t.Seconds:00}s");
    }

    /// <summary>Binary units with one decimal: "487.3 MB".</summary>
    public static string FormatSize(long bytes)
    {
        string[] units = { "B", "KB", "MB", "GB", "TB" };
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {units[u]}");
    }
}
