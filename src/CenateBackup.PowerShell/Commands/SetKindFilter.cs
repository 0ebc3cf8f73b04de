using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Storage;

namespace CenateBackup.PowerShell.Commands;

/// <summary>The -Kind parameter of Get-CenateBackup and Test-CenateBackup: which set kinds a command looks at.</summary>
internal static class SetKindFilter
{
    /// <summary>
    /// The kinds named (null: every kind). Without -Kind, a command that picks "the newest" set looks at full
    /// database sets only: a table export or a data-only set can never stand in for the database's backup.
    /// </summary>
    public static HashSet<BackupSetKind>? Parse(string[]? kind, bool picksNewest)
    {
        if (kind is null || kind.Length == 0) return picksNewest ? new HashSet<BackupSetKind> { BackupSetKind.Full } : null;
        if (kind.Any(k => string.Equals(k, "Any", StringComparison.OrdinalIgnoreCase))) return null;
        return kind.Select(k => Enum.Parse<BackupSetKind>(k, ignoreCase: true)).ToHashSet();
    }
}
