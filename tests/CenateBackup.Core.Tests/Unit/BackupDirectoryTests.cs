using System;
using System.IO;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class BackupDirectoryTests
{
    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public void Prepare_CreatesAMissingDirectory_0700_AndLeavesNoProbe()
    {
        using var dir = new TempDirectory();
        var target = Path.Combine(dir.Path, "backups");
        var result = BackupDirectory.Prepare(target);

        Assert.Equal(Path.GetFullPath(target), result);
        Assert.True(Directory.Exists(target));
        if (!OperatingSystem.IsWindows()) Assert.Equal(Mode0700, File.GetUnixFileMode(target));
        Assert.Empty(Directory.GetFileSystemEntries(target));
    }

    [Fact]
    public void Prepare_CreatesNestedMissingDirectories()
    {
        using var dir = new TempDirectory();
        var target = Path.Combine(dir.Path, "a", "b", "c");
        BackupDirectory.Prepare(target);
        Assert.True(Directory.Exists(target));
        if (!OperatingSystem.IsWindows()) Assert.Equal(Mode0700, File.GetUnixFileMode(target));
        Assert.Empty(Directory.GetFileSystemEntries(target));
    }

    [Fact]
    public void Prepare_ExistingDirectory_KeepsItsContentAndMode_AndLeavesNoProbe()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("keep.dump"), "x");
        UnixFileMode? before = null;
        if (!OperatingSystem.IsWindows()) before = File.GetUnixFileMode(dir.Path);

        var result = BackupDirectory.Prepare(dir.Path);

        Assert.Equal(Path.GetFullPath(dir.Path), result);
        Assert.Equal(new[] { dir.File("keep.dump") }, Directory.GetFileSystemEntries(dir.Path));
        if (!OperatingSystem.IsWindows()) Assert.Equal(before, File.GetUnixFileMode(dir.Path));
    }

    [Fact]
    public void Prepare_ReturnsAFullPath_ForARelativeOne()
    {
        using var dir = new TempDirectory();
        var full = Path.Combine(dir.Path, "rel");
        // Relative to the current directory, which the test does not change (tests run in parallel).
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
        Assert.False(Path.IsPathFullyQualified(relative));
        var result = BackupDirectory.Prepare(relative);
        Assert.True(Path.IsPathFullyQualified(result));
        Assert.Equal(Path.GetFullPath(full), result);
        Assert.True(Directory.Exists(full));
    }

    [Fact]
    public void Prepare_OnAPathThatIsAFile_IsPathNotWritable()
    {
        using var dir = new TempDirectory();
        var file = dir.File("iam.a.file");
        File.WriteAllText(file, "x");
        var ex = Record.Exception(() => BackupDirectory.Prepare(file));
        var cenate = Assert.IsType<CenateException>(ex);
        Assert.Equal(ErrorIds.PathNotWritable, cenate.ErrorId);
        Assert.Equal("x", File.ReadAllText(file));
    }
}
