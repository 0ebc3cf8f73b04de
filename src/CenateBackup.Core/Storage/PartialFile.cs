using System;
using System.IO;
using System.Security.Cryptography;

namespace CenateBackup.Core.Storage;

/// <summary>
/// The temporary name a file is written under: "&lt;final&gt;.&lt;random&gt;.partial", created exclusively (O_EXCL, 0600).
/// The random part makes it the writer's own: a second writer of the same final name gets another partial, so
/// neither can unlink or overwrite the other's, and a planted file or symlink under any name is never opened.
/// </summary>
internal static class PartialFile
{
    /// <summary>The suffix every partial file ends with.</summary>
    public const string Suffix = ".partial";

    /// <summary>Creates a new partial file for <paramref name="finalPath"/>; returns the open stream and its path.</summary>
    public static FileStream Create(string finalPath, FileOptions fileOptions, out string partialPath)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            Options = fileOptions,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        for (var attempt = 0; ; attempt++)
        {
            partialPath = finalPath + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant() + Suffix;
            try
            {
                return new FileStream(partialPath, options);
            }
            catch (IOException) when (attempt < 5 && File.Exists(partialPath))
            {
                // 48 random bits collided (or someone planted this very name): draw another.
            }
        }
    }
}
