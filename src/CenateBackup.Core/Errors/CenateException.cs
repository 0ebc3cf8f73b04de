using System;

namespace CenateBackup.Core.Errors;

/// <summary>
/// The one exception type Core throws for expected failures. It carries a stable error id, a kind and
/// the action that helps the admin, so the cmdlet layer can build an ErrorRecord without guessing.
/// Messages never contain passwords.
/// </summary>
public sealed class CenateException : Exception
{
    /// <summary>Creates an exception.</summary>
    public CenateException(string errorId, CenateErrorKind kind, string message, string? recommendedAction = null, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        RecommendedAction = recommendedAction;
        Target = target;
    }

    /// <summary>Stable PascalCase identifier of the code path (part of FullyQualifiedErrorId).</summary>
    public string ErrorId { get; }

    /// <summary>What kind of failure this is.</summary>
    public CenateErrorKind Kind { get; }

    /// <summary>What the admin can do next.</summary>
    public string? RecommendedAction { get; }

    /// <summary>The object the failure is about (container name, path, table).</summary>
    public object? Target { get; }
}
