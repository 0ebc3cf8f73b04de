using System;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// Writes the alert's small files (state, spool, status) atomically: a new partial file (0600) in the same directory,
/// fsync, rename over the old one, fsync the directory. A reader (a monitoring agent) sees the old or the new file,
/// never half of one. keepMode gives the new file the old one's mode, so an admin's chmod 0640 of
/// the status file survives.
/// </summary>
internal static class AlertFileWriter
{
    /// <summary>JSON as the alert files hold it: camelCase, enums as names, computed (get-only) properties left
    /// out.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        // Readable files ("FALLÓ", "…"); they are never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Names only: a number ("status": 9) would load as an enum value no code knows.
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                static info =>
                {
                    if (info.Kind != JsonTypeInfoKind.Object) return;
                    for (var i = info.Properties.Count - 1; i >= 0; i--)
                    {
                        if (info.Properties[i].Set is null) info.Properties.RemoveAt(i);
                    }
                },
            },
        },
    };

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, string content, bool keepMode = false)
    {
        var full = Path.GetFullPath(path);
        UnixFileMode? mode = null;
        if (keepMode && !OperatingSystem.IsWindows() && File.Exists(full))
        {
            mode = File.GetUnixFileMode(full) & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
                | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        }
        AtomicFileReplace.Write(full, new UTF8Encoding(false).GetBytes(content), mode);
    }

    /// <summary>Creates a directory (and its parents) 0700 when it is missing.</summary>
    public static void EnsureDirectory(string directory)
    {
        Storage.PrivateDirectory.Create(directory);
    }
}
