using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Restores;
using CenateBackup.PowerShell.Output;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Brings a table back from a backup set — into a staging schema, as its missing rows, or in place of the live table — with its keys, indexes, constraints and triggers.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "CenateTable", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ContainerSet)]
[OutputType(typeof(CenateRestoreResult))]
public sealed class RestoreCenateTableCommand : DatabaseCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 46;

    /// <summary>
    /// The backup: a CenateBackupSet (from Get-CenateBackup or New-CenateDump), a set's manifest path, its .dump, its
    /// .csv.gz/.sql.gz, or a FileInfo. Only the file is taken from it: the server and the database restored into come from
    /// -Container/-HostName/-Port/-Database (defaults postgres_cenate, 5432, maestro_cenate), never from the manifest; a
    /// warning says so when the manifest records another server or database.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("Path", "FullName", "PSPath")]
    [ValidateNotNull]
    public object Backup { get; set; } = "";

    /// <summary>The table to restore (default asegurados).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Table { get; set; } = "asegurados";

    /// <summary>Its schema (default: where the backup has it; public when several).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Schema { get; set; }

    /// <summary>Staging (default, safe), MissingRows or Replace.</summary>
    [Parameter]
    [ValidateSet("Staging", "MissingRows", "Replace")]
    public string Mode { get; set; } = "Staging";

    /// <summary>Dump (default), Csv or Sql: which file of the set the rows come from.</summary>
    [Parameter]
    [ValidateSet("Dump", "Csv", "Sql")]
    public string? From { get; set; }

    /// <summary>Replace: drop the old table instead of keeping it as &lt;table&gt;_replaced_&lt;stamp&gt;.</summary>
    [Parameter]
    public SwitchParameter DropReplaced { get; set; }

    /// <summary>
    /// Restore from a file that no manifest vouches for (a lone file, or one whose manifest is missing, damaged or does
    /// not list it): its checksum cannot be checked. Without this switch such a file is refused (UnverifiedBackup);
    /// with it, the result's Warnings say the file was not verified.
    /// </summary>
    [Parameter]
    public SwitchParameter AllowUnverifiedBackup { get; set; }

    /// <summary>
    /// How long a step may wait for a lock on the table (default 30 s; "45s", "2m" or a TimeSpan, up to a day) — above all
    /// Replace's exclusive lock, behind which every other query on the table waits. Past it: LockTimeout, nothing changed.
    /// </summary>
    [Parameter]
    [DurationTransformation]
    [ValidateDuration(0.001, 86400)]
    public TimeSpan LockTimeout { get; set; } = TableRestoreRequest.DefaultLockTimeout;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var input = Backup is PSObject ps ? ps.BaseObject : Backup;
        string given;
        switch (input)
        {
            case CenateBackupSet set:
                // Only the set's path: its database, container and port were read from its manifest, which anyone who can
                // write the backup directory can edit. The server and database come from the parameters (or their
                // defaults); Core warns when they are not the ones the manifest records.
                given = set.Path;
                break;
            case System.IO.FileSystemInfo file:
                given = file.FullName;
                break;
            case CenateBackupFile file:
                given = file.Path;
                break;
            default:
                given = LanguagePrimitives.ConvertTo<string>(input);
                break;
        }
        string path;
        try
        {
            path = GetUnresolvedProviderPathFromPSPath(given);
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            WriteError(new ErrorRecord(ex, Core.Errors.ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, given));
            return;
        }
        // Core's enums stay out of the parameter types: Core loads in the module's own load context.
        var mode = Enum.Parse<TableRestoreMode>(Mode, ignoreCase: true);
        TableRestoreSource? from = From is null ? null : Enum.Parse<TableRestoreSource>(From, ignoreCase: true);
        var target = BuildTarget();
        var request = new TableRestoreRequest
        {
            Target = target,
            BackupPath = path,
            Table = Table,
            Schema = Schema,
            Mode = mode,
            From = from,
            DropReplaced = DropReplaced,
            AllowUnverifiedBackup = AllowUnverifiedBackup,
            LockTimeout = LockTimeout,
            Now = DateTimeOffset.UtcNow,
        };
        // The plan first (checks, counts, SQL): -WhatIf shows it, -Confirm asks about it.
        string? sourceWarning = null;
        RunPlanned(path,
            (reporter, token) => TableRestoreService.PlanAsync(request, reporter, token),
            plan =>
            {
                // Before the question, so that -Confirm and -WhatIf show it too.
                sourceWarning = plan.SourceWarning;
                if (plan.SourceWarning is not null) WriteWarning(plan.SourceWarning);
                var ask = mode != TableRestoreMode.Staging || MyInvocation.BoundParameters.ContainsKey("WhatIf")
                    || MyInvocation.BoundParameters.ContainsKey("Confirm");
                return ask
                    ? PlanQuestion.Of(Describe(plan, target.Describe()),
                        $"{mode} of {plan.Table} in database '{target.Database}'. Continue?", "Restore-CenateTable")
                    : PlanQuestion.Unasked;
            },
            (plan, reporter, token) => TableRestoreService.RunAsync(request, plan, reporter, token),
            result =>
            {
                foreach (var w in result.Warnings.Where(w => !string.Equals(w, sourceWarning, StringComparison.Ordinal)))
                {
                    WriteWarning(w);
                }
                WriteObject(OutputFactory.Restore(result));
            });
    }

    private static string Describe(TableRestoreResult plan, string where)
    {
        var counts = $"backup rows {plan.BackupRows?.ToString() ?? "?"}, live rows {(plan.LiveTableExisted ? plan.LiveRowsBefore?.ToString() : "none (the table does not exist)")}";
        var mode = plan.Mode switch
        {
            TableRestoreMode.Staging => "load it into a new schema beside the live table (the live table is not changed)",
            TableRestoreMode.MissingRows => "insert the backup's rows whose primary key is missing from the live table, in one transaction",
            _ => "put the backup's table in place of the live one, in one transaction",
        };
        return $"Restore {plan.Table} from {plan.BackupFile} into {where}: {mode}; {counts}. Steps:" + Environment.NewLine +
               string.Join(Environment.NewLine, plan.Steps.Select(s => "    " + s.Replace("\n", " ", StringComparison.Ordinal)));
    }
}
