using System;

namespace CenateBackup.Core.Audit;

/// <summary>
/// Remove-CenateAuditLog's plan: the entries of <paramref name="Query"/> logged before <paramref name="Cutoff"/>
/// (fixed when planned, so the run deletes what the user was asked about), <paramref name="Count"/> of them.
/// </summary>
public sealed record AuditLogRemoval(AuditQuery Query, DateTimeOffset Cutoff, long Count);
