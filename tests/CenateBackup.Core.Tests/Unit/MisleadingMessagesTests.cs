using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Archive;
using CenateBackup.Core.Database;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Targets;
using Npgsql;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Messages that used to mislead (issue 17 §1): a binary non-archive, a session the server ended.</summary>
public sealed class MisleadingMessagesTests
{
    private static async Task<CenateException> HeaderError(byte[] bytes) =>
        await Assert.ThrowsAsync<CenateException>(() =>
            CustomArchiveInspector.ReadHeaderAsync(new ForwardOnlyStream(bytes, 7), CancellationToken.None));

    [Fact]
    public async Task Random_Binary_Is_Never_Called_Text_Even_When_Its_First_Bytes_Are_Printable()
    {
        var random = new Random(17);
        var printableStarts = 0;
        for (var i = 0; i < 300; i++)
        {
            var noise = new byte[4096];
            random.NextBytes(noise);
            if (noise[0] == (byte)'P') noise[0] = (byte)'Q';
            if (i % 2 == 0) Encoding.ASCII.GetBytes("XQZ1w").CopyTo(noise, 0); // printable like text, then binary
            if (noise.Take(5).All(b => b >= 0x20 && b != 0x7F)) printableStarts++;
            var ex = await HeaderError(noise);
            Assert.Equal(ErrorIds.ArchiveInvalid, ex.ErrorId);
            Assert.DoesNotContain("text, e.g.", ex.Message);
            Assert.Contains("binary data", ex.Message);
            Assert.Contains("not PGDMP", ex.Message);
        }
        Assert.True(printableStarts >= 150, "the samples include starts that look printable");
    }

    [Fact]
    public async Task Binary_Names_Its_First_Bytes()
    {
        var ex = await HeaderError(new byte[] { 0x41, 0x42, 0x43, 0x44, 0x45, 0x00, 0xFF, 0x10, 0x20, 0x30 });
        Assert.Contains("41 42 43 44 45 00 FF 10", ex.Message);
    }

    [Theory]
    [InlineData("tipo_documento,numero,apellidos\r\nDNI,12345678,\"PÉREZ, ÑAÑEZ\"\r\n", false)]
    [InlineData("INSERT INTO t VALUES (1);\n\tSELECT 1;\f\n", false)]
    [InlineData("tipo;numero;apellidos\nDNI;1;P\u00c9REZ\n", true)]
    public async Task Text_Is_Still_Text_In_UTF8_And_Latin1(string text, bool latin1)
    {
        var bytes = latin1 ? Encoding.Latin1.GetBytes(text) : Encoding.UTF8.GetBytes(text);
        var ex = await HeaderError(bytes);
        Assert.Contains("it looks like text, e.g. SQL or CSV", ex.Message);
        Assert.DoesNotContain("binary", ex.Message);
    }

    [Fact]
    public async Task Short_Sql_And_Known_Formats_Keep_Their_Names()
    {
        Assert.Contains("plain SQL dump",
            (await HeaderError(Encoding.ASCII.GetBytes("-- PostgreSQL database dump\n"))).Message);
        Assert.Contains("gzip", (await HeaderError(new byte[] { 0x1F, 0x8B, 8, 0, 0, 0 })).Message);
        Assert.Contains("the stream is empty", (await HeaderError(Array.Empty<byte>())).Message);
    }

    private static Exception Translate(Exception ex) => PostgresErrors.Translate(ex,
        new DatabaseTarget(ConnectionMode.Host, "d", "u", 5432) { Host = "127.0.0.1" },
        new TcpEndpoint("127.0.0.1", 5432, "test"));

    [Fact]
    public void A_Stream_That_Ends_Is_A_Session_The_Server_Ended()
    {
        var cases = new Exception[]
        {
            new NpgsqlException("Exception while reading from stream", new EndOfStreamException()),
            new IOException("copy failed", new NpgsqlException("Exception while reading from stream",
                new EndOfStreamException())),
            new EndOfStreamException(),
        };
        foreach (var raw in cases)
        {
            var ex = Assert.IsType<CenateException>(Translate(raw));
            Assert.Equal(ErrorIds.ConnectionLost, ex.ErrorId);
            Assert.Equal(CenateErrorKind.ConnectionError, ex.Kind);
            Assert.Contains("127.0.0.1:5432 ended the session", ex.Message);
            Assert.Contains("pg_terminate_backend", ex.Message);
            Assert.DoesNotContain("past the end", ex.Message);
            Assert.Contains("server's log", ex.RecommendedAction);
        }
    }

    [Fact]
    public void Other_Failures_Keep_Their_Meaning()
    {
        var other = Assert.IsType<CenateException>(Translate(new NpgsqlException("boom",
            new InvalidOperationException("x"))));
        Assert.Equal(ErrorIds.ConnectionLost, other.ErrorId);
        Assert.Contains("connection to 127.0.0.1:5432 failed", other.Message);
        var disk = new IOException("No space left on device");
        Assert.Same(disk, Translate(disk));
    }
}
