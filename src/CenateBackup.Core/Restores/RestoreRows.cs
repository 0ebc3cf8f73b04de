using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Restores;

/// <summary>Step 5's load: the backup's rows into the staging table by the loader of the source's kind, counted.</summary>
internal static class RestoreRows
{
    /// <summary>Loads the rows; a count that differs from the manifest's is BackupCorrupt (nothing changed).</summary>
    public static async Task LoadAsync(NpgsqlConnection conn, RestoreSource source, RestorePlanInput input, RestorePlan plan,
        TableRestoreResult result, Stopwatch clock, IOperationReporter reporter, CancellationToken ct)
    {
        var (live, qt, sqt) = (input.Live, input.QuotedTable, plan.StagingTable);
        var file = Path.GetFileName(source.Path);
        void Progress(long read, long size) => reporter.Progress(new OperationProgress(TableRestoreService.Activity,
            Messages.Format("Progress.RestoreRows.Status", file, read / (1024 * 1024), size / (1024 * 1024)), read, size));
        long loaded = source.Kind switch
        {
            TableRestoreSource.Dump => await LoadDumpAsync(conn, source.Path, plan, Progress, ct).ConfigureAwait(false),
            TableRestoreSource.Csv => await CsvRowLoader.LoadAsync(conn, source.Path, sqt, Progress, ct).ConfigureAwait(false),
            _ => await SqlRowLoader.LoadAsync(conn, source.Path, new QualifiedTable(input.Schema, input.Table), qt, live!, sqt,
                Progress, ct).ConfigureAwait(false),
        };
        reporter.Verbose($"{loaded} rows loaded into {sqt} ({clock.Elapsed.TotalSeconds:0.0} s).");
        if (result.BackupRows is { } expectedRows && expectedRows != loaded)
        {
            throw new CenateException(ErrorIds.BackupCorrupt, CenateErrorKind.InvalidData,
                Messages.Format("BackupCorrupt.6", loaded, result.Table, expectedRows),
                Messages.Get("BackupCorrupt.Action.3"), source.Path);
        }
        result.BackupRows = loaded;
    }

    /// <summary>Every data block of the plan (one per leaf of a partitioned table), each by its own COPY, in one pass.</summary>
    private static Task<long> LoadDumpAsync(NpgsqlConnection conn, string path, RestorePlan plan,
        System.Action<long, long> progress, CancellationToken ct) =>
        DumpRowLoader.LoadAllAsync(conn, path, plan.DataCopies, progress, ct);
}
