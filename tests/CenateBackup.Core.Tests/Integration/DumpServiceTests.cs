using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

// pg_dump of all of maestro_cenate fails on a table another test drops between pg_dump's listing and its lock.
[Collection(nameof(MaestroCenateTables))]
public sealed class DumpServiceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cenate-xunit-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Dump_Writes_A_Complete_Set_That_Verifies(bool container)
    {
        var target = container ? Rig.ContainerTarget() : Rig.HostTarget();
        var result = await DumpService.CreateAsync(new DumpRequest(target, _dir) { CompressionLevel = 1 }, NullReporter.Instance, CancellationToken.None);
        var reloaded = BackupManifest.Load(result.ManifestPath);
        Assert.True(reloaded.Complete);
        Assert.True(reloaded.RowCounts["public.asegurados"] > 0);
        var file = Path.Combine(_dir, reloaded.Files.Single().Name);
        Assert.Equal(reloaded.Files[0].Sha256, await BackupSetLocator.Sha256Async(file, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_dir, "*.partial"));
        var report = await VerificationService.VerifyPathAsync(result.ManifestPath, VerificationLevel.Read,
            new RestoreToolOptions { Container = container ? Rig.Container : null }, NullReporter.Instance, CancellationToken.None);
        Assert.True(report.Passed, string.Join("; ", report.Problems));
    }

    [Fact]
    public async Task Two_Dumps_In_The_Same_Second_Get_Different_Stamps()
    {
        var a = DumpService.CreateAsync(new DumpRequest(Rig.HostTarget(), _dir) { Tables = new[] { "ipress" } }, NullReporter.Instance, CancellationToken.None);
        var b = DumpService.CreateAsync(new DumpRequest(Rig.HostTarget(), _dir) { Tables = new[] { "ipress" } }, NullReporter.Instance, CancellationToken.None);
        var results = await Task.WhenAll(a, b);
        Assert.NotEqual(results[0].Manifest.Stamp, results[1].Manifest.Stamp);
        Assert.Equal(2, Directory.GetFiles(_dir, "*.manifest.json").Length);
    }

    [Fact]
    public async Task A_Wrong_Password_Fails_Before_Any_File_Exists()
    {
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            DumpService.CreateAsync(new DumpRequest(Rig.HostTarget("definitely-wrong"), _dir), NullReporter.Instance, CancellationToken.None));
        Assert.Equal(ErrorIds.AuthenticationFailed, ex.ErrorId);
        Assert.DoesNotContain("definitely-wrong", ex.ToString());
        Assert.False(Directory.Exists(_dir));
    }

    [Fact]
    public async Task A_Role_Without_Select_Is_InsufficientPrivilege_And_Leaves_No_File()
    {
        var admin = Rig.HostTarget();
        await using (var conn = new Npgsql.NpgsqlConnection(Database.SnapshotSession.ConnectionString(admin, new Targets.TcpEndpoint("127.0.0.1", Rig.Port, "test"))))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cenate_noselect') THEN CREATE ROLE cenate_noselect LOGIN; END IF; END $$;" +
                "ALTER ROLE cenate_noselect PASSWORD '" + Rig.Password.Replace("'", "''") + "';" +
                "REVOKE ALL ON public.asegurados FROM cenate_noselect; GRANT CONNECT ON DATABASE maestro_cenate TO cenate_noselect;", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var target = new Targets.DatabaseTarget(Targets.ConnectionMode.Host, "maestro_cenate", "cenate_noselect", Rig.Port) { Host = "127.0.0.1", Password = Rig.Password };
        var ex = await Assert.ThrowsAsync<CenateException>(() =>
            DumpService.CreateAsync(new DumpRequest(target, _dir) { Tables = new[] { "asegurados" } }, NullReporter.Instance, CancellationToken.None));
        Assert.Equal(ErrorIds.InsufficientPrivilege, ex.ErrorId);
        Assert.False(Directory.Exists(_dir) && Directory.EnumerateFileSystemEntries(_dir).Any());
    }
}
