using System;

namespace CenateBackup.Core.Targets;

/// <summary>How the module reaches the database server.</summary>
public enum ConnectionMode
{
    /// <summary>pg tools run inside a Docker container through the Docker API.</summary>
    Container,
    /// <summary>Local pg tools talk to host:port over TCP.</summary>
    Host,
}

/// <summary>
/// Where a database lives and how to log in. The password is held only in memory and passed to tools
/// through their environment, never on a command line.
/// </summary>
public sealed class DatabaseTarget
{
    /// <summary>Default container name of the plan.</summary>
    public const string DefaultContainer = "postgres_cenate";
    /// <summary>Default database name of the plan.</summary>
    public const string DefaultDatabase = "maestro_cenate";
    /// <summary>Default role of the plan.</summary>
    public const string DefaultUser = "cenate";
    /// <summary>Default PostgreSQL port.</summary>
    public const int DefaultPort = 5432;

    /// <summary>Creates a target.</summary>
    public DatabaseTarget(ConnectionMode mode, string database, string user, int port)
    {
        Mode = mode;
        Database = database ?? throw new ArgumentNullException(nameof(database));
        User = user ?? throw new ArgumentNullException(nameof(user));
        Port = port;
    }

    /// <summary>Container or host mode.</summary>
    public ConnectionMode Mode { get; }
    /// <summary>Database name.</summary>
    public string Database { get; }
    /// <summary>Role to log in as.</summary>
    public string User { get; }
    /// <summary>Server port (in container mode: the port of the server's socket inside the container).</summary>
    public int Port { get; }
    /// <summary>Container name or id (container mode).</summary>
    public string? Container { get; init; }
    /// <summary>Docker endpoint (unix:///var/run/docker.sock, tcp://…); null means DOCKER_HOST or the default.</summary>
    public string? DockerHost { get; init; }
    /// <summary>Host name for TCP (host mode; in container mode an explicit TCP endpoint for row streams).</summary>
    public string? Host { get; init; }
    /// <summary>Container mode with an explicit <see cref="Host"/>: the TCP port there (default: <see cref="Port"/>).</summary>
    public int? TcpPort { get; init; }
    /// <summary>Password, or null to let libpq/Npgsql use PGPASSWORD/.pgpass.</summary>
    public string? Password { get; init; }

    /// <summary>A short description without secrets, for messages.</summary>
    public string Describe() => Mode == ConnectionMode.Container
        ? $"container '{Container}' (port {Port}), database '{Database}' as '{User}'"
        : $"{Host}:{Port}, database '{Database}' as '{User}'";
}
