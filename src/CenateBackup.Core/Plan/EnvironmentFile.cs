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
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw Invalid(path, i + 1, "it is not NAME=value");
            var name = line[..equals].Trim();
            if (!NameShape().IsMatch(name)) throw Invalid(path, i + 1, "its name is not a variable name");
            if (!AllowedName().IsMatch(name))
            {
                throw Invalid(path, i + 1,
                    $"the variable {name} may not be set here (only PG*, CENATE_* and DOCKER_HOST)");
            }
            var value = line[(equals + 1)..];
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
                value = value[1..^1];
            if (value.IndexOf('\0') >= 0) throw Invalid(path, i + 1, "its value holds a NUL character");
            result.Add(KeyValuePair.Create(name, value));
        }
        return result;
    }

    /// <summary>Reads <paramref name="path"/> after the trust checks (EnvironmentFileInsecure) and parses it.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Read(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            throw new CenateException(ErrorIds.EnvironmentFileInvalid, CenateErrorKind.ObjectNotFound,
                $"The environment file {path} does not exist.",
                "Create it (NAME=value lines, chmod 600) or remove EnvironmentFile from the settings.", path);
        }
        return Parse(ReadTrusted(path), path);
    }

    /// <summary>Reads and applies <paramref name="path"/> to this process's environment; the names set.</summary>
    public static IReadOnlyList<string> Apply(string path)
    {
        var names = new List<string>();
        foreach (var (name, value) in Read(path))
        {
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
                $"The environment file {path} cannot be opened ({Marshal.GetPInvokeErrorMessage(errno)}).",
                "Make it readable by the account that runs the job.", path);
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
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        return reader.ReadToEnd();
    }

    private static CenateException Insecure(string path, string why) =>
        new(ErrorIds.EnvironmentFileInsecure, CenateErrorKind.SecurityError,
            $"The environment file {path} holds secrets but {why}; nothing was loaded.",
            $"Make it a regular file of the account that runs the job: chmod 600 '{path}'.", path);

    private static CenateException Invalid(string path, int line, string why) =>
        new(ErrorIds.EnvironmentFileInvalid, CenateErrorKind.InvalidData,
            $"The environment file {path}, line {line}: {why}.",
            "Write one NAME=value per line (PGPASSWORD=…, CENATE_SMTP_PASSWORD=…); # starts a comment.", path);
}
