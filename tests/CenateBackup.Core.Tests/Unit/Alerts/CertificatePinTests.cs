using System;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit.Alerts;

public sealed class CertificatePinTests
{
    private static X509Certificate2 SelfSigned(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static string Colons(string hex) => string.Join(":", System.Linq.Enumerable.Range(0, hex.Length / 2)
        .Select(i => hex.Substring(i * 2, 2)));

    [Fact]
    public void Normalize_AcceptsBothLengthsInAnyCaseWithSeparators()
    {
        var sha1 = new string('a', 40);
        Assert.Equal(sha1.ToUpperInvariant(), CertificatePin.Normalize(sha1));
        Assert.Equal(sha1.ToUpperInvariant(), CertificatePin.Normalize(Colons(sha1)));
        var sha256 = string.Concat(System.Linq.Enumerable.Repeat("0f", 32));
        Assert.Equal(sha256.ToUpperInvariant(),
            CertificatePin.Normalize(" " + Colons(sha256).Replace(":", " : ") + "\t"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("abc")]
    [InlineData("0123456789012345678901234567890123456789A")]          // 41
    [InlineData("012345678901234567890123456789012345678")]            // 39
    [InlineData("g123456789012345678901234567890123456789")]           // not hex
    [InlineData("01-23-45-67-89-01-23-45-67-89-01-23-45-67-89-01-23-45-67-89")] // '-' is not a separator
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123AB")] // 66
    public void Normalize_RefusesAnythingElse(string text)
    {
        Assert.Null(CertificatePin.TryNormalize(text));
        var ex = Assert.Throws<CenateException>(() => CertificatePin.Normalize(text));
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void Matches_Sha1AndSha256InAnyForm_AndNothingElse()
    {
        using var cert = SelfSigned("relay");
        using var other = SelfSigned("relay");
        var sha1 = cert.Thumbprint;
        var sha256 = cert.GetCertHashString(HashAlgorithmName.SHA256);
        Assert.Equal(sha1, CertificatePin.Sha1(cert));
        Assert.Equal(sha256, CertificatePin.Sha256(cert));
        Assert.True(CertificatePin.Matches(cert, sha1));
        Assert.True(CertificatePin.Matches(cert, sha1.ToLowerInvariant()));
        Assert.True(CertificatePin.Matches(cert, Colons(sha256).ToLowerInvariant()));
        Assert.True(CertificatePin.Matches(cert, sha256));
        Assert.False(CertificatePin.Matches(other, sha1));
        Assert.False(CertificatePin.Matches(other, sha256));
        // A SHA-256 pin never matches on its first 40 digits, nor a SHA-1 padded to 64.
        Assert.False(CertificatePin.Matches(cert, sha256[..40]));
        Assert.False(CertificatePin.Matches(cert, sha1 + new string('0', 24)));
        Assert.False(CertificatePin.Matches(cert, "not a pin"));
    }
}
