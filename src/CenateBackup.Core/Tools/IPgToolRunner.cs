using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Tools;

/// <summary>Runs pg_dump/pg_restore/psql either as a local process or inside a container; one runner serves every tool.</summary>
public interface IPgToolRunner
{
    /// <summary>Where the tools run, for messages ("local", "container postgres_cenate").</summary>
    string Where { get; }

    /// <summary>
    /// Runs the tool. Its stdout is copied into <paramref name="standardOutput"/> (or discarded when null), its stdin
    /// is fed from <paramref name="standardInput"/> when given. Cancelling kills the tool (inside the container too).
    /// </summary>
    Task<PgToolResult> RunAsync(PgToolInvocation invocation, Stream? standardInput, Stream? standardOutput, CancellationToken cancellationToken);
}
