using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CenateBackup.Core.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>100,000 piped errors make a message, payload, status file and spool entry of bounded size.</summary>
public class AlertBoundsTests
{
    private static readonly string s_long = new('x', 1_000_000);

    private static AlertRun Flood(int failures = 100_000, int others = 100_000) => AlertSamples.Run(
        Enumerable.Range(0, failures).Select(i => AlertSamples.Failure(i % 2 == 0 ? s_long : $"error {i}"))
            .Concat(Enumerable.Range(0, others).Select(i => AlertSamples.GoodSet($"20261130_{i:000000}")))
            .ToArray());

    private static int Bytes(string s) => Encoding.UTF8.GetByteCount(s);

    [Fact]
    public void Message_IsBounded_AndSaysHowManyMore()
    {
        var message = AlertComposer.Compose(Flood(), AlertChange.New, CultureInfo.GetCultureInfo("en-US"));
        // Every other failure is a 1 MB message (one shared string): each listed item's text is cut to 1000 characters.
        Assert.True(Bytes(message.Text) < 200_000, $"Text {Bytes(message.Text)}");
        Assert.True(Bytes(message.Html) < 300_000, $"Html {Bytes(message.Html)}");
        Assert.True(Bytes(message.Short) < 10_000, $"Short {Bytes(message.Short)}");
        Assert.Contains("(+99950 more)", message.Text, StringComparison.Ordinal);
        Assert.Contains("(+99980 more)", message.Text, StringComparison.Ordinal);
        Assert.Contains("(+99950 more)", message.Html, StringComparison.Ordinal);
        Assert.EndsWith("(+99991 more)", message.Short, StringComparison.Ordinal);
        Assert.EndsWith("(+99999 more)", message.Subject, StringComparison.Ordinal);
        Assert.Equal(AlertState.Failure, message.Run.State);
        Assert.Equal(100_000, message.Run.FailureCount);
    }

    [Fact]
    public void JsonWebhook_IsBounded_WithOmittedItems()
    {
        var message = AlertComposer.Compose(Flood(), AlertChange.New, CultureInfo.InvariantCulture);
        var json = WebhookPayload.Build(message, WebhookFormat.Json, null);
        Assert.True(Bytes(json) < 300_000, $"Json {Bytes(json)}");
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(70, doc.RootElement.GetProperty("items").GetArrayLength());
        Assert.Equal(199_930, doc.RootElement.GetProperty("omittedItems").GetInt32());
        var problems = doc.RootElement.GetProperty("problems");
        Assert.Equal(51, problems.GetArrayLength());
        Assert.Equal("(+99950 more)", problems[50].GetString());
        var message0 = doc.RootElement.GetProperty("items")[0].GetProperty("message").GetString()!;
        Assert.Equal(AlertRun.MaxItemText, message0.Length);
        foreach (var format in new[] { WebhookFormat.Slack, WebhookFormat.Teams, WebhookFormat.Telegram })
        {
            Assert.True(Bytes(WebhookPayload.Build(message, format, "42")) < 50_000, format.ToString());
        }
    }

    [Fact]
    public void JsonWebhook_OfASmallRun_SaysNothingOmitted()
    {
        var message = AlertComposer.Compose(AlertSamples.Run(AlertSamples.Failure()), AlertChange.New, null);
        using var doc = JsonDocument.Parse(WebhookPayload.Build(message, WebhookFormat.Json, null));
        Assert.Equal(0, doc.RootElement.GetProperty("omittedItems").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("problems").GetArrayLength());
    }

    [Fact]
    public void StatusFile_IsBounded_WithAMoreLine()
    {
        var run = Flood();
        var problems = AlertStatusFile.Problems(run);
        Assert.Equal(51, problems.Count);
        Assert.Equal("(+99950 more)", problems[^1]);
        var json = AlertStatusFile.ToJson(AlertComposer.Compose(run, AlertChange.New, null));
        Assert.True(Bytes(json) < 100_000, $"status {Bytes(json)}");
    }

    [Fact]
    public void SpoolEntry_KeepsTheBoundedRun_AndItsCounts()
    {
        using var dir = new TempDirectory();
        var path = dir.File("nightly.spool.json");
        var spool = AlertSpool.Load(path, () => AlertSamples.Now, _ => { });
        spool.Add(new AlertSpoolEntry { Channel = AlertChannelKind.Mail, QueuedAt = AlertSamples.Now, Run = Flood() },
            _ => { });
        spool.Save();
        Assert.True(new FileInfo(path).Length < 300_000, $"spool {new FileInfo(path).Length}");
        var run = AlertSpool.Load(path, () => AlertSamples.Now, _ => { }).Entries.Single().Run;
        Assert.Equal(70, run.Items.Count);
        Assert.Equal(99_950, run.OmittedFailures);
        Assert.Equal(99_980, run.OmittedOthers);
        Assert.Equal(100_000, run.FailureCount);
        var again = AlertComposer.Compose(run, AlertChange.New, null, delayedFrom: AlertSamples.Now);
        Assert.EndsWith("(+99999 more)", again.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void Bounded_KeepsASmallRunAsItIs_AndAFailureEvenWhenOthersComeFirst()
    {
        var small = AlertSamples.Run(AlertSamples.Failure(), AlertSamples.GoodSet());
        Assert.Same(small, small.Bounded());
        var run = Flood(failures: 1, others: 0) with
        {
            Items = Enumerable.Range(0, 500).Select(_ => AlertSamples.GoodSet()).Append(AlertSamples.Failure())
                .ToArray(),
        };
        var bounded = run.Bounded();
        Assert.Equal(AlertState.Failure, bounded.State);
        Assert.Equal(21, bounded.Items.Count);
        Assert.Same(bounded, bounded.Bounded());
    }

    [Theory]
    [InlineData(1, "New-CenateDump: the dump failed")]
    [InlineData(2, "New-CenateDump: the dump failed (+1 more)")]
    public void FirstFailureText_IsTheCmdletsWording(int count, string expected)
    {
        var run = AlertSamples.Run(Enumerable.Range(0, count).Select(_ => AlertSamples.Failure("the dump failed."))
            .Prepend(AlertSamples.GoodSet()).ToArray());
        Assert.Equal(expected, run.FirstFailureText());
        Assert.Equal("", AlertSamples.Run(AlertSamples.GoodSet()).FirstFailureText());
        var es = AlertComposer.Headline(run, AlertTexts.For(CultureInfo.GetCultureInfo("es-PE")));
        Assert.Equal(expected.Replace("more", "más", StringComparison.Ordinal), es);
    }
}
