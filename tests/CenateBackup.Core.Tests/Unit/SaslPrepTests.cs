using System;
using System.Linq;
using CenateBackup.Core.Audit;
using CenateBackup.Core.Database;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class SaslPrepTests
{
    // RFC 4013 section 3, the examples table, verbatim.
    [Theory]
    [InlineData("I\u00ADX", "IX")]          // 1: SOFT HYPHEN mapped to nothing
    [InlineData("user", "user")]            // 2: no transformation
    [InlineData("USER", "USER")]            // 3: case preserved, will not match #2
    [InlineData("\u00AA", "a")]             // 4: output is NFKC, input in ISO 8859-1
    [InlineData("\u2168", "IX")]            // 5: output is NFKC, will match #1
    public void The_RFC_4013_examples_prepare_as_the_RFC_says(string input, string expected)
    {
        Assert.Equal(SaslPrepOutcome.Prepared, SaslPrep.Prepare(input, out var output));
        Assert.Equal(expected, output);
    }

    [Fact]
    public void RFC_4013_example_6_a_control_character_is_prohibited() =>
        Assert.Equal(SaslPrepOutcome.Prohibited, SaslPrep.Prepare("\u0007", out _));

    [Fact]
    public void RFC_4013_example_7_a_RandALCat_string_ending_in_a_digit_fails_the_bidi_check() =>
        Assert.Equal(SaslPrepOutcome.BidiViolation, SaslPrep.Prepare("\u0627\u0031", out _));

    [Theory]
    [InlineData("pass\u00A0word", "pass word")]     // C.1.2 NO-BREAK SPACE -> SPACE
    [InlineData("pass\u3000word", "pass word")]     // C.1.2 IDEOGRAPHIC SPACE -> SPACE
    [InlineData("pass\u1680word", "pass word")]     // C.1.2 OGHAM SPACE MARK -> SPACE (NFKC alone keeps it)
    [InlineData("x\u200By", "x y")]                 // in both C.1.2 and B.1: saslprep.c maps it to SPACE first
    [InlineData("a\uFEFFb\u200Dc\u034Fd", "abcd")]  // B.1: ZWNBSP, ZWJ, COMBINING GRAPHEME JOINER -> nothing
    [InlineData("e\u0301", "\u00E9")]               // NFKC composes
    [InlineData("\uFB01\uFF21", "fiA")]             // NFKC: ligature, fullwidth
    [InlineData("\u05D0\u05D1\u05D2", "\u05D0\u05D1\u05D2")] // RandALCat only, first and last: allowed
    public void Mapping_and_normalization_follow_the_tables(string input, string expected)
    {
        Assert.Equal(SaslPrepOutcome.Prepared, SaslPrep.Prepare(input, out var output));
        Assert.Equal(expected, output);
    }

    [Theory]
    [InlineData("\u00AD")]          // empty after mapping
    [InlineData("ab\u0007\u00E9")]  // C.2.1 beside a non-ASCII character
    [InlineData("ab\u0085")]        // C.2.2 NEXT LINE
    [InlineData("ab\u2028")]        // C.2.2 LINE SEPARATOR
    [InlineData("ab\uE000")]        // C.3 private use
    [InlineData("ab\uFDD0")]        // C.4 non-character
    [InlineData("ab\uFFFD")]        // C.6 REPLACEMENT CHARACTER
    [InlineData("ab\u2FF0")]        // C.7 ideographic description
    [InlineData("ab\u200E")]        // C.8 LEFT-TO-RIGHT MARK
    [InlineData("ab\u206A")]        // C.8 deprecated format character
    [InlineData("ab\U000E0001")]    // C.9 LANGUAGE TAG
    [InlineData("ab\u0221")]        // A.1: unassigned in Unicode 3.2 (assigned in 4.0)
    [InlineData("ab\U0001F600")]    // A.1: an emoji, unassigned in Unicode 3.2
    public void Prohibited_and_unassigned_output_fails(string input) =>
        Assert.Equal(SaslPrepOutcome.Prohibited, SaslPrep.Prepare(input, out _));

    [Theory]
    [InlineData("\u0627x\u0628")]   // RandALCat with an LCat inside
    [InlineData("1\u0627")]         // RandALCat not first
    public void Bidi_rules_are_enforced(string input) =>
        Assert.Equal(SaslPrepOutcome.BidiViolation, SaslPrep.Prepare(input, out _));

    [Theory]
    // PostgreSQL (saslprep.c): ASCII is used as it is, control characters included (RFC example 6 differs here).
    [InlineData("\u0007", "07")]
    [InlineData("Cenate-2026!", "43656E6174652D3230323621")]
    // Prepared: the prepared string's UTF-8.
    [InlineData("I\u00ADX", "4958")]
    [InlineData("\u2168", "4958")]
    [InlineData("a\u00A0b", "612062")]
    // SASLprep fails: the raw UTF-8 of the input, unchanged (RFC example 7, a lone soft hyphen, an emoji).
    [InlineData("\u0627\u0031", "D8A731")]
    [InlineData("\u00AD", "C2AD")]
    [InlineData("a\u00ADb\U0001F600", "61C2AD62F09F9880")]
    public void PostgreSQL_hashes_these_bytes(string password, string hex) =>
        Assert.Equal(hex, Convert.ToHexString(SaslPrep.PasswordBytes(password)));

    [Fact]
    public void A_password_no_client_can_send_is_refused()
    {
        // Built here: a lone surrogate does not survive in attribute metadata.
        Assert.Throws<ArgumentException>(() => SaslPrep.PasswordBytes("a\0b"));
        Assert.Throws<ArgumentException>(() => SaslPrep.PasswordBytes("a" + (char)0xD800 + "b"));
        Assert.Throws<ArgumentException>(() => SaslPrep.PasswordBytes("a" + (char)0xDC00));
    }

    [Fact]
    public void A_password_longer_than_libpq_accepts_is_refused()
    {
        Assert.Equal(1024, SaslPrep.PasswordBytes(new string('x', 1024)).Length);
        Assert.Throws<ArgumentException>(() => SaslPrep.PasswordBytes(new string('x', 1025)));
        Assert.Throws<ArgumentException>(() => SaslPrep.PasswordBytes(new string('\u00E9', 513))); // 1026 bytes
    }

    [Fact]
    public void The_verifier_of_a_soft_hyphen_password_is_the_verifier_of_the_password_without_it()
    {
        var salt = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(ProtectionService.ScramVerifier("IX", salt), ProtectionService.ScramVerifier("I\u00ADX", salt));
        Assert.Equal(ProtectionService.ScramVerifier("IX", salt), ProtectionService.ScramVerifier("\u2168", salt));
        Assert.NotEqual(ProtectionService.ScramVerifier("IX", salt), ProtectionService.ScramVerifier("\u0627\u0031", salt));
    }

    [Fact]
    public void The_tables_are_sorted_disjoint_ranges()
    {
        foreach (var t in new[] { SaslPrepTables.MappedToNothing, SaslPrepTables.NonAsciiSpace, SaslPrepTables.Prohibited, SaslPrepTables.Unassigned, SaslPrepTables.RandALCat, SaslPrepTables.LCat })
        {
            Assert.True(t.Length % 2 == 0 && t.Length > 0);
            for (var i = 0; i < t.Length; i += 2)
            {
                Assert.True(t[i] <= t[i + 1]);
                if (i > 0) Assert.True(t[i] > t[i - 1] + 1, "ranges must not touch or overlap");
            }
        }
    }
}
