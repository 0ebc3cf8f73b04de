using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>A state directory or file others may write is not read; two runs of a job take turns.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class AlertStateGuardTests
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static AlertDispatcher Dispatcher(string directory, TimeSpan lockTimeout,
        params IAlertChannel[] channels) =>
        Dispatcher(directory, lockTimeout, AlertWhen.Change, channels);

    private static AlertDispatcher Dispatcher(string directory, TimeSpan lockTimeout, AlertWhen when,
        params IAlertChannel[] channels) =>
        new(channels, new AlertDispatchOptions
        {
            StateDirectory = directory, Job = "nightly", When = when,
            Culture = CultureInfo.GetCultureInfo("en-US"), Timeout = TimeSpan.FromSeconds(2), LockTimeout = lockTimeout,
        }, () => AlertSamples.Now);

    private static async Task<(AlertPlan Plan, IReadOnlyList<AlertDelivery> Results)> Run(AlertDispatcher d,
        AlertRun run, List<string> warnings)
    {
        var reporter = new ListReporter(warnings);
        var plan = d.Prepare(run, reporter);
        return (plan, await d.DeliverAsync(plan, _ => true, false, reporter, CancellationToken.None));
    }

    [Theory]
    [InlineData(1000u, 0x180, 1000u, true)]   // 0600, mine
    [InlineData(1000u, 0x1C0, 1000u, true)]   // 0700, mine
    [InlineData(1000u, 0x1E8, 1000u, true)]   // 0750 (group may read), mine
    [InlineData(1000u, 0x1F8, 1000u, false)]  // 0770: group may write
    [InlineData(1000u, 0x1FF, 1000u, false)]  // 0777
    [InlineData(1000u, 0x182, 1000u, false)]  // 0602: others may write
    [InlineData(0u, 0x1C0, 1000u, false)]     // root's, even 0700: not ours
    [InlineData(2000u, 0x180, 1000u, false)]  // another user's
    public void IsPrivateTo_OwnerAndNoGroupOtherWrite(uint owner, int mode, uint me, bool expected)
    {
        Assert.Equal(expected, AlertFileTrust.IsPrivateTo(owner, (UnixFileMode)mode, me));
    }

    [Theory]
    [InlineData(1000u, 0x1C0, 1000u, true)]   // 0700, mine
    [InlineData(0u, 0x1ED, 1000u, true)]      // 0755, root's (/etc/cenate)
    [InlineData(0u, 0x3FF, 1000u, true)]      // 1777, root's and sticky (/tmp)
    [InlineData(0u, 0x1FD, 1000u, false)]     // 0775, root's: the group may replace the file
    [InlineData(1000u, 0x1FF, 1000u, false)]  // 0777, not sticky
    [InlineData(2000u, 0x1C0, 1000u, false)]  // another user's directory
    public void SettingsDirectory_OnlyMeOrRootMayReplaceItsFiles(uint owner, int mode, uint me, bool expected)
    {
        Assert.Equal(expected, AlertFileTrust.DirectoryHoldsFilesSafely(owner, (UnixFileMode)mode, me));
    }

    private static void RequireUnix()
    {
        Assert.False(OperatingSystem.IsWindows(), "these tests use Unix modes and owners");
    }

    [Theory]
    [InlineData(0x1FF, false)]   // 0777
    [InlineData(0x1F8, false)]   // 0770
    [InlineData(0x1C0, true)]    // 0700, owned by another user
    public async Task SharedStateDirectory_IsIgnored_AndTheAlertStillGoes(int mode, bool chownAway)
    {
        RequireUnix();
        using var dir = new TempDirectory();
        var state = Path.Combine(dir.Path, "state");
        Directory.CreateDirectory(state);
        var mail = new FakeAlertChannel(AlertChannelKind.Mail) { Down = true };
        var status = new AlertStatusFile(dir.File("status.json"));
        var d = Dispatcher(state, TimeSpan.FromSeconds(1), mail, status);
        // An earlier run's state says Failure: were it read, this failure would be "Same" and not sent.
        AlertStateStore.Write(d.StatePath, new AlertJobState { Job = "nightly", State = AlertState.Failure });
        var before = File.ReadAllText(d.StatePath);
        File.SetUnixFileMode(state, (UnixFileMode)mode);
        if (chownAway) Chown(state, 4242);
        var warnings = new List<string>();
        var (plan, results) = await Run(d, AlertSamples.Run(AlertSamples.Failure()), warnings);
        Assert.Equal(AlertChange.New, plan.Change);
        Assert.Equal(new[] { AlertDeliveryStatus.Failed, AlertDeliveryStatus.Written }, results.Select(r => r.Status));
        Assert.False(results[0].Spooled);
        Assert.DoesNotContain("spooled", results[0].Error!.Message, StringComparison.Ordinal);
        Assert.Single(warnings, w => w.Contains("shared with other users", StringComparison.Ordinal)
            && w.Contains("state and spool ignored", StringComparison.Ordinal));
        Assert.Equal(before, File.ReadAllText(d.StatePath));
        Assert.False(File.Exists(d.SpoolPath));
        Assert.False(File.Exists(d.LockPath));
        Assert.True(File.Exists(dir.File("status.json")));
    }

    [Theory]
    [InlineData(0x1B6, false)]   // 0666
    [InlineData(0x180, true)]    // 0600 but another user's
    public async Task ForeignStateAndSpoolFiles_AreIgnored(int mode, bool chownAway)
    {
        RequireUnix();
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, Private);
        var mail = new FakeAlertChannel(AlertChannelKind.Mail) { Down = true };
        var d = Dispatcher(dir.Path, TimeSpan.FromSeconds(1), mail);
        await Run(d, AlertSamples.Run(AlertSamples.Failure("planted")), new List<string>());
        mail.Down = false;
        foreach (var file in new[] { d.StatePath, d.SpoolPath })
        {
            File.SetUnixFileMode(file, (UnixFileMode)mode);
            if (chownAway) Chown(file, 4242);
        }
        var warnings = new List<string>();
        var (plan, results) = await Run(d, AlertSamples.Run(AlertSamples.Failure("real")), warnings);
        Assert.Equal(AlertChange.New, plan.Change);
        Assert.Contains("real", mail.Sent.Single().Subject, StringComparison.Ordinal);
        Assert.Equal(AlertDeliveryStatus.Sent, results.Single().Status);
        Assert.Equal(2, warnings.Count(w => w.Contains("it is ignored", StringComparison.Ordinal)));
        // The state file is replaced by this run's (this user's, 0600).
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(d.StatePath));
        Assert.Equal(AlertFileTrust.CurrentUser(), AlertFileTrust.OwnerOf(d.StatePath));
    }

    [Fact]
    public async Task LockHeldByAnotherRun_WarnsAfterTheTimeout_AndSendsWithoutStateOrSpool()
    {
        RequireUnix();
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail) { Down = true };
        var d = Dispatcher(dir.Path, TimeSpan.FromMilliseconds(600), mail);
        using (var other = new FileStream(d.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var warnings = new List<string>();
            var watch = Stopwatch.StartNew();
            var (_, results) = await Run(d, AlertSamples.Run(AlertSamples.Failure()), warnings);
            Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(10));
            Assert.Equal(1, mail.Attempts);
            Assert.Equal(AlertDeliveryStatus.Failed, results.Single().Status);
            Assert.False(results.Single().Spooled);
            Assert.Single(warnings, w => w.Contains("another run of this job held", StringComparison.Ordinal));
            Assert.False(File.Exists(d.StatePath));
            Assert.False(File.Exists(d.SpoolPath));
        }
    }

    [Fact]
    public async Task TwoRunsAtOnce_TakeTurns_AndTheSpooledAlertIsSentOnce()
    {
        RequireUnix();
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail) { Down = true };
        var first = Dispatcher(dir.Path, TimeSpan.FromSeconds(30), mail);
        await Run(first, AlertSamples.Run(AlertSamples.Failure("spooled")), new List<string>());
        mail.Down = false;
        var slow = new SlowChannel(mail);
        var a = Dispatcher(dir.Path, TimeSpan.FromSeconds(30), AlertWhen.Always, slow);
        var b = Dispatcher(dir.Path, TimeSpan.FromSeconds(30), AlertWhen.Always, slow);
        var runA = Task.Run(() => Run(a, AlertSamples.Run(AlertSamples.Failure("a")), new List<string>()));
        var runB = Task.Run(() => Run(b, AlertSamples.Run(AlertSamples.Failure("b")), new List<string>()));
        await Task.WhenAll(runA, runB);
        Assert.Single(mail.Sent, m => m.Delayed);
        Assert.Equal(3, mail.Sent.Count);
        Assert.Equal(1, slow.MaxConcurrent);
        Assert.False(File.Exists(first.SpoolPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.LockPath));
    }

    private static void Chown(string path, int uid)
    {
        using var chown = Process.Start("chown", new[] { uid.ToString(CultureInfo.InvariantCulture), path })!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    /// <summary>Counts how many sends overlap.</summary>
    private sealed class SlowChannel(FakeAlertChannel inner) : IAlertChannel
    {
        private int _now;
        public int MaxConcurrent;
        public AlertChannelKind Kind => inner.Kind;
        public string Target => inner.Target;
        public bool Spools => true;

        public async Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _now);
            lock (this) MaxConcurrent = Math.Max(MaxConcurrent, now);
            await Task.Delay(150, cancellationToken);
            AlertReceipt receipt;
            lock (inner) receipt = inner.SendAsync(message, cancellationToken).GetAwaiter().GetResult();
            Interlocked.Decrement(ref _now);
            return receipt;
        }
    }
}
