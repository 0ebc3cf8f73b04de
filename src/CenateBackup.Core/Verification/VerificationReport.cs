using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Verification;

/// <summary>The outcome of verifying one backup set or file.</summary>
public sealed class VerificationReport
{
    private TimeSpan? _age;

    /// <summary>Manifest path, or null when a lone file was checked.</summary>
    public string? ManifestPath { get; init; }
    /// <summary>Directory of the set.</summary>
    public string Directory { get; init; } = "";
    /// <summary>Database.</summary>
    public string? Database { get; init; }
    /// <summary>Set stamp.</summary>
    public string? Stamp { get; init; }
    /// <summary>Level run.</summary>
    public VerificationLevel Level { get; init; }
    /// <summary>True when no problem (other than informational ones) was found.</summary>
    public bool Passed { get; set; }
    /// <summary>Checks that ran, in order, described for humans.</summary>
    public List<string> Checks { get; } = new();
    /// <summary>Problems found.</summary>
    public List<VerificationProblem> Problems { get; } = new();
    /// <summary>Files checked (names).</summary>
    public List<string> Files { get; } = new();
    /// <summary>When it ran.</summary>
    public DateTimeOffset At { get; init; }
    /// <summary>Wall time.</summary>
    public TimeSpan Duration { get; set; }
    /// <summary>Where the set's data came from (container or host:port), for alerts.</summary>
    public string? Source { get; set; }
    /// <summary>Restore level: what the drill did.</summary>
    public DrillOutcome? Drill { get; set; }
    /// <summary>Age of the set (now minus its stamp), when known; never negative.</summary>
    /// <remarks>
    /// A set written in the same second as another takes the next free second as its stamp, so its stamp can be a
    /// little ahead of the clock: such a set is new (zero old), not "-1s" old.
    /// </remarks>
    public TimeSpan? Age
    {
        get => _age;
        set => _age = value < TimeSpan.Zero ? TimeSpan.Zero : value;
    }
    /// <summary>Size of the set's dump in bytes (or of all its files when it has no dump), when known.</summary>
    public long? Size { get; set; }
    /// <summary>True when this result was written into the set's manifest.</summary>
    public bool Recorded { get; set; }
    /// <summary>The file <see cref="Size"/> is of (null: the whole set).</summary>
    public string? SizeFile { get; set; }
    /// <summary>Drift check: every critical table compared (pass or fail); empty when no threshold was given.</summary>
    public List<Drift.RowDrift> RowDrift { get; } = new();

    /// <summary>
    /// The problems the manifest's verification record keeps: the set's integrity only (checksums, reads, drill). A row
    /// drop is the database's, not the set's: the set is sound (with -Live it is the good copy holding the lost rows),
    /// so it stays verified for Get-CenateBackup -Verified, Sync-CenateOffsite and retention.
    /// </summary>
    public List<VerificationProblem> IntegrityProblems =>
        Problems.Where(p => p.Kind is not (ProblemKind.RowCountDropped or ProblemKind.WalArchiveGap or ProblemKind.PointInTimeDrillFailed)).ToList();

    /// <summary><see cref="Passed"/> as the record keeps it: something was checked and the set's integrity holds.</summary>
    public bool IntegrityPassed => Checks.Count > 0 && Files.Count > 0
        && IntegrityProblems.All(p => p.Kind == ProblemKind.ManifestMissing);

    /// <summary>
    /// The same report for a set verified through a copy (a remote set downloaded to a private directory): paths name
    /// where the set really is.
    /// </summary>
    public VerificationReport Relocated(string manifestPath, string directory)
    {
        var moved = new VerificationReport
        {
            ManifestPath = manifestPath,
            Directory = directory,
            Database = Database,
            Stamp = Stamp,
            Level = Level,
            At = At,
            Passed = Passed,
            Duration = Duration,
            Source = Source,
            Drill = Drill,
            Age = Age,
            Size = Size,
            Recorded = Recorded,
            SizeFile = SizeFile,
        };
        moved.Checks.AddRange(Checks);
        moved.Problems.AddRange(Problems);
        moved.Files.AddRange(Files);
        moved.RowDrift.AddRange(RowDrift);
        return moved;
    }
}
