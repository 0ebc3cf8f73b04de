using System;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Alerts;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The message: subject per state and language, every value HTML-encoded, one-line subjects, short
/// form.</summary>
public class AlertComposerTests
{
    private static readonly CultureInfo s_en = CultureInfo.GetCultureInfo("en-US");
    private static readonly CultureInfo s_es = CultureInfo.GetCultureInfo("es-PE");

    [Fact]
    public void Failure_SubjectNamesStateJobHostAndFirstFailure()
    {
        var run = AlertSamples.Run(AlertSamples.GoodSet(), AlertSamples.Failure(), AlertSamples.Failure("second"));
        var m = AlertComposer.Compose(run, AlertChange.Failed, s_en);
        Assert.Equal("[CenateBackup] FAILED nightly @ srv-cenate: New-CenateDump: the dump failed (+1 more)",
            m.Subject);
        Assert.Contains("What failed:", m.Text, StringComparison.Ordinal);
        Assert.Contains("error id PgDumpFailed", m.Text, StringComparison.Ordinal);
        Assert.Contains("Check that the container postgres_cenate is running.", m.Text, StringComparison.Ordinal);
        Assert.Contains("size 600.0 MB", m.Text, StringComparison.Ordinal);
        Assert.Contains("age 8.0 h", m.Text, StringComparison.Ordinal);
        Assert.Equal("en", m.Language);
    }

    [Theory]
    [InlineData("es-PE", AlertChange.Failed, true, "[CenateBackup] FALLÓ nightly @ srv-cenate")]
    [InlineData("es", AlertChange.Recovered, false, "[CenateBackup] RECUPERADO nightly @ srv-cenate")]
    [InlineData("es-ES", AlertChange.Same, false, "[CenateBackup] CORRECTO nightly @ srv-cenate")]
    [InlineData("en-GB", AlertChange.Recovered, false, "[CenateBackup] RECOVERED nightly @ srv-cenate")]
    [InlineData("de-DE", AlertChange.New, false, "[CenateBackup] OK nightly @ srv-cenate")]
    [InlineData("", AlertChange.New, true, "[CenateBackup] FAILED nightly @ srv-cenate")]
    public void StateWord_ByLanguageAndChange(string culture, AlertChange change, bool failed, string prefix)
    {
        var run = failed ? AlertSamples.Run(AlertSamples.Failure()) : AlertSamples.Run(AlertSamples.GoodSet());
        var m = AlertComposer.Compose(run, change, CultureInfo.GetCultureInfo(culture));
        Assert.StartsWith(prefix + ": ", m.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void Success_HeadlineSummarisesTheSets()
    {
        var run = AlertSamples.Run(AlertSamples.GoodSet("20261129_020000"), AlertSamples.GoodSet("20261130_020000"));
        var m = AlertComposer.Compose(run, AlertChange.Same, s_en);
        Assert.Equal("[CenateBackup] OK nightly @ srv-cenate: 2 sets, newest maestro_cenate 20261130_020000",
            m.Subject);
        Assert.Contains("Nothing to do.", m.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_And_Delayed_AreMarked()
    {
        var test = AlertComposer.Compose(AlertSamples.Run(), AlertChange.New, s_es, isTest: true);
        Assert.StartsWith("[CenateBackup] PRUEBA nightly @ srv-cenate: ", test.Subject, StringComparison.Ordinal);
        Assert.True(test.IsTest);
        var delayed = AlertComposer.Compose(AlertSamples.Run(AlertSamples.Failure()), AlertChange.Failed, s_en,
            delayedFrom: new DateTimeOffset(2026, 11, 29, 2, 5, 0, TimeSpan.FromHours(-5)));
        Assert.StartsWith("(delayed from 2026-11-29 07:05 UTC) [CenateBackup] FAILED", delayed.Subject,
            StringComparison.Ordinal);
        Assert.True(delayed.Delayed);
        var es = AlertComposer.Compose(AlertSamples.Run(AlertSamples.Failure()), AlertChange.Failed, s_es,
            delayedFrom: AlertSamples.Now);
        Assert.StartsWith("(retrasado desde 2026-11-30 10:00 UTC) [CenateBackup] FALLÓ", es.Subject,
            StringComparison.Ordinal);
    }

    [Fact]
    public void HostileText_IsOneLineInTheSubject_AndEncodedInHtml()
    {
        var evil = AlertSamples.Failure("x\r\nBcc: victim@example.com\r\n<script>alert('&')</script>");
        var m = AlertComposer.Compose(AlertSamples.Run(evil), AlertChange.New, s_en);
        Assert.DoesNotContain('\r', m.Subject);
        Assert.DoesNotContain('\n', m.Subject);
        Assert.DoesNotContain("<script>", m.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;&amp;&#39;)&lt;/script&gt;", m.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("\nBcc:", m.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void LongFailure_HeadlineIsCut_ShortHasAtMostTenLines()
    {
        var items = Enumerable.Range(0, 30).Select(i => AlertSamples.Failure(new string('x', 500) + i)).ToArray();
        var m = AlertComposer.Compose(AlertSamples.Run(items), AlertChange.New, s_en);
        Assert.True(m.Subject.Length < 220, m.Subject);
        Assert.EndsWith("(+29 more)", m.Subject, StringComparison.Ordinal);
        Assert.True(m.Short.Split('\n').Length <= AlertComposer.ShortLines + 1);
        Assert.Contains("(+21 more)", m.Short, StringComparison.Ordinal);
    }

    [Fact]
    public void SameRun_ComposesTheSameText()
    {
        var run = AlertSamples.Run(AlertSamples.GoodSet(), AlertSamples.Failure());
        Assert.Equal(AlertComposer.Compose(run, AlertChange.Failed, s_es).Text, AlertComposer.Compose(run,
            AlertChange.Failed, s_es).Text);
    }
}
