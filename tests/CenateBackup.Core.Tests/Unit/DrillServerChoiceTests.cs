using CenateBackup.Core.Targets;
using CenateBackup.Core.Verification;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The drill server comes from the command's parameters only, in a fixed order of precedence.</summary>
public class DrillServerChoiceTests
{
    [Fact]
    public void HostName_WinsOverEveryContainer()
    {
        var t = DrillServerChoice.Choose("db.local", "drill_pg", "postgres_x", "unix:///d.sock", 5433, "cenate", "pw");
        Assert.Equal(ConnectionMode.Host, t.Mode);
        Assert.Equal("db.local", t.Host);
        Assert.Null(t.Container);
        Assert.Equal(5433, t.Port);
        Assert.Equal("postgres", t.Database);
        Assert.Equal("pw", t.Password);
    }

    [Theory]
    [InlineData("drill_pg", "postgres_x", "drill_pg")]
    [InlineData(null, "postgres_x", "postgres_x")]
    [InlineData(null, null, DatabaseTarget.DefaultContainer)]
    public void Container_TargetThenCommandThenDefault(string? target, string? command, string expected)
    {
        var t = DrillServerChoice.Choose(null, target, command, "unix:///d.sock", null, "cenate", null);
        Assert.Equal(ConnectionMode.Container, t.Mode);
        Assert.Equal(expected, t.Container);
        Assert.Equal("unix:///d.sock", t.DockerHost);
        Assert.Equal(DatabaseTarget.DefaultPort, t.Port);
        Assert.Equal("cenate", t.User);
        Assert.Null(t.Password);
    }
}
