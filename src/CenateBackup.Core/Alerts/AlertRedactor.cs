using System.Text.RegularExpressions;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Cleans text the module did not write (messages of foreign ErrorRecords and exceptions) before it goes into an alert:
/// a failed Invoke-RestMethod or a connection string can carry a token or a password. URIs lose their user info and
/// query; http(s) URIs also their path (webhook and bot tokens live there: hooks.slack.com/services/…,
/// api.telegram.org/bot&lt;token&gt;/…). The value of any key that ends in a secret word is masked, whatever its
/// prefix and quoting: PGPASSWORD=…, DB_PASSWORD=…, access_token=…, client_secret=…, api-key: …,
/// {"password": "…"}, Password=… inside a connection string; and Bearer/Basic credentials.
/// </summary>
public static partial class AlertRedactor
{
    /// <summary>What replaces a removed value.</summary>
    public const string Mask = "***";

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?<user>[^\s/?#@]*@)?(?<host>[^\s/?#]*)"
        + @"(?<path>[^\s?#]*)(?<query>\?[^\s#]*)?(?<frag>#\S*)?",
        RegexOptions.CultureInvariant)]
    private static partial Regex UriRegex();

    // A key is a word (letters, digits, _ . -) ending in a secret word, optionally quoted, then = or :. The secret word
    // must end the key ("tokens counted", "passwordless" are not keys).
    [GeneratedRegex(@"(?<key>(?<![A-Za-z0-9])[A-Za-z0-9_.\-]*?"
        + @"(?:password|passwd|pwd|pass|secret|token|api[_-]?key|access[_-]?key|auth)[""']?\s*[=:]\s*)"
        + @"(?<value>""(?:[^""\\]|\\.)*""|'[^']*'|[^;,\s&""'}\]]*)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValueRegex();

    // "Authorization: Bearer abc", "Authorization: Basic …", "Authorization=xyz": the whole credential.
    [GeneratedRegex(@"(?<key>(?<![A-Za-z0-9])[A-Za-z0-9_.\-]*?authorization[""']?\s*[=:]\s*[""']?"
        + @"(?:(?:bearer|basic|digest|token|negotiate)\s+)?)(?<value>[^\s""',;&]+)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationHeaderRegex();

    [GeneratedRegex(@"(?<key>\bbearer\s+)[A-Za-z0-9\-._~+/=]+|(?<key>\bbasic\s+)[A-Za-z0-9+/]{8,}={0,2}",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationRegex();

    /// <summary>Known secrets shorter than this are not masked as bare text (masking "ab" would garble every
    /// message); they are still masked after a secret key.</summary>
    public const int MinimumSecretLength = 4;

    private static readonly object s_gate = new();
    private static string[] s_secrets = System.Array.Empty<string>();

    /// <summary>
    /// Registers a secret value of this process (a password the job runtime loaded): from now on
    /// <see cref="Redact"/> masks it wherever it appears, even without a key before it ("failed for s3cret").
    /// </summary>
    public static void AddSecret(string? value)
    {
        if (value is null || value.Trim().Length < MinimumSecretLength) return;
        lock (s_gate)
        {
            if (System.Array.IndexOf(s_secrets, value) >= 0) return;
            var list = new System.Collections.Generic.List<string>(s_secrets) { value };
            list.Sort((a, b) => b.Length.CompareTo(a.Length));
            s_secrets = list.ToArray();
        }
    }

    /// <summary>Returns <paramref name="text"/> without URI user info, queries, http(s) paths and secret
    /// values (known secrets of this process too, see <see cref="AddSecret"/>).</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        foreach (var secret in s_secrets)
            text = text.Replace(secret, Mask, System.StringComparison.Ordinal);
        var result = UriRegex().Replace(text, m =>
        {
            var scheme = m.Groups["scheme"].Value;
            var user = m.Groups["user"].Success && m.Groups["user"].Length > 0 ? Mask + "@" : "";
            var path = m.Groups["path"].Value;
            var web = scheme.Equals("http", System.StringComparison.OrdinalIgnoreCase)
                || scheme.Equals("https", System.StringComparison.OrdinalIgnoreCase);
            if (web && path.Length > 1) path = "/…";
            var query = m.Groups["query"].Success ? "?…" : "";
            return $"{scheme}://{user}{m.Groups["host"].Value}{path}{query}";
        });
        result = AuthorizationHeaderRegex().Replace(result, m => m.Groups["key"].Value + Mask);
        result = KeyValueRegex().Replace(result, m => m.Groups["key"].Value + Mask);
        result = AuthorizationRegex().Replace(result, m => m.Groups["key"].Value + Mask);
        return result;
    }
}
