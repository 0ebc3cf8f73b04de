using System;
using System.Collections;
using System.Linq;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Plan;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The plan's settings: keys, defaults, resolution, every kind of bad value; the alert reader's view of the
/// same file; the template reads back.</summary>
public class PlanSettingsTests
{
    private const string File = "/etc/cenate/cenate.psd1";

    private static PlanSettings Read(Hashtable data) => PlanSettings.FromData(data, File, home: "/home/backup");

    private static CenateException Refused(Hashtable data) => Assert.Throws<CenateException>(() => Read(data));

    private static Hashtable Minimal() => new() { ["Path"] = "/backups/cenate" };

    [Fact]
    public void Defaults_AreThePlans()
    {
        var s = Read(Minimal());
        Assert.Equal("postgres_cenate", s.Container);
        Assert.Null(s.HostName);
        Assert.Equal(5432, s.Port);
        Assert.Equal("maestro_cenate", s.Database);
        Assert.Equal("/backups/cenate", s.BackupPath);
        Assert.Equal(new[] { "public.asegurados" }, s.CriticalTable);
        Assert.Equal(6, s.CompressionLevel);
        Assert.Equal((30, 90, 365), (s.Retention.Daily, s.Retention.Weekly, s.Retention.Monthly));
        Assert.Equal(TimeSpan.FromDays(180), s.AuditLogRetention);
        Assert.Equal("2%", s.MaxRowDrop);
        Assert.Null(s.Weekly);
        Assert.Null(s.Monthly);
        Assert.Equal(TimeSpan.FromHours(26), s.Monitor.MaxAge);
        Assert.Equal(500L * 1024 * 1024, s.Monitor.MinimumSize);
        Assert.Equal("Change", s.Monitor.When);
        Assert.Equal("Restore", s.Drill.Level);
        Assert.Equal("/var/log/cenate", s.LogPath);
        Assert.Equal(TimeSpan.FromDays(90), s.LogRetention);
        Assert.Equal("/var/lib/cenate/locks", s.LockDirectory);
        Assert.Null(s.EnvironmentFile);
        Assert.Null(s.TimeZone);
        Assert.Equal(new[] { "daily", "weekly", "monthly", "monitor", "drill", "auditretention" },
            s.Schedule.Select(kv => kv.Key));
        Assert.Equal("0 2,14 * * *", s.Schedule[0].Value);
        Assert.False(s.HasAlerts);
    }

    [Fact]
    public void Paths_ResolveAgainstTheFileAndHome_RemotesStayAsWritten()
    {
        var data = Minimal();
        data["Path"] = "backups";
        data["LogPath"] = "~/logs";
        data["StatePath"] = "../state";
        data["EnvironmentFile"] = "~";
        data["Weekly"] = new Hashtable { ["Destination"] = "usb/cenate", ["RequireMountPoint"] = "/mnt/usb" };
        data["Monthly"] = new Hashtable { ["destination"] = "gdrive-crypt:cenate", ["RcloneConfig"] = "rclone.conf" };
        var s = Read(data);
        Assert.Equal("/etc/cenate/backups", s.BackupPath);
        Assert.Equal("/home/backup/logs", s.LogPath);
        Assert.Equal("/etc/state", s.StatePath);
        Assert.Equal("/home/backup", s.EnvironmentFile);
        Assert.Equal("/etc/cenate/usb/cenate", s.Weekly!.Destination);
        Assert.Equal(90, s.Weekly.Keep);
        Assert.Equal("gdrive-crypt:cenate", s.Monthly!.Destination);
        Assert.Equal("/etc/cenate/rclone.conf", s.Monthly.RcloneConfig);
    }

    [Fact]
    public void HostName_ReplacesTheDefaultContainer_AndBothAreRefused()
    {
        var data = Minimal();
        data["HostName"] = "127.0.0.1";
        data["DatabasePort"] = 55432;
        data["DatabaseUser"] = "backup";
        var s = Read(data);
        Assert.Null(s.Container);
        Assert.Equal(("127.0.0.1", 55432, "backup"), (s.HostName, s.Port, s.UserName));
        data["Container"] = "pg";
        Assert.Contains("exclusive", Refused(data).Message);
    }

    [Theory]
    [InlineData("Contaner")]
    [InlineData("Password")]
    [InlineData("Weekley")]
    [InlineData("DatabasePassword")]
    public void UnknownKey_IsSettingsInvalid_NamingIt(string key)
    {
        var data = Minimal();
        data[key] = "x";
        var ex = Refused(data);
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains($"unknown key '{key}'", ex.Message);
        Assert.Contains("Container", ex.Message);
    }

    [Theory]
    [InlineData("Weekly", "Destinaton")]
    [InlineData("Monitor", "MaxAgee")]
    [InlineData("Retention", "Yearly")]
    [InlineData("Drill", "Target")]
    public void UnknownNestedKey_IsSettingsInvalid_NamingIt(string table, string key)
    {
        var data = Minimal();
        data[table] = new Hashtable { [key] = "x" };
        var ex = Refused(data);
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains($"'{table}.{key}'", ex.Message);
    }

    public static TheoryData<string, object, string> BadValues() => new()
    {
        { "CompressionLevel", 10, "CompressionLevel" },
        { "CompressionLevel", "six", "CompressionLevel" },
        { "DatabasePort", 0, "DatabasePort" },
        { "DatabasePort", 70000, "DatabasePort" },
        { "AuditLogRetention", 180, "AuditLogRetention" },
        { "AuditLogRetention", "180", "AuditLogRetention" },
        { "LogRetention", "forever", "LogRetention" },
        { "MaxRowDrop", "2", "MaxRowDrop" },
        { "MaxRowDrop", "120%", "MaxRowDrop" },
        { "Container", "", "Container" },
        { "Container", 5, "Container" },
        { "Path", "a\nb", "Path" },
        { "TimeZone", "Mars/Olympus", "TimeZone" },
        { "Weekly", "/mnt/usb", "Weekly" },
        { "CriticalTable", new object[] { "a", 1 }, "CriticalTable" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void BadValue_IsSettingsInvalid_NamingTheKey(string key, object value, string named)
    {
        var data = Minimal();
        data[key] = value;
        var ex = Refused(data);
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains($"'{named}'", ex.Message);
        Assert.Contains(File, ex.Message);
    }

    [Fact]
    public void BadNestedValues_NameTheNestedKey()
    {
        var data = Minimal();
        data["Monitor"] = new Hashtable { ["MinimumSize"] = "lots" };
        Assert.Contains("'Monitor.MinimumSize'", Refused(data).Message);
        data["Monitor"] = new Hashtable { ["When"] = "Sometimes" };
        Assert.Contains("'Monitor.When'", Refused(data).Message);
        data["Monitor"] = null;
        data["Retention"] = new Hashtable { ["Daily"] = -1 };
        Assert.Contains("'Retention.Daily'", Refused(data).Message);
        data["Retention"] = null;
        data["Weekly"] = new Hashtable { ["Keep"] = 5 };
        Assert.Contains("'Weekly.Destination' is required", Refused(data).Message);
    }

    [Fact]
    public void Path_IsRequired()
    {
        var ex = Refused(new Hashtable { ["Container"] = "pg" });
        Assert.Equal(ErrorIds.SettingsInvalid, ex.ErrorId);
        Assert.Contains("'Path'", ex.Message);
    }

    [Theory]
    [InlineData("0 2,14 * *")]
    [InlineData("61 2 * * *")]
    [InlineData("0 2 * * * *")]
    [InlineData("@daily")]
    [InlineData("0 2 * * MON%")]
    [InlineData("0 2 31 2 *\n* * * * * root rm -rf /")]
    public void BadSchedule_IsScheduleInvalid_NamingTheJob(string cron)
    {
        var data = Minimal();
        data["Schedule"] = new Hashtable { ["Weekly"] = "0 3 * * 0", ["Daily"] = cron };
        var ex = Refused(data);
        Assert.Contains(ex.ErrorId, new[] { ErrorIds.ScheduleInvalid, ErrorIds.SettingsInvalid });
        Assert.Contains("Daily", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Schedule_KeepsOnlyTheJobsGiven_InPlanOrder_AndRefusesUnknownJobs()
    {
        var data = Minimal();
        data["Schedule"] = new Hashtable { ["Monitor"] = "*/15 8-18 * * 1-5", ["daily"] = "0  2  * * *",
            ["Drill"] = null };
        var s = Read(data);
        Assert.Equal(new[] { "daily", "monitor" }, s.Schedule.Select(kv => kv.Key));
        Assert.Equal("0 2 * * *", s.Schedule[0].Value);
        data["Schedule"] = new Hashtable { ["Dayly"] = "0 2 * * *" };
        Assert.Contains("'Schedule.Dayly'", Refused(data).Message);
        data["Schedule"] = null;
        Assert.Empty(Read(data).Schedule);
    }

    [Fact]
    public void AlertKeys_AreAccepted_AndChecked()
    {
        var data = Minimal();
        data["SmtpServer"] = "127.0.0.1";
        data["Port"] = 2525;
        data["UserName"] = "mailer";
        data["RowDrop"] = new Hashtable { ["public.asegurados"] = "1%" };
        var s = Read(data);
        Assert.True(s.HasAlerts);
        Assert.Equal(2525, s.Alerts.Port);
        Assert.Equal("mailer", s.Alerts.UserName);
        Assert.Equal(5432, s.Port);
        data["Port"] = "smtp";
        Assert.Equal(ErrorIds.SettingsInvalid, Refused(data).ErrorId);
    }

    [Fact]
    public void AlertReader_IgnoresEveryPlanKey()
    {
        var data = new Hashtable { ["SmtpServer"] = "relay", ["Port"] = 25, ["RowDrop"] = new Hashtable() };
        foreach (var key in PlanSettings.Keys) data[key] = "x";
        var alerts = AlertSettings.FromData(data, File);
        Assert.Equal("relay", alerts.SmtpServer);
        Assert.Equal(25, alerts.Port);
        data["Contaner"] = "x";
        Assert.Equal(ErrorIds.SettingsInvalid, Assert.Throws<CenateException>(() =>
            AlertSettings.FromData(data, File)).ErrorId);
    }

    [Fact]
    public void PlanKeys_DoNotShadowAlertKeys()
    {
        // Port and UserName are the SMTP relay's in the shared file: a plan key of the same name would change them.
        Assert.Empty(PlanSettings.Keys.Intersect(AlertSettings.Keys, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void Template_NamesEveryPlanKey_QuotesThePrefilledValues_AndHoldsNoSecret()
    {
        // Read back through Get-CenateSettings in Settings.Tests.ps1 (the parser is PowerShell's).
        var text = SettingsTemplate.Text("/srv/it's backups", "pg_test", "~/logs", "state");
        foreach (var key in PlanSettings.Keys) Assert.Matches($@"(?m)^\s*#?\s*{key} = ", text);
        Assert.Contains("Path = '/srv/it''s backups'", text);
        Assert.Contains("Container = 'pg_test'", text);
        Assert.Matches(@"(?m)^\s*# SmtpServer = ", text);
        Assert.DoesNotMatch(@"(?im)^\s*[A-Za-z]*Password\s*=", text);
        Assert.Throws<ArgumentException>(() => SettingsTemplate.Text("/a\nb", "pg", "/l", "/s"));
    }
}
