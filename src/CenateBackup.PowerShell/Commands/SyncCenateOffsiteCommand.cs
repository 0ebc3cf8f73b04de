using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Offsite;
using CenateBackup.Core.Offsite.Directories;
using CenateBackup.Core.Storage;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Copies verified backup sets to a USB/NAS disk or an rclone remote (and back), verifying every byte where they land.</para>
/// </summary>
[Cmdlet(VerbsData.Sync, "CenateOffsite", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CenateOffsiteResult))]
public sealed class SyncCenateOffsiteCommand : BackupStoreCmdletBase
{
    private readonly List<(string Text, OffsiteLocation Location, string? Manifest)> _sources = new();

    /// <inheritdoc />
    protected override int ProgressActivityId => 46;

    /// <summary>
    /// Where the sets are: the backup directory, a USB/NAS target, or a remote "name:path" (the way back); or a set's
    /// manifest (Get-CenateBackup's and New-CenateDump's output binds here by its Path).
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "Source")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Where they go: a USB/NAS directory prepared with Initialize-CenateOffsiteTarget, a remote "name:path", or (for sets brought back) a directory.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Only the newest N eligible sets.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Newest { get; set; }

    /// <summary>Only sets recorded at or after this time.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Only the sets with these stamps (yyyyMMdd_HHmmss, UTC, as Get-CenateBackup shows them).</summary>
    [Parameter]
    [ValidatePattern(@"^\d{8}_\d{6}$")]
    public string[]? Stamp { get; set; }

    /// <summary>Only sets of this database.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Also copy tables, data-only and export sets (default: full database sets only).</summary>
    [Parameter]
    public SwitchParameter IncludePartial { get; set; }

    /// <summary>A USB/NAS destination must be on the file system mounted exactly here (e.g. /mnt/backup-externo).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RequireMountPoint { get; set; }

    /// <summary>A USB/NAS destination's marker must carry one of these labels (the disks of a rotation).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Label { get; set; }

    /// <summary>How long a USB/NAS destination may take to answer a probe before it counts as unresponsive (default 30s).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan TargetTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for the directories' locks (running backups, retention).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The WAL archive (Start-CenateWalArchive -Path) to copy too, into &lt;Destination&gt;/wal, after the sets: without it an
    /// offsite base backup brings the cluster back only to the end of that backup. Complete segments, timeline histories
    /// and the archive's marker that the destination lacks are copied and checked where they land (one more result, Kind
    /// Wal); a file there of another size is never overwritten (RemoteFileConflict); nothing is deleted there.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WalPath { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var text in Path)
        {
            try
            {
                var manifest = text.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase) ? BackupNaming.FileNameOf(text) : null;
                var where = manifest is null ? text : text[..^manifest.Length].TrimEnd('/');
                _sources.Add((text, ParseLocation(where.Length == 0 ? "." : where), manifest));
            }
            catch (Exception ex) when (ex is not PipelineStoppedException)
            {
                WriteError(ToErrorRecord(ex, text));
            }
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_sources.Count == 0) return;
        OffsiteLocation destination;
        try
        {
            destination = ParseLocation(Destination);
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            ThrowTerminatingError(ToErrorRecord(ex, Destination));
            return;
        }
        // Sets piped one by one are copied in one run per source: one plan, one lock, one progress bar.
        foreach (var group in _sources.GroupBy(s => s.Location.ToString(), StringComparer.Ordinal))
        {
            var manifests = group.Any(s => s.Manifest is null) ? null : group.Select(s => s.Manifest!).Distinct().ToList();
            Sync(group.First().Location, destination, manifests);
        }
    }

    private void Sync(OffsiteLocation source, OffsiteLocation destination, IReadOnlyList<string>? manifests)
    {
        var request = new OffsiteSyncRequest
        {
            Source = source,
            Destination = destination,
            Rclone = Rclone,
            Newest = Newest,
            Since = Since is DateTime s ? new DateTimeOffset(s.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(s, DateTimeKind.Local) : s) : null,
            Stamps = Stamp,
            Manifests = manifests,
            Database = Database,
            IncludePartial = IncludePartial,
            Target = new DirectoryTargetRequirements
            {
                RequireMountPoint = RequireMountPoint is null ? null : GetUnresolvedProviderPathFromPSPath(RequireMountPoint),
                Labels = Label,
                Timeout = TargetTimeout,
            },
            LockTimeout = LockTimeout,
        };
        OffsiteSyncPlan plan;
        try
        {
            plan = RunCore((reporter, token) => OffsiteSyncPlanner.PlanAsync(request, reporter, token));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            WriteError(ToErrorRecord(ex, destination.Text));
            return;
        }
        // The results go down the pipeline only after the locks are released: a Test-CenateBackup downstream records
        // its result in the copy's manifest under the destination's lock.
        var outcomes = new List<OffsiteSetOutcome>();
        using (plan)
        {
            foreach (var settled in plan.Settled)
            {
                // A set that cannot go is an error too, so -ErrorAction Stop stops a script.
                if (settled.Error is { } refused) WriteError(ToErrorRecord(refused, settled.Set.ManifestPath));
                outcomes.Add(settled);
            }
            foreach (var item in plan.ToCopy)
            {
                var target = plan.DestinationPathOf(item);
                var action = Messages.Format("Question.SyncCenateOffsite", item.Set.Manifest.Files.Count,
                    (item.Bytes / 1048576.0).ToString("0.0", CultureInfo.CurrentCulture), item.Reason);
                if (!ShouldProcess(target, action))
                {
                    outcomes.Add(new OffsiteSetOutcome(item.Set, OffsiteStatus.WouldCopy, target, 0, TimeSpan.Zero, null, item.Reason, null));
                    continue;
                }
                try
                {
                    outcomes.Add(RunCore((reporter, token) => OffsiteSetCopier.CopyAsync(plan, item, reporter, token)));
                }
                catch (Exception ex) when (ex is not PipelineStoppedException)
                {
                    var error = ex as CenateException ?? (ex.InnerException as CenateException);
                    var record = ToErrorRecord(ex, target);
                    WriteError(record);
                    outcomes.Add(new OffsiteSetOutcome(item.Set, OffsiteStatus.Failed, "", 0, TimeSpan.Zero, null,
                        record.Exception.Message, error ?? new CenateException(record.FullyQualifiedErrorId.Split(',')[0],
                            CenateErrorKind.WriteError, record.Exception.Message, "", target)));
                }
            }
        }
        foreach (var outcome in outcomes.OrderBy(o => o.Set.Time).ThenBy(o => o.Set.ManifestPath, StringComparer.Ordinal))
        {
            Write(outcome, destination);
        }
        if (WalPath is not null) SyncWal(destination);
    }

    /// <summary>The WAL archive after the sets (once per destination, whatever the number of sources).</summary>
    private void SyncWal(OffsiteLocation destination)
    {
        if (!_walDone.Add(destination.ToString())) return;
        var wal = GetUnresolvedProviderPathFromPSPath(WalPath!);
        try
        {
            var plan = RunCore((reporter, token) => OffsiteWalSync.PlanAsync(wal, destination, Rclone, token));
            var question = OffsiteWalSync.Question(plan);
            var outcome = question is not null && ShouldProcess(plan.Target, question)
                ? RunCore((reporter, token) => OffsiteWalSync.CopyAsync(plan, Rclone, reporter, token))
                : OffsiteWalSync.Unchanged(plan);
            if (outcome.Error is { } error) WriteError(ToErrorRecord(error, outcome.Destination));
            WriteObject(OutputFactory.OffsiteWal(outcome, wal, destination.ToString()));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            WriteError(ToErrorRecord(ex, wal));
        }
    }

    private readonly HashSet<string> _walDone = new(StringComparer.Ordinal);

    private void Write(OffsiteSetOutcome outcome, OffsiteLocation destination) =>
        WriteObject(OutputFactory.Offsite(outcome, destination.ToString()));
}
