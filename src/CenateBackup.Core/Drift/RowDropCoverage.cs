using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Drift;

/// <summary>
/// Whether the tables a drift policy names are counted at all: a set records exact counts only for New-CenateDump's
/// -CriticalTable tables, so a name no set counts (a typo, or a table never made critical) checks nothing.
/// </summary>
public static class RowDropCoverage
{
    /// <summary>The warning for a watched name that no set counts.</summary>
    public static string NotCounted(string name) => Messages.Format("Warning.RowDropCoverage.NotCounted", name);

    /// <summary>
    /// Retention's check before it plans: warns (through <paramref name="warn"/>) for each name of
    /// <paramref name="policy"/> that no set of <paramref name="counts"/> (the complete full sets' recorded counts)
    /// counts; when there are such sets and NONE of the names is counted, the protection would guard nothing, so it
    /// refuses: SettingsInvalid when the names came from the settings file <paramref name="settingsPath"/> alone,
    /// else TableNotInBackup (-Table).
    /// </summary>
    public static void Require(RowDropPolicy policy, IReadOnlyList<IReadOnlyDictionary<string, long>?> counts,
        bool tableGiven, string? settingsPath, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(warn);
        var keys = counts.Where(c => c is not null).SelectMany(c => c!.Keys).Distinct(StringComparer.Ordinal).ToList();
        var missing = policy.Unmatched(keys);
        foreach (var name in missing) warn(NotCounted(name));
        if (counts.Count == 0 || missing.Count < policy.Names.Count) return;
        var names = string.Join(", ", policy.Names);
        var hint = Messages.Get("TableNotInBackup.RowDrop.Action");
        if (!tableGiven && settingsPath is not null)
        {
            throw new CenateException(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
                Messages.Format("SettingsInvalid.5", settingsPath, names), hint, settingsPath);
        }
        throw new CenateException(ErrorIds.TableNotInBackup, CenateErrorKind.InvalidArgument,
            Messages.Format("TableNotInBackup", names), hint, names);
    }
}
