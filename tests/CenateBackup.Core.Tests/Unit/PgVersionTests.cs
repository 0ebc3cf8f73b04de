using CenateBackup.Core.Tools;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class PgVersionTests
{
    [Theory]
    [InlineData("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 15, 18)]
    [InlineData("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n", 15, 18)]
    [InlineData("pg_restore (PostgreSQL) 17.6", 17, 6)]
    [InlineData("psql (PostgreSQL) 12.22", 12, 22)]
    [InlineData("pg_dump (PostgreSQL) 16.4 (Ubuntu 16.4-1.pgdg22.04+1)", 16, 4)]
    // Pre-releases have no minor number: the major is what matters for pg_dump-vs-server, minor is 0.
    [InlineData("psql (PostgreSQL) 18beta1", 18, 0)]
    [InlineData("pg_dump (PostgreSQL) 19devel", 19, 0)]
    [InlineData("pg_dump (PostgreSQL) 18rc1", 18, 0)]
    public void TryParse_ToolVersionOutput(string text, int major, int minor)
    {
        Assert.True(PgVersion.TryParse(text, out var v));
        Assert.Equal(new PgVersion(major, minor), v);
    }

    [Theory]
    [InlineData("15.18 (Debian 15.18-0+deb12u1)", 15, 18)]
    [InlineData("12.22", 12, 22)]
    [InlineData("17.6", 17, 6)]
    [InlineData("18beta1", 18, 0)]
    [InlineData("17.6 (Ubuntu 17.6-1.pgdg24.04+1)", 17, 6)]
    public void TryParse_ServerVersionSetting(string text, int major, int minor)
    {
        Assert.True(PgVersion.TryParse(text, out var v));
        Assert.Equal(major, v.Major);
        Assert.Equal(minor, v.Minor);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("garbage")]
    [InlineData("pg_dump: command not found")]
    [InlineData("OCI runtime exec failed: exec: \"pg_dump\": executable file not found in $PATH")]
    [InlineData("(PostgreSQL)")]
    [InlineData("pg_dump (PostgreSQL) x.y")]
    public void TryParse_Garbage_ReturnsFalse(string? text)
    {
        Assert.False(PgVersion.TryParse(text, out var v));
        Assert.Equal(default, v);
    }

    /// <summary>A Try method must not throw, whatever the text (here: a number too large for int).</summary>
    [Theory]
    [InlineData("pg_dump (PostgreSQL) 99999999999")]
    [InlineData("99999999999.1")]
    [InlineData("pg_dump (PostgreSQL) 15.99999999999")]
    public void TryParse_HugeNumbers_DoesNotThrow(string text)
    {
        var ex = Record.Exception(() => PgVersion.TryParse(text, out _));
        Assert.Null(ex);
    }

    [Theory]
    [InlineData(150018, 15, 18)]
    [InlineData(120022, 12, 22)]
    [InlineData(170006, 17, 6)]
    [InlineData(180000, 18, 0)]
    [InlineData(100000, 10, 0)]
    public void FromVersionNum(int num, int major, int minor)
    {
        Assert.Equal(new PgVersion(major, minor), PgVersion.FromVersionNum(num));
    }

    [Fact]
    public void ToString_IsMajorDotMinor()
    {
        Assert.Equal("15.18", PgVersion.FromVersionNum(150018).ToString());
        Assert.Equal("17.6", new PgVersion(17, 6).ToString());
    }

    [Fact]
    public void ToolAndServerAgree_OnTheSameRelease()
    {
        Assert.True(PgVersion.TryParse("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", out var tool));
        Assert.Equal(PgVersion.FromVersionNum(150018), tool);
    }
}
