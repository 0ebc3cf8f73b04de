using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>Decide, spool, send, results: with fake channels and a passed-in clock.</summary>
public class AlertDispatcherTests
{
    private static AlertDispatcher Dispatcher(TempDirectory dir, AlertWhen when, params IAlertChannel[] channels) =>
        new(channels, new AlertDispatchOptions
        {
            StateDirectory = dir.Path, Job = "nightly", When = when, Culture = CultureInfo.GetCultureInfo("en-US"),
            Timeout = TimeSpan.FromSeconds(2),
        }, () => AlertSamples.Now);

    private static IReadOnlyList<AlertDelivery> Run(AlertDispatcher d, AlertRun run, bool whatIf = false,
        Func<IAlertChannel, bool>? approved = null)
    {
        var plan = d.Prepare(run, NullReporter.Instance);
        return d.DeliverAsync(plan, approved ?? (_ => !whatIf), whatIf, NullReporter.Instance,
            CancellationToken.None).GetAwaiter().GetResult();
    }

    private static AlertRun At(AlertRun run, int hours) => run with { EndedAt = AlertSamples.Now.AddHours(hours),
        StartedAt = AlertSamples.Now.AddHours(hours) };

    [Theory]
    [InlineData(AlertWhen.Failure, AlertState.Failure, AlertChange.New, true)]
    [InlineData(AlertWhen.Failure, AlertState.Success, AlertChange.Recovered, false)]
    [InlineData(AlertWhen.Always, AlertState.Success, AlertChange.Same, true)]
    [InlineData(AlertWhen.Change, AlertState.Failure, AlertChange.New, true)]
    [InlineData(AlertWhen.Change, AlertState.Success, AlertChange.New, false)]
    [InlineData(AlertWhen.Change, AlertState.Failure, AlertChange.Same, false)]
    [InlineData(AlertWhen.Change, AlertState.Success, AlertChange.Same, false)]
    [InlineData(AlertWhen.Change, AlertState.Failure, AlertChange.Failed, true)]
    [InlineData(AlertWhen.Change, AlertState.Success, AlertChange.Recovered, true)]
    public void Decide_FollowsWhen(AlertWhen when, AlertState state, AlertChange change, bool send)
    {
        var (s, reason) = AlertDispatcher.Decide(when, state, change);
        Assert.Equal(send, s);
        Assert.Equal(send, reason is null);
    }

    [Fact]
    public void WhenChange_FailureFailureRecovery_SendsFailedOnceThenRecovered()
    {
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail);
        var d = Dispatcher(dir, AlertWhen.Change, mail);
        var first = Run(d, AlertSamples.Run(AlertSamples.Failure()));
        var second = Run(d, At(AlertSamples.Run(AlertSamples.Failure()), 24));
        var third = Run(d, At(AlertSamples.Run(AlertSamples.GoodSet()), 48));
        Assert.Equal(AlertDeliveryStatus.Sent, first.Single().Status);
        Assert.Equal(AlertDeliveryStatus.Skipped, second.Single().Status);
        Assert.Equal(AlertChange.Same, second.Single().Change);
        Assert.Equal(AlertDeliveryStatus.Sent, third.Single().Status);
        Assert.Equal(AlertChange.Recovered, third.Single().Change);
        Assert.Equal(2, mail.Sent.Count);
        Assert.Contains("RECOVERED", mail.Sent[1].Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void HeartbeatAndStatusFile_RunEveryTime_MailObeysWhen()
    {
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail);
        var beat = new FakeAlertChannel(AlertChannelKind.Heartbeat);
        var status = new AlertStatusFile(dir.File("status.json"));
        var results = Run(Dispatcher(dir, AlertWhen.Failure, status, beat, mail),
            AlertSamples.Run(AlertSamples.GoodSet()));
        Assert.Equal(new[] { AlertChannelKind.Mail, AlertChannelKind.Heartbeat, AlertChannelKind.StatusFile },
            results.Select(r => r.Channel));
        Assert.Equal(new[] { AlertDeliveryStatus.Skipped, AlertDeliveryStatus.Pinged, AlertDeliveryStatus.Written },
            results.Select(r => r.Status));
        Assert.Empty(mail.Sent);
        Assert.Single(beat.Sent);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("status.json")));
        Assert.Equal("Success", doc.RootElement.GetProperty("state").GetString());
        Assert.Equal("20261130_020000", doc.RootElement.GetProperty("lastGoodBackup").GetProperty("stamp").GetString());
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("status.json")));
    }

    [Fact]
    public void FailedSend_IsSpooled_ThenSentFirstAndDelayed_WhenTheChannelWorks()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true };
        var d = Dispatcher(dir, AlertWhen.Failure, hook);
        var failed = Run(d, AlertSamples.Run(AlertSamples.Failure("first failure"))).Single();
        Assert.Equal(AlertDeliveryStatus.Failed, failed.Status);
        Assert.True(failed.Spooled);
        Assert.Equal(ErrorIds.AlertDeliveryFailed, failed.Error!.ErrorId);
        Assert.Equal(CenateErrorKind.ConnectionError, failed.Error.Kind);
        Assert.Contains("Webhook to fake://target failed: connection refused. The alert was spooled in "
            + d.SpoolPath, failed.Error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(d.SpoolPath));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(d.SpoolPath));

        hook.Down = false;
        var next = Run(d, At(AlertSamples.Run(AlertSamples.Failure("second failure")), 24));
        Assert.Equal(2, next.Count);
        Assert.True(next[0].Delayed);
        Assert.Equal(AlertSamples.Now, next[0].QueuedAt);
        Assert.StartsWith("(delayed from 2026-11-30 10:00 UTC)", hook.Sent[0].Subject, StringComparison.Ordinal);
        Assert.Contains("first failure", hook.Sent[0].Subject, StringComparison.Ordinal);
        Assert.Contains("second failure", hook.Sent[1].Subject, StringComparison.Ordinal);
        Assert.False(next[1].Delayed);
        Assert.False(File.Exists(d.SpoolPath));
    }

    [Fact]
    public void SpoolIsFlushed_EvenWhenWhenSkipsThisRun()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true };
        var d = Dispatcher(dir, AlertWhen.Failure, hook);
        Run(d, AlertSamples.Run(AlertSamples.Failure()));
        hook.Down = false;
        var next = Run(d, At(AlertSamples.Run(AlertSamples.GoodSet()), 24));
        Assert.Equal(new[] { AlertDeliveryStatus.Sent, AlertDeliveryStatus.Skipped }, next.Select(r => r.Status));
        Assert.Single(hook.Sent);
        Assert.True(hook.Sent[0].Delayed);
        Assert.False(File.Exists(d.SpoolPath));
    }

    [Fact]
    public void ChannelStillDown_NewAlertJoinsTheSpool_WithoutASecondAttempt()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true };
        var d = Dispatcher(dir, AlertWhen.Failure, hook);
        Run(d, AlertSamples.Run(AlertSamples.Failure()));
        var next = Run(d, At(AlertSamples.Run(AlertSamples.Failure()), 24));
        Assert.Equal(2, hook.Attempts);
        Assert.Equal(new[] { AlertDeliveryStatus.Failed, AlertDeliveryStatus.Failed }, next.Select(r => r.Status));
        Assert.All(next, r => Assert.True(r.Spooled));
        var spool = AlertSpool.Load(d.SpoolPath, () => AlertSamples.Now, _ => { });
        Assert.Equal(2, spool.For(AlertChannelKind.Webhook).Count);
    }

    [Fact]
    public void Spool_KeepsAtMostTwentyPerChannel_DroppingTheOldestWithAWarning()
    {
        using var dir = new TempDirectory();
        var path = dir.File("j.spool.json");
        var warnings = new List<string>();
        var spool = AlertSpool.Load(path, () => AlertSamples.Now, warnings.Add);
        for (var i = 0; i < 25; i++)
        {
            spool.Add(new AlertSpoolEntry { Channel = AlertChannelKind.Mail, QueuedAt = AlertSamples.Now.AddHours(i),
                Run = AlertSamples.Run() }, warnings.Add);
        }
        spool.Add(new AlertSpoolEntry { Channel = AlertChannelKind.Webhook, QueuedAt = AlertSamples.Now,
            Run = AlertSamples.Run() }, warnings.Add);
        spool.Save();
        var loaded = AlertSpool.Load(path, () => AlertSamples.Now, warnings.Add);
        Assert.Equal(20, loaded.For(AlertChannelKind.Mail).Count);
        Assert.Equal(AlertSamples.Now.AddHours(5), loaded.For(AlertChannelKind.Mail)[0].QueuedAt);
        Assert.Single(loaded.For(AlertChannelKind.Webhook));
        Assert.Equal(5, warnings.Count);
    }

    [Fact]
    public async Task CorruptSpoolAndState_AreWarnings_AndTheAlertIsStillSent()
    {
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail);
        var d = Dispatcher(dir, AlertWhen.Failure, mail);
        File.WriteAllText(d.SpoolPath, "{ not json");
        File.WriteAllText(d.StatePath, "[1,2,3]");
        var warnings = new List<string>();
        var reporter = new WarningReporter(warnings);
        var plan = d.Prepare(AlertSamples.Run(AlertSamples.Failure()), reporter);
        var results = await d.DeliverAsync(plan, _ => true, false, reporter, CancellationToken.None);
        Assert.Equal(AlertDeliveryStatus.Sent, results.Single().Status);
        Assert.Equal(AlertChange.New, plan.Change);
        Assert.Equal(2, warnings.Count);
        Assert.Single(Directory.GetFiles(dir.Path, "nightly.spool.json.corrupt-*"));
        Assert.Equal(AlertState.Failure, AlertStateStore.Read(d.StatePath, "nightly", _ => { })!.State);
    }

    [Fact]
    public void ForeignStateFile_IsNoState()
    {
        using var dir = new TempDirectory();
        var path = AlertStateStore.PathOf(dir.Path, "nightly");
        AlertStateStore.Write(path, new AlertJobState { Job = "other", State = AlertState.Failure });
        var warnings = new List<string>();
        Assert.Null(AlertStateStore.Read(path, "nightly", warnings.Add));
        Assert.Single(warnings);
    }

    [Fact]
    public void WhatIf_SendsNothing_AndLeavesNoFile()
    {
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail);
        var status = new AlertStatusFile(dir.File("status.json"));
        var d = Dispatcher(dir, AlertWhen.Always, mail, status);
        var results = Run(d, AlertSamples.Run(AlertSamples.Failure()), whatIf: true);
        Assert.All(results, r => Assert.Equal(AlertDeliveryStatus.WouldSend, r.Status));
        Assert.Empty(mail.Sent);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void DeclinedAlert_LeavesTheStateAsItWas_SoChangeStillSendsTheTransitionLater()
    {
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail);
        var d = Dispatcher(dir, AlertWhen.Change, mail);
        // -Confirm answered No: nothing sent, and the failure is not recorded as told.
        var declined = Run(d, AlertSamples.Run(AlertSamples.Failure()), approved: _ => false);
        Assert.Equal(AlertDeliveryStatus.WouldSend, declined.Single().Status);
        Assert.Empty(mail.Sent);
        Assert.False(File.Exists(Path.Combine(dir.Path, "nightly.state.json")));
        // The next run (confirmed) still sees the transition and sends it.
        var next = Run(d, At(AlertSamples.Run(AlertSamples.Failure()), 1));
        Assert.Equal(AlertDeliveryStatus.Sent, next.Single().Status);
        Assert.Single(mail.Sent);
    }

    [Fact]
    public void Timeout_IsADeliveryFailure_NotACancellation()
    {
        using var dir = new TempDirectory();
        var beat = new FakeAlertChannel(AlertChannelKind.Heartbeat) { Hang = true };
        var result = Run(Dispatcher(dir, AlertWhen.Failure, beat), AlertSamples.Run()).Single();
        Assert.Equal(AlertDeliveryStatus.Failed, result.Status);
        Assert.False(result.Spooled);
        Assert.Contains("no answer within 2 s", result.Error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("spooled", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LastGoodBackup_IsRemembered_AcrossRunsWithoutOne()
    {
        using var dir = new TempDirectory();
        var d = Dispatcher(dir, AlertWhen.Always, new FakeAlertChannel(AlertChannelKind.Mail));
        Run(d, AlertSamples.Run(AlertSamples.GoodSet()));
        var plan = d.Prepare(At(AlertSamples.Run(AlertSamples.Failure()), 24), NullReporter.Instance);
        Assert.Equal("20261130_020000", plan.Run.LastGoodBackup!.Stamp);
        Assert.Equal(AlertSamples.Now, plan.Run.LastSuccess);
        Assert.Equal(AlertSamples.Now.AddHours(24), plan.Run.LastFailure);
        Assert.Equal(AlertChange.Failed, plan.Change);
    }

    [Fact]
    public async Task Test_SendsOnEveryChannel_WithoutStateOrStatusChanges()
    {
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail);
        var status = new AlertStatusFile(dir.File("status.json"));
        var d = Dispatcher(dir, AlertWhen.Failure, mail, status);
        var results = await d.TestAsync(AlertSamples.Run(), _ => true, CancellationToken.None);
        Assert.Equal(new[] { AlertDeliveryStatus.Sent, AlertDeliveryStatus.Written }, results.Select(r => r.Status));
        Assert.True(mail.Sent.Single().IsTest);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    private sealed class WarningReporter(List<string> warnings) : IOperationReporter
    {
        public void Verbose(string message) { }
        public void Progress(OperationProgress progress) { }
        public void Warning(string message) => warnings.Add(message);
    }
}
