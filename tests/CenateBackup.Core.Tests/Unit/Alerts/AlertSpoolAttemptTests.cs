using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>One message a server refuses for good cannot block the channel; a channel that is down is not waited for
/// twice.</summary>
public class AlertSpoolAttemptTests
{
    private static AlertDispatcher Dispatcher(TempDirectory dir, params IAlertChannel[] channels) =>
        new(channels, new AlertDispatchOptions
        {
            StateDirectory = dir.Path, Job = "nightly", When = AlertWhen.Failure,
            Culture = CultureInfo.GetCultureInfo("en-US"), Timeout = TimeSpan.FromSeconds(1),
        }, () => AlertSamples.Now);

    private static async Task<IReadOnlyList<AlertDelivery>> Run(AlertDispatcher d, AlertRun run,
        List<string> warnings)
    {
        var reporter = new ListReporter(warnings);
        var plan = d.Prepare(run, reporter);
        return await d.DeliverAsync(plan, _ => true, false, reporter, CancellationToken.None);
    }

    private static AlertRun At(AlertRun run, int hours) => run with
    {
        StartedAt = AlertSamples.Now.AddHours(hours), EndedAt = AlertSamples.Now.AddHours(hours),
    };

    [Fact]
    public async Task RefusedSpooledAlert_DoesNotStopTheCurrentOne_AndIsDroppedAfterThreeAttempts()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook)
        {
            Refuses = m => m.Subject.Contains("poison", StringComparison.Ordinal),
        };
        var d = Dispatcher(dir, hook);
        var warnings = new List<string>();
        var first = (await Run(d, AlertSamples.Run(AlertSamples.Failure("poison")), warnings)).Single();
        Assert.Equal(AlertDeliveryStatus.Failed, first.Status);
        Assert.True(first.Spooled);

        for (var run = 1; run <= 3; run++)
        {
            warnings.Clear();
            var results = await Run(d, At(AlertSamples.Run(AlertSamples.Failure($"news {run}")), run), warnings);
            // Spooled first (it fails on its own), then this run's alert, delivered.
            Assert.Equal(2, results.Count);
            Assert.True(results[0].Delayed);
            Assert.Equal(AlertDeliveryStatus.Failed, results[0].Status);
            Assert.Equal(AlertSamples.Now, results[0].QueuedAt);
            Assert.Null(results[0].Error);
            Assert.Contains("550 5.6.0 message refused", results[0].Reason, StringComparison.Ordinal);
            Assert.Equal(AlertDeliveryStatus.Sent, results[1].Status);
            Assert.False(results[1].Delayed);
            Assert.Null(results[1].Error);
            Assert.Contains($"news {run}", hook.Sent.Last().Subject, StringComparison.Ordinal);
            Assert.Contains(warnings, w => w.Contains("queued at 2026-11-30 10:00 UTC", StringComparison.Ordinal));
            Assert.Equal(run < 3, File.Exists(d.SpoolPath));
            Assert.Equal(run < 3, results[0].Spooled);
        }
        Assert.Contains(warnings, w => w.Contains("refused 3 times and is dropped", StringComparison.Ordinal));
        warnings.Clear();
        var calm = await Run(d, At(AlertSamples.Run(AlertSamples.Failure("news 4")), 4), warnings);
        Assert.Equal(AlertDeliveryStatus.Sent, calm.Single().Status);
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task RefusedSpooledAlert_TheNextSpooledOnesStillGo_OldestFirst()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true };
        var d = Dispatcher(dir, hook);
        await Run(d, AlertSamples.Run(AlertSamples.Failure("poison")), new List<string>());
        await Run(d, At(AlertSamples.Run(AlertSamples.Failure("second")), 1), new List<string>());
        hook.Down = false;
        hook.Refuses = m => m.Subject.Contains("poison", StringComparison.Ordinal);
        var results = await Run(d, At(AlertSamples.Run(AlertSamples.Failure("third")), 2), new List<string>());
        Assert.Equal(new[] { AlertDeliveryStatus.Failed, AlertDeliveryStatus.Sent, AlertDeliveryStatus.Sent },
            results.Select(r => r.Status));
        Assert.Equal(new[] { true, true, false }, results.Select(r => r.Delayed));
        Assert.Contains("second", hook.Sent[0].Subject, StringComparison.Ordinal);
        Assert.Contains("third", hook.Sent[1].Subject, StringComparison.Ordinal);
        var left = AlertSpool.Load(d.SpoolPath, () => AlertSamples.Now, _ => { }).Entries.Single();
        Assert.Equal(1, left.Attempts);
    }

    [Theory]
    [InlineData(CenateErrorKind.ConnectionError)]
    [InlineData(CenateErrorKind.OperationTimeout)]
    [InlineData(CenateErrorKind.ResourceUnavailable)]   // HTTP 503
    [InlineData(CenateErrorKind.ResourceBusy)]          // HTTP 429
    [InlineData(CenateErrorKind.AuthenticationError)]   // a wrong password must not drop alerts
    [InlineData(CenateErrorKind.SecurityError)]
    public async Task ChannelDown_CurrentAlertIsSpooledUntried_WithItsOwnError_AndAttemptsAreNotCounted(
        CenateErrorKind kind)
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true, FailureKind = kind };
        var d = Dispatcher(dir, hook);
        await Run(d, AlertSamples.Run(AlertSamples.Failure("first")), new List<string>());
        for (var run = 1; run <= 4; run++)
        {
            var results = await Run(d, At(AlertSamples.Run(AlertSamples.Failure($"run {run}")), run),
                new List<string>());
            Assert.Equal(1 + run, hook.Attempts);
            var current = results.Last();
            Assert.False(current.Delayed);
            Assert.Equal(AlertDeliveryStatus.Failed, current.Status);
            Assert.True(current.Spooled);
            Assert.Equal(kind, current.Error!.Kind);
            Assert.Contains("Webhook to fake://target was not tried: it failed a moment ago (connection refused)",
                current.Error.Message, StringComparison.Ordinal);
            Assert.All(results.Take(results.Count - 1), r => Assert.Null(r.Error));
        }
        var spool = AlertSpool.Load(d.SpoolPath, () => AlertSamples.Now, _ => { });
        Assert.Equal(5, spool.Entries.Count);
        Assert.All(spool.Entries, e => Assert.Equal(0, e.Attempts));
    }

    [Theory]
    [InlineData(550, true)]
    [InlineData(552, true)]
    [InlineData(451, false)]
    [InlineData(421, false)]
    public void SmtpRefusal_OnlyPermanentRepliesCountAgainstTheMessage(int code, bool refusal)
    {
        var smtp = new MailKit.Net.Smtp.SmtpCommandException(MailKit.Net.Smtp.SmtpErrorCode.MessageNotAccepted,
            (MailKit.Net.Smtp.SmtpStatusCode)code, "refused");
        var error = new CenateException(ErrorIds.AlertDeliveryFailed, CenateErrorKind.InvalidOperation,
            $"the server answered {code} refused", inner: smtp);
        Assert.Equal(refusal, AlertDispatcher.IsRefusal(error));
        Assert.True(AlertDispatcher.IsRefusal(new CenateException(ErrorIds.AlertDeliveryFailed,
            CenateErrorKind.InvalidOperation, "HTTP 413 Payload Too Large")));
        Assert.False(AlertDispatcher.IsRefusal(new CenateException(ErrorIds.AlertDeliveryFailed,
            CenateErrorKind.ResourceUnavailable, "HTTP 503 Service Unavailable")));
    }

    [Fact]
    public async Task ChannelDown_AndThisRunSkipped_TheSpooledResultCarriesTheError()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true };
        var d = Dispatcher(dir, hook);
        await Run(d, AlertSamples.Run(AlertSamples.Failure("first")), new List<string>());
        var results = await Run(d, At(AlertSamples.Run(AlertSamples.GoodSet()), 1), new List<string>());
        Assert.Equal(new[] { AlertDeliveryStatus.Failed, AlertDeliveryStatus.Skipped }, results.Select(r => r.Status));
        Assert.Equal(ErrorIds.AlertDeliveryFailed, results[0].Error!.ErrorId);
        Assert.True(File.Exists(d.SpoolPath));
    }

    [Fact]
    public async Task SpooledAlertTimingOut_CurrentIsNotWaitedForAgain()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true };
        var d = Dispatcher(dir, hook);
        await Run(d, AlertSamples.Run(AlertSamples.Failure("first")), new List<string>());
        hook.Down = false;
        hook.Hang = true;
        var results = await Run(d, At(AlertSamples.Run(AlertSamples.Failure("second")), 1), new List<string>());
        Assert.Equal(2, hook.Attempts);
        Assert.Contains("was not tried", results.Last().Error!.Message, StringComparison.Ordinal);
        Assert.Equal(2, AlertSpool.Load(d.SpoolPath, () => AlertSamples.Now, _ => { }).Entries.Count);
    }
}
