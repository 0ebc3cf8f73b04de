using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// <c>&lt;StateDirectory&gt;/&lt;Job&gt;.lock</c> (0600), held exclusively from reading the state to writing it, so
/// two runs of one job at once neither send a spooled alert twice nor lose each other's update. .NET maps
/// FileShare.None to flock(2) on Unix and to a share mode on Windows (as <c>BackupDirectoryLock</c>).
/// </summary>
internal sealed class AlertStateLock : IDisposable
{
    private readonly FileStream _stream;

    private AlertStateLock(FileStream stream) => _stream = stream;

    /// <summary>The lock file of <paramref name="job"/>.</summary>
    public static string PathOf(string stateDirectory, string job) => Path.Combine(stateDirectory, job + ".lock");

    /// <summary>
    /// The lock, or null when another run kept it for <paramref name="timeout"/> or it cannot be taken at all
    /// (<paramref name="why"/> says which). Polls every 200 ms: an alert must never wait forever for bookkeeping.
    /// </summary>
    public static AlertStateLock? TryAcquire(string path, TimeSpan timeout, CancellationToken cancellationToken,
        out string? why)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                why = null;
                return new AlertStateLock(new FileStream(path, options));
            }
            catch (IOException ex) when (IsContention(ex))
            {
                if (clock.Elapsed >= timeout)
                {
                    why = $"another run of this job held {path} for {timeout.TotalSeconds:0} s";
                    return null;
                }
                cancellationToken.WaitHandle.WaitOne(200);
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                why = $"{path} cannot be opened ({ex.Message})";
                return null;
            }
        }
    }

    // EWOULDBLOCK from flock(2) (.NET puts the errno in HResult), or a sharing violation on Windows.
    private static bool IsContention(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) is 32 or 33
        : ex.HResult is 11 or 35;

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
