using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CenateBackup.Core.Tools;

/// <summary>A PostgreSQL version as printed by tools ("pg_dump (PostgreSQL) 15.18 (Debian …)") or the server.</summary>
public readonly partial record struct PgVersion(int Major, int Minor)
{
    /// <summary>Parses the first "N.M" (or "N" for devel/beta) after "(PostgreSQL)" or at the start.</summary>
    public static bool TryParse(string? text, out PgVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = VersionRegex().Match(text);
        if (!m.Success) return false;
        var major = int.Parse(m.Groups["major"].Value, CultureInfo.InvariantCulture);
        var minor = m.Groups["minor"].Success ? int.Parse(m.Groups["minor"].Value, CultureInfo.InvariantCulture) : 0;
        version = new PgVersion(major, minor);
        return true;
    }

    /// <summary>From server_version_num (150018 → 15.18).</summary>
    public static PgVersion FromVersionNum(int num) => new(num / 10000, num % 10000);

    /// <inheritdoc />
    public override string ToString() => Major.ToString(CultureInfo.InvariantCulture) + "." + Minor.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?:\(PostgreSQL\)\s*|^)(?<major>\d+)(?:\.(?<minor>\d+))?")]
    private static partial Regex VersionRegex();
}
