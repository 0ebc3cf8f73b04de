using System;
using System.Collections.Generic;
using System.IO.Compression;
using System.Linq;
using System.Text;
using CenateBackup.Core.Database;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Targets;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class PgDumpArgumentsTests
{
    private const string Secret = "S3cr3t-Pa55w0rd-xyzzy";

    private static DatabaseTarget HostTarget(string? password = Secret, string database = "maestro_cenate") =>
        new(ConnectionMode.Host, database, "cenate", 5433) { Host = "db.example", Password = password };

    private static DatabaseTarget ContainerTarget(string? password = Secret) =>
        new(ConnectionMode.Container, "maestro_cenate", "cenate", 5432) { Container = "postgres_cenate", Password = password };

    private static readonly QualifiedTable[] NoTables = Array.Empty<QualifiedTable>();

    [Fact]
    public void HostMode_Custom_FullCommandLine()
    {
        var args = PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, 6, false, NoTables, "00000003-0000001B-1", "db.example");
        Assert.Equal("maestro_cenate", DbnameOf(args));
        Assert.Equal(new[]
        {
            "--host=db.example", "--port=5433", "--username=cenate", "--no-password",
            "--format=custom", "--compress=6", "--snapshot=00000003-0000001B-1",
        }, args.Where(a => !a.StartsWith("--dbname=", StringComparison.Ordinal)));
    }

    [Fact]
    public void ContainerMode_HasNoHost_UsesTheSocketPort()
    {
        var args = PgDumpArguments.Build(ContainerTarget(), DumpFormat.Custom, 9, false, NoTables, null, null);
        Assert.DoesNotContain(args, a => a.StartsWith("--host", StringComparison.Ordinal) || a == "-h");
        Assert.Contains("--port=5432", args);
        Assert.Contains("--username=cenate", args);
        Assert.Equal("maestro_cenate", DbnameOf(args));
        Assert.Contains("--no-password", args);
        Assert.Contains("--compress=9", args);
        Assert.DoesNotContain(args, a => a.StartsWith("--snapshot", StringComparison.Ordinal));
    }

    [Fact]
    public void HostMode_HasExactlyOneHost()
    {
        var args = PgDumpArguments.Build(HostTarget(), DumpFormat.Plain, 6, false, NoTables, null, "127.0.0.1");
        Assert.Equal("--host=127.0.0.1", Assert.Single(args, a => a.StartsWith("--host", StringComparison.Ordinal)));
    }

    public static IEnumerable<object?[]> AllShapes()
    {
        var tables = new[] { new QualifiedTable("public", "asegurados"), new QualifiedTable("x", "y") };
        foreach (var format in new[] { DumpFormat.Custom, DumpFormat.Plain })
        foreach (var host in new[] { "db.example", null })
        foreach (var dataOnly in new[] { true, false })
        {
            yield return new object?[] { format, host, dataOnly, tables, "snap-1" };
            yield return new object?[] { format, host, dataOnly, Array.Empty<QualifiedTable>(), null };
        }
    }

    [Theory]
    [MemberData(nameof(AllShapes))]
    public void NoArgumentEverContainsThePassword(DumpFormat format, string? host, bool dataOnly, QualifiedTable[] tables, string? snapshot)
    {
        foreach (var target in new[] { HostTarget(), ContainerTarget() })
        {
            var args = PgDumpArguments.Build(target, format, 5, dataOnly, tables, snapshot, host);
            Assert.DoesNotContain(args, a => a.Contains(Secret, StringComparison.Ordinal));
            Assert.DoesNotContain(args, a => a.Contains("password=", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(args, a => a == "-W" || a == "--password");
            Assert.Contains("--no-password", args);
            Assert.DoesNotContain(Secret, string.Join(" ", args), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(9)]
    public void Custom_HasCompressN(int level)
    {
        var args = PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, level, false, NoTables, null, "h");
        Assert.Contains("--format=custom", args);
        Assert.Equal("--compress=" + level, Assert.Single(args, a => a.StartsWith("--compress", StringComparison.Ordinal)));
    }

    [Fact]
    public void Plain_HasNoCompress_TheModuleGzipsIt()
    {
        var args = PgDumpArguments.Build(HostTarget(), DumpFormat.Plain, 9, false, NoTables, null, "h");
        Assert.Contains("--format=plain", args);
        Assert.DoesNotContain(args, a => a.StartsWith("--compress", StringComparison.Ordinal) || a.StartsWith("-Z", StringComparison.Ordinal));
        Assert.DoesNotContain("--format=custom", args);
    }

    [Fact]
    public void DataOnly_OnlyWhenAsked()
    {
        Assert.Contains("--data-only", PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, 6, true, NoTables, null, "h"));
        Assert.DoesNotContain("--data-only", PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, 6, false, NoTables, null, "h"));
    }

    [Fact]
    public void Snapshot_OnlyWhenGiven()
    {
        Assert.Contains("--snapshot=00000004-00000002-1", PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, 6, false, NoTables, "00000004-00000002-1", "h"));
        Assert.DoesNotContain(PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, 6, false, NoTables, null, "h"), a => a.Contains("snapshot", StringComparison.Ordinal));
    }

    [Fact]
    public void OneTablePerTable_WithQuotedPatterns_InOrder()
    {
        var tables = new[]
        {
            new QualifiedTable("public", "asegurados"),
            new QualifiedTable("My Schema", "t\"*;x"),
            new QualifiedTable("public", "citas"),
        };
        var args = PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, 6, false, tables, null, "h");
        var tableArgs = args.Where(a => a.StartsWith("--table", StringComparison.Ordinal) || a == "-t").ToList();
        Assert.Equal(new[]
        {
            "--table=\"public\".\"asegurados\"",
            "--table=\"My Schema\".\"t\"\"*;x\"",
            "--table=\"public\".\"citas\"",
        }, tableArgs);
    }

    [Fact]
    public void NoTables_NoTableArgument()
    {
        var args = PgDumpArguments.Build(HostTarget(), DumpFormat.Custom, 6, false, NoTables, null, "h");
        Assert.DoesNotContain(args, a => a.StartsWith("--table", StringComparison.Ordinal));
    }

    [Fact]
    public void PortIsInvariantDigits()
    {
        var t = new DatabaseTarget(ConnectionMode.Host, "d", "u", 65000) { Host = "h" };
        Assert.Contains("--port=65000", PgDumpArguments.Build(t, DumpFormat.Custom, 6, false, NoTables, null, "h"));
    }

    [Fact]
    public void Environment_CarriesThePassword_OnlyInPGPASSWORD()
    {
        var env = LibpqEnvironment.For(HostTarget());
        Assert.Equal(Secret, env["PGPASSWORD"]);
        Assert.Single(env, kv => kv.Value.Contains(Secret, StringComparison.Ordinal));
        Assert.Equal("CenateBackup", env["PGAPPNAME"]);
        Assert.True(env.ContainsKey("PGCONNECT_TIMEOUT"));
    }

    [Fact]
    public void Environment_WithoutPassword_HasNoPGPASSWORD()
    {
        var env = LibpqEnvironment.For(HostTarget(password: null));
        Assert.False(env.ContainsKey("PGPASSWORD"));
        Assert.Equal("CenateBackup", env["PGAPPNAME"]);
        var env2 = LibpqEnvironment.For(ContainerTarget(password: null));
        Assert.False(env2.ContainsKey("PGPASSWORD"));
    }

    /// <summary>
    /// libpq expands the value of --dbname as a connection string when it contains '=' or starts with a
    /// postgres:// URI. A database name must reach pg_dump as that database name, never as connection
    /// parameters (which could redirect the connection, and PGPASSWORD with it, to another host).
    /// </summary>
    [Theory]
    [InlineData("maestro_cenate")]
    [InlineData("my db")]
    [InlineData("a=b")]
    [InlineData("host=evil.example dbname=maestro_cenate")]
    [InlineData("postgresql://evil.example/maestro_cenate")]
    [InlineData("it's=odd\\")]
    public void DbnameArgument_IsTakenAsADatabaseName_NotAConnectionString(string database)
    {
        var args = PgDumpArguments.Build(HostTarget(database: database), DumpFormat.Custom, 6, false, NoTables, null, "h");
        Assert.Equal(database, DbnameOf(args));
        var container = new DatabaseTarget(ConnectionMode.Container, database, "cenate", 5432) { Container = "c" };
        Assert.Equal(database, DbnameOf(PgDumpArguments.Build(container, DumpFormat.Plain, 6, false, NoTables, null, null)));
    }

    /// <summary>The database pg_dump connects to, as libpq reads the single --dbname argument.</summary>
    private static string? DbnameOf(IReadOnlyList<string> args)
    {
        Assert.DoesNotContain("-d", args);
        var dbArg = Assert.Single(args, a => a.StartsWith("--dbname=", StringComparison.Ordinal));
        return LibpqDatabaseName(dbArg["--dbname=".Length..]);
    }

    /// <summary>
    /// How libpq reads a dbname value: a plain name as is; a conninfo string when it has '=' or a URI prefix.
    /// Only the "dbname='…'" form is understood here; any other conninfo returns null (= not a plain database name).
    /// </summary>
    private static string? LibpqDatabaseName(string value)
    {
        var isConnInfo = value.Contains('=') || value.StartsWith("postgresql://", StringComparison.Ordinal) || value.StartsWith("postgres://", StringComparison.Ordinal);
        if (!isConnInfo) return value;
        var s = value.Trim();
        const string prefix = "dbname=";
        if (!s.StartsWith(prefix, StringComparison.Ordinal)) return null;
        s = s[prefix.Length..].TrimStart();
        var sb = new StringBuilder();
        if (s.StartsWith('\''))
        {
            var i = 1;
            for (; i < s.Length; i++)
            {
                if (s[i] == '\\' && i + 1 < s.Length) { sb.Append(s[++i]); continue; }
                if (s[i] == '\'') break;
                sb.Append(s[i]);
            }
            if (i >= s.Length || s[(i + 1)..].Trim().Length != 0) return null;
            return sb.ToString();
        }
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsWhiteSpace(s[i])) return s[(i + 1)..].Trim().Length == 0 ? sb.ToString() : null;
            if (s[i] == '\\' && i + 1 < s.Length) { sb.Append(s[++i]); continue; }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData(0, CompressionLevel.NoCompression)]
    [InlineData(1, CompressionLevel.Fastest)]
    [InlineData(2, CompressionLevel.Fastest)]
    [InlineData(3, CompressionLevel.Fastest)]
    [InlineData(4, CompressionLevel.Optimal)]
    [InlineData(5, CompressionLevel.Optimal)]
    [InlineData(6, CompressionLevel.Optimal)]
    [InlineData(7, CompressionLevel.SmallestSize)]
    [InlineData(8, CompressionLevel.SmallestSize)]
    [InlineData(9, CompressionLevel.SmallestSize)]
    public void DumpService_GzipLevel_Maps0To9(int level, CompressionLevel expected)
    {
        Assert.Equal(expected, DumpService.GzipLevel(level));
    }
}
