using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Retention;

/// <summary>What the retention job did with one set.</summary>
public enum RetentionAction
{
    /// <summary>A rule keeps it.</summary>
    Kept,
    /// <summary>Expired, but the host did not confirm its removal (-WhatIf, or No at -Confirm).</summary>
    WouldRemove,
    /// <summary>Expired and removed.</summary>
    Removed,
    /// <summary>Expired; its removal failed (see <see cref="RetentionOutcome.Error"/>).</summary>
    Failed,
}

/// <summary>One set's decision, the set as read from its manifest, and what was done.</summary>
public sealed record RetentionOutcome(RetentionDecision Decision, CatalogEntry Entry, RetentionAction Action,
    CenateException? Error);
