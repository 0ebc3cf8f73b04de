using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace CenateBackup.Core.Audit;

/// <summary>What New-CenateReadOnlyRole did (or, as a plan, would do).</summary>
public sealed class ReadOnlyRoleResult
{
    /// <summary>The role.</summary>
    public string Role { get; set; } = "";
    /// <summary>True when it was created (false: it existed and was brought up to date).</summary>
    public bool Created { get; set; }
    /// <summary>Schemas it may read.</summary>
    public List<string> Schemas { get; } = new();
    /// <summary>Read-only views created.</summary>
    public List<string> Views { get; } = new();
    /// <summary>The SQL, with the password shown as a placeholder.</summary>
    public List<string> Steps { get; } = new();
    /// <summary>What changed, in words (an existing role: attributes removed, password replaced, grants added, views).</summary>
    public List<string> Changes { get; } = new();
    /// <summary>What the caller must know: the password left unchanged, write privileges an adopted role keeps, clients that cannot log in.</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>A plan's run: the same request, checked against this plan (see <see cref="ConfirmedPlan"/>).</summary>
    internal Func<IOperationReporter, CancellationToken, Task<ReadOnlyRoleResult>>? Run { get; set; }
}
