using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Compare;

/// <summary>
/// Compare-CenateBackup: which keys of a table vanished, appeared or changed between two sets (or a set and the live
/// table). Both sides stream on their own thread into an external sort by key (bounded memory, 0600 runs in a 0700
/// directory removed at the end), then one merge-join. Memory does not grow with the table; only the key lists do,
/// up to -KeyLimit.
/// </summary>
public static class BackupComparer
{
    /// <summary>Progress activity.</summary>
    public const string Activity = "Compare-CenateBackup";

    /// <summary>Runs the comparison.</summary>
    public static async Task<ComparisonResult> CompareAsync(CompareRequest request, IOperationReporter reporter,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(reporter);
        var clock = Stopwatch.StartNew();
        reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.BackupComparer.Status"), 0, null));
        var (openedReference, openedDifference) = await OpenBothAsync(request, reporter, ct).ConfigureAwait(false);
        await using var reference = openedReference;
        await using var difference = openedDifference;
        var result = new ComparisonResult
        {
            Table = (request.Schema ?? "public") + "." + request.Table,
            Reference = reference.Label, ReferencePath = reference.GivenPath, ReferenceFile = reference.FileName,
            Difference = difference.Label, DifferencePath = difference.GivenPath, DifferenceFile = difference.FileName,
        };
        foreach (var w in new[] { reference.Warning, difference.Warning }) if (w is not null) result.Warnings.Add(w);
        result.Key = ChooseKey(request, reference, difference, result.Table).ToArray();
        var compared = CompareSink.Compared(reference.Columns, difference.Columns, result.Key);
        foreach (var (side, other, name) in new (CompareSide, CompareSide, string)[] { (reference, difference,
            "reference"), (difference, reference, "difference") })
        {
            var only = side.Columns.Where(c => !other.Columns.Contains(c, StringComparer.Ordinal)).ToList();
            if (only.Count > 0)
            {
                result.Warnings.Add(Messages.Format("Warning.BackupComparer.OnlyColumns", name, side.FileName,
                    string.Join(", ", only)));
            }
        }
        reporter.Verbose($"Key: {string.Join(", ", result.Key)}; {compared.Count} other column(s) compared; " +
            $"reference {reference.FileName}, difference {difference.FileName}.");

        await SessionTimeZoneAsync(reference, difference, result, reporter, ct).ConfigureAwait(false);
        using var spill = new SpillDirectory(request.TempDirectory);
        try
        {
            await SortAndJoinAsync(request, reporter, reference, difference, compared, result, spill, clock, ct)
                .ConfigureAwait(false);
        }
        catch (System.IO.IOException ex) when (Storage.AtomicBackupFile.IsDiskFull(ex))
        {
            throw new CenateException(ErrorIds.DiskFull, CenateErrorKind.WriteError,
                Messages.Format("DiskFull.5", spill.Path),
                Messages.Get("DiskFull.Action.5"), spill.Path, ex);
        }
        return result;
    }

    /// <summary>
    /// TimeZone decides how timestamptz prints. A live side reads in the zone the reference set was written in
    /// (recorded in its manifest); two sets written in different zones are said to differ.
    /// </summary>
    private static async Task SessionTimeZoneAsync(CompareSide reference, CompareSide difference,
        ComparisonResult result, IOperationReporter reporter, CancellationToken ct)
    {
        var zone = reference.Manifest?.Source?.TimeZone;
        if (difference is LiveCompareSide live)
        {
            if (zone is null) return;
            var refused = await live.SetTimeZoneAsync(zone, ct).ConfigureAwait(false);
            if (refused is null) reporter.Verbose($"The live table is read with TimeZone {zone}, as the set was.");
            else
            {
                result.Warnings.Add(Messages.Format("Warning.BackupComparer.ZoneRefused", zone, refused));
            }
            return;
        }
        var other = difference.Manifest?.Source?.TimeZone;
        if (zone is not null && other is not null && !string.Equals(zone, other, StringComparison.Ordinal))
        {
            result.Warnings.Add(Messages.Format("Warning.BackupComparer.Zones", zone, other));
        }
    }

    private static async Task SortAndJoinAsync(CompareRequest request, IOperationReporter reporter,
        CompareSide reference, CompareSide difference, List<string> compared, ComparisonResult result,
        SpillDirectory spill, Stopwatch clock, CancellationToken ct)
    {
        using var refSorter = new ExternalRecordSorter(result.Key.Length, request.RunBytes, spill, "reference");
        using var diffSorter = new ExternalRecordSorter(result.Key.Length, request.RunBytes, spill, "difference");
        var refSink = new CompareSink(result.Key, compared, request.IncludeRows ? reference.Columns : null, refSorter);
        var diffSink = new CompareSink(result.Key, compared, request.IncludeRows ? difference.Columns : null,
            diffSorter);
        long refRead = 0, diffRead = 0;
        var total = reference.Size + difference.Size;
        void Progress() => reporter.Progress(new OperationProgress(Activity,
            Messages.Format("Progress.BackupComparer.Status.2", (Interlocked.Read(ref refRead) + Interlocked.Read(ref diffRead)) >> 20), 
            Interlocked.Read(ref refRead) + Interlocked.Read(ref diffRead), total > 0 && request.Live is null ? total
                : null));
        var cursors = await ReadBothAsync(
            t => Read(reference, refSink, refSorter, v => { Interlocked.Exchange(ref refRead, v); Progress(); }, t),
            t => Read(difference, diffSink, diffSorter, v => { Interlocked.Exchange(ref diffRead, v); Progress(); }, t),
            ct).ConfigureAwait(false);
        using var refCursor = cursors.Reference;
        using var diffCursor = cursors.Difference;
        result.ReferenceRows = refSink.Rows;
        result.DifferenceRows = diffSink.Rows;
        reporter.Verbose($"Read {refSink.Rows} reference and {diffSink.Rows} difference rows " +
            $"({refSorter.SpilledRuns} + " +
            $"{diffSorter.SpilledRuns} spilled runs) in {clock.Elapsed.TotalSeconds:0.0} s; joining.");
        reporter.Progress(new OperationProgress(Activity, Messages.Get("Progress.BackupComparer.Status.3"), 0, null));
        MergeJoin.Run(refCursor, diffCursor, result.Key.Length, result, request.KeyLimit, request.IncludeRows,
            reference.Columns, difference.Columns, _ => ct.ThrowIfCancellationRequested());
        if (result.KeysTruncated)
        {
            result.Warnings.Add(Messages.Format(request.IncludeRows ? "Warning.BackupComparer.KeyLimitRows"
                : "Warning.BackupComparer.KeyLimit", request.KeyLimit));
        }
        result.Duration = clock.Elapsed;
        reporter.Verbose($"Missing {result.Missing}, added {result.Added}, changed {result.Changed}, unchanged " +
            $"{result.Unchanged} " +
            $"({result.Duration.TotalSeconds:0.0} s).");
    }

    /// <summary>Both sides opened (and their files' checksums checked) at once; one that opened is closed if the other
    /// fails.</summary>
    private static async Task<(CompareSide Reference, CompareSide Difference)> OpenBothAsync(CompareRequest request,
        IOperationReporter reporter, CancellationToken ct)
    {
        var r = Task.Run(async () => (CompareSide)await FileCompareSide.OpenAsync(request, request.Reference,
            reporter, ct)
            .ConfigureAwait(false), ct);
        var d = Task.Run(async () => request.Live is { } live
            ? (CompareSide)await LiveCompareSide.OpenAsync(request, live, reporter, ct).ConfigureAwait(false)
            : await FileCompareSide.OpenAsync(request, request.Difference!, reporter, ct).ConfigureAwait(false), ct);
        try
        {
            await Task.WhenAll(r, d).ConfigureAwait(false);
        }
        catch
        {
            try { await Task.WhenAll(r, d).ConfigureAwait(false); } catch (Exception) { }
            if (r.IsCompletedSuccessfully) await r.Result.DisposeAsync().ConfigureAwait(false);
            if (d.IsCompletedSuccessfully) await d.Result.DisposeAsync().ConfigureAwait(false);
            // The reference's error first: it is the one the user named first.
            if (r.IsFaulted) ExceptionDispatchInfo.Capture(r.Exception!.InnerException!).Throw();
            throw;
        }
        return (r.Result, d.Result);
    }

    private static async Task<IRecordCursor> Read(CompareSide side, CompareSink sink, ExternalRecordSorter sorter,
        Action<long> progress, CancellationToken ct)
    {
        await side.StreamAsync(sink, progress, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return sorter.Finish();
    }

    /// <summary>Both sides at once, each on its own thread; the first failure stops the other.</summary>
    private static async Task<(IRecordCursor Reference, IRecordCursor Difference)> ReadBothAsync(
        Func<CancellationToken, Task<IRecordCursor>> reference, Func<CancellationToken, Task<IRecordCursor>> difference,
        CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var r = Task.Run(() => reference(both.Token), both.Token);
        var d = Task.Run(() => difference(both.Token), both.Token);
        try
        {
            await Task.WhenAny(r, d).ConfigureAwait(false);
            if (r.IsFaulted || d.IsFaulted) both.Cancel();
            await Task.WhenAll(r, d).ConfigureAwait(false);
        }
        catch
        {
            both.Cancel();
            try { await Task.WhenAll(r, d).ConfigureAwait(false); } catch (Exception) { }
            if (r.IsCompletedSuccessfully) r.Result.Dispose();
            if (d.IsCompletedSuccessfully) d.Result.Dispose();
            ct.ThrowIfCancellationRequested();
            var first = new[] { r, d }.FirstOrDefault(t => t.IsFaulted
                && t.Exception!.InnerException is not OperationCanceledException)
                ?? new[] { r, d }.First(t => t.IsFaulted || t.IsCanceled);
            if (first.Exception?.InnerException is { } inner) ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }
        return (r.Result, d.Result);
    }

    private static IReadOnlyList<string> ChooseKey(CompareRequest request, CompareSide reference,
        CompareSide difference, string table)
    {
        var key = request.Key is { Count: > 0 } given ? given
            : reference.PrimaryKey.Count > 0 ? reference.PrimaryKey
            : difference.PrimaryKey.Count > 0 ? difference.PrimaryKey
            : throw new CenateException(ErrorIds.KeyRequired, CenateErrorKind.InvalidArgument,
                Messages.Format(request.Live is null ? "KeyRequired.NoKey" : "KeyRequired.NoKey.Live", table),
                Messages.Get("KeyRequired.Action"), table);
        foreach (var (side, name) in new (CompareSide, string)[] { (reference, "reference"), (difference,
            "difference") })
        {
            var absent = key.Where(k => !side.Columns.Contains(k, StringComparer.Ordinal)).ToList();
            if (absent.Count > 0)
            {
                throw new CenateException(ErrorIds.KeyColumnMissing, CenateErrorKind.InvalidArgument,
                    Messages.Format("KeyColumnMissing", string.Join(", ",
                        absent), name, side.FileName, string.Join(", ", side.Columns.Take(20)), (side.Columns.Count > 20 ? ", …" : "")),
                    Messages.Get("KeyColumnMissing.Action"), table);
            }
        }
        if (key.Distinct(StringComparer.Ordinal).Count() != key.Count)
        {
            throw new CenateException(ErrorIds.KeyColumnMissing, CenateErrorKind.InvalidArgument,
                Messages.Get("KeyColumnMissing.2"), Messages.Get("KeyColumnMissing.Action.2"), table);
        }
        return key;
    }
}
