using System;
using System.Globalization;
using System.Management.Automation;
using CenateBackup.Core.Formats;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// The one rule for every duration parameter of the module: a TimeSpan, or a string with a unit ("26h", "180d",
/// "45s", "90m", "1w", "1d12h") or in TimeSpan form ("1.00:00:00"). A bare number of any numeric type is refused,
/// never read as ticks and never guessed: PowerShell itself turns unquoted <c>180d</c> into the decimal 180 and
/// <c>45s</c> into the 16-bit integer 45, so the unit is already lost when the value arrives here. Zero and
/// negative durations are refused too.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) => ToDuration(inputData);

    /// <summary>Applies the rule to one value; throws ArgumentTransformationMetadataException with the right spelling.</summary>
    public static TimeSpan? ToDuration(object? inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case null:
                return null;
            case TimeSpan t when t > TimeSpan.Zero:
                return t;
            case TimeSpan t:
                throw new ArgumentTransformationMetadataException($"The duration {t} is not positive: write it as 26h, '180d', 90m or [timespan]'1.00:00:00'.");
            case string s when HumanUnits.TryParseDuration(s, out var parsed):
                return parsed;
            case string s:
                throw new ArgumentTransformationMetadataException(
                    $"'{s}' is not a duration: it needs a unit, as in '{BareNumberText(s)}d' (days), 26h, 90m, '45s' or [timespan]'1.00:00:00'.");
            case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal or System.Numerics.BigInteger:
                throw new ArgumentTransformationMetadataException(BareNumberMessage(value));
            default:
                throw new ArgumentTransformationMetadataException(
                    $"A {value.GetType().Name} is not a duration: write it as 26h, '180d', 90m, '45s' or [timespan]'1.00:00:00'.");
        }
    }

    private static string BareNumberMessage(object number)
    {
        var text = Convert.ToString(number, CultureInfo.InvariantCulture) ?? "";
        // What PowerShell made of an unquoted literal with a suffix: say so, so the admin sees why it failed.
        var why = number switch
        {
            decimal => $" (PowerShell reads {text}d without quotes as the decimal number {text}, so the unit is lost)",
            short => $" (PowerShell reads {text}s without quotes as the 16-bit integer {text}, so the unit is lost)",
            _ => "",
        };
        return $"{text} is a bare number{why}; a duration needs a unit and is never read as ticks. "
            + $"Write '{text}d' for days, '{text}h' for hours, '{text}m' for minutes or '{text}s' for seconds (quoted), "
            + "or use a form that works unquoted: 26h, 90m, 1w, [timespan]'1.00:00:00'.";
    }

    private static string BareNumberText(string s)
    {
        var t = s.Trim();
        return t.Length > 0 && t.Length <= 12 && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? t : "180";
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
