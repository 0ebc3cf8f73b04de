using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite.Rclone;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// rclone's exit codes and messages → error ids. The stderr texts are real rclone 1.60 output captured on this
/// machine (--use-json-log), one per cause.
/// </summary>
public class RcloneErrorsTests
{
    private const string UnknownRemote =
        "2026/11/30 08:27:49 Failed to create file system for \"nosuch:dir\": didn't find section in config file";
    private const string NoConfigFile =
        "{\"level\":\"warning\",\"msg\":\"Config file \\\"/tmp/rcl/none.conf\\\" not found - using defaults\",\"sourc"
            + "e\":\"config/config.go:362\",\"time\":\"2026-11-30T08:27:49.813885+00:00\"}\n"
        + "2026/11/30 08:27:49 Failed to create file system for \"loc:/tmp\": didn't find section in config file";
    private const string DirNotFound =
        "{\"level\":\"error\",\"msg\":\"error listing: directory not found\",\"object\":\"\",\"objectType\":\"string"
            + "\",\"source\":\"walk/walk.go:174\",\"time\":\"2026-11-30T08:27:49.467856+00:00\"}\n"
        + "2026/11/30 08:27:49 Failed to lsjson with 2 errors: last error was: error in ListJSON: directory not found";
    private const string Immutable =
        "{\"level\":\"error\",\"msg\":\"Source and destination exist but do not match: immutable file modified\",\"ob"
            + "ject\":\"a.txt\",\"objectType\":\"*local.Object\",\"source\":\"sync/sync.go:349\",\"time\":\"2026-11-3"
            + "0T08:27:49.70294+00:00\"}\n"
        + "{\"level\":\"error\",\"msg\":\"Can't retry any of the errors - not attempting retries\",\"source\":\"cmd/c"
            + "md.go:272\",\"time\":\"2026-11-30T08:27:49.703372+00:00\"}\n"
        + "2026/11/30 08:27:49 Failed to copy: immutable file modified";
    private const string SftpRefused =
        "2026/11/30 08:27:50 Failed to create file system for \"dead:dir\": NewFs: couldn't connect SSH: dial tcp 127"
            + ".0.0.1:56199: connect: connection refused";
    private const string SftpDenied =
        "2026/11/30 08:32:38 Failed to create file system for \"s:x\": NewFs: couldn't connect SSH: ssh: handshake fa"
            + "iled: ssh: unable to authenticate, attempted methods [none password], no supported methods remain";

    [Theory]
    [InlineData(1, UnknownRemote, ErrorIds.RemoteNotConfigured, CenateErrorKind.ObjectNotFound)]
    [InlineData(1, NoConfigFile, ErrorIds.RemoteNotConfigured, CenateErrorKind.ObjectNotFound)]
    [InlineData(7, UnknownRemote, ErrorIds.RemoteNotConfigured, CenateErrorKind.ObjectNotFound)]
    [InlineData(3, DirNotFound, ErrorIds.RemotePathNotFound, CenateErrorKind.ObjectNotFound)]
    [InlineData(4, "2026/11/30 08:27:49 Failed to cat: object not found", ErrorIds.RemoteFileNotFound,
        CenateErrorKind.ObjectNotFound)]
    [InlineData(6, Immutable, ErrorIds.RemoteFileConflict, CenateErrorKind.ResourceExists)]
    [InlineData(6, "2026/11/30 08:27:49 Failed to copy: permission denied", ErrorIds.RcloneFailed,
        CenateErrorKind.ToolFailed)]
    [InlineData(1, SftpRefused, ErrorIds.RemoteUnreachable, CenateErrorKind.ConnectionError)]
    [InlineData(1, SftpDenied, ErrorIds.RcloneFailed, CenateErrorKind.AuthenticationError)]
    [InlineData(5, "2026/11/30 08:27:49 Failed to copy: 503 Service Unavailable", ErrorIds.RemoteUnreachable,
        CenateErrorKind.ConnectionError)]
    [InlineData(7, "2026/11/30 08:27:49 Failed to copy: fatal error: bad token", ErrorIds.RcloneFatal,
        CenateErrorKind.ToolFailed)]
    [InlineData(1, "2026/11/30 08:27:49 Failed to copy: something else", ErrorIds.RcloneFailed,
        CenateErrorKind.ToolFailed)]
    [InlineData(2, "", ErrorIds.RcloneFailed, CenateErrorKind.ToolFailed)]
    public void ExitCodeAndMessage_MapToTheirId(int exit, string stderr, string id, CenateErrorKind kind)
    {
        var ex = RcloneErrors.Map(exit, stderr, "listing", "r:dir");
        Assert.Equal(id, ex.ErrorId);
        Assert.Equal(kind, ex.Kind);
        Assert.Equal("r:dir", ex.Target);
        Assert.False(string.IsNullOrWhiteSpace(ex.RecommendedAction));
    }

    [Fact]
    public void Summary_UnpacksJsonLines_DropsTimestampsAndRetryNoise()
    {
        var s = RcloneErrors.Summary(Immutable);
        Assert.Equal("a.txt: Source and destination exist but do not match: immutable file modified; Failed to copy: "
            + "immutable file modified", s);
    }

    [Fact]
    public void Summary_IsBounded()
    {
        var s = RcloneErrors.Summary("2026/11/30 08:27:49 " + new string('x', 5000));
        Assert.True(s.Length <= 1001);
    }

    [Fact]
    public void NoConfigFile_SaysSo()
    {
        var ex = RcloneErrors.Map(1, NoConfigFile, "listing", "loc:/tmp");
        Assert.Contains("config file was not found", ex.Message);
    }
}
