using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Directories;
using Xunit;

namespace CenateBackup.Core.Tests.Integration;

/// <summary>Directory targets on real mounts: where a target really is, its marker, and what is refused.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class DirectoryTargetMountTests : IClassFixture<MountedDisks>
{
    private readonly MountedDisks _disks;

    public DirectoryTargetMountTests(MountedDisks disks) => _disks = disks;

    private static DirectoryTargetRequirements Any => new() { RequireMarker = false };

    private static Task<DirectoryTargetState> Check(string dir, DirectoryTargetRequirements req) =>
        DirectoryTarget.CheckAsync(dir, req, CancellationToken.None);

    private static async Task<string> Refused(string dir, DirectoryTargetRequirements req) =>
        (await Assert.ThrowsAsync<CenateException>(() => Check(dir, req))).ErrorId;

    private string Fresh(string under) => Path.Combine(under, "t-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Tmpfs_AndExt4_AreFoundWithTheirTypeAndSpace()
    {
        var t = await Check(_disks.Tmpfs, Any);
        Assert.Equal((_disks.Tmpfs, "tmpfs"), (t.MountPoint, t.FileSystemType));
        Assert.InRange(t.FreeBytes, 1, 8L * 1024 * 1024);
        var e = await Check(Fresh(_disks.Ext4), Any);
        Assert.Equal((_disks.Ext4, "ext4", false), (e.MountPoint, e.FileSystemType, e.Exists));
        Assert.InRange(e.FreeBytes, 30L * 1024 * 1024, 64L * 1024 * 1024);
        Assert.Empty(e.Warnings);
    }

    [Fact]
    public async Task MountPointWithASpace_IsDecoded()
    {
        var s = await Check(Path.Combine(_disks.Spaced, "cenate"), Any);
        Assert.Equal(_disks.Spaced, s.MountPoint);
    }

    [Fact]
    public async Task RootFileSystem_IsRefused_AndNothingIsWritten()
    {
        var existing = Fresh(_disks.OnRoot);
        Directory.CreateDirectory(existing);
        Assert.Equal(ErrorIds.TargetNotMounted, await Refused(existing, Any));
        // A missing directory below a bare mount point = the disk is not mounted.
        var missing = Path.Combine(_disks.OnRoot, "backup-externo", "cenate");
        Assert.Equal(ErrorIds.TargetNotMounted, await Refused(missing, Any));
        Assert.Equal(ErrorIds.TargetNotMounted, (await Assert.ThrowsAsync<CenateException>(() =>
            OffsiteTargetSetup.PlanAsync(missing, "usb-a", null, TimeSpan.FromSeconds(5), default))).ErrorId);
        Assert.False(Directory.Exists(Path.Combine(_disks.OnRoot, "backup-externo")));
        Assert.Empty(Directory.GetFileSystemEntries(existing));
    }

    [Fact]
    public async Task SymlinkFromTheDiskToTheSystemDisk_IsRefused()
    {
        var onRoot = Fresh(_disks.OnRoot);
        Directory.CreateDirectory(onRoot);
        var link = Fresh(_disks.Tmpfs);
        Directory.CreateSymbolicLink(link, onRoot);
        Assert.Equal(ErrorIds.TargetNotMounted, await Refused(link, Any));
        Assert.Equal(ErrorIds.TargetNotMounted, await Refused(Path.Combine(link, "below"), Any));
    }

    [Fact]
    public async Task BindMountOfASystemDiskDirectory_IsRefused()
    {
        var source = Fresh(_disks.OnRoot);
        var point = Fresh(_disks.OnRoot);
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(point);
        MountedDisks.Run("mount", "--bind", source, point);
        try
        {
            Assert.Equal(ErrorIds.TargetNotMounted, await Refused(point, Any));
        }
        finally
        {
            MountedDisks.Run("umount", point);
        }
    }

    [Fact]
    public async Task RequireMountPoint_MustBeTheTargetsMount()
    {
        var dir = Fresh(_disks.Ext4);
        Assert.Equal(ErrorIds.TargetNotMounted, await Refused(dir, Any with { RequireMountPoint = _disks.Tmpfs }));
        Assert.Equal(ErrorIds.TargetNotMounted, await Refused(dir, Any with { RequireMountPoint = _disks.OnRoot }));
        Assert.Equal(ErrorIds.TargetNotMounted,
            await Refused(dir, Any with { RequireMountPoint = Path.Combine(_disks.Root, "nowhere") }));
        Assert.Equal(_disks.Ext4, (await Check(dir, Any with { RequireMountPoint = _disks.Ext4 + "/" })).MountPoint);
    }

    [Fact]
    public async Task Marker_Written_Read_Mismatched_AndLabelList()
    {
        var dir = Fresh(_disks.Ext4);
        Assert.Equal(ErrorIds.TargetMarkerMismatch, await Refused(dir, new DirectoryTargetRequirements()));
        var plan = await OffsiteTargetSetup.PlanAsync(dir, "usb-a", _disks.Ext4, TimeSpan.FromSeconds(5), default);
        Assert.False(Directory.Exists(dir));
        var state = await OffsiteTargetSetup.RunAsync(plan, default);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(dir));
        Assert.Equal("usb-a", state.Marker!.Label);
        var again = await Check(dir, new DirectoryTargetRequirements { Labels = new[] { "usb-b", "usb-a" } });
        Assert.Equal(state.Marker.Id, again.Marker!.Id);
        Assert.Equal(ErrorIds.TargetMarkerMismatch,
            await Refused(dir, new DirectoryTargetRequirements { Labels = new[] { "usb-b" } }));
        var rerun = await OffsiteTargetSetup.PlanAsync(dir, null, null, TimeSpan.FromSeconds(5), default);
        Assert.True(rerun.AlreadyInitialized);
        Assert.Equal(ErrorIds.TargetAlreadyInitialized, (await Assert.ThrowsAsync<CenateException>(() =>
            OffsiteTargetSetup.PlanAsync(dir, "usb-b", null, TimeSpan.FromSeconds(5), default))).ErrorId);
        // Another disk with its own marker mounted on the same path is refused by the first disk's label.
        var other = Fresh(_disks.Tmpfs);
        Directory.CreateDirectory(other);
        OffsiteMarker.Create(other, "usb-a");
        var otherState = await Check(other, new DirectoryTargetRequirements { Labels = new[] { "usb-a" } });
        Assert.NotEqual(state.Marker.Id, otherState.Marker!.Id);
    }

    [Fact]
    public async Task UnresponsiveMount_GivesUpWithinTheTimeout()
    {
        using var release = new ManualResetEventSlim();
        var req = new DirectoryTargetRequirements
        {
            Timeout = TimeSpan.FromSeconds(1), BeforeProbe = _ => release.Wait(),
        };
        var watch = Stopwatch.StartNew();
        try
        {
            Assert.Equal(ErrorIds.TargetUnresponsive, await Refused(_disks.Tmpfs, req));
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task Cancellation_StopsWaitingForAHungProbe()
    {
        using var release = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var req = new DirectoryTargetRequirements
        {
            Timeout = TimeSpan.FromMinutes(5), BeforeProbe = _ => release.Wait(),
        };
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                DirectoryTarget.CheckAsync(_disks.Tmpfs, req, cts.Token));
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task RequireSpace_OnTheSmallTmpfs_IsTargetFull()
    {
        var state = await Check(_disks.Tmpfs, Any);
        DirectoryTarget.RequireSpace(state, state.FreeBytes);
        var ex = Assert.Throws<CenateException>(() => DirectoryTarget.RequireSpace(state, 9L * 1024 * 1024));
        Assert.Equal((ErrorIds.TargetFull, CenateErrorKind.WriteError), (ex.ErrorId, ex.Kind));
    }

    [Fact]
    public void FatWarning_IsGivenForFileSystemsWithoutPermissions()
    {
        var vfat = new MountEntry("/mnt/usb", "/", "8:1", "vfat", "/dev/sdb1", false);
        Assert.Contains(vfat.FileSystemType, string.Join(" ", DirectoryTargetWarnings(vfat)), StringComparison.Ordinal);
        Assert.Empty(DirectoryTargetWarnings(vfat with { FileSystemType = "ext4" }));
        Assert.Single(DirectoryTargetWarnings(vfat with { FileSystemType = "exfat" }));
    }

    private static string[] DirectoryTargetWarnings(MountEntry m) => DirectoryTarget.Warnings(m).ToArray();
}
