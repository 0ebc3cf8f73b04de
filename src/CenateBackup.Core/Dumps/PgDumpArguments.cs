using System;
using System.Collections.Generic;
using System.Globalization;
using CenateBackup.Core.Database;
using CenateBackup.Core.Targets;

namespace CenateBackup.Core.Dumps;

/// <summary>Builds pg_dump command lines. Never puts a password in them: that travels in PGPASSWORD.</summary>
public static class PgDumpArguments
{
    /// <summary>Arguments for one dump, connecting by TCP (host mode) or by the container's socket (container mode).</summary>
    public static IReadOnlyList<string> Build(DatabaseTarget target, DumpFormat format, int compressionLevel, bool dataOnly,
        IReadOnlyList<QualifiedTable> tables, string? snapshotId, string? tcpHost)
    {
        var args = new List<string>();
        if (tcpHost is not null)
        {
            args.Add("--host=" + tcpHost);
        }
        args.Add("--port=" + target.Port.ToString(CultureInfo.InvariantCulture));
        args.Add("--username=" + target.User);
        args.Add("--dbname=" + LibpqEnvironment.DbnameValue(target.Database));
        args.Add("--no-password");
        if (format == DumpFormat.Custom)
        {
            args.Add("--format=custom");
            args.Add("--compress=" + compressionLevel.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            // Plain SQL is compressed by the module (in parallel with pg_dump), not by pg_dump.
            args.Add("--format=plain");
        }
        if (dataOnly) args.Add("--data-only");
        if (snapshotId is not null) args.Add("--snapshot=" + snapshotId);
        foreach (var t in tables) args.Add("--table=" + t.DumpPattern);
        return args;
    }

}
