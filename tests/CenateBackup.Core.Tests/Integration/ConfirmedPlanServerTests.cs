using System;
using System.Linq;
using System.Threading.Tasks;
using CenateBackup.Core.Audit;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Restores;
using CenateBackup.Core.Storage;
using Npgsql;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>
/// Issue 13 §5 against a real server: a service runs the plan object the user confirmed. When the database moved
/// between the plan and its run, the run stops with PlanChanged and changes nothing; the oracle is the server's own
/// privilege check (has_table_privilege), not the module.
/// </summary>
/// <summary>Tests that create and drop tables in maestro_cenate and tests that dump all of it never run at once.</summary>
[CollectionDefinition(nameof(MaestroCenateTables))]
public sealed class MaestroCenateTables
{
}

[Collection(nameof(MaestroCenateTables))]
public class ConfirmedPlanServerTests
{
    private static NpgsqlConnection Connect()
    {
        var cs = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Rig.Port, Username = "cenate", Password = Rig.Password, Database = "maestro_cenate", Pooling = false,
        };
        return new NpgsqlConnection(cs.ConnectionString);
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<bool> CanDeleteAsync(NpgsqlConnection conn, string role, string table)
    {
        await using var cmd = new NpgsqlCommand("SELECT has_table_privilege(@r, @t, 'DELETE')", conn);
        cmd.Parameters.AddWithValue("r", role);
        cmd.Parameters.AddWithValue("t", table);
        return (bool)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Protect_WhenAnotherRoleGainedDeleteAfterThePlan_ChangesNothing()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var name = "cenate_jobs_plan_" + id;
        var table = "public." + name;
        var (a, b) = ("cenate_jobs_a_" + id, "cenate_jobs_b_" + id);
        await using var conn = Connect();
        await conn.OpenAsync();
        await ExecAsync(conn, $"CREATE TABLE {table} (id int PRIMARY KEY); CREATE ROLE {a} NOLOGIN; CREATE ROLE {b} NOLOGIN; " +
            $"GRANT DELETE, TRUNCATE ON {table} TO {a}");
        try
        {
            var plan = await ProtectionService.PlanProtectAsync(Rig.HostTarget(), name, "public", null, Array.Empty<string>(), false,
                NullReporter.Instance, default);
            Assert.Contains(a, plan.Roles);
            Assert.DoesNotContain(b, plan.Roles);
            Assert.True(await CanDeleteAsync(conn, a, table), "planning changed nothing");

            // The database moves while the question is open: another role gets DELETE.
            await ExecAsync(conn, $"GRANT DELETE ON {table} TO {b}");
            var ex = await Assert.ThrowsAsync<CenateException>(() => ProtectionService.ProtectAsync(plan, NullReporter.Instance, default));

            Assert.Equal(ErrorIds.PlanChanged, ex.ErrorId);
            Assert.True(await CanDeleteAsync(conn, a, table), "nothing was revoked");
            Assert.True(await CanDeleteAsync(conn, b, table), "nothing was revoked");

            // A fresh plan covers both, and its run carries it out.
            var again = await ProtectionService.PlanProtectAsync(Rig.HostTarget(), name, "public", null, Array.Empty<string>(), false,
                NullReporter.Instance, default);
            Assert.Equal(new[] { a, b }.Order(), again.Roles.Order());
            await ProtectionService.ProtectAsync(again, NullReporter.Instance, default);
            Assert.False(await CanDeleteAsync(conn, a, table));
            Assert.False(await CanDeleteAsync(conn, b, table));
        }
        finally
        {
            await ExecAsync(conn, $"DROP TABLE IF EXISTS {table}; DROP ROLE IF EXISTS {a}; DROP ROLE IF EXISTS {b}");
        }
    }

    [Fact]
    public async Task Undelete_WhenMoreRowsWereLoggedAfterThePlan_PutsNothingBack()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var table = "cenate_jobs_undel_" + id;
        var schema = "cenate_audit_jobs_" + id;
        await using var conn = Connect();
        await conn.OpenAsync();
        await ExecAsync(conn, $"CREATE TABLE public.{table} (id int PRIMARY KEY, v text); " +
            $"INSERT INTO public.{table} SELECT g, 'v' || g FROM generate_series(1, 5) g");
        var request = new AuditRequest
        {
            Target = Rig.HostTarget(), Table = table, Schema = "public", AuditSchema = schema,
            Operations = AuditOperations.Delete | AuditOperations.Truncate,
        };
        try
        {
            var install = await AuditService.PlanInstallAsync(request, NullReporter.Instance, default);
            Assert.True(install.Changed);
            await AuditService.ExecuteAsync(install, NullReporter.Instance, default);
            await ExecAsync(conn, $"DELETE FROM public.{table} WHERE id <= 2");
            var query = new AuditQuery { Target = Rig.HostTarget(), AuditSchema = schema, Table = table, Schema = "public" };
            var plan = await AuditLogService.PlanRestoreDeletedAsync(query, NullReporter.Instance, default);
            Assert.Equal(2, plan.Considered);

            await ExecAsync(conn, $"DELETE FROM public.{table} WHERE id = 3");
            var ex = await Assert.ThrowsAsync<CenateException>(() => AuditLogService.RestoreDeletedAsync(plan, NullReporter.Instance, default));

            Assert.Equal(ErrorIds.PlanChanged, ex.ErrorId);
            await using (var cmd = new NpgsqlCommand($"SELECT count(*) FROM public.{table}", conn))
                Assert.Equal(2L, (long)(await cmd.ExecuteScalarAsync())!);
        }
        finally
        {
            try
            {
                var uninstall = await AuditService.PlanUninstallAsync(new AuditRequest
                {
                    Target = request.Target, Table = table, Schema = "public", AuditSchema = schema,
                    Operations = request.Operations, RemoveLog = true,
                }, NullReporter.Instance, default);
                if (uninstall.Changed) await AuditService.ExecuteAsync(uninstall, NullReporter.Instance, default);
            }
            finally
            {
                await ExecAsync(conn, $"DROP TABLE IF EXISTS public.{table}; DROP SCHEMA IF EXISTS {schema} CASCADE");
            }
        }
    }

    [Fact]
    public async Task RestoreTable_WhenTheStagingNameWasTakenAfterThePlan_ChangesNothing()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var table = "cenate_jobs_rst_" + id;
        var csv = System.IO.Path.Combine(System.IO.Path.GetTempPath(), table + ".csv");
        await System.IO.File.WriteAllTextAsync(csv, "id,v\n1,a\n2,b\n3,c\n");
        // A stamp of its own (a year no other test uses), so the staging schema name is this test's alone.
        var now = new DateTimeOffset(2031, 1, 2, 3, 4, Random.Shared.Next(60), TimeSpan.Zero).AddDays(Random.Shared.Next(300));
        var staging = "cenate_restore_" + BackupNaming.Stamp(now);
        await using var conn = Connect();
        await conn.OpenAsync();
        await ExecAsync(conn, $"CREATE TABLE public.{table} (id int PRIMARY KEY, v text); INSERT INTO public.{table} VALUES (1, 'a')");
        var request = new TableRestoreRequest
        {
            Target = Rig.HostTarget(), BackupPath = csv, Table = table, Schema = "public", Mode = TableRestoreMode.Staging,
            From = TableRestoreSource.Csv, AllowUnverifiedBackup = true, Now = now,
        };
        try
        {
            var plan = await TableRestoreService.PlanAsync(request, NullReporter.Instance, default);
            Assert.Equal(staging, plan.StagingSchema);
            Assert.Contains(plan.Steps, s => s.Contains(staging, StringComparison.Ordinal));

            // The database moves while the question is open: another session takes the staging schema's name.
            await ExecAsync(conn, $"CREATE SCHEMA {staging}");
            var ex = await Assert.ThrowsAsync<CenateException>(() => TableRestoreService.RunAsync(request, plan, NullReporter.Instance, default));
            Assert.Equal(ErrorIds.PlanChanged, ex.ErrorId);
            await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_namespace WHERE nspname LIKE @p", conn))
            {
                cmd.Parameters.AddWithValue("p", staging + "%");
                Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!); // only the other session's, no _2
            }

            // A fresh plan names the next free schema, and its run carries it out.
            var again = await TableRestoreService.PlanAsync(request, NullReporter.Instance, default);
            Assert.Equal(staging + "_2", again.StagingSchema);
            var done = await TableRestoreService.RunAsync(request, again, NullReporter.Instance, default);
            Assert.Equal(3L, done.BackupRows);
            await using (var cmd = new NpgsqlCommand($"SELECT count(*) FROM {staging}_2.{table}", conn))
                Assert.Equal(3L, (long)(await cmd.ExecuteScalarAsync())!);
        }
        finally
        {
            System.IO.File.Delete(csv);
            await ExecAsync(conn, $"DROP TABLE IF EXISTS public.{table}; DROP SCHEMA IF EXISTS {staging} CASCADE; " +
                $"DROP SCHEMA IF EXISTS {staging}_2 CASCADE");
        }
    }
}
