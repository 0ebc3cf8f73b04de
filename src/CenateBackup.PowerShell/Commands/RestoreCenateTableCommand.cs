using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Restores;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

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
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [Alias("Path", "FullName", "PSPath", "ReferencePath")]
    [ValidateNotNull]
    public object Backup { get; set; } = "";

    /// <summary>
    /// Take the rows from a live database instead of a backup: the container of a point-in-time copy made by
    /// Restore-CenatePointInTime (piping that copy sets this, -FromPort and -FromDatabase). The table is dumped from it into
    /// a private temporary file and restored from there in any -Mode; it logs in with the same role and password as the
    /// target (the copy has the live database's roles). Never the live database itself (RestoreSourceConflict).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FromContainer { get; set; }

    /// <summary>With -FromContainer: the database to read there (default: -Database).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FromDatabase { get; set; }

    /// <summary>With -FromContainer: the port of its server (default: the port a copy made by Restore-CenatePointInTime records, else 5432).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? FromPort { get; set; }

    /// <summary>
    /// The table to restore (default asegurados); schema.table is split when -Schema is not given (a piped
    /// Compare-CenateBackup result binds its Table so).
    /// </summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
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

    /// <summary>
    /// MissingRows only: the primary keys whose missing rows go back, each as text as PostgreSQL prints it — a value
    /// for a one-column key, a list in the key's column order for a composite one. A Compare-CenateBackup result
    /// binds its MissingKeys here. The keys are never shown (verbose, steps, errors): only their number.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("MissingKeys")]
    [AllowEmptyCollection]
    public object[]? Key { get; set; }

    private long _rowDifferencesSkipped;
    private bool _keyGiven;

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // Only the command line's parameters are bound yet: -Key typed by the user, not bound from a piped object.
        _keyGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Key));
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var comparison = Backup as PSObject ?? PSObject.AsPSObject(Backup);
        if (comparison.Properties["ReferencePath"] is null && comparison.Properties["Change"] is not null
            && comparison.Properties["Key"] is not null)
        {
            // A CenateRowDifference of Compare-CenateBackup -IncludeRows: the summary after them carries the key list.
            _rowDifferencesSkipped++;
            return;
        }
        if (NamesNoBackup(comparison)) return;
        var (keyList, keyColumns, fromPipe) = PipedKeys(comparison);
        var keys = KeysOf(comparison, keyList, fromPipe);
        var input = comparison.Properties["ReferencePath"]?.Value is { } referencePath ? referencePath
            : Backup is PSObject ps ? ps.BaseObject : Backup;
        var (fromContainer, fromPort, fromDatabase) = (FromContainer, FromPort, FromDatabase);
        if (input is CenatePointInTimeCopy copy)
        {
            if (FromContainer is not null && FromContainer != copy.Name)
            {
                Refuse(Core.Errors.ErrorIds.RestoreSourceConflict, Messages.Get("LiveSource.Conflict"), Messages.Get("LiveSource.Conflict.Action"));
            }
            (fromContainer, fromPort, fromDatabase) = (copy.Name, FromPort ?? copy.Port, FromDatabase ?? copy.Database);
            input = "";
        }
        var noBackup = input is null || (input is string text && text.Length == 0);
        if (fromContainer is not null && !noBackup)
        {
            Refuse(Core.Errors.ErrorIds.RestoreSourceConflict, Messages.Get("LiveSource.Conflict"), Messages.Get("LiveSource.Conflict.Action"));
        }
        if (fromContainer is null && noBackup)
        {
            Refuse(Core.Errors.ErrorIds.PathNotFound, Messages.Get("LiveSource.Missing"), Messages.Get("LiveSource.Missing.Action"));
        }
        if (fromContainer is not null && fromPort is null)
        {
            // A copy made by Restore-CenatePointInTime says its own port (a label); anything else: 5432.
            fromPort = RunCore((_, token) => Core.Pitr.PointInTimeService.CopyPortAsync(DockerHost, fromContainer, token));
        }
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
            path = fromContainer is not null ? "" : GetUnresolvedProviderPathFromPSPath(given);
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
        var (schema, table) = Schema is null && Table.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot
            && dot < Table.Length - 1 ? (Table[..dot], Table[(dot + 1)..]) : (Schema, Table);
        using var liveSource = new LiveSourceHolderScope();
        var request = new TableRestoreRequest
        {
            Target = target,
            BackupPath = path,
            Table = table,
            Schema = schema,
            Keys = keys,
            KeyColumns = keyColumns,
            Mode = mode,
            From = from,
            DropReplaced = DropReplaced,
            AllowUnverifiedBackup = AllowUnverifiedBackup,
            LockTimeout = LockTimeout,
            Now = DateTimeOffset.UtcNow,
            LiveSource = fromContainer is null ? null : liveSource.Holder,
            SourceDatabase = fromContainer is null ? null
                : new Core.Targets.DatabaseTarget(Core.Targets.ConnectionMode.Container, fromDatabase ?? target.Database, target.User,
                    fromPort ?? Core.Targets.DatabaseTarget.DefaultPort)
                {
                    Container = fromContainer,
                    DockerHost = target.DockerHost,
                    Password = target.Password,
                },
        };
        // The plan first (checks, counts, SQL): -WhatIf shows it, -Confirm asks about it.
        string? sourceWarning = null;
        RunPlanned(fromContainer ?? path,
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

    /// <summary>A piped object with an empty ReferencePath names no backup: an error.</summary>
    private bool NamesNoBackup(PSObject piped)
    {
        if (piped.Properties["ReferencePath"] is { } refProp
            && (refProp.Value is null || (refProp.Value is string rp && string.IsNullOrWhiteSpace(rp))))
        {
            var noBackup = Messages.Get("RestoreNoBackup");
            WriteError(new ErrorRecord(new ArgumentException(noBackup, nameof(Backup)),
                Core.Errors.ErrorIds.PathNotFound, ErrorCategory.InvalidArgument, Table)
            {
                ErrorDetails = new ErrorDetails(noBackup)
                {
                    RecommendedAction = Messages.Get("RestoreNoBackup.Action"),
                },
            });
            return true;
        }
        return false;
    }

    /// <summary>
    /// The keys to restore and, for a piped comparison, its key columns: its MissingKeys (never its Key, which names
    /// columns). With -Mode Staging a comparison's keys are dropped with a warning: the whole table is staged.
    /// </summary>
    private (object[]? Keys, string[]? Columns, bool FromPipe) PipedKeys(PSObject piped)
    {
        var keyList = Key;
        var fromPipe = !_keyGiven && (piped.Properties["MissingKeys"] is not null
            || piped.Properties["Key"] is not null);
        if (fromPipe && piped.Properties["MissingKeys"] is null)
        {
            // Its Key bound -Key by name: for a comparison that is its key COLUMNS, never keys to restore.
            Refuse(Core.Errors.ErrorIds.KeyListInvalid,
                Messages.Get("KeyListInvalid.NoMissingKeys"), KeyAdvice);
        }
        string[]? keyColumns = null;
        if (fromPipe && piped.Properties["MissingKeys"] is { } missing)
        {
            // A comparison's own Key property (its key columns) binds -Key by name before the MissingKeys alias would.
            // A null list restores nothing (never every missing row).
            keyList = missing.Value is null ? Array.Empty<object>()
                : LanguagePrimitives.ConvertTo<object[]>(missing.Value);
            if (piped.Properties["Key"]?.Value is { } columns)
                keyColumns = LanguagePrimitives.ConvertTo<string[]>(columns);
        }
        if (fromPipe && string.Equals(Mode, "Staging", StringComparison.OrdinalIgnoreCase))
        {
            // Staging loads the whole table beside the live one: the comparison's keys choose nothing there.
            WriteWarning(Messages.Get("Warning.RestoreCenateTableCommand"));
            keyList = null;
            keyColumns = null;
        }
        return (keyList, keyColumns, fromPipe);
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_rowDifferencesSkipped > 0)
        {
            WriteWarning(Messages.Format("Warning.RestoreCenateTableCommand.2", _rowDifferencesSkipped));
        }
    }

    /// <summary>
    /// -Key as lists of text (null without -Key), checked before any work: KeyNeedsMissingRows for another mode,
    /// KeyListTruncated for a comparison whose list was cut at -KeyLimit, KeyListInvalid for a value that is no key.
    /// </summary>
    private List<IReadOnlyList<string>>? KeysOf(PSObject piped, object[]? given, bool fromPipe)
    {
        var truncated = piped.Properties["KeysTruncated"]?.Value is { } t && LanguagePrimitives.IsTrue(t);
        if (given is null) return null;
        if (!string.Equals(Mode, "MissingRows", StringComparison.OrdinalIgnoreCase))
        {
            Refuse(Core.Errors.ErrorIds.KeyNeedsMissingRows,
                Messages.Format(fromPipe ? "KeyNeedsMissingRows.Piped" : "KeyNeedsMissingRows.Key", Mode),
                Messages.Get(fromPipe ? "KeyNeedsMissingRows.Action.Piped" : "KeyNeedsMissingRows.Key.Action"));
        }
        if (truncated)
        {
            Refuse(Core.Errors.ErrorIds.KeyListTruncated,
                Messages.Get("KeyListTruncated"), Messages.Get("KeyListTruncated.Action"));
        }
        var keys = new List<IReadOnlyList<string>>(given.Length);
        for (var i = 0; i < given.Length; i++) keys.Add(KeyValues(given[i], i + 1));
        return keys;
    }

    private string[] KeyValues(object? element, int index)
    {
        var value = element is PSObject p ? p.BaseObject : element;
        if (value is string or ValueType) return new[] { KeyText(value, index, 0) };
        if (value is System.Collections.IEnumerable list and not System.Collections.IDictionary)
        {
            var values = new List<string>();
            foreach (var item in list)
                values.Add(KeyText(item is PSObject q ? q.BaseObject : item, index, values.Count + 1));
            return values.ToArray();
        }
        Refuse(Core.Errors.ErrorIds.KeyListInvalid,
            Messages.Format("KeyListInvalid.NotAValue", index, value?.GetType().Name ?? "null"), KeyAdvice);
        return Array.Empty<string>();
    }

    private string KeyText(object? value, int index, int position)
    {
        // Text as given; numbers in the invariant culture (42, 1.5). Both are read as the key column's type.
        if (value is string s) return s;
        if (value is not null and ValueType and not DateTime and not DateTimeOffset and not bool and IConvertible c)
            return c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var where = position == 0 ? Messages.Format("KeyListInvalid.Key", index)
            : Messages.Format("KeyListInvalid.Value", position, index);
        Refuse(Core.Errors.ErrorIds.KeyListInvalid,
            Messages.Format("KeyListInvalid.Type", where, value?.GetType().Name ?? "null"), KeyAdvice);
        return "";
    }

    private static string KeyAdvice => Messages.Get("KeyListInvalid.Action");

    private void Refuse(string errorId, string message, string advice) => ThrowTerminatingError(
        new ErrorRecord(new ArgumentException(message, nameof(Key)), errorId, ErrorCategory.InvalidArgument, Table)
        {
            ErrorDetails = new ErrorDetails(message) { RecommendedAction = advice },
        });

    private static string Describe(TableRestoreResult plan, string where)
    {
        var keys = plan.RequestedKeys;
        var counts = $"backup rows {plan.BackupRows?.ToString() ?? "?"}, live rows {(plan.LiveTableExisted ? plan.LiveRowsBefore?.ToString() : "none (the table does not exist)")}";
        var mode = plan.Mode switch
        {
            TableRestoreMode.Staging => "load it into a new schema beside the live table (the live table is not changed)",
            TableRestoreMode.MissingRows when keys is not null =>
                $"insert the backup's rows of the {keys} keys given with -Key (not shown) that are missing from the " +
                "live table, in one transaction",
            TableRestoreMode.MissingRows => "insert the backup's rows whose primary key is missing from the live table, in one transaction",
            _ => "put the backup's table in place of the live one, in one transaction",
        };
        return $"Restore {plan.Table} from {plan.BackupFile} into {where}: {mode}; {counts}. Steps:" + Environment.NewLine +
               string.Join(Environment.NewLine, plan.Steps.Select(s => "    " + s.Replace("\n", " ", StringComparison.Ordinal)));
    }
}

/// <summary>Disposes a <see cref="LiveSourceHolder"/> (its temporary dump) when ProcessRecord ends, however it ends.</summary>
internal sealed class LiveSourceHolderScope : IDisposable
{
    public LiveSourceHolder Holder { get; } = new();

    public void Dispose() => Holder.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
