using System;
using System.IO;
using System.Threading;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Compare;

/// <summary>
/// The private directory a comparison spills its sorted runs to: created 0700 under the temp directory, its files
/// 0600 (the runs can carry personal data with -IncludeRows, and keys always), removed with everything in it on
/// dispose — after success, failure and Ctrl+C alike.
/// </summary>
internal sealed class SpillDirectory : IDisposable
{
    /// <summary>The names' start; then the owning process's id, '-', a random part.</summary>
    internal const string Prefix = "cenate-compare-";

    private int _next;

    /// <summary>Creates the directory under <paramref name="parent"/> (null: the system temp directory).</summary>
    public SpillDirectory(string? parent)
    {
        var root = System.IO.Path.GetFullPath(parent ?? System.IO.Path.GetTempPath());
        if (!Directory.Exists(root))
        {
            throw new Errors.CenateException(Errors.ErrorIds.PathNotFound, Errors.CenateErrorKind.ObjectNotFound,
                Messages.Format("PathNotFound.TempDirectory", root),
                    Messages.Get("PathNotFound.TempDirectory.Action"), root);
        }
        RemoveStale(root);
        // The owner's pid is in the name: a later comparison removes the directory if this process is killed.
        var path = System.IO.Path.Combine(root,
            $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
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

    /// <summary>
    /// Removes the spill directories under <paramref name="root"/> left by a comparison that was killed: named
    /// cenate-compare-PID-…, owned by this user, and PID is not a running process. Another user's directory, a live
    /// process's, and anything not named so are left alone; a directory that cannot be removed is skipped.
    /// </summary>
    internal static void RemoveStale(string root)
    {
        string[] found;
        try { found = Directory.GetDirectories(root, Prefix + "*"); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return; }
        foreach (var dir in found)
        {
            var rest = System.IO.Path.GetFileName(dir)[Prefix.Length..];
            var dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest[..dash], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var pid) || IsRunning(pid)) continue;
            try
            {
                var info = new DirectoryInfo(dir);
                if (info.LinkTarget is not null) continue;
                if (!OperatingSystem.IsWindows()
                    && Alerts.AlertFileTrust.OwnerOf(dir) != Alerts.AlertFileTrust.CurrentUser()) continue;
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
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
