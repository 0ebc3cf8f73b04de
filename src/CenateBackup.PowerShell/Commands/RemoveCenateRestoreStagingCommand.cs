using System;
using System.Globalization;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;
using CenateBackup.Core.Restores;
using CenateBackup.Core.Targets;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Drops a staging schema or replaced table that Restore-CenateTable left, after proving the
/// module made it.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CenateRestoreStaging", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateRestoreStaging))]
public sealed class RemoveCenateRestoreStagingCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 81;

    /// <summary>The staging schema's name (cenate_restore_&lt;stamp&gt;) or the replaced table's name; binds a
    /// Get-CenateRestoreStaging item's Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Staging or Replaced (default: whichever the name is); binds the item's Kind.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("Staging", "Replaced")]
    public string? Kind { get; set; }

    /// <summary>Replaced: the schema the table is in (default: wherever it is, when only one); binds the item's
    /// Schema.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>How long a drop may wait for its lock (default 30 s; '45s', '2m' or a TimeSpan). Past it: LockTimeout,
    /// nothing dropped.</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateDuration(0.001, 86400)]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A piped Get-CenateRestoreStaging item: its Database is where it is dropped, unless -Database is given
    /// (then an item listed in another database is refused).</summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    private string _database = DatabaseTarget.DefaultDatabase;
    private bool _databaseGiven;

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _databaseGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Database));
        _database = Database;
    }

    /// <summary>Writes each dropped item (by default nothing is written).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        // An item listed in one database is dropped there, never in the default one (a clone made from the live
        // database holds the same names and markers).
        var listedIn = InputObject?.Properties["Database"]?.Value as string;
        if (!string.IsNullOrEmpty(listedIn) && _databaseGiven && listedIn != _database)
        {
            foreach (var name in Name)
            {
                WriteError(ToErrorRecord(new CenateException(ErrorIds.StagingNotFound, CenateErrorKind.InvalidArgument,
                    Messages.Format("Staging.OtherDatabase", name, listedIn, _database),
                    Messages.Format("Staging.OtherDatabase.Action", name, listedIn), name), name));
            }
            return;
        }
        Database = string.IsNullOrEmpty(listedIn) ? _database : listedIn;
        var target = BuildTarget();
        StagingKind? kind = Kind is null ? null : Enum.Parse<StagingKind>(Kind, ignoreCase: true);
        // A staging schema is its own schema: a piped Staging item's Schema is its Name, not a filter.
        var schema = kind == StagingKind.Staging ? null : Schema;
        foreach (var name in Name)
        {
            // One item at a time, each in its own transaction: one refused or failed item does not stop the others.
            try
            {
                var planned = RunCore((reporter, token) =>
                    StagingRemover.PlanAsync(target, kind, name, schema, reporter, token));
                if (!ShouldProcess(Describe(planned), Messages.Get("Staging.Action"))) continue;
                var removed = RunCore((reporter, token) =>
                    StagingRemover.RemoveAsync(target, planned, LockTimeout, reporter, token));
                if (PassThru) WriteObject(OutputFactory.Staging(removed, DateTimeOffset.UtcNow));
            }
            catch (Exception ex) when (ex is not PipelineStoppedException)
            {
                // Ctrl+C ends the command; any other failure is this item's.
                if (CancellationToken.IsCancellationRequested) ThrowTerminatingError(ToErrorRecord(ex, name));
                WriteError(ToErrorRecord(ex, name));
            }
        }
    }

    private static string Describe(StagingItem item)
    {
        var rows = item.EstimatedRows?.ToString("N0", CultureInfo.CurrentCulture) ?? Messages.Get("Staging.Unknown");
        var size = (item.SizeBytes / 1048576.0).ToString("0.0", CultureInfo.CurrentCulture) + " MB";
        return Messages.Format(item.Kind == StagingKind.Staging ? "Staging.Target.Staging" : "Staging.Target.Replaced",
            StagingRemover.Shown(item), item.Table, rows, size, item.Created, item.Database);
    }
}
