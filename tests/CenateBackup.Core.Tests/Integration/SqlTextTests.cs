using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Targets;
using Npgsql;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>The module's literals and identifiers mean what they say on a real server, with standard_conforming_strings off too.</summary>
public sealed class SqlTextTests
{
    public static readonly TheoryData<string> Hostile = new()
    {
        "plain",
        "it's",
        "back\\slash",
        "ends with backslash\\",
        "\\'; SELECT pg_catalog.pg_sleep(0); --",
        "new\nline",
        "$cenate$ dollar $$ tags $cenate$",
        "semi;colon",
        "\"quoted\"",
        "ñandú — 漢字",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Literal_Reads_Back_Exactly_With_Both_Settings_Of_Standard_Conforming_Strings(string value)
    {
        await using var conn = new NpgsqlConnection(SnapshotSession.ConnectionString(Rig.HostTarget(), new TcpEndpoint("127.0.0.1", Rig.Port, "test")));
        await conn.OpenAsync();
        foreach (var setting in new[] { "on", "off" })
        {
            await using (var set = new NpgsqlCommand($"SET standard_conforming_strings = {setting}", conn)) await set.ExecuteNonQueryAsync();
            await using var cmd = new NpgsqlCommand("SELECT " + SqlText.Literal(value), conn);
            Assert.Equal(value, (string?)await cmd.ExecuteScalarAsync());
        }
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Identifier_Names_Exactly_That_Object(string name)
    {
        await using var conn = new NpgsqlConnection(SnapshotSession.ConnectionString(Rig.HostTarget(), new TcpEndpoint("127.0.0.1", Rig.Port, "test")));
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE {SqlText.Identifier(name)} (x int)", conn, tx)) await create.ExecuteNonQueryAsync();
        await using var cmd = new NpgsqlCommand("SELECT relname::text FROM pg_catalog.pg_class WHERE oid = $1::pg_catalog.regclass", conn, tx);
        cmd.Parameters.AddWithValue("pg_temp." + SqlText.Identifier(name));
        Assert.Equal(name, (string?)await cmd.ExecuteScalarAsync());
        await tx.RollbackAsync();
    }

    [Fact]
    public async Task Sessions_Of_The_Module_Run_With_Standard_Conforming_Strings_On_Even_When_The_Role_Sets_It_Off()
    {
        var admin = SnapshotSession.ConnectionString(Rig.HostTarget(), new TcpEndpoint("127.0.0.1", Rig.Port, "test"));
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("DROP ROLE IF EXISTS cenate_scs_off; CREATE ROLE cenate_scs_off LOGIN PASSWORD 'scs-off-pw'; ALTER ROLE cenate_scs_off SET standard_conforming_strings = off", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        try
        {
            var target = new DatabaseTarget(ConnectionMode.Host, DatabaseTarget.DefaultDatabase, "cenate_scs_off", Rig.Port) { Host = "127.0.0.1", Password = "scs-off-pw" };
            await using var conn = new NpgsqlConnection(SnapshotSession.ConnectionString(target, new TcpEndpoint("127.0.0.1", Rig.Port, "test")));
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SHOW standard_conforming_strings", conn);
            Assert.Equal("on", (string?)await cmd.ExecuteScalarAsync());
        }
        finally
        {
            await using var conn = new NpgsqlConnection(admin);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("DROP ROLE IF EXISTS cenate_scs_off", conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
