using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Targets;
using Npgsql;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Compare;

/// <summary>
/// The live table as a side: <c>COPY (SELECT columns FROM table) TO STDOUT</c> in a REPEATABLE READ READ ONLY
/// transaction, decoded like a dump's rows.
/// </summary>
internal sealed class LiveCompareSide : CompareSide
{
    /// <summary>The settings pg_dump sets in its session (plus bytea_output): how the set's text was written.</summary>
    internal const string DumpSettings = "SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; " +
        "SET extra_float_digits = 3; SET bytea_output = 'hex'";

    private readonly DatabaseSession _session;
    private readonly QualifiedTable _table;

    private LiveCompareSide(DatabaseSession session, QualifiedTable table, DatabaseTarget target)
    {
        _session = session;
        _table = table;
        Label = "live";
        GivenPath = $"{target.Describe()}/{target.Database}";
        FileName = table.Display;
    }

    /// <summary>Connects, finds the table, its columns and primary key, and opens the snapshot.</summary>
    public static async Task<LiveCompareSide> OpenAsync(CompareRequest request, DatabaseTarget target,
        IOperationReporter reporter,
        CancellationToken ct)
    {
        // The text of the rows must read as pg_dump and the exports wrote it, whatever the role or database sets.
        var session = await DatabaseSession.OpenAsync(target, null, reporter, ct,
            "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; " + DumpSettings)
            .ConfigureAwait(false);
        try
        {
            var conn = session.Connection;
            await conn.ExecAsync("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ct).ConfigureAwait(false);
            var table = await session.ResolveTableAsync(request.Table, request.Schema, ct).ConfigureAwait(false);
            var side = new LiveCompareSide(session, table, target);
            side.PrimaryKey = await DatabaseSession.PrimaryKeyAsync(conn, table.Sql, ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE " +
                "a.attrelid = " +
                "@t::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", conn);
            cmd.Parameters.AddWithValue("t", table.Sql);
            var columns = new List<string>();
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) columns.Add(r.GetString(0));
            }
            side.Columns = columns;
            return side;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sets the session's TimeZone (a parameter, never SQL text); null when set, else why the server
    /// refused it (the session keeps its default).</summary>
    public async Task<string?> SetTimeZoneAsync(string zone, CancellationToken ct)
    {
        var conn = _session.Connection;
        await conn.ExecAsync("SAVEPOINT cenate_zone", ct).ConfigureAwait(false);
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_catalog.set_config('TimeZone', $1, false)", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = zone });
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await conn.ExecAsync("RELEASE SAVEPOINT cenate_zone", ct).ConfigureAwait(false);
            return null;
        }
        catch (PostgresException ex)
        {
            await conn.ExecAsync("ROLLBACK TO SAVEPOINT cenate_zone", ct).ConfigureAwait(false);
            return ex.MessageText;
        }
    }

    /// <inheritdoc />
    public override async Task StreamAsync(CompareSink sink, Action<long> progress, CancellationToken ct)
    {
        var list = string.Join(", ", Columns.Select(QualifiedTable.Quote));
        using var reader = await _session.Connection.BeginTextExportAsync($"COPY (SELECT {list} FROM {_table.Sql}) " +
            $"TO STDOUT", ct)
            .ConfigureAwait(false);
        var split = sink.Begin(Columns, csv: false);
        // The rows' bytes as the server sent them (client_encoding UTF8), many rows per read (CopyOutStream).
        var raw = new CopyOutStream(reader.BaseStream);
        var bytes = new byte[1 << 20];
        long read = 0, last = 0;
        int n;
        try
        {
            while ((n = await raw.ReadAsync(bytes, ct).ConfigureAwait(false)) > 0)
            {
                split.Feed(bytes.AsSpan(0, n));
                read += n;
                if (read - last >= (4 << 20)) { last = read; progress(read); }
            }
            split.Finish();
        }
        catch (Exception ex) when (ex is NpgsqlException or System.IO.IOException && !ct.IsCancellationRequested)
        {
            // A session ended mid-COPY (pg_terminate_backend, a shutdown) reads as the module's ConnectionLost.
            if (_session.Translate(ex) is Errors.CenateException translated) throw translated;
            throw;
        }
        catch (FormatException ex)
        {
            // The row cap (or a row the decoder cannot read): the message names the row number, never its content.
            throw new Errors.CenateException(Errors.ErrorIds.DatabaseError, Errors.CenateErrorKind.InvalidData,
                Messages.Format("DatabaseError.LiveCompare", _table.Display, ex.Message),
                Messages.Get("DatabaseError.Action.LiveCompare"),
                _table.Display, ex);
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _session.DisposeAsync();
}
