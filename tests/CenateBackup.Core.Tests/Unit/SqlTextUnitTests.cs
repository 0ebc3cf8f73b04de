using System;
using CenateBackup.Core.Database;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public sealed class SqlTextUnitTests
{
    [Theory]
    [InlineData("maestro_cenate", "maestro_cenate")]
    [InlineData("evil\nDROP TABLE asegurados;", "evil\\u000aDROP TABLE asegurados;")]
    [InlineData("a\r\nb\u2028c", "a\\u000d\\u000ab\\u2028c")]
    public void CommentText_Keeps_The_Comment_On_One_Line(string text, string expected)
    {
        var line = SqlText.CommentText(text);
        Assert.Equal(expected, line);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
    }

    [Fact]
    public void Nul_Characters_Are_Refused_Rather_Than_Cut()
    {
        Assert.Throws<ArgumentException>(() => SqlText.Literal("a\0b"));
        Assert.Throws<ArgumentException>(() => SqlText.Identifier("a\0b"));
    }

    [Fact]
    public void Null_Is_The_Sql_Null()
    {
        Assert.Equal("NULL", SqlText.Literal(null));
    }
}

public sealed class BackupDirectoryLockUnitTests
{
    [Theory]
    [InlineData(37)] // ENOLCK: NFS without a lock service
    [InlineData(95)] // EOPNOTSUPP
    [InlineData(22)] // EINVAL
    public void A_Lock_The_File_System_Refuses_Is_An_Error_That_Names_The_Remedy_Not_A_Silent_Success(int errno)
    {
        Assert.False(CenateBackup.Core.Storage.LinuxLock.IsContention(errno));
        var ex = CenateBackup.Core.Storage.BackupDirectoryLock.LockUnsupported("/mnt/nas/backups", errno);
        Assert.Equal(CenateBackup.Core.Errors.ErrorIds.BackupDirectoryLockFailed, ex.ErrorId);
        Assert.Contains("/mnt/nas/backups", ex.Message);
        Assert.Contains("nolock", ex.RecommendedAction);
    }

    [Fact]
    public void Only_EWOULDBLOCK_Means_Another_Job_Holds_The_Lock()
    {
        Assert.True(CenateBackup.Core.Storage.LinuxLock.IsContention(11));
    }
}
