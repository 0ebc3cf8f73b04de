using System;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// A pinned relay certificate (-CertificateThumbprint): its SHA-1 thumbprint (what Windows and the Cert: drive show)
/// or its SHA-256 fingerprint (what openssl -sha256 shows), in any case, with or without ':' and spaces.
/// </summary>
public static class CertificatePin
{
    /// <summary>Upper-case hex without separators when the text is 40 or 64 hex digits after removing ':' and
    /// white space; else null.</summary>
    public static string? TryNormalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c == ':' || char.IsWhiteSpace(c))
            {
                continue;
            }
            if (!char.IsAsciiHexDigit(c))
            {
                return null;
            }
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.Length is 40 or 64 ? sb.ToString() : null;
    }

    /// <summary>Like <see cref="TryNormalize"/>, but refuses anything else (SettingsInvalid).</summary>
    public static string Normalize(string text) => TryNormalize(text) ?? throw new CenateException(
        ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument,
        Messages.Get("SettingsInvalid"),
        Messages.Get("SettingsInvalid.Action"));

    /// <summary>SHA-1 thumbprint, upper-case hex.</summary>
    public static string Sha1(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA1));
    }

    /// <summary>SHA-256 fingerprint, upper-case hex.</summary>
    public static string Sha256(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }

    /// <summary>True when the normalised pin is the certificate's SHA-1 or SHA-256 hash.</summary>
    public static bool Matches(X509Certificate certificate, string pin)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var normalized = TryNormalize(pin);
        if (normalized is null)
        {
            return false;
        }
        var actual = normalized.Length == 40 ? Sha1(certificate) : Sha256(certificate);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(actual),
            Encoding.ASCII.GetBytes(normalized));
    }
}
