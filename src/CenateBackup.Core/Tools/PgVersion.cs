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
        if (!int.TryParse(m.Groups["major"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var major)) return false;
        var minor = 0;
        if (m.Groups["minor"].Success && !int.TryParse(m.Groups["minor"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out minor)) return false;
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
