using System;

namespace CenateBackup.Core.Retention;

/// <summary>
/// Grandfather-father-son retention by the time recorded in each set's manifest, with safety rules that no
/// age can override. The defaults are the plan's local policy (daily 30 days, weekly 90, monthly 365).
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>Every set younger than this many days is kept.</summary>
    public int KeepDaily { get; init; } = 30;
    /// <summary>The newest good set of each ISO week younger than this many days is kept.</summary>
    public int KeepWeekly { get; init; } = 90;
    /// <summary>The newest good set of each month younger than this many days is kept.</summary>
    public int KeepMonthly { get; init; } = 365;
    /// <summary>The newest good set of each year younger than this many years is kept (0: none).</summary>
    public int KeepYearly { get; init; }
    /// <summary>
    /// Partial sets (chosen tables, data only, exports only) are kept this many days (null: KeepDaily), and never
    /// longer than the full set they came with (one taken within <see cref="RetentionPlanner.CompanionWindow"/>).
    /// </summary>
    public int? KeepPartial { get; init; }
    /// <summary>The newest this many complete, verified full sets are always kept.</summary>
    public int MinimumKeep { get; init; } = 3;
    /// <summary>If the newest verified full set is older than this, backups have stopped: nothing is removed.</summary>
    public TimeSpan MaxNewestAge { get; init; } = TimeSpan.FromDays(2);
    /// <summary>Remove even when backups have stopped (MaxNewestAge); the other safety rules still hold.</summary>
    public bool Force { get; init; }
    /// <summary>Zone whose calendar defines days, ISO weeks, months and years.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
    /// <summary>
    /// Row-drop protection: the last complete full set before an unacknowledged drop of a critical table beyond its
    /// threshold is kept whatever its age (<see cref="RetentionRule.BeforeRowDrop"/>). Null: no protection.
    /// </summary>
    public Drift.RowDropPolicy? RowDrop { get; init; }
}
