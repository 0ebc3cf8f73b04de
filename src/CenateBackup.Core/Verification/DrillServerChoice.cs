using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Verification;

/// <summary>
/// Which server a restore drill runs on, from the command's parameters only: a host, else a container (the drill's
/// own, else the one the command named, else postgres_cenate), on the given port or 5432, in the postgres database.
/// A manifest's recorded source never takes part: a manifest is data, and must never decide where the password goes.
/// </summary>
public static class DrillServerChoice
{
    /// <summary>The drill server's target.</summary>
    /// <param name="hostName">-HostName (-TargetHost): a server over TCP with the local pg_restore.</param>
    /// <param name="targetContainer">-TargetContainer.</param>
    /// <param name="commandContainer">-Container as given to the command (never one bound from a piped set).</param>
    /// <param name="dockerHost">The Docker endpoint for a container.</param>
    /// <param name="port">-Port (-TargetPort); null: 5432.</param>
    /// <param name="user">The role, from the one credential resolver.</param>
    /// <param name="password">Its password, or null (PGPASSFILE, ~/.pgpass).</param>
    public static DatabaseTarget Choose(string? hostName, string? targetContainer, string? commandContainer,
        string? dockerHost, int? port, string user, string? password)
    {
        var p = port ?? DatabaseTarget.DefaultPort;
        if (hostName is not null)
        {
            return new DatabaseTarget(ConnectionMode.Host, "postgres", user, p)
            {
                Host = hostName, Password = password,
            };
        }
        var name = targetContainer ?? commandContainer ?? DatabaseTarget.DefaultContainer;
        return new DatabaseTarget(ConnectionMode.Container, "postgres", user, p)
        {
            Container = name, DockerHost = dockerHost, Password = password,
        };
    }
}
