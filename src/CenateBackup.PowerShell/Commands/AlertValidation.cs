using System;
using System.Management.Automation;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>Refuses a certificate thumbprint that is not 40 (SHA-1) or 64 (SHA-256) hex digits (':' and spaces
/// allowed).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateThumbprintAttribute : ValidateArgumentsAttribute
{
    /// <inheritdoc />
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var text = (arguments is PSObject ps ? ps.BaseObject : arguments) as string;
        if (AlertSettings.NormaliseThumbprint(text) is null)
        {
            throw new ValidationMetadataException(Messages.Format("ThumbprintInvalid", text));
        }
    }
}

/// <summary>Refuses a URI that is not absolute http:// or https:// (webhook and heartbeat).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateHttpUriAttribute : ValidateArgumentsAttribute
{
    /// <inheritdoc />
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var uri = (arguments is PSObject ps ? ps.BaseObject : arguments) as Uri;
        if (!AlertSettings.IsHttpUri(uri))
        {
            // Never echo the URI: a webhook's path or query is its secret.
            throw new ValidationMetadataException(Messages.Get("HttpUriInvalid"));
        }
    }
}
