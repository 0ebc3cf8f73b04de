using System;
using System.Diagnostics;
using System.IO;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>
/// Real mounts made for the tests (they run as root): an 8 MB tmpfs (a real ENOSPC), a loop-mounted 64 MB ext4 image
/// with 4 KiB blocks (a real disk with a page cache in front of it) and a tmpfs on a path with a space (mountinfo's
/// \040), under a fresh /tmp directory, which is on the root file system. A mount that cannot be made fails the
/// tests with the reason; nothing is skipped. Dispose unmounts (lazily as a last resort) and removes everything.
/// </summary>
public sealed class MountedDisks : IDisposable
{
    public MountedDisks()
    {
        Root = Path.Combine("/tmp", "cenate-mounts-" + Guid.NewGuid().ToString("N")[..12]);
        Tmpfs = Path.Combine(Root, "tmpfs");
        Ext4 = Path.Combine(Root, "ext4");
        Spaced = Path.Combine(Root, "disk one");
        Image = Path.Combine(Root, "ext4.img");
        OnRoot = Path.Combine(Root, "on-root");
        foreach (var d in new[] { Tmpfs, Ext4, Spaced, OnRoot }) Directory.CreateDirectory(d);
        try
        {
            Run("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", Tmpfs);
            Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", Spaced);
            Run("truncate", "-s", "64M", Image);
            Run("mkfs.ext4", "-q", "-b", "4096", Image);
            Run("mount", "-o", "loop", Image, Ext4);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Root { get; }
    public string Tmpfs { get; }
    public string Ext4 { get; }
    public string Spaced { get; }
    public string Image { get; }
    /// <summary>A plain directory on the root file system.</summary>
    public string OnRoot { get; }

    /// <summary>Runs a tool; a failure throws with its output (the test fails with the reason).</summary>
    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        }
        return stdout.Result;
    }

    public void Dispose()
    {
        foreach (var m in new[] { Ext4, Spaced, Tmpfs })
        {
            var escaped = " " + m.Replace(" ", "\\040") + " ";
            if (!File.ReadAllText("/proc/self/mountinfo").Contains(escaped, StringComparison.Ordinal)) continue;
            try { Run("umount", m); }
            catch (InvalidOperationException) { try { Run("umount", "-l", m); } catch (InvalidOperationException) { } }
        }
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
