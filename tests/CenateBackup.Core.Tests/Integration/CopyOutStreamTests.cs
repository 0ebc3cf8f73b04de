using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using Npgsql;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>
/// <see cref="CopyOutStream"/> against a real server: the bytes are exactly what Npgsql's own copy stream gives, with
/// notices, errors, rows larger than the connection's buffer and tiny reads in between, and many rows per read.
/// </summary>
public sealed class CopyOutStreamTests
{
    private static NpgsqlConnection Open(int readBuffer = 1 << 20)
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Rig.Port, Username = "cenate", Password = Rig.Password, Database = "maestro_cenate",
            Pooling = false, ReadBufferSize = readBuffer,
        };
        var c = new NpgsqlConnection(b.ConnectionString);
        c.Open();
        return c;
    }

    private static byte[] ReadAll(Stream s, int bufferSize)
    {
        using var all = new MemoryStream();
        var buffer = new byte[bufferSize];
        int n;
        while ((n = s.Read(buffer, 0, buffer.Length)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    /// <summary>The same COPY read plainly through Npgsql's stream.</summary>
    private static byte[] Plain(string copy)
    {
        using var c = Open();
        using var reader = c.BeginTextExport(copy);
        return ReadAll(reader.BaseStream, 1 << 16);
    }

    private const string Rows = "COPY (SELECT i, repeat('ñ', i % 37), CASE WHEN i % 3 = 0 THEN NULL ELSE E'a\\tb\\\\c' END " +
        "FROM generate_series(1, 200000) AS i) TO STDOUT";

    [Theory]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData(1 << 16, 1 << 20)]
    [InlineData(1 << 20, 7)]
    [InlineData(8192, 100)]
    public void Bytes_Are_Exactly_Npgsqls(int connectionBuffer, int readSize)
    {
        var expected = Plain(Rows);
        using var c = Open(connectionBuffer);
        using var reader = c.BeginTextExport(Rows);
        var fast = new CopyOutStream(reader.BaseStream);
        Assert.True(fast.IsFast);
        Assert.Equal(expected, ReadAll(fast, readSize));
        if (readSize >= 1 << 20)
        {
            // Many rows per read: Npgsql's own Read is called about once per buffer refill, not once per row.
            Assert.True(fast.SlowReads < 200_000 / 20, $"{fast.SlowReads} slow reads for 200000 rows");
        }
    }

    [Fact]
    public void Notices_In_The_Middle_Of_The_Rows_Are_Npgsqls_To_Handle()
    {
        const string fn = "CREATE FUNCTION pg_temp.loud(i int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'row %', i; RETURN i; END $$";
        const string copy = "COPY (SELECT i, CASE WHEN i % 5000 = 0 THEN pg_temp.loud(i) END FROM generate_series(1, 100000) AS i) TO STDOUT";
        var expected = new StringBuilder();
        for (var i = 1; i <= 100000; i++) expected.Append(i).Append('\t').Append(i % 5000 == 0 ? i.ToString() : "\\N").Append('\n');
        using var c = Open();
        var notices = new List<string>();
        c.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        using (var cmd = new NpgsqlCommand(fn, c)) cmd.ExecuteNonQuery();
        using var reader = c.BeginTextExport(copy);
        var got = ReadAll(new CopyOutStream(reader.BaseStream), 1 << 20);
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(got));
        Assert.Equal(20, notices.Count);
    }

    [Fact]
    public void A_Row_Larger_Than_The_Connection_Buffer_Comes_Whole()
    {
        const string copy = "COPY (SELECT i, repeat(md5(i::text), CASE WHEN i = 500 THEN 200000 ELSE 3 END) FROM generate_series(1, 1000) AS i) TO STDOUT";
        var expected = Plain(copy);
        using var c = Open(1 << 16);
        using var reader = c.BeginTextExport(copy);
        Assert.Equal(expected, ReadAll(new CopyOutStream(reader.BaseStream), 1 << 20));
    }

    [Fact]
    public void An_Error_In_The_Middle_Is_Reported_After_The_Rows_Before_It()
    {
        const string copy = "COPY (SELECT i, 1 / (i - 150000) FROM generate_series(1, 200000) AS i) TO STDOUT";
        using var c = Open();
        using var all = new MemoryStream();
        var ex = Assert.ThrowsAny<Exception>(() =>
        {
            using var reader = c.BeginTextExport(copy);
            var fast = new CopyOutStream(reader.BaseStream);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = fast.Read(buffer, 0, buffer.Length)) > 0) all.Write(buffer, 0, n);
        });
        var pg = ex as PostgresException ?? ex.InnerException as PostgresException;
        Assert.NotNull(pg);
        Assert.Equal("22012", pg!.SqlState);
        // Whatever came before the error is a prefix of the real rows, whole rows or not: never a foreign byte.
        var text = Encoding.ASCII.GetString(all.ToArray());
        var expected = new StringBuilder();
        for (var i = 1; i < 150000; i++) expected.Append(i).Append('\t').Append(1 / (i - 150000)).Append('\n');
        Assert.StartsWith(text, expected.ToString());
    }
}
