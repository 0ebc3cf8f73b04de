using System;
using System.Collections.Generic;
using System.Diagnostics;
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
}
