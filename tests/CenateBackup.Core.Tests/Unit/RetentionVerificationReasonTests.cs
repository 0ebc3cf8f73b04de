using System;
using System.Globalization;
using System.Linq;
using CenateBackup.Core.Retention;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// An expired set's Reason says what is wrong with it: a set whose verification FAILED is not "never verified" (the
/// admin needs the date and the first problem to look into it), and a set that was never verified does not claim a
/// failure.
/// </summary>
public class RetentionVerificationReasonTests
{
    private static readonly DateTimeOffset Now =
        DateTimeOffset.Parse("2026-06-01T00:00Z", CultureInfo.InvariantCulture);

    private static RetentionCandidate Set(string id, string utc, bool verified = true, bool complete = true) =>
        new(id, "db", DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture), complete, verified);

    private static RetentionDecision Plan(RetentionCandidate odd, string id)
    {
        var sets = new[] { Set("new3", "2026-05-31T02:00Z"), Set("new2", "2026-05-30T02:00Z"),
            Set("new1", "2026-05-29T02:00Z"), odd };
        var policy = new RetentionPolicy { KeepWeekly = 0, KeepMonthly = 0, KeepYearly = 0, MinimumKeep = 3 };
        return RetentionPlanner.Plan(sets, policy, Now).Single(d => d.Candidate.Id == id);
    }

    [Fact]
    public void FailedVerification_IsNamedWithItsDateAndFirstProblem_NotNeverVerified()
    {
        var failedAt = DateTimeOffset.Parse("2026-01-03T04:05Z", CultureInfo.InvariantCulture);
        var odd = Set("failed", "2026-01-02T02:00Z", verified: false) with
        {
            VerificationFailure =
                new RetentionVerificationFailure(failedAt, "asegurados: 10 rows in the dump, 12 recorded"),
        };
        var d = Plan(odd, "failed");
        Assert.False(d.Keep);
        Assert.Equal(RetentionRule.Expired, d.Rule);
        Assert.DoesNotContain("never verified", d.Reason);
        Assert.Contains("its verification failed on 2026-01-03 04:05 UTC: asegurados: 10 rows in the dump, 12 recorded",
            d.Reason);
    }

    [Fact]
    public void FailedVerificationWithoutProblems_StillSaysItFailed()
    {
        var failedAt = DateTimeOffset.Parse("2026-01-03T04:05Z", CultureInfo.InvariantCulture);
        var odd = Set("failed", "2026-01-02T02:00Z", verified: false) with
        {
            VerificationFailure = new RetentionVerificationFailure(failedAt, "  "),
        };
        var d = Plan(odd, "failed");
        Assert.DoesNotContain("never verified", d.Reason);
        Assert.EndsWith("its verification failed on 2026-01-03 04:05 UTC", d.Reason);
    }

    [Fact]
    public void NeverVerified_SaysSo_AndClaimsNoFailure()
    {
        var d = Plan(Set("plain", "2026-01-02T02:00Z", verified: false), "plain");
        Assert.Contains("never verified", d.Reason);
        Assert.DoesNotContain("failed", d.Reason);
    }

    [Fact]
    public void Incomplete_WinsOverAFailedVerification()
    {
        var odd = Set("cut", "2026-01-02T02:00Z", verified: false, complete: false) with
        {
            VerificationFailure = new RetentionVerificationFailure(Now.AddDays(-100), "file missing"),
        };
        Assert.Contains("incomplete", Plan(odd, "cut").Reason);
    }
}
