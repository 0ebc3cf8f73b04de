using System;
using System.Collections.Generic;

namespace CenateBackup.Core.Retention;

/// <summary>What the planner needs to know about one backup set.</summary>
/// <param name="Id">Identity of the set (its manifest path).</param>
/// <param name="Database">Database of the set; each database is planned on its own.</param>
/// <param name="Time">The time recorded in the manifest (UTC).</param>
/// <param name="Complete">Every file committed and present.</param>
/// <param name="Verified">The last verification passed.</param>
/// <param name="Full">
/// A full database set (whole database with schema). Only full sets stand for a day, week, month or year, count
/// toward MinimumKeep and prove that backups run; the others (chosen tables, data only, exports) are partial sets.
/// </param>
public sealed record RetentionCandidate(string Id, string Database, DateTimeOffset Time, bool Complete, bool Verified, bool Full = true)
{
    /// <summary>The exact row counts the set recorded (schema.table → rows); null: unknown, never compared.</summary>
    public IReadOnlyDictionary<string, long>? RowCounts { get; init; }

    /// <summary>
    /// The drops into this set acknowledged with Confirm-CenateRowDrop, as its manifest records them; one counts only
    /// when it matches the drop exactly (<see cref="Drift.RowDriftCheck.Matches"/>).
    /// </summary>
    public IReadOnlyList<Storage.ManifestRowDropAcknowledgement?>? RowDropAcknowledgements { get; init; }

    /// <summary>
    /// When the set's last verification ran and failed, and its first problem (null: it passed, or it was never
    /// verified). Reasons tell "its verification failed" apart from "never verified".
    /// </summary>
    public RetentionVerificationFailure? VerificationFailure { get; init; }

    /// <summary>The set's stamp (null: made from <see cref="Time"/>).</summary>
    public string? Stamp { get; init; }

    /// <summary>Complete and verified: may count as a good backup (of its kind).</summary>
    public bool Good => Complete && Verified;

    /// <summary>A good full database set: the only kind that may stand for a period or prove backups run.</summary>
    public bool GoodFull => Good && Full;
}

/// <summary>
/// A failed verification as the manifest records it: when it ran and its first problem (null: none given).
/// </summary>
public sealed record RetentionVerificationFailure(DateTimeOffset At, string? FirstProblem);
