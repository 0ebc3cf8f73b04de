using System.Text.RegularExpressions;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Cleans text the module did not write (messages of foreign ErrorRecords and exceptions) before it goes into an alert:
/// a failed Invoke-RestMethod or a connection string can carry a token or a password. URIs lose their user info and
/// query; http(s) URIs also their path (webhook and bot tokens live there: hooks.slack.com/services/…,
/// api.telegram.org/bot&lt;token&gt;/…); "password=…", "pwd=…", "token=…", "secret=…" and bearer values are
/// masked.
/// </summary>
public static partial class AlertRedactor
{
    /// <summary>What replaces a removed value.</summary>
    public const string Mask = "***";

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?<user>[^\s/?#@]*@)?(?<host>[^\s/?#]*)"
        + @"(?<path>[^\s?#]*)(?<query>\?[^\s#]*)?(?<frag>#\S*)?",
        RegexOptions.CultureInvariant)]
    private static partial Regex UriRegex();

    [GeneratedRegex(@"(?<key>\b(?:password|passwd|pwd|pass|token|secret|api[_-]?key|access[_-]?key|auth)\b\s*[=:]\s*)"
        + @"(?<value>""[^""]*""|'[^']*'|[^;,\s&]*)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValueRegex();

    [GeneratedRegex(@"(?<key>\b(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/=]{8,}",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationRegex();

    /// <summary>Returns <paramref name="text"/> without URI user info, queries, http(s) paths and secret
    /// values.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
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
        result = KeyValueRegex().Replace(result, m => m.Groups["key"].Value + Mask);
        result = AuthorizationRegex().Replace(result, m => m.Groups["key"].Value + Mask);
        return result;
    }
}
