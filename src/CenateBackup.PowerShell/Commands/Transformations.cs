using System;
using System.Globalization;
using System.Management.Automation;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Resources;

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
                throw new ArgumentTransformationMetadataException(Messages.Format("DurationNotPositive", t));
            case string s when HumanUnits.TryParseDuration(s, out var parsed):
                return parsed;
            case string s:
                throw new ArgumentTransformationMetadataException(
                    Messages.Format("DurationWithoutUnit", s, BareNumberText(s)));
            case byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal or System.Numerics.BigInteger:
                throw new ArgumentTransformationMetadataException(BareNumberMessage(value));
            default:
                throw new ArgumentTransformationMetadataException(
                    Messages.Format("DurationWrongType", value.GetType().Name));
        }
    }

    private static string BareNumberMessage(object number)
    {
        var text = Convert.ToString(number, CultureInfo.InvariantCulture) ?? "";
        // What PowerShell made of an unquoted literal with a suffix: say so, so the admin sees why it failed.
        var why = number switch
        {
            decimal => " " + Messages.Format("DurationBareNumber.Decimal", text),
            short => " " + Messages.Format("DurationBareNumber.Short", text),
            _ => "",
        };
        return Messages.Format("DurationBareNumber", text, why);
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
                throw new ArgumentTransformationMetadataException(Messages.Format("SizeInvalid", s));
            default:
                return value;
        }
    }
}
