using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>Recompression against real archives from the local pg_dump 15 and real pg_restore.</summary>
public sealed class CustomArchiveRecompressorTests
{
    private static byte[] Run(string tool, IEnumerable<string> args, byte[]? stdin = null)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PGPASSWORD"] = Rig.Password;
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            _ = Task.Run(() => { p.StandardInput.BaseStream.Write(stdin); p.StandardInput.Close(); });
        }
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} failed: {errTask.Result}");
        return ms.ToArray();
    }

    // Only asegurados: other tests create and drop tables in maestro_cenate at the same time, and pg_dump fails on a
    // table dropped between its listing and its lock.
    private static byte[] Dump(int level) => Run("pg_dump", new[] { "-h", "127.0.0.1", "-p", Rig.Port.ToString(), "-U", "cenate",
        "-d", "maestro_cenate", "--table=public.asegurados", "-Fc", "-Z", level.ToString() });

    // pg_restore writes a random \restrict key per run (CVE-2025-8714 fix); everything else must match.
    private static string RestoreToSql(byte[] archive) => System.Text.RegularExpressions.Regex.Replace(
        System.Text.Encoding.UTF8.GetString(Run("pg_restore", new[] { "-f", "-" }, archive)), @"^\\(un)?restrict .*$", "", System.Text.RegularExpressions.RegexOptions.Multiline);

    private static async Task<byte[]> Recompress(byte[] input, int level)
    {
        using var output = new MemoryStream();
        await CustomArchiveRecompressor.RunAsync(new MemoryStream(input), output, level, CancellationToken.None);
        return output.ToArray();
    }

    [Theory]
    [InlineData(1, 9)]
    [InlineData(1, 6)]
    [InlineData(0, 9)]
    [InlineData(6, 0)]
    public async Task Recompressed_Archive_Restores_To_Exactly_The_Same_Sql(int from, int to)
    {
        var original = Dump(from);
        var rewritten = await Recompress(original, to);
        Assert.Equal(RestoreToSql(original), RestoreToSql(rewritten));
        var toc = System.Text.Encoding.UTF8.GetString(Run("pg_restore", new[] { "-l" }, rewritten));
        Assert.Contains($"Compression: {to}", toc);
    }

    [Fact]
    public async Task A_Cut_Archive_Is_Refused()
    {
        var original = Dump(1);
        var cut = original.AsSpan(0, original.Length * 2 / 3).ToArray();
        var ex = await Assert.ThrowsAsync<CenateException>(() => Recompress(cut, 9));
        Assert.Equal(ErrorIds.PgDumpFailed, ex.ErrorId);
    }

    [Fact]
    public async Task Something_That_Is_Not_An_Archive_Is_Refused()
    {
        var ex = await Assert.ThrowsAsync<CenateException>(() => Recompress(System.Text.Encoding.ASCII.GetBytes("tipo_documento,numero\nDNI,1\n"), 9));
        Assert.Equal(ErrorIds.PgDumpFailed, ex.ErrorId);
    }

    private static uint AseguradosOid() => uint.Parse(System.Text.Encoding.UTF8.GetString(Run("psql", new[] { "-X", "-At", "-h", "127.0.0.1",
        "-p", Rig.Port.ToString(), "-U", "cenate", "-d", "maestro_cenate", "-c", "SELECT 'public.asegurados'::regclass::oid" })).Trim());

    /// <summary>The table's rows as the archive holds them, read back by pg_restore (between the COPY line and "\.").</summary>
    private static byte[] RowsInArchive(byte[] archive)
    {
        var sql = Run("pg_restore", new[] { "--data-only", "-t", "asegurados", "-f", "-" }, archive);
        var text = System.Text.Encoding.UTF8.GetString(sql);
        var start = text.IndexOf(" FROM stdin;\n", StringComparison.Ordinal) + " FROM stdin;\n".Length;
        var end = text.IndexOf("\n\\.\n", start - 1, StringComparison.Ordinal) + 1;
        return System.Text.Encoding.UTF8.GetBytes(text[start..end]);
    }

    private sealed class RecordingSink : IArchiveSegmentSink
    {
        public readonly MemoryStream Input = new();
        public int Begun, Segments;
        public long? Rows;
        public byte[]? EndOfData;
        public void Begin() => Begun++;
        public void Segment(ReadOnlySpan<byte> compressed, ReadOnlySpan<byte> uncompressed) { Segments++; Input.Write(uncompressed); }
        public void End(long rows, ReadOnlySpan<byte> endOfData) { Rows = rows; EndOfData = endOfData.ToArray(); }
    }

    private static async Task<byte[]> ReadToEnd(Stream s)
    {
        using var all = new MemoryStream();
        await s.CopyToAsync(all);
        return all.ToArray();
    }

    [Theory]
    [InlineData(0, 6)]
    [InlineData(1, 9)]
    public async Task A_Tap_Gets_Exactly_The_Tables_Rows_And_The_Archive_Is_Unchanged(int from, int to)
    {
        var original = Dump(from);
        var expected = RowsInArchive(original);
        var tap = new ArchiveTableTap(new Database.QualifiedTable("public", "asegurados"), AseguradosOid(), to);
        var sink = new RecordingSink();
        tap.Attach(sink, rows: true);
        using var output = new MemoryStream();
        var rewrite = CustomArchiveRecompressor.RunAsync(new MemoryStream(original), output, to, CancellationToken.None, new[] { tap });
        Assert.True(await tap.Found);
        await using (var rows = tap.OpenRows()) Assert.Equal(expected, await ReadToEnd(rows));
        await rewrite;
        var lines = expected.Count(b => b == (byte)'\n');
        Assert.Equal(lines, await tap.Completed);
        Assert.Equal(1, sink.Begun);
        Assert.True(sink.Segments >= 1);
        Assert.Equal(lines, sink.Rows);
        Assert.Equal("\\.\n\n\n", System.Text.Encoding.ASCII.GetString(sink.EndOfData!));
        Assert.Equal(expected.Concat(sink.EndOfData!).ToArray(), sink.Input.ToArray());
        Assert.Equal(RestoreToSql(original), RestoreToSql(output.ToArray()));
    }

    [Fact]
    public async Task A_Table_Without_A_Block_Of_Its_Own_Is_Not_Found()
    {
        var tap = new ArchiveTableTap(new Database.QualifiedTable("public", "nothing"), 1, 6);
        tap.Attach(null, rows: true);
        using var output = new MemoryStream();
        await CustomArchiveRecompressor.RunAsync(new MemoryStream(Dump(0)), output, 6, CancellationToken.None, new[] { tap });
        Assert.False(await tap.Found);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tap.Completed);
    }

    [Fact]
    public async Task A_Failed_Rewrite_Stops_The_Export_With_Its_Own_Error_Not_With_Rows()
    {
        var original = Dump(0);
        var cut = original.AsSpan(0, original.Length * 2 / 3).ToArray();
        var tap = new ArchiveTableTap(new Database.QualifiedTable("public", "asegurados"), AseguradosOid(), 6);
        tap.Attach(null, rows: true);
        using var output = new MemoryStream();
        var rewrite = CustomArchiveRecompressor.RunAsync(new MemoryStream(cut), output, 6, CancellationToken.None, new[] { tap });
        var export = Task.Run(async () =>
        {
            if (!await tap.Found) return;
            await using var rows = tap.OpenRows();
            await ReadToEnd(rows);
        });
        var ex = await Assert.ThrowsAsync<CenateException>(() => rewrite);
        Assert.Equal(ErrorIds.PgDumpFailed, ex.ErrorId);
        // The export never takes a partial block for rows: it gets the rewrite's own error.
        Assert.Same(ex, await Assert.ThrowsAsync<CenateException>(() => export));
    }

    [Fact]
    public async Task An_Export_That_Stops_Reading_Stops_The_Rewrite()
    {
        var tap = new ArchiveTableTap(new Database.QualifiedTable("public", "asegurados"), AseguradosOid(), 6);
        tap.Attach(null, rows: true);
        using var output = new MemoryStream();
        var rewrite = CustomArchiveRecompressor.RunAsync(new MemoryStream(Dump(0)), output, 6, CancellationToken.None, new[] { tap });
        Assert.True(await tap.Found);
        await using (var rows = tap.OpenRows())
        {
            var some = new byte[1024];
            await rows.ReadExactlyAsync(some);
        }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rewrite);
    }

    [Fact]
    public async Task An_Export_That_Gives_Up_Before_Its_Block_Stops_The_Rewrite_Whatever_The_Other_Tables_Do()
    {
        // Two tapped tables; the first to come gives up before saying what it wants (its export failed): the rewrite
        // must stop, not wait for it while the other export waits for the rewrite.
        var oid = AseguradosOid();
        var first = new ArchiveTableTap(new Database.QualifiedTable("public", "asegurados"), oid, 6);
        var other = new ArchiveTableTap(new Database.QualifiedTable("public", "other"), 1, 6);
        other.Attach(null, rows: true);
        first.Decline();
        using var output = new MemoryStream();
        var rewrite = CustomArchiveRecompressor.RunAsync(new MemoryStream(Dump(0)), output, 6, CancellationToken.None, new[] { first, other });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rewrite.WaitAsync(TimeSpan.FromSeconds(60)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => other.Found);
    }

    [Fact]
    public async Task A_Failure_Reaches_The_Waiting_Export_As_The_Same_Error()
    {
        var original = Dump(0);
        var cut = original.AsSpan(0, 200).ToArray(); // inside the table of contents: no block was reached
        var tap = new ArchiveTableTap(new Database.QualifiedTable("public", "asegurados"), AseguradosOid(), 6);
        tap.Attach(null, rows: true);
        using var output = new MemoryStream();
        var ex = await Assert.ThrowsAsync<CenateException>(() => CustomArchiveRecompressor.RunAsync(new MemoryStream(cut), output, 6, CancellationToken.None, new[] { tap }));
        var seen = await Assert.ThrowsAsync<CenateException>(() => tap.Found);
        Assert.Same(ex, seen);
    }
}
