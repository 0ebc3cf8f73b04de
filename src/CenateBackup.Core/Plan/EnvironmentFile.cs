using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Microsoft.Win32.SafeHandles;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Plan;

/// <summary>
/// The plan's secrets file: NAME=value lines (PGPASSWORD, CENATE_SMTP_PASSWORD …) that Start-CenateJob puts into the
/// process environment, so the settings file never holds a secret. Only PG*, CENATE_* and DOCKER_HOST may be set (a
/// PATH or LD_PRELOAD line would decide which program runs). The file must be a regular file of this user or root that
/// no group or other may read or write; under systemd it is $CREDENTIALS_DIRECTORY/cenate.env (LoadCredential=).
/// Messages name the line, never its value.
/// </summary>
public static partial class EnvironmentFile
{
    /// <summary>The credential name systemd's LoadCredential= gives the file.</summary>
    public const string CredentialName = "cenate.env";

    [GeneratedRegex("^(?:PG[A-Z0-9_]*|CENATE_[A-Z0-9_]+|DOCKER_HOST)$", RegexOptions.CultureInvariant)]
    private static partial Regex AllowedName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NameShape();

    /// <summary>The file to load: $CREDENTIALS_DIRECTORY/cenate.env when it exists, else
    /// <paramref name="configured"/> (may be null: nothing to load).</summary>
    public static string? Locate(string? configured)
    {
        var credentials = Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY");
        if (!string.IsNullOrEmpty(credentials))
        {
            var candidate = Path.Combine(credentials, CredentialName);
            if (File.Exists(candidate)) return candidate;
        }
        return configured;
    }

    /// <summary>Parses the text of an environment file (<paramref name="path"/> names it in messages).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text, string path)
    {
        var result = new List<KeyValuePair<string, string>>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw Invalid(path, i + 1, "it is not NAME=value");
            var name = line[..equals].Trim();
            if (name.StartsWith("export ", StringComparison.Ordinal))
                throw Invalid(path, i + 1, "it starts with 'export' (write NAME=value, without the shell keyword)");
            if (!NameShape().IsMatch(name)) throw Invalid(path, i + 1, "its name is not a variable name");
            if (!AllowedName().IsMatch(name))
            {
                throw Invalid(path, i + 1,
                    $"the variable {name} may not be set here (only PG*, CENATE_* and DOCKER_HOST)");
            }
            // Blanks around the value are the file's layout, not the value ("PGPASSWORD = x" is x); quotes keep them.
            var value = line[(equals + 1)..].Trim(' ', '\t');
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
                value = value[1..^1];
            if (value.IndexOf('\0') >= 0) throw Invalid(path, i + 1, "its value holds a NUL character");
            if (seen.TryGetValue(name, out var first))
                throw Invalid(path, i + 1, $"{name} was already set on line {first} (which one is meant?)");
            seen[name] = i + 1;
            if (name == "DOCKER_HOST" && !IsLocalDockerHost(value))
            {
                throw Invalid(path, i + 1, "DOCKER_HOST must be a unix:// socket or tcp:// on a loopback address "
                    + "(the database password travels in the exec request)");
            }
            result.Add(KeyValuePair.Create(name, value));
        }
        return result;
    }

    /// <summary>The most an environment file may hold: a few NAME=value lines, never megabytes.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>
    /// True for a Docker endpoint on this machine: unix:// or npipe:// sockets, tcp:// (or http(s)://) to 127.0.0.0/8,
    /// ::1 or localhost. Another machine's Docker would receive the exec requests, which carry the database password
    /// (and could run anything as root there): the environment file may not point the jobs at one.
    /// </summary>
    public static bool IsLocalDockerHost(string value)
    {
        if (value.Length == 0) return true;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)) return false;
        return uri.Scheme switch
        {
            "unix" or "npipe" => true,
            "tcp" or "http" or "https" => uri.IsLoopback && uri.UserInfo.Length == 0,
            _ => false,
        };
    }

    /// <summary>Reads <paramref name="path"/> after the trust checks (EnvironmentFileInsecure) and parses it.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Read(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            throw new CenateException(ErrorIds.EnvironmentFileInvalid, CenateErrorKind.ObjectNotFound,
                Messages.Format("EnvironmentFileInvalid", path),
                Messages.Get("EnvironmentFileInvalid.Action"), path);
        }
        return Parse(ReadTrusted(path), path);
    }

    [GeneratedRegex("PASSWORD|PASSWD|SECRET|TOKEN|KEY|PASS$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    /// <summary>True for a variable whose value is a secret (PGPASSWORD, CENATE_SMTP_PASSWORD, …_TOKEN).</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    /// <summary>Registers with <see cref="AlertRedactor"/> the secret values this process's environment already holds
    /// (PGPASSWORD, CENATE_*PASSWORD … set by the caller rather than the environment file).</summary>
    public static void RegisterProcessSecrets()
    {
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            var ours = name.StartsWith("PG", StringComparison.Ordinal)
                || name.StartsWith("CENATE_", StringComparison.Ordinal);
            if (ours && IsSecretName(name))
            {
                AlertRedactor.AddSecret(entry.Value as string);
            }
        }
    }

    /// <summary>Reads and applies <paramref name="path"/> to this process's environment; the names set.</summary>
    public static IReadOnlyList<string> Apply(string path)
    {
        var names = new List<string>();
        foreach (var (name, value) in Read(path))
        {
            if (IsSecretName(name)) AlertRedactor.AddSecret(value);
            Environment.SetEnvironmentVariable(name, value);
            names.Add(name);
        }
        return names;
    }

    private static string ReadTrusted(string path)
    {
        if (OperatingSystem.IsWindows()) return File.ReadAllText(path);
        if (new FileInfo(path).LinkTarget is not null) throw Insecure(path, "it is a symbolic link");
        var fd = OperatingSystem.IsLinux()
            ? LinuxLock.Open(path, LinuxLock.O_NOFOLLOW | LinuxLock.O_CLOEXEC | LinuxLock.O_NONBLOCK, 0)
            : -2;
        if (fd == -1)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxLock.ELOOP) throw Insecure(path, "it is a symbolic link");
            throw new CenateException(ErrorIds.EnvironmentFileInvalid, CenateErrorKind.PermissionDenied,
                Messages.Format("EnvironmentFileInvalid.2", path, Marshal.GetPInvokeErrorMessage(errno)),
                Messages.Get("EnvironmentFileInvalid.Action.2"), path);
        }
        using var handle = fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true)
            : File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (fd >= 0 && !LinuxLock.IsRegularFile(fd, out var kind)) throw Insecure(path, $"it is a {kind}");
        var mode = File.GetUnixFileMode(handle);
        var owner = AlertFileTrust.OwnerOf(path);
        var me = AlertFileTrust.CurrentUser();
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((owner != me && owner != 0) || (mode & others) != 0)
        {
            var octal = Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
            throw Insecure(path, $"it is owned by uid {owner} with mode {octal}: it must be owned by this user "
                + $"(uid {me}) or root with no group or other permissions");
        }
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        // Read at most MaxBytes + 1: a huge file is refused without being read into memory.
        var buffer = new byte[MaxBytes + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
        if (total > MaxBytes)
        {
            throw new CenateException(ErrorIds.EnvironmentFileInvalid, CenateErrorKind.InvalidData,
                Messages.Format("EnvironmentFileInvalid.3", path, MaxBytes / 1024),
                Messages.Get("EnvironmentFileInvalid.Action.3"), path);
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, total);
        }
        catch (DecoderFallbackException)
        {
            throw new CenateException(ErrorIds.EnvironmentFileInvalid, CenateErrorKind.InvalidData,
                Messages.Format("EnvironmentFileInvalid.4", path),
                Messages.Get("EnvironmentFileInvalid.Action.4"), path);
        }
    }

    private static CenateException Insecure(string path, string why) =>
        new(ErrorIds.EnvironmentFileInsecure, CenateErrorKind.SecurityError,
            Messages.Format("EnvironmentFileInsecure.Plan", path, why),
                Messages.Format("EnvironmentFileInsecure.Plan.Action", path), path);

    private static CenateException Invalid(string path, int line, string why) =>
        new(ErrorIds.EnvironmentFileInvalid, CenateErrorKind.InvalidData,
            Messages.Format("EnvironmentFileInvalid.Line", path, line, why),
                Messages.Get("EnvironmentFileInvalid.Line.Action"), path);
}
