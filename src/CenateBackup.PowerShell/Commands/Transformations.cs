using System;
using System.Management.Automation;
using CenateBackup.Core.Formats;

namespace CenateBackup.PowerShell.Commands;

/// <summary>Lets a TimeSpan parameter take "26h", "2d", "90m", "1d12h" as well as a TimeSpan.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case null:
            case TimeSpan:
                return value;
            case string s when HumanUnits.TryParseDuration(s, out var t):
                return t;
            case string s:
                throw new ArgumentTransformationMetadataException($"'{s}' is not a duration: write it as 26h, 2d, 90m, 1d12h or 1.02:00:00.");
            default:
                return value;
        }
    }
}

/// <summary>Lets a size parameter take "500MB", "1.5GB", "800k" as well as a number of bytes (500MB unquoted already is one).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SizeTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case string s when HumanUnits.TryParseSize(s, out var b):
                return b;
            case string s:
                throw new ArgumentTransformationMetadataException($"'{s}' is not a size: write it as 500MB, 1.5GB, 800KB or a number of bytes.");
            default:
                return value;
        }
    }
}
