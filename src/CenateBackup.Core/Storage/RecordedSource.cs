using System;
using System.Linq;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Storage;

/// <summary>
/// Compares where a manifest says its set was dumped from with a server named by the parameters. Only ever for a
/// message: a manifest is data that anyone who can write the backup directory can edit, so it never chooses the
/// server a credential is sent to nor the database a command changes (ARCHITECTURE.md, "Trust").
/// </summary>
public static class RecordedSource
{
    /// <summary>True when <paramref name="server"/> is the server (container and port, or host and port) the manifest names.</summary>
    public static bool IsSameServer(ManifestSource source, DatabaseTarget server)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(server);
        // Container mode is compared by container and socket port only: -TcpHost says how the rows travel, not which server.
        return server.Mode == ConnectionMode.Container
            ? string.Equals(source.Mode, "Container", StringComparison.OrdinalIgnoreCase) && string.Equals(source.Container, server.Container, StringComparison.Ordinal) && source.Port == server.Port
            : string.Equals(source.Mode, "Host", StringComparison.OrdinalIgnoreCase) && string.Equals(source.Host, server.Host, StringComparison.OrdinalIgnoreCase) && source.Port == server.Port;
    }

    /// <summary>The manifest's server ("container X (port N)" or "host:port"), fit for one line of a message.</summary>
    public static string DescribeSource(ManifestSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Sanitize(string.Equals(source.Mode, "Container", StringComparison.OrdinalIgnoreCase)
            ? $"container {source.Container} (port {source.Port})"
            : $"{source.Host}:{source.Port}");
    }

    /// <summary>A server named by the parameters, in the words of <see cref="DescribeSource"/>.</summary>
    public static string DescribeServer(DatabaseTarget server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.Mode == ConnectionMode.Container ? $"container {server.Container} (port {server.Port})" : $"{server.Host}:{server.Port}";
    }

    /// <summary>Text from a manifest, fit for one line of a message (no control characters, at most 200 characters).</summary>
    public static string Sanitize(string? text)
    {
        var clean = new string((text ?? "").Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 200 ? clean : clean[..200] + "…";
    }
}
