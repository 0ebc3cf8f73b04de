using System;
using System.Linq;
using System.Management.Automation;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Lists the backup sets of a directory from their manifests.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CenateBackup")]
[OutputType(typeof(CenateBackupSet), typeof(CenateBackupFile))]
public sealed class GetCenateBackupCommand : BackupStoreCmdletBase
{
    /// <inheritdoc />
    protected override int ProgressActivityId => 43;

    /// <summary>Backup directory (or directories).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Directory", "PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Only sets of this database.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>
    /// Only sets of these kinds: Full (the whole database with schema), Tables, DataOnly, Exports, or Any. Default:
    /// every kind, except with -Newest, which counts full database sets only unless -Kind says otherwise.
    /// </summary>
    [Parameter]
    [ValidateSet("Full", "Tables", "DataOnly", "Exports", "Base", "Any")]
    public string[]? Kind { get; set; }

    /// <summary>Only the newest N sets (per directory); full database sets unless -Kind is given.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Newest { get; set; }

    /// <summary>Only sets recorded at or after this time.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Only sets whose last verification passed.</summary>
    [Parameter]
    public SwitchParameter Verified { get; set; }

    /// <summary>Also list files that belong to no manifest (never touched by the module).</summary>
    [Parameter]
    public SwitchParameter IncludeOrphans { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            string directory = p;
            CatalogScan scan;
            try
            {
                var location = ParseLocation(p);
                var store = OpenStore(location);
                directory = store.Location;
                scan = store.IsRemote ? RunCore((_, token) => System.Threading.Tasks.Task.Run(() =>
                {
                    store.RequireExists();
                    return store.Scan();
                }, token)) : store.Scan();
            }
            catch (CenateException ex)
            {
                WriteError(ToErrorRecord(ex, directory));
                continue;
            }
            foreach (var damaged in scan.Damaged) WriteError(ToErrorRecord(damaged, damaged.Target));
            var since = Since is DateTime s ? new DateTimeOffset(s.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(s, DateTimeKind.Local) : s) : (DateTimeOffset?)null;
            var kinds = SetKindFilter.Parse(Kind, Newest > 0);
            var sets = scan.Sets
                .Where(e => Database is null || string.Equals(e.Manifest.Database, Database, StringComparison.Ordinal))
                .Where(e => kinds is null || kinds.Contains(e.Kind))
                .Where(e => since is null || e.Time >= since)
                .Where(e => !Verified || e.Verified)
                .OrderBy(e => e.Time).ThenBy(e => e.ManifestPath, StringComparer.Ordinal)
                .ToList();
            if (Newest > 0)
            {
                if (sets.Count < Newest && Kind is null)
                {
                    var others = scan.Sets.Count(e => e.Kind != BackupSetKind.Full && (Database is null || string.Equals(e.Manifest.Database, Database, StringComparison.Ordinal)));
                    if (others > 0)
                        WriteWarning(Messages.Format("Warning.GetCenateBackupCommand", directory, sets.Count, others));
                }
                sets = sets.Skip(Math.Max(0, sets.Count - Newest)).ToList();
            }
            foreach (var e in sets) WriteObject(OutputFactory.BackupSet(e));
            if (IncludeOrphans)
            {
                foreach (var o in scan.Orphans) WriteObject(OutputFactory.Orphan(o));
            }
        }
    }
}
