using System;
using System.Collections.Generic;
using System.Linq;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core;

/// <summary>
/// A service that changes a database first returns a plan (nothing changed), and then carries out the plan object the
/// user confirmed. It re-reads the database inside the run's own transaction, since the state may have moved while the
/// question was open: when what it would do now is not what was confirmed, it stops here and changes nothing.
/// </summary>
public static class ConfirmedPlan
{
    /// <summary>
    /// Throws PlanChanged unless <paramref name="now"/> is, item by item, what was <paramref name="confirmed"/>.
    /// </summary>
    /// <param name="confirmed">The plan's statements (or facts) as the user saw them.</param>
    /// <param name="now">The same, computed again for the run.</param>
    /// <param name="what">What the plan is about (a table, a role), for the message and the error's target.</param>
    public static void Require(IEnumerable<string> confirmed, IEnumerable<string> now, string what)
    {
        if (confirmed.SequenceEqual(now, StringComparer.Ordinal)) return;
        throw new CenateException(ErrorIds.PlanChanged, CenateErrorKind.InvalidOperation,
            Messages.Format("PlanChanged", what),
            Messages.Get("PlanChanged.Action"), what);
    }
}
