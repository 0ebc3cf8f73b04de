using System;
using System.Linq;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Retention;
using CenateBackup.Core.Verification;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// A set written in the same second as another takes the next free second as its stamp, so its stamp can be ahead of
/// the clock: everything that shows a set's age shows it as new (zero), never as "-1s" old.
/// </summary>
public class SetAgeTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(-1)]
    [InlineData(-3600)]
    public void VerificationReport_AgeAheadOfTheClock_IsZero(int seconds)
    {
        var report = new VerificationReport { Age = TimeSpan.FromSeconds(seconds) };
        Assert.Equal(TimeSpan.Zero, report.Age);
        Assert.Equal(TimeSpan.Zero, report.Relocated("/x/m.manifest.json", "/x").Age);
    }

    [Fact]
    public void VerificationReport_KnownAndUnknownAges_AreKept()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), new VerificationReport { Age = TimeSpan.FromSeconds(5) }.Age);
        Assert.Equal(TimeSpan.Zero, new VerificationReport { Age = TimeSpan.Zero }.Age);
        Assert.Null(new VerificationReport { Age = null }.Age);
    }

    [Fact]
    public void AlertAge_AheadOfTheClock_IsZeroHours()
    {
        Assert.Equal("0.0 h", AlertComposer.FormatAge(TimeSpan.FromSeconds(-1)));
        Assert.Equal("1.5 h", AlertComposer.FormatAge(TimeSpan.FromMinutes(90)));
    }

    [Fact]
    public void RetentionReasons_ForSetsAheadOfTheClock_SayZeroOld()
    {
        // Three good older sets fill MinimumKeep; the unverified full set and the partial set stamped one second
        // ahead are judged by their age.
        var sets = new[]
        {
            new RetentionCandidate("ahead", "db", s_now.AddSeconds(1), true, false),
            new RetentionCandidate("ahead-partial", "db", s_now.AddSeconds(1), true, true, Full: false),
            new RetentionCandidate("a", "db", s_now.AddHours(-1), true, true),
            new RetentionCandidate("b", "db", s_now.AddHours(-2), true, true),
            new RetentionCandidate("c", "db", s_now.AddHours(-3), true, true),
        };
        var plan = RetentionPlanner.Plan(sets, new RetentionPolicy(), s_now).ToList();
        var ahead = plan.Single(d => d.Candidate.Id == "ahead");
        Assert.Equal(RetentionRule.Daily, ahead.Rule);
        Assert.StartsWith("0 hours old", ahead.Reason);
        var partial = plan.Single(d => d.Candidate.Id == "ahead-partial");
        Assert.Equal(RetentionRule.Partial, partial.Rule);
        Assert.Contains("partial set, 0 hours old", partial.Reason);
        Assert.DoesNotContain(plan, d => d.Reason.Contains("-0") || d.Reason.Contains("-1"));
    }
}
