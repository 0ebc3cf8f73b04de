using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CenateBackup.Core.Verification;

/// <summary>What a drill database found on a drill server is, for the stale-drill cleanup.</summary>
public enum DrillDatabaseState
{
    /// <summary>Its name is not one the module generates (a -ScratchDatabase name, an older version's name): never dropped.</summary>
    NotGenerated,
    /// <summary>Kept with -KeepDatabase: never dropped.</summary>
    Kept,
    /// <summary>Generated name, but not marked as a temporary drill database by the module: never dropped.</summary>
    NotMarked,
    /// <summary>A temporary drill database younger than the bound: perhaps a drill still running.</summary>
    Recent,
    /// <summary>A temporary drill database older than the bound: left by a drill that never ended; dropped when no session uses it.</summary>
    Stale,
}

/// <summary>
/// The names and marks of the scratch databases of restore drills. A generated name is
/// <c>cenate_drill_&lt;yyyyMMdd_HHmmss UTC&gt;_&lt;6 random [a-z0-9]&gt;</c>: two drills started in the same second get
/// different names, and a later drill can read from the name when a left-over one was started. The module also marks each
/// scratch database with a COMMENT: temporary while the drill runs, kept after -KeepDatabase. Only a generated name that is
/// marked temporary and is older than <see cref="StaleAfter"/> is ever dropped by a later drill.
/// </summary>
public static class DrillScratchName
{
    /// <summary>Prefix of every generated name.</summary>
    public const string Prefix = "cenate_drill_";
    /// <summary>Start of the COMMENT of a drill database the drill will drop.</summary>
    public const string TemporaryMark = "CenateBackup restore drill, temporary";
    /// <summary>Start of the COMMENT of a drill database kept with -KeepDatabase.</summary>
    public const string KeptMark = "CenateBackup restore drill, kept";
    /// <summary>Age after which a temporary drill database is taken as left behind: longer than any drill runs.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(24);

    private const string StampFormat = "yyyyMMdd_HHmmss";
    private const string SuffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly Regex s_generated = new("^cenate_drill_([0-9]{8}_[0-9]{6})_[a-z0-9]{6}\\z", RegexOptions.CultureInvariant);

    /// <summary>The stamped part of a generated name: cenate_drill_&lt;UTC stamp&gt;.</summary>
    public static string Stem(DateTimeOffset at) => Prefix + at.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);

    /// <summary>A new name for a drill started at <paramref name="at"/>: the stem and 6 random letters or digits.</summary>
    public static string Create(DateTimeOffset at) => Stem(at) + "_" + RandomNumberGenerator.GetString(SuffixAlphabet, 6);

    /// <summary>The UTC start of a drill whose name the module generated; false for any other name.</summary>
    public static bool TryParseStart(string name, out DateTimeOffset startedAt)
    {
        startedAt = default;
        var m = s_generated.Match(name);
        if (!m.Success) return false;
        if (!DateTime.TryParseExact(m.Groups[1].Value, StampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var utc)) return false;
        startedAt = new DateTimeOffset(utc, TimeSpan.Zero);
        return true;
    }

    /// <summary>The COMMENT a scratch database gets when the drill creates it.</summary>
    public static string TemporaryComment(DateTimeOffset at, string server) =>
        $"{TemporaryMark}: created by Test-CenateBackup -Level Restore at {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC on {server}; " +
        $"the drill drops it, or a later drill once it is older than {StaleAfter.TotalHours:0} h";

    /// <summary>The COMMENT a scratch database gets when it is kept with -KeepDatabase.</summary>
    public static string KeptComment(DateTimeOffset at) =>
        $"{KeptMark}: kept with -KeepDatabase at {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC; never dropped by the module, drop it by hand";

    /// <summary>Classifies a database on a drill server (its name and COMMENT) at <paramref name="now"/>.</summary>
    public static DrillDatabaseState Classify(string name, string? comment, DateTimeOffset now, TimeSpan staleAfter)
    {
        if (!TryParseStart(name, out var started)) return DrillDatabaseState.NotGenerated;
        if (comment is not null && comment.StartsWith(KeptMark, StringComparison.Ordinal)) return DrillDatabaseState.Kept;
        if (comment is null || !comment.StartsWith(TemporaryMark, StringComparison.Ordinal)) return DrillDatabaseState.NotMarked;
        return now - started > staleAfter ? DrillDatabaseState.Stale : DrillDatabaseState.Recent;
    }

    /// <summary>
    /// The advisory-lock key a running drill holds for its scratch database (pg_advisory_lock(int, int)): a later drill does
    /// not drop a database whose lock is held. FNV-1a of the name, stable across processes and versions.
    /// </summary>
    public static (int ClassId, int ObjectId) LockKey(string name)
    {
        const int classId = 0x4344524C; // "CDRL"
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            hash ^= b;
            hash *= 16777619;
        }
        return (classId, unchecked((int)hash));
    }
}
