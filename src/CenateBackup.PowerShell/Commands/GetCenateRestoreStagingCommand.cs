using System;
using System.Management.Automation;
using CenateBackup.Core.Restores;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Lists what Restore-CenateTable left in a database: staging schemas
/// cenate_restore_&lt;stamp&gt; and tables &lt;table&gt;_replaced_&lt;stamp&gt;.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenateRestoreStaging", DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateRestoreStaging))]
public sealed class GetCenateRestoreStagingCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 80;

    /// <summary>Only copies of this live table (asegurados or public.asegurados).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Table { get; set; }

    /// <summary>Only Staging (schemas) or only Replaced (tables Mode Replace put aside).</summary>
    [Parameter]
    [ValidateSet("Staging", "Replaced")]
    public string? Kind { get; set; }

    /// <summary>Only those made longer ago than this ('7d', '12h' or a TimeSpan; a bare number is refused).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateNotNull]
    public TimeSpan? OlderThan { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = BuildTarget();
        var now = DateTimeOffset.UtcNow;
        var query = new StagingQuery
        {
            Table = Table,
            Kind = Kind is null ? null : Enum.Parse<StagingKind>(Kind, ignoreCase: true),
            OlderThan = OlderThan,
            Now = now,
        };
        RunTerminating(target.Database, () =>
        {
            var items = RunCore((reporter, token) => StagingCatalog.ListAsync(target, query, reporter, token));
            foreach (var item in items) WriteObject(OutputFactory.Staging(item, now));
        });
    }
}
