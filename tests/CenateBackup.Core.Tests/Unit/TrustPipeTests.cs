using System;
using CenateBackup.Core.Restores;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Attacker review: a restore's server and database come from the parameters; the manifest's only produce a warning.</summary>
public class TrustPipeTests
{
    private static BackupManifest Manifest(string database, string mode, string? container, string? host, int port) => new()
    {
        Database = database,
        Source = new ManifestSource { Mode = mode, Container = container, Host = host, Port = port },
    };

    private static DatabaseTarget Container(string database, string container = "postgres_cenate", int port = 5432) =>
        new(ConnectionMode.Container, database, "cenate", port) { Container = container };

    [Fact]
    public void SameServerAndDatabase_NoWarning()
    {
        Assert.Null(RestoreSourceResolver.TargetDiffers(Manifest("maestro_cenate", "Container", "postgres_cenate", null, 5432), Container("maestro_cenate")));
        // -TcpHost says how the rows travel, not which server: still the same one.
        Assert.Null(RestoreSourceResolver.TargetDiffers(Manifest("maestro_cenate", "Container", "postgres_cenate", null, 5432),
            new DatabaseTarget(ConnectionMode.Container, "maestro_cenate", "cenate", 5432) { Container = "postgres_cenate", Host = "127.0.0.1", TcpPort = 15432 }));
        Assert.Null(RestoreSourceResolver.TargetDiffers(Manifest("maestro_cenate", "Host", null, "DB01", 5433),
            new DatabaseTarget(ConnectionMode.Host, "maestro_cenate", "cenate", 5433) { Host = "db01" }));
    }

    [Theory]
    [InlineData("maestro_cenate", "evil", 5432, "(the server differs)")]
    [InlineData("maestro_cenate", "postgres_cenate", 61999, "(the server differs)")]
    [InlineData("otra_base", "postgres_cenate", 5432, "(the database differs)")]
    [InlineData("otra_base", "evil", 61999, "(the server and database differ)")]
    public void Differs_WarnsAndNamesBoth(string database, string container, int port, string what)
    {
        var message = RestoreSourceResolver.TargetDiffers(Manifest(database, "Container", container, null, port), Container("maestro_cenate"));
        Assert.NotNull(message);
        Assert.Contains($"dumped from database '{database}' on container {container} (port {port})", message, StringComparison.Ordinal);
        Assert.Contains("the restore goes into database 'maestro_cenate' on container postgres_cenate (port 5432)", message, StringComparison.Ordinal);
        Assert.Contains(what, message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestText_CannotForgeLines()
    {
        var manifest = Manifest("db\nWARNING: all good\r" + new string('a', 500), "Host", "x\n" + new string('b', 500), "h\r\n", 1);
        var message = RestoreSourceResolver.TargetDiffers(manifest, Container("maestro_cenate"))!;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
        Assert.True(message.Length < 1000);
    }
}
