using System.Collections.Generic;

namespace CenateBackup.Core.Tools;

/// <summary>One run of a PostgreSQL client tool: its name, arguments and extra environment (secrets go here, never in arguments).</summary>
public sealed record PgToolInvocation(string Tool, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment);

/// <summary>How a tool run ended.</summary>
/// <param name="ExitCode">Process exit code; null when it could not be learned (the container vanished).</param>
/// <param name="StandardError">What the tool wrote to stderr (trimmed, at most 64 KB).</param>
public sealed record PgToolResult(int? ExitCode, string StandardError)
{
    /// <summary>True when the tool exited with 0.</summary>
    public bool Succeeded => ExitCode == 0;
}
