namespace CenateBackup.PowerShell.Output;

/// <summary>One precise problem found by a verification.</summary>
public sealed class CenateBackupProblem
{
    internal CenateBackupProblem(string kind, string? file, string message)
    {
        Kind = kind; File = file; Message = message;
    }

    /// <summary>
    /// Missing, ChecksumMismatch, SizeMismatch, Truncated, Unreadable, NewerArchiveVersion, ManifestMissing, Incomplete,
    /// RowCountMismatch, ForeignDatabase, RestoreFailed, ObjectMissing, ObjectDiffers, NoBackup, Stale, TooSmall,
    /// RowCountDropped.
    /// </summary>
    public string Kind { get; }
    /// <summary>The file concerned (null: the set).</summary>
    public string? File { get; }
    /// <summary>What is wrong, with the figures.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => File is null ? $"{Kind}: {Message}" : $"{Kind}: {File}: {Message}";
}
