using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Send-CenateAlert's settings as given: by parameters, or by a settings file (keys = parameter names, any case).
/// Every value is optional here; <see cref="Over"/> lays explicit parameters over the file and
/// <see cref="AlertConfiguration.Resolve"/> checks the result. A file never holds a password: only the name of an
/// environment variable (PasswordVariable) or of a credential file (CredentialPath).
/// </summary>
public sealed partial record AlertSettings
{
#pragma warning disable CS1591 // one property per parameter of the same name; the cmdlet's help describes them
    public string? SmtpServer { get; init; }
    public int? Port { get; init; }
    public string? From { get; init; }
    public string[]? To { get; init; }
    public string[]? Cc { get; init; }
    public MailSecurity? Security { get; init; }
    public bool? SkipRevocationCheck { get; init; }
    public string? CertificateThumbprint { get; init; }
    public string? UserName { get; init; }
    public string? PasswordVariable { get; init; }
    public string? CredentialPath { get; init; }
    public Uri? WebhookUri { get; init; }
    public WebhookFormat? WebhookFormat { get; init; }
    public string? TelegramChatId { get; init; }
    public Uri? HeartbeatUri { get; init; }
    public string? StatusPath { get; init; }
    public string? StateDirectory { get; init; }
    public AlertWhen? When { get; init; }
    public string? Job { get; init; }
    public CultureInfo? Culture { get; init; }
    public TimeSpan? Timeout { get; init; }
#pragma warning restore CS1591

    private static readonly PropertyInfo[] s_properties = typeof(AlertSettings)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.Name != "EqualityContract").ToArray();

    /// <summary>The keys a settings file may hold (the parameter names).</summary>
    public static IReadOnlyList<string> Keys { get; } = s_properties.Select(p => p.Name).ToArray();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex JobRegex();

    [GeneratedRegex("^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex ThumbprintRegex();

    /// <summary>Values of <paramref name="lower"/> where this one has none: explicit parameters over the
    /// file.</summary>
    public AlertSettings Over(AlertSettings? lower)
    {
        if (lower is null) return this;
        var result = this with { };
        foreach (var p in s_properties)
        {
            if (p.GetValue(result) is null) p.SetValue(result, p.GetValue(lower));
        }
        return result;
    }

    /// <summary>
    /// Reads settings from data (a settings file's hashtable): unknown keys, password keys and values of the wrong type
    /// are SettingsInvalid naming the key and <paramref name="source"/>.
    /// </summary>
    public static AlertSettings FromData(IDictionary data, string source)
    {
        ArgumentNullException.ThrowIfNull(data);
        var settings = new AlertSettings();
        foreach (DictionaryEntry entry in data)
        {
            var key = System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
            var property = s_properties.FirstOrDefault(p => p.Name.Equals(key, StringComparison.OrdinalIgnoreCase));
            // One file may serve the drift check too: its RowDrop key is read by Drift.RowDropSettings.
            if (property is null && key.Equals(SettingsFileKeys.RowDrop, StringComparison.OrdinalIgnoreCase)) continue;
            // The plan's settings file (Get-CenateSettings) is a superset of this one: its plan keys are not ours.
            if (property is null && SettingsFileKeys.Plan.Contains(key, StringComparer.OrdinalIgnoreCase)) continue;
            if (property is null)
            {
                if (key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret",
                    StringComparison.OrdinalIgnoreCase)
                    || key.Equals("Credential", StringComparison.OrdinalIgnoreCase))
                {
                    throw Invalid(source,
                        $"the key '{key}' is not allowed: a settings file never holds a password. Put the password "
                        + "in a credential file (CredentialPath) or an environment variable (PasswordVariable).");
                }
                throw Invalid(source, $"unknown key '{key}'. Valid keys: {string.Join(", ", Keys)}.");
            }
            if (entry.Value is null) continue;
            property.SetValue(settings, ConvertValue(property, entry.Value, key, source));
        }
        return settings;
    }

    private static object ConvertValue(PropertyInfo property, object value, string key, string source)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        string Text() => value as string ?? throw Invalid(source,
            $"'{key}' must be a string, not a {value.GetType().Name}.");
        if (type == typeof(string)) return Text();
        if (type == typeof(string[]))
        {
            var items = value is string one ? new object[] { one } : value is IEnumerable many
                ? many.Cast<object?>().ToArray() : new[] { value };
            return items.Select(i => i as string ?? throw Invalid(source,
                $"'{key}' must be a string or a list of strings.")).ToArray();
        }
        if (type == typeof(int))
        {
            return value is int i ? i : value is string s && int.TryParse(s, NumberStyles.None,
                CultureInfo.InvariantCulture, out var n) ? n
                : throw Invalid(source, $"'{key}' must be a whole number.");
        }
        if (type == typeof(bool)) return value as bool? ?? throw Invalid(source, $"'{key}' must be $true or $false.");
        if (type.IsEnum)
        {
            var s = Text();
            if (!s.All(char.IsLetter) || !Enum.TryParse(type, s, ignoreCase: true, out var parsed))
                throw Invalid(source, $"'{key}' must be one of {string.Join(", ", Enum.GetNames(type))}, not '{s}'.");
            return parsed!;
        }
        if (type == typeof(Uri))
        {
            if (!Uri.TryCreate(Text(), UriKind.Absolute, out var uri) || !IsHttpUri(uri))
                throw Invalid(source, $"'{key}' must be an absolute http:// or https:// URI.");
            return uri;
        }
        if (type == typeof(TimeSpan))
        {
            if (value is not string d || !HumanUnits.TryParseDuration(d, out var span))
                throw Invalid(source,
                    $"'{key}' must be a duration with a unit, such as '45s' or '2m' (a bare number is refused).");
            return span;
        }
        if (type == typeof(CultureInfo))
        {
            try { return CultureInfo.GetCultureInfo(Text(), predefinedOnly: true); }
            catch (CultureNotFoundException) { throw Invalid(source,
                $"'{key}' is not a culture name (es-PE, en-US…)."); }
        }
        throw Invalid(source, $"'{key}' cannot be read.");
    }

    /// <summary>True for an absolute http or https URI (the only schemes a webhook or heartbeat may use).</summary>
    public static bool IsHttpUri(Uri? uri) => uri is { IsAbsoluteUri: true } && (uri.Scheme == Uri.UriSchemeHttp
        || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>True for a valid job name (it names the state and spool files).</summary>
    public static bool IsValidJob(string? job) => job is not null && JobRegex().IsMatch(job);

    /// <summary>A thumbprint without ':' and spaces, upper case; null when it is not 40 or 64 hex digits.</summary>
    public static string? NormaliseThumbprint(string? text)
    {
        if (text is null) return null;
        var bare = new string(text.Where(c => c != ':' && !char.IsWhiteSpace(c)).ToArray());
        return ThumbprintRegex().IsMatch(bare) ? bare.ToUpperInvariant() : null;
    }

    /// <summary>The default job: the calling script's base name made safe, or "cenate" interactively.</summary>
    public static string JobFromScript(string? scriptPath)
    {
        var name = string.IsNullOrEmpty(scriptPath) ? "" : Path.GetFileNameWithoutExtension(scriptPath);
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c
            : '-').ToArray()).TrimStart('_', '.', '-');
        if (safe.Length > 64) safe = safe[..64];
        return IsValidJob(safe) ? safe : "cenate";
    }

    /// <summary>$XDG_STATE_HOME/cenate-backup, else ~/.local/state/cenate-backup; on Windows
    /// %LOCALAPPDATA%\CenateBackup.</summary>
    public static string DefaultStateDirectory()
    {
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData),
                "CenateBackup");
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "cenate-backup");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state",
            "cenate-backup");
    }

    internal static CenateException Invalid(string source, string message) =>
        new(ErrorIds.SettingsInvalid, CenateErrorKind.InvalidArgument, Messages.Format("SettingsInvalid.Alert",
            source, message),
            Messages.Get("SettingsInvalid.Alert.Action"), source);
}
