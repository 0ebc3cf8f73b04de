using System;
using System.IO;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Directories;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The marker file: written once, 0600, read back; anything else under its name is refused.</summary>
public class OffsiteMarkerTests
{
    [Fact]
    public void Create_WritesOnce_AndTryLoadReadsIt()
    {
        using var dir = new TempDirectory();
        Assert.Null(OffsiteMarker.TryLoad(dir.Path));
        var marker = OffsiteMarker.Create(dir.Path, "usb-a");
        var loaded = OffsiteMarker.TryLoad(dir.Path)!;
        Assert.Equal(marker.Id, loaded.Id);
        Assert.Equal("usb-a", loaded.Label);
        Assert.Equal(Environment.MachineName, loaded.CreatedOn);
        Assert.StartsWith("CenateBackup", loaded.Tool, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite,
                File.GetUnixFileMode(dir.File(OffsiteMarker.FileName)));
        }
        Assert.Equal(new[] { OffsiteMarker.FileName },
            Array.ConvertAll(Directory.GetFiles(dir.Path), Path.GetFileName));
    }

    [Fact]
    public void Create_SameLabelAgain_ReturnsTheSameMarker_OtherLabel_Refused()
    {
        using var dir = new TempDirectory();
        var first = OffsiteMarker.Create(dir.Path, "usb-a");
        var bytes = File.ReadAllBytes(dir.File(OffsiteMarker.FileName));
        Assert.Equal(first.Id, OffsiteMarker.Create(dir.Path, "usb-a").Id);
        var ex = Assert.Throws<CenateException>(() => OffsiteMarker.Create(dir.Path, "usb-b"));
        Assert.Equal(ErrorIds.TargetAlreadyInitialized, ex.ErrorId);
        Assert.Equal(bytes, File.ReadAllBytes(dir.File(OffsiteMarker.FileName)));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"id\":\"00000000-0000-0000-0000-000000000000\",\"label\":\"x\"}")]
    [InlineData("{\"id\":\"2f0e3b8e-2a4b-4e8e-9a0c-0d7f6f3f8f11\",\"label\":\"\"}")]
    [InlineData("{\"id\":\"2f0e3b8e-2a4b-4e8e-9a0c-0d7f6f3f8f11\",\"label\":\"../etc\"}")]
    public void TryLoad_DamagedMarker_IsMismatch(string content)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(OffsiteMarker.FileName), content);
        Assert.Equal(ErrorIds.TargetMarkerMismatch,
            Assert.Throws<CenateException>(() => OffsiteMarker.TryLoad(dir.Path)).ErrorId);
        Assert.Equal(ErrorIds.TargetMarkerMismatch,
            Assert.Throws<CenateException>(() => OffsiteMarker.Create(dir.Path, "usb-a")).ErrorId);
        Assert.Equal(content, File.ReadAllText(dir.File(OffsiteMarker.FileName)));
    }

    [Fact]
    public void TryLoad_SymlinkedMarker_IsNeverFollowed()
    {
        using var dir = new TempDirectory();
        using var other = new TempDirectory();
        OffsiteMarker.Create(other.Path, "usb-a");
        File.CreateSymbolicLink(dir.File(OffsiteMarker.FileName), other.File(OffsiteMarker.FileName));
        Assert.Equal(ErrorIds.TargetMarkerMismatch,
            Assert.Throws<CenateException>(() => OffsiteMarker.TryLoad(dir.Path)).ErrorId);
    }

    [Fact]
    public void TryLoad_HugeFile_IsNotRead()
    {
        using var dir = new TempDirectory();
        using (var f = File.Create(dir.File(OffsiteMarker.FileName))) f.SetLength(10 * 1024 * 1024);
        Assert.Equal(ErrorIds.TargetMarkerMismatch,
            Assert.Throws<CenateException>(() => OffsiteMarker.TryLoad(dir.Path)).ErrorId);
    }

    [Theory]
    [InlineData("usb-a", true)]
    [InlineData("NAS sede 2", true)]
    [InlineData("disco_ñ.1", true)]
    [InlineData("-usb", false)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("a\nb", false)]
    [InlineData("usb-a\n", false)]
    public void Labels(string label, bool valid) => Assert.Equal(valid, OffsiteMarker.IsValidLabel(label));
}
