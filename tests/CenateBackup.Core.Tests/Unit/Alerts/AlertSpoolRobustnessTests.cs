using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>A spool or state file that still parses as JSON but is damaged never stops the current alert.</summary>
public class AlertSpoolRobustnessTests
{
    private static AlertDispatcher Dispatcher(TempDirectory dir, params IAlertChannel[] channels) =>
        new(channels, new AlertDispatchOptions
        {
            StateDirectory = dir.Path, Job = "nightly", When = AlertWhen.Failure,
            Culture = CultureInfo.GetCultureInfo("en-US"), Timeout = TimeSpan.FromSeconds(2),
        }, () => AlertSamples.Now);

    /// <summary>A spool with one webhook entry (queued at Now), as the module writes it, as a JSON tree.</summary>
    private static JsonObject GoodSpool(string path)
    {
        var spool = AlertSpool.Load(path, () => AlertSamples.Now, _ => { });
        spool.Add(new AlertSpoolEntry
        {
            Channel = AlertChannelKind.Webhook, QueuedAt = AlertSamples.Now,
            Run = AlertSamples.Run(AlertSamples.Failure("spooled failure"), AlertSamples.GoodSet()),
        }, _ => { });
        spool.Save();
        return (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
    }

    public static IEnumerable<object[]> Damages() => new[]
    {
        new object[] { "items null", (Action<JsonObject>)(e => e["run"]!["items"] = null) },
        new object[] { "items [null]", (Action<JsonObject>)(e => e["run"]!["items"] = new JsonArray((JsonNode?)null)) },
        new object[] { "status 9", (Action<JsonObject>)(e => e["run"]!["items"]![0]!["status"] = 9) },
        new object[] { "status Bogus", (Action<JsonObject>)(e => e["run"]!["items"]![0]!["status"] = "Bogus") },
        new object[] { "change 42", (Action<JsonObject>)(e => e["change"] = 42) },
        new object[] { "channel 0", (Action<JsonObject>)(e => e["channel"] = 0) },
        new object[] { "host missing", (Action<JsonObject>)(e => ((JsonObject)e["run"]!).Remove("host")) },
        new object[] { "host null", (Action<JsonObject>)(e => e["run"]!["host"] = null) },
        new object[] { "job missing", (Action<JsonObject>)(e => ((JsonObject)e["run"]!).Remove("job")) },
        new object[] { "run null", (Action<JsonObject>)(e => e["run"] = null) },
        new object[] { "subject null", (Action<JsonObject>)(e => e["run"]!["items"]![0]!["subject"] = null) },
        new object[] { "good backup without database",
            (Action<JsonObject>)(e => e["run"]!["lastGoodBackup"] = new JsonObject { ["size"] = 1 }) },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task DamagedEntry_IsSetAside_AndTheCurrentAlertIsSent(string damage, Action<JsonObject> spoil)
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook);
        var beat = new FakeAlertChannel(AlertChannelKind.Heartbeat);
        var status = new AlertStatusFile(dir.File("status.json"));
        var d = Dispatcher(dir, hook, beat, status);
        var doc = GoodSpool(d.SpoolPath);
        spoil((JsonObject)doc["entries"]![0]!);
        File.WriteAllText(d.SpoolPath, doc.ToJsonString());
        var warnings = new List<string>();
        var reporter = new ListReporter(warnings);
        var plan = d.Prepare(AlertSamples.Run(AlertSamples.Failure("current failure")), reporter);
        var results = await d.DeliverAsync(plan, _ => true, false, reporter, CancellationToken.None);
        Assert.Equal(new[] { AlertDeliveryStatus.Sent, AlertDeliveryStatus.Pinged, AlertDeliveryStatus.Written },
            results.Select(r => r.Status));
        Assert.Contains("current failure", hook.Sent.Single().Subject, StringComparison.Ordinal);
        Assert.Contains(warnings, w => w.Contains("cannot be sent", StringComparison.Ordinal));
        Assert.False(File.Exists(d.SpoolPath), damage);
        Assert.Single(Directory.GetFiles(dir.Path, "nightly.spool.json.corrupt-*"));
        Assert.True(File.Exists(dir.File("status.json")));
    }

    [Fact]
    public void OneDamagedEntry_IsDropped_TheOthersAreSentDelayed()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook);
        var d = Dispatcher(dir, hook);
        var doc = GoodSpool(d.SpoolPath);
        var entries = (JsonArray)doc["entries"]!;
        var bad = JsonNode.Parse(entries[0]!.ToJsonString())!;
        bad["run"]!["items"]![0]!["status"] = 9;
        entries.Add(bad);
        File.WriteAllText(d.SpoolPath, doc.ToJsonString());
        var warnings = new List<string>();
        var spool = AlertSpool.Load(d.SpoolPath, () => AlertSamples.Now, warnings.Add);
        Assert.Single(spool.Entries);
        Assert.True(spool.Changed);
        Assert.Single(warnings);
        var results = Run(d, AlertSamples.Run(AlertSamples.Failure("current failure")), new List<string>());
        Assert.Equal(2, hook.Sent.Count);
        Assert.True(hook.Sent[0].Delayed);
        Assert.All(results, r => Assert.Equal(AlertDeliveryStatus.Sent, r.Status));
        Assert.False(File.Exists(d.SpoolPath));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.corrupt-*"));
    }

    [Fact]
    public void SpoolPathThatCannotBeRead_IsAWarning_AndNotOverwritten()
    {
        using var dir = new TempDirectory();
        var hook = new FakeAlertChannel(AlertChannelKind.Webhook) { Down = true };
        var d = Dispatcher(dir, hook);
        // A directory where the file should be: reading and replacing it both fail with IOException.
        Directory.CreateDirectory(d.SpoolPath);
        File.WriteAllText(Path.Combine(d.SpoolPath, "keep"), "x");
        var warnings = new List<string>();
        var result = Run(d, AlertSamples.Run(AlertSamples.Failure()), warnings).Single();
        Assert.Equal(AlertDeliveryStatus.Failed, result.Status);
        Assert.Equal(1, hook.Attempts);
        Assert.True(File.Exists(Path.Combine(d.SpoolPath, "keep")));
        Assert.True(File.Exists(d.StatePath));
    }

    [Theory]
    [InlineData("{\"schemaVersion\":1,\"job\":\"nightly\",\"state\":9}")]
    [InlineData("{\"schemaVersion\":1,\"job\":\"nightly\",\"state\":\"Bogus\"}")]
    [InlineData("{\"schemaVersion\":1,\"job\":\"nightly\",\"state\":\"Failure\",\"lastGoodBackup\":{\"size\":1}}")]
    [InlineData("{\"schemaVersion\":1,\"job\":null,\"state\":\"Failure\"}")]
    [InlineData("null")]
    public async Task DamagedState_IsNoState_WithAWarning(string json)
    {
        using var dir = new TempDirectory();
        var mail = new FakeAlertChannel(AlertChannelKind.Mail);
        var d = Dispatcher(dir, mail);
        File.WriteAllText(d.StatePath, json);
        var warnings = new List<string>();
        var reporter = new ListReporter(warnings);
        var plan = d.Prepare(AlertSamples.Run(AlertSamples.Failure()), reporter);
        Assert.Equal(AlertChange.New, plan.Change);
        Assert.Null(plan.Run.LastGoodBackup);
        Assert.Single(warnings);
        var results = await d.DeliverAsync(plan, _ => true, false, reporter, CancellationToken.None);
        Assert.Equal(AlertDeliveryStatus.Sent, results.Single().Status);
        Assert.Equal(AlertState.Failure, AlertStateStore.Read(d.StatePath, "nightly", _ => { })!.State);
    }

    private static IReadOnlyList<AlertDelivery> Run(AlertDispatcher d, AlertRun run, List<string> warnings)
    {
        var reporter = new ListReporter(warnings);
        var plan = d.Prepare(run, reporter);
        return d.DeliverAsync(plan, _ => true, false, reporter, CancellationToken.None).GetAwaiter().GetResult();
    }
}

/// <summary>Keeps the warnings.</summary>
internal sealed class ListReporter(List<string> warnings) : IOperationReporter
{
    public void Verbose(string message) { }
    public void Progress(OperationProgress progress) { }
    public void Warning(string message) => warnings.Add(message);
}
