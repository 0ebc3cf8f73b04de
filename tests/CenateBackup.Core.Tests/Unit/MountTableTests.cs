using CenateBackup.Core.Offsite.Directories;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>/proc/self/mountinfo as proc(5) specifies it: escapes, optional fields, the mount that holds a
/// path.</summary>
public class MountTableTests
{
    private const string Sample =
        "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n" +
        "40 26 8:17 / /mnt/backup-externo rw,nosuid shared:5 master:2 - exfat /dev/sdb1 rw,uid=0\n" +
        "41 26 8:33 / /mnt/backup\\040externo\\134x rw - ext4 /dev/sdc1 rw\n" +
        "42 26 254:0 /srv/fake /mnt/bound rw - ext4 /dev/vda rw\n" +
        "43 26 0:50 / /mnt/nas ro,relatime - nfs4 nas:/backups ro\n" +
        "44 43 0:51 / /mnt/nas rw - tmpfs tmpfs rw\n";

    [Fact]
    public void Parse_ReadsFieldsAfterTheOptionalOnes()
    {
        var mounts = MountTable.Parse(Sample);
        Assert.Equal(6, mounts.Count);
        Assert.Equal(new MountEntry("/mnt/backup-externo", "/", "8:17", "exfat", "/dev/sdb1", false), mounts[1]);
        Assert.True(mounts[4].ReadOnly);
        Assert.Equal("nas:/backups", mounts[4].Source);
    }

    [Theory]
    [InlineData("/mnt/a\\040b", "/mnt/a b")]
    [InlineData("/x\\011y\\012z", "/x\ty\nz")]
    [InlineData("/back\\134slash", "/back\\slash")]
    [InlineData("/caf\\303\\251", "/café")]
    [InlineData("/plain\\09", "/plain\\09")]
    [InlineData("/end\\04", "/end\\04")]
    public void Unescape_DecodesOctalEscapes(string field, string expected) =>
        Assert.Equal(expected, MountTable.Unescape(field));

    [Theory]
    [InlineData("/mnt/backup-externo/cenate", "/mnt/backup-externo")]
    [InlineData("/mnt/backup-externo", "/mnt/backup-externo")]
    [InlineData("/mnt/backup-externo2/cenate", "/")]
    [InlineData("/mnt/backup externo\\x/cenate", "/mnt/backup externo\\x")]
    [InlineData("/mnt/backup", "/")]
    [InlineData("/var/backups", "/")]
    public void Find_LongestMountPointThatIsAParent(string path, string mountPoint) =>
        Assert.Equal(mountPoint, MountTable.Find(MountTable.Parse(Sample), path)!.MountPoint);

    [Fact]
    public void Find_OfTwoMountsOnOnePoint_TakesTheOneOnTop()
    {
        var m = MountTable.Find(MountTable.Parse(Sample), "/mnt/nas/cenate")!;
        Assert.Equal("tmpfs", m.FileSystemType);
    }

    [Fact]
    public void IsRootFileSystem_SeesABindMountOfTheSystemDisk()
    {
        var mounts = MountTable.Parse(Sample);
        Assert.True(MountTable.IsRootFileSystem(mounts, MountTable.Find(mounts, "/mnt/bound/x")!));
        Assert.True(MountTable.IsRootFileSystem(mounts, MountTable.Find(mounts, "/var")!));
        Assert.False(MountTable.IsRootFileSystem(mounts, MountTable.Find(mounts, "/mnt/backup-externo/c")!));
    }

    [Fact]
    public void Parse_SkipsMalformedLines() =>
        Assert.Single(MountTable.Parse("garbage\n26 1 254:0 / / rw - ext4 /dev/vda rw\n1 2 3\n"));
}
