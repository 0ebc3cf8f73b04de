using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Database;
using CenateBackup.Core.Dumps;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Tools;
using CenateBackup.Core.Verification;
using Npgsql;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Issue 23 §1/§5: no cleartext password, the password out of the container's exec unless needed, the drill server never from the manifest.</summary>
public class TrustDrillTests
{
    private const string Secret = "S3cr3t-Pa55w0rd-xyzzy";

    private static Func<string, string?> Env(string? sslMode) => name => name == "PGSSLMODE" ? sslMode : null;

    [Fact]
    public void ConnectionString_RefusesCleartextPassword_AndNamesEveryOtherMethod()
    {
        var target = new DatabaseTarget(ConnectionMode.Host, "maestro_cenate", "cenate", 5432) { Host = "127.0.0.1", Password = Secret };
        var b = new NpgsqlConnectionStringBuilder(SnapshotSession.ConnectionString(target, new TcpEndpoint("127.0.0.1", 5432, "test")));
        if (!ClientAuthentication.VerifiesServer())
        {
            var methods = b.RequireAuth!.Split(',').Select(m => m.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
            Assert.DoesNotContain("Password", methods);
            Assert.Equal(new[] { "GSS", "MD5", "None", "SSPI", "ScramSHA256" }.OrderBy(m => m, StringComparer.Ordinal), methods.OrderBy(m => m, StringComparer.Ordinal));
        }
        else
        {
            Assert.True(b.SslMode >= SslMode.Require);
        }
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("disable", false)]
    [InlineData("allow", false)]
    [InlineData("prefer", false)]
    [InlineData("verify-ca", true)]
    [InlineData("VERIFY-FULL", true)]
    public void Policy_AllowsCleartextOnlyWhenTlsVerifiesTheServer(string? sslMode, bool tls)
    {
        var b = new NpgsqlConnectionStringBuilder();
        ClientAuthentication.Apply(b, Env(sslMode));
        var tool = new Dictionary<string, string>();
        ClientAuthentication.Apply(tool, Env(sslMode));
        if (tls)
        {
            Assert.True(b.SslMode >= SslMode.VerifyCA);
            Assert.Null(b.RequireAuth);
            Assert.False(tool.ContainsKey("PGREQUIREAUTH"));
        }
        else
        {
            Assert.Equal(ClientAuthentication.WithoutCleartext, b.RequireAuth);
            Assert.Equal("!password", tool["PGREQUIREAUTH"]);
        }
    }

    [Fact]
    public void Require_Encrypts_But_Still_Refuses_Cleartext_Because_The_Server_Is_Not_Verified()
    {
        var b = new NpgsqlConnectionStringBuilder();
        ClientAuthentication.Apply(b, Env("require"));
        var tool = new Dictionary<string, string>();
        ClientAuthentication.Apply(tool, Env("require"));
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal(ClientAuthentication.WithoutCleartext, b.RequireAuth);
        Assert.Equal("!password", tool["PGREQUIREAUTH"]);
    }

    [Fact]
    public void ToolEnvironment_CarriesPGREQUIREAUTH()
    {
        var target = new DatabaseTarget(ConnectionMode.Host, "maestro_cenate", "cenate", 5432) { Host = "db", Password = Secret };
        var env = LibpqEnvironment.For(target);
        if (!ClientAuthentication.VerifiesServer()) Assert.Equal("!password", env["PGREQUIREAUTH"]);
    }

    [Fact]
    public void Refusals_AreRecognised()
    {
        Assert.True(ClientAuthentication.IsRefusal(new NpgsqlException("\"Password\" authentication method is not allowed. Allowed methods: MD5, GSS, SSPI, ScramSHA256, None")));
        Assert.False(ClientAuthentication.IsRefusal(new NpgsqlException("password authentication failed for user \"cenate\"")));
        Assert.True(ClientAuthentication.IsToolRefusal("pg_dump: error: connection to server at \"127.0.0.1\", port 5432 failed: authentication method requirement \"!password\" failed: server requested a cleartext password"));
    }

    /// <summary>Records what it is asked to run; the probe (psql) answers with the given result.</summary>
    private sealed class RecordingRunner : IPgToolRunner
    {
        private readonly PgToolResult _probe;
        public RecordingRunner(PgToolResult probe) => _probe = probe;
        public List<PgToolInvocation> Runs { get; } = new();
        public string Where => "container test";
        public Task<PgToolResult> RunAsync(PgToolInvocation invocation, Stream? standardInput, Stream? standardOutput, CancellationToken cancellationToken)
        {
            lock (Runs) Runs.Add(invocation);
            return Task.FromResult(invocation.Tool == "psql" ? _probe : new PgToolResult(0, ""));
        }
    }

    private static DatabaseTarget ContainerTarget() =>
        new(ConnectionMode.Container, "maestro_cenate", "cenate", 5432) { Container = "postgres_cenate", Password = Secret };

    [Fact]
    public async Task PasswordOnDemand_TrustedSocket_ProbesOnce_WithoutPassword_AndDropsPGPASSWORD()
    {
        var inner = new RecordingRunner(new PgToolResult(0, ""));
        var runner = new PasswordOnDemandRunner(inner, ContainerTarget());
        var dump = new PgToolInvocation("pg_dump", new[] { "--port=5432" }, LibpqEnvironment.For(ContainerTarget()));
        await runner.RunAsync(dump, null, null, CancellationToken.None);
        await runner.RunAsync(dump, null, null, CancellationToken.None);
        Assert.Single(inner.Runs, r => r.Tool == "psql");
        Assert.All(inner.Runs, r => Assert.DoesNotContain(r.Environment, kv => kv.Key == "PGPASSWORD" || kv.Value.Contains(Secret, StringComparison.Ordinal)));
        Assert.All(inner.Runs, r => Assert.DoesNotContain(r.Arguments, a => a.Contains(Secret, StringComparison.Ordinal)));
        var probe = inner.Runs.First(r => r.Tool == "psql");
        Assert.Contains("--no-password", probe.Arguments);
        Assert.Equal("maestro_cenate", probe.Environment["PGDATABASE"]);
        Assert.Equal("CenateBackup", probe.Environment["PGAPPNAME"]);
        Assert.Equal(2, inner.Runs.Count(r => r.Tool == "pg_dump"));
        Assert.False(runner.PasswordNeeded);
    }

    [Fact]
    public async Task PasswordOnDemand_SocketAsksForPassword_PassesIt()
    {
        var inner = new RecordingRunner(new PgToolResult(2, "psql: error: connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: fe_sendauth: no password supplied"));
        var runner = new PasswordOnDemandRunner(inner, ContainerTarget());
        await runner.RunAsync(new PgToolInvocation("pg_restore", Array.Empty<string>(), LibpqEnvironment.For(ContainerTarget())), null, null, CancellationToken.None);
        Assert.Equal(Secret, inner.Runs.Single(r => r.Tool == "pg_restore").Environment["PGPASSWORD"]);
        Assert.True(runner.PasswordNeeded);
    }

    [Fact]
    public async Task PasswordOnDemand_NoPasswordInTheInvocation_NoProbe()
    {
        var inner = new RecordingRunner(new PgToolResult(0, ""));
        var runner = new PasswordOnDemandRunner(inner, ContainerTarget());
        await runner.RunAsync(new PgToolInvocation("pg_dump", new[] { "--version" }, new Dictionary<string, string>()), null, null, CancellationToken.None);
        Assert.Equal(new[] { "pg_dump" }, inner.Runs.Select(r => r.Tool));
        Assert.Null(runner.PasswordNeeded);
    }

    [Theory]
    [InlineData(0, "", false)]
    [InlineData(2, "psql: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"maestro_cenate\" does not exist", false)]
    [InlineData(2, "psql: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: fe_sendauth: no password supplied", true)]
    [InlineData(2, "psql: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  password authentication failed for user \"cenate\"", true)]
    [InlineData(2, "psql: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  Peer authentication failed for user \"cenate\"", true)]
    [InlineData(127, "sh: 1: exec: psql: not found", true)]
    public void PasswordOnDemand_ReadsTheProbe(int exit, string stderr, bool needed) =>
        Assert.Equal(needed, PasswordOnDemandRunner.NeedsPassword(new PgToolResult(exit, stderr)));

    [Fact]
    public void DrillServer_SameAsTheManifest_NoWarning()
    {
        var source = new ManifestSource { Mode = "Container", Container = "postgres_cenate", Port = 5432 };
        var drill = new DatabaseTarget(ConnectionMode.Container, "postgres", "cenate", 5432) { Container = "postgres_cenate" };
        Assert.Null(VerificationService.DrillServerDiffers(source, drill));
        var hostSource = new ManifestSource { Mode = "Host", Host = "DB01", Port = 5433 };
        Assert.Null(VerificationService.DrillServerDiffers(hostSource, new DatabaseTarget(ConnectionMode.Host, "postgres", "cenate", 5433) { Host = "db01" }));
    }

    [Theory]
    [InlineData("Container", "postgres_cenate", null, 5433)]
    [InlineData("Container", "evil", null, 5432)]
    [InlineData("Host", null, "attacker.example", 5432)]
    public void DrillServer_DiffersFromTheManifest_WarnsAndNamesBoth(string mode, string? container, string? host, int port)
    {
        var source = new ManifestSource { Mode = mode, Container = container, Host = host, Port = port };
        var drill = new DatabaseTarget(ConnectionMode.Container, "postgres", "cenate", 5432) { Container = "postgres_cenate" };
        var message = VerificationService.DrillServerDiffers(source, drill);
        Assert.NotNull(message);
        Assert.Contains("the drill runs on container postgres_cenate (port 5432)", message, StringComparison.Ordinal);
        Assert.Contains(mode == "Host" ? $"{host}:{port}" : $"container {container} (port {port})", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DrillServer_ManifestText_CannotForgeLines()
    {
        var source = new ManifestSource { Mode = "Host", Host = "x\nWARNING: all good\r" + new string('a', 500), Port = 1 };
        var message = VerificationService.DrillServerDiffers(source, new DatabaseTarget(ConnectionMode.Host, "postgres", "cenate", 5432) { Host = "127.0.0.1" })!;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
        Assert.True(message.Length < 600);
    }
}
