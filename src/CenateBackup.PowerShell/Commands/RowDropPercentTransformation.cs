using System;
using System.Globalization;
using System.Management.Automation;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// -MaxRowDrop takes a share written with a trailing % ('2%', '0.5 %', '2.5%'), 0% to 100%, and binds it as a fraction
/// (0.02). A bare number (2, '2', 0.02) is refused: it could mean 2% or 2 rows or 0.02%, and a wrong guess silences the
/// one alarm that matters. A number of rows is -MaxRowDropCount.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class RowDropPercentTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        return value switch
        {
            null => null,
            string s when RowDropThreshold.TryParsePercent(s, out var fraction) => fraction,
            string s => throw new ArgumentTransformationMetadataException(RowDropThreshold.PercentRule($"'{s}'")),
            IFormattable number => throw new ArgumentTransformationMetadataException(
                RowDropThreshold.PercentRule(Messages.Format("RowDropPercent.BareNumber",
                    number.ToString(null, CultureInfo.InvariantCulture)))),
            System.Collections.IEnumerable => throw new ArgumentTransformationMetadataException(
                RowDropThreshold.PercentRule(Messages.Get("RowDropPercent.List"))),
            _ => throw new ArgumentTransformationMetadataException(
                RowDropThreshold.PercentRule(Messages.Format("RowDropPercent.Type", value.GetType().Name))),
        };
    }
}
