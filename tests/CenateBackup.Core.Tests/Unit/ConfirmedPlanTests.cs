using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>A run carries out exactly the confirmed plan: the same statements in the same order, or nothing.</summary>
public class ConfirmedPlanTests
{
    [Fact]
    public void Require_SameSteps_Passes() =>
        ConfirmedPlan.Require(new[] { "REVOKE a", "REVOKE b" }, new[] { "REVOKE a", "REVOKE b" }, "public.t");

    [Theory]
    [InlineData(new[] { "REVOKE a", "REVOKE b" }, new[] { "REVOKE a" })]
    [InlineData(new[] { "REVOKE a" }, new[] { "REVOKE a", "REVOKE c" })]
    [InlineData(new[] { "REVOKE a", "REVOKE b" }, new[] { "REVOKE b", "REVOKE a" })]
    [InlineData(new[] { "REVOKE a" }, new string[0])]
    [InlineData(new[] { "revoke a" }, new[] { "REVOKE a" })]
    public void Require_OtherSteps_IsPlanChanged(string[] confirmed, string[] now)
    {
        var ex = Assert.Throws<CenateException>(() => ConfirmedPlan.Require(confirmed, now, "public.t"));
        Assert.Equal(ErrorIds.PlanChanged, ex.ErrorId);
        Assert.Equal(CenateErrorKind.InvalidOperation, ex.Kind);
        Assert.Equal("public.t", ex.Target);
        Assert.Contains("Nothing was changed", ex.Message, System.StringComparison.Ordinal);
    }
}
