using System;

namespace CenateBackup.Core.Retention;

/// <summary>What the planner needs to know about one backup set.</summary>
/// <param name="Id">Identity of the set (its manifest path).</param>
/// <param name="Database">Database of the set; each database is planned on its own.</param>
/// <param name="Time">The time recorded in the manifest (UTC).</param>
/// <param name="Complete">Every file committed and present.</param>
/// <param name="Verified">The last verification passed.</param>
public sealed record RetentionCandidate(string Id, string Database, DateTimeOffset Time, bool Complete, bool Verified)
{
    /// <summary>Complete and verified: may count as a good backup.</summary>
    public bool Good => Complete && Verified;
}
