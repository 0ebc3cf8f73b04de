using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace CenateBackup.Core.Offsite.Rclone;

/// <summary>
/// Strips secrets from what rclone prints before it reaches an error, -Verbose or a log: the values of the config
/// file's secret keys (as written, and revealed when obscured), "key=value" pairs of secret-sounding keys, and
/// anything shaped like an obscured value.
/// </summary>
public sealed class RcloneSecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>Config keys whose values are secrets (rclone backends' names for passwords, tokens and keys).</summary>
    public static readonly IReadOnlyList<string> SecretKeys = new[]
    {
        "pass", "password", "password2", "token", "secret_access_key", "access_key_id", "session_token",
        "client_secret", "key_file_pass", "key_pem", "sas_url", "key", "account_key", "bearer_token",
        "service_account_credentials", "app_key", "api_key", "passphrase",
    };

    private static readonly Regex s_pair = new(
        @"(?i)(?<k>(?<![A-Za-z0-9_])(?:" + string.Join("|", SecretKeys.Select(Regex.Escape)) + @")""?)\s*[=:]\s*"
        + @"(?<v>""(?:[^""\\]|\\.)*""|[^\s,;&}\]]+)", RegexOptions.CultureInvariant);

    // Obscured values are base64url of at least 17 random bytes: long, mixed case and digits. A backup's own
    // names carry a yyyyMMdd_HHmmss stamp and are left alone.
    private static readonly Regex s_obscuredShape = new(@"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{22,}(?![A-Za-z0-9_\-])",
        RegexOptions.CultureInvariant);
    private static readonly Regex s_stamp = new(@"\d{8}_\d{6}", RegexOptions.CultureInvariant);

    private readonly string[] _values;

    /// <summary>A redactor that also strips these exact values (longest first).</summary>
    public RcloneSecretRedactor(IEnumerable<string> secretValues)
    {
        _values = secretValues.Where(v => v.Length >= 3).Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v.Length).ToArray();
    }

    /// <summary>
    /// A redactor for a config file: every secret key's value, and its plaintext when obscured. A file that cannot be
    /// read (absent, encrypted, no permission) gives a redactor with the patterns only.
    /// </summary>
    public static RcloneSecretRedactor FromConfigFile(string? path)
    {
        var values = new List<string>();
        if (path is not null)
        {
            try
            {
                values.AddRange(SecretValues(File.ReadAllLines(path)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // rclone itself reports an unreadable config; the patterns still apply.
            }
        }
        return new RcloneSecretRedactor(values);
    }

    /// <summary>The secret values of an rclone config file's lines (and the plaintext of obscured ones).</summary>
    public static IEnumerable<string> SecretValues(IEnumerable<string> configLines)
    {
        foreach (var raw in configLines)
        {
            var line = raw.Trim();
            var eq = line.IndexOf('=');
            if (eq <= 0 || line.StartsWith('#') || line.StartsWith(';')) continue;
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (value.Length == 0 || !SecretKeys.Contains(key, StringComparer.OrdinalIgnoreCase)) continue;
            yield return value;
            if (RcloneObscure.TryReveal(value) is { Length: > 0 } plain) yield return plain;
        }
    }

    /// <summary>The text with secrets replaced by <see cref="Mask"/>.</summary>
    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        foreach (var v in _values) text = text.Replace(v, Mask, StringComparison.Ordinal);
        text = s_pair.Replace(text, m => m.Groups["k"].Value + "=" + Mask);
        return s_obscuredShape.Replace(text, m => LooksObscured(m.Value) ? Mask : m.Value);
    }

    private static bool LooksObscured(string token) =>
        token.Any(char.IsAsciiLetterUpper) && token.Any(char.IsAsciiLetterLower) && token.Any(char.IsAsciiDigit)
        && !s_stamp.IsMatch(token) && RcloneObscure.TryDecodeBase64Url(token) is { Length: >= 17 };
}
