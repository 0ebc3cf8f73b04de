using System;
using System.Globalization;
using System.Management.Automation;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// Refuses a TimeSpan parameter outside [minimum, maximum] before any work, with PowerShell's own validation error
/// (ValidateRange cannot: attribute arguments cannot be TimeSpans, and it would compare them as strings).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateDurationAttribute : ValidateArgumentsAttribute
{
    private readonly TimeSpan _minimum;
    private readonly TimeSpan _maximum;

    /// <summary>The range in seconds, both ends included.</summary>
    public ValidateDurationAttribute(double minimumSeconds, double maximumSeconds)
    {
        _minimum = TimeSpan.FromSeconds(minimumSeconds);
        _maximum = TimeSpan.FromSeconds(maximumSeconds);
    }

    /// <inheritdoc />
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject ps ? ps.BaseObject : arguments;
        if (value is not TimeSpan t)
        {
            throw new ValidationMetadataException(Messages.Format("DurationInvalid", value));
        }
        if (t < _minimum || t > _maximum)
        {
            throw new ValidationMetadataException(Messages.Format("DurationOutOfRange", t, _minimum, _maximum));
        }
    }
}
