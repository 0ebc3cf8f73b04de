using System;
using System.IO;
using System.Threading;

namespace CenateBackup.Core.Compare;

/// <summary>
/// The private directory a comparison spills its sorted runs to: created 0700 under the temp directory, its files
/// 0600 (the runs can carry personal data with -IncludeRows, and keys always), removed with everything in it on
/// dispose — after success, failure and Ctrl+C alike.
/// </summary>
internal sealed class SpillDirectory : IDisposable
{
    private int _next;

    /// <summary>Creates the directory under <paramref name="parent"/> (null: the system temp directory).</summary>
    public SpillDirectory(string? parent)
    {
        var root = System.IO.Path.GetFullPath(parent ?? System.IO.Path.GetTempPath());
        if (!Directory.Exists(root))
        {
            throw new Errors.CenateException(Errors.ErrorIds.PathNotFound, Errors.CenateErrorKind.ObjectNotFound,
                $"The temporary directory '{root}' does not exist.",
                    "Give an existing directory with -TempDirectory.", root);
        }
        var path = System.IO.Path.Combine(root, "cenate-compare-" + Guid.NewGuid().ToString("N")[..12]);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Path = path;
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>Creates a new run file (0600), open for writing.</summary>
    public FileStream CreateRun(string side)
    {
        var name = System.IO.Path.Combine(Path, $"{side}-{Interlocked.Increment(ref _next):D4}.run");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 1 << 20,
            Options = FileOptions.DeleteOnClose,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(name, options);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
