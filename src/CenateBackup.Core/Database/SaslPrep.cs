using System;
using System.Collections.Generic;
using System.Text;

namespace CenateBackup.Core.Database;

/// <summary>How SASLprep ended.</summary>
public enum SaslPrepOutcome
{
    /// <summary>The string was prepared.</summary>
    Prepared,
    /// <summary>The output would hold a prohibited character (RFC 4013 2.3) or an unassigned code point (A.1), or is empty.</summary>
    Prohibited,
    /// <summary>The output breaks the bidirectional rules (RFC 3454 section 6).</summary>
    BidiViolation,
}

/// <summary>
/// SASLprep (RFC 4013, the stringprep profile of RFC 3454) as PostgreSQL's src/common/saslprep.c applies it to a
/// SCRAM password. The server and libpq use the prepared string when SASLprep succeeds and the password's raw UTF-8
/// bytes when it fails, so <see cref="PasswordBytes(string)"/> does the same: the verifier then matches what they compute.
/// </summary>
public static class SaslPrep
{
    /// <summary>PostgreSQL's MAX_PASSWORD_LENGTH: libpq refuses longer passwords (and the server's own hashing errors).</summary>
    public const int MaxPasswordBytes = 1024;

    /// <summary>
    /// Strict RFC 4013: map (B.1 to nothing, C.1.2 to U+0020), NFKC, prohibit (C.1.2, C.2.1, C.2.2, C.3–C.9, A.1),
    /// bidi check. Unlike PostgreSQL there is no shortcut for ASCII, so U+0007 is prohibited here.
    /// </summary>
    public static SaslPrepOutcome Prepare(string input, out string output)
    {
        ArgumentNullException.ThrowIfNull(input);
        output = "";
        var mapped = new StringBuilder(input.Length);
        foreach (var rune in input.EnumerateRunes())
        {
            var cp = rune.Value;
            if (In(SaslPrepTables.NonAsciiSpace, cp)) mapped.Append(' ');
            else if (!In(SaslPrepTables.MappedToNothing, cp)) mapped.Append(rune.ToString());
        }
        // saslprep.c: "don't allow empty password" after mapping.
        if (mapped.Length == 0) return SaslPrepOutcome.Prohibited;
        var normalized = mapped.ToString().Normalize(NormalizationForm.FormKC);
        var points = new List<int>(normalized.Length);
        foreach (var rune in normalized.EnumerateRunes()) points.Add(rune.Value);
        foreach (var cp in points)
        {
            if (In(SaslPrepTables.Prohibited, cp) || In(SaslPrepTables.Unassigned, cp)) return SaslPrepOutcome.Prohibited;
        }
        if (points.Exists(cp => In(SaslPrepTables.RandALCat, cp)))
        {
            // RFC 3454 6: no LCat at all, and RandALCat first and last.
            if (points.Exists(cp => In(SaslPrepTables.LCat, cp))) return SaslPrepOutcome.BidiViolation;
            if (!In(SaslPrepTables.RandALCat, points[0]) || !In(SaslPrepTables.RandALCat, points[^1])) return SaslPrepOutcome.BidiViolation;
        }
        output = normalized;
        return SaslPrepOutcome.Prepared;
    }

    /// <summary>
    /// The bytes PostgreSQL hashes for this password (pg_saslprep in scram_build_secret / libpq): the input unchanged
    /// when it is all ASCII, else the SASLprep output, else — when SASLprep fails — the raw UTF-8 of the input.
    /// </summary>
    /// <exception cref="ArgumentException">The password holds U+0000 or a lone surrogate (no client can send it), or is longer than <see cref="MaxPasswordBytes"/> UTF-8 bytes (libpq refuses it).</exception>
    public static byte[] PasswordBytes(string password) => PasswordBytes(password, out _);

    /// <summary><see cref="PasswordBytes(string)"/>, also telling whether SASLprep changed or rejected the password.</summary>
    public static byte[] PasswordBytes(string password, out SaslPrepOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("The password contains U+0000, which no PostgreSQL client can send.", nameof(password));
        byte[] raw;
        try { raw = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(password); }
        catch (EncoderFallbackException) { throw new ArgumentException("The password is not valid Unicode (a lone surrogate).", nameof(password)); }
        if (raw.Length > MaxPasswordBytes)
            throw new ArgumentException($"The password is {raw.Length} bytes long in UTF-8; PostgreSQL's clients (libpq) accept at most {MaxPasswordBytes}.", nameof(password));
        outcome = SaslPrepOutcome.Prepared;
        if (Array.TrueForAll(raw, b => b < 0x80)) return raw; // saslprep.c: "An ASCII string requires no further processing."
        outcome = Prepare(password, out var prepared);
        return outcome == SaslPrepOutcome.Prepared ? Encoding.UTF8.GetBytes(prepared) : raw;
    }

    private static bool In(int[] ranges, int cp)
    {
        // Binary search over pairs (first, last).
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }
}
