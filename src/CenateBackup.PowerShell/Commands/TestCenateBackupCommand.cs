using System;
using System.IO;
using System.Management.Automation;
using CenateBackup.Core.Drift;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Targets;
using CenateBackup.Core.Verification;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Verifies backup sets: checksums, a full read of every file, a restore drill; or monitors a backup directory.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CenateBackup", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CenateVerificationResult))]
[OutputType(typeof(bool))]
public sealed class TestCenateBackupCommand : BackupStoreCmdletBase
{
    private const string PathSet = "Path";
    private const string InputObjectSet = "InputObject";

    /// <inheritdoc />
    protected override int ProgressActivityId => 42;

    /// <summary>Manifest(s), backup file(s) or backup directories (monitoring: the newest complete set there).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>A backup set from New-CenateDump, Export-CenateAseguradosCsv or Get-CenateBackup.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    public CenateBackupSet? InputObject { get; set; }

    /// <summary>
    /// Checksum, Read (default), Restore (Read plus a restore drill into a scratch database), or PointInTime (base backup
    /// sets: Read plus a point-in-time drill — a scratch container recovered from the set and the WAL archive (-WalPath, or
    /// the -Container's archiver) to now minus 5 minutes, every table counted and compared with the live counts, then removed).
    /// </summary>
    [Parameter]
    [ValidateSet("Checksum", "Read", "Restore", "PointInTime")]
    public string Level { get; set; } = "Read";

    /// <summary>Monitoring: the newest complete set must be younger than this (26h, '2d', 90m or a TimeSpan; a bare number is refused).</summary>
    [Parameter]
    [DurationTransformation]
    [ValidateNotNull]
    public TimeSpan? MaxAge { get; set; }

    /// <summary>Monitoring: the newest set's dump must be at least this many bytes (500MB, "1.5GB").</summary>
    [Parameter]
    [SizeTransformation]
    [ValidateRange(0, long.MaxValue)]
    public long? MinimumSize { get; set; }

    /// <summary>
    /// Monitoring: the kinds of set that count (Full, Tables, DataOnly, Exports or Any). Default Full: only a whole-database
    /// backup proves the database is backed up; a directory holding only CSV exports reports NoBackup.
    /// </summary>
    [Parameter]
    [ValidateSet("Full", "Tables", "DataOnly", "Exports", "Base", "Any")]
    public string[]? Kind { get; set; }

    /// <summary>Monitoring: only sets of this database count (a directory may hold several).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Run pg_restore inside this container (the server's own version) instead of locally; also the default drill server.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Container { get; set; }

    /// <summary>Docker endpoint for -Container and -TargetContainer.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DockerHost { get; set; }

    /// <summary>Directory of the local pg_restore; default PATH.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PgBinDirectory { get; set; }

    /// <summary>Restore level: drill on the server in this container (default: -Container as given to the command, else postgres_cenate).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TargetContainer { get; set; }

    /// <summary>Restore level: drill on the server at this host (local pg_restore over TCP) instead of a container.</summary>
    [Parameter]
    [Alias("Host", "Server", "TargetHost", "TargetHostName")]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    /// <summary>Restore level: port of the drill server (in a container: the port of its socket there); default 5432.</summary>
    [Parameter]
    [Alias("TargetPort")]
    [ValidateRange(1, 65535)]
    public int? Port { get; set; }

    /// <summary>Restore level: role for the drill (needs CREATEDB); default PGUSER, else cenate.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>Restore level: credential for the drill server; default PGPASSWORD or ~/.pgpass.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Restore level: name of the scratch database (default cenate_drill_&lt;UTC stamp&gt;_&lt;6 random letters or digits&gt;); it must not exist.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScratchDatabase { get; set; }

    /// <summary>Restore level: keep the scratch database after the drill, for a look by hand.</summary>
    [Parameter]
    public SwitchParameter KeepDatabase { get; set; }

    /// <summary>Drift check: fail when a critical table lost more than this share of its rows since the previous full set ('2%'; a bare number is refused).</summary>
    [Parameter]
    [RowDropPercentTransformation]
    [ValidateRange(0d, 1d)]
    public double? MaxRowDrop { get; set; }

    /// <summary>Drift check: fail when a critical table lost more than this many rows since the previous full set.</summary>
    [Parameter]
    [ValidateRange(0L, long.MaxValue)]
    public long? MaxRowDropCount { get; set; }

    /// <summary>Drift check: the critical tables (schema.table or table; default asegurados in any schema).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Table { get; set; }

    /// <summary>Drift check: a settings .psd1 whose RowDrop key gives per-table thresholds (other keys are ignored).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Settings { get; set; }

    /// <summary>Drift check: also compare the newest set with the live tables now (-Container/-HostName, -Port, -Database…).</summary>
    [Parameter]
    public SwitchParameter Live { get; set; }

    /// <summary>Base sets: the WAL archive directory (Start-CenateWalArchive -Path) that must hold every segment from the backup's end to its newest, without a gap (WalArchiveGap otherwise).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WalPath { get; set; }

    /// <summary>Return only $true or $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    // -Container as given on the command line or by $PSDefaultParameterValues, before any piped object binds it: a set
    // read from a (shared, writable) backup directory must not choose the server the drill logs in to.
    private string? _commandContainer;

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _commandContainer = MyInvocation.BoundParameters.ContainsKey(nameof(Container)) && !string.IsNullOrEmpty(Container) ? Container : null;
        RunTerminating(Settings, () =>
        {
            var settings = Settings is null ? null : GetUnresolvedProviderPathFromPSPath(Settings);
            _driftPolicy = RowDropParameters.Build(MaxRowDrop, MaxRowDropCount, Table, settings, null,
                out var noRowDropKey);
            if (noRowDropKey && _driftPolicy is null)
                WriteWarning(Messages.Format("Warning.TestCenateBackupCommand", settings));
        });
        if (Live && _driftPolicy is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(Messages.Get("LiveNeedsThreshold")),
                ErrorIds.LiveNeedsThreshold, ErrorCategory.InvalidArgument, null));
        }
    }

    private RowDropPolicy? _driftPolicy;

    /// <summary>The drift check's options (null: no threshold given, nothing changes).</summary>
    private RowDriftOptions? DriftOptions(Core.IOperationReporter reporter)
    {
        if (_driftPolicy is null) return null;
        return new RowDriftOptions
        {
            Policy = _driftPolicy,
            LiveCounts = Live ? (database, tables, token) => LiveRowCounter.CountAsync(LiveTarget(database), tables, PgBinDirectory, reporter, token) : null,
        };
    }

    /// <summary>
    /// The PointInTime level's options: the live server as -Live's (the command line's -Container, never a set's manifest,
    /// since the credential goes there), and -WalPath. Null for the other levels.
    /// </summary>
    private Func<VerificationReport, string, Core.Storage.BackupManifest, Core.IOperationReporter, System.Threading.CancellationToken, System.Threading.Tasks.Task>?
        PointInTimeOptions(VerificationLevel level)
    {
        if (level != VerificationLevel.PointInTime) return null;
        var options = new Core.Pitr.PointInTimeDrillOptions
        {
            Target = LiveTarget(Database ?? DatabaseTarget.DefaultDatabase),
            WalPath = WalPath is null ? null : GetUnresolvedProviderPathFromPSPath(WalPath),
        };
        return (report, path, manifest, reporter, token) => Core.Pitr.PointInTimeDrill.ApplyAsync(report, path, manifest, options, reporter, token);
    }

    /// <summary>-Live's server: -HostName, else the command line's -Container (never a piped set's), else postgres_cenate.</summary>
    private DatabaseTarget LiveTarget(string setDatabase)
    {
        var host = HostName is not null;
        return new DatabaseTarget(host ? ConnectionMode.Host : ConnectionMode.Container, Database ?? setDatabase,
            CredentialResolver.User(Credential, UserName), Port ?? DatabaseTarget.DefaultPort)
        {
            Container = host ? null : _commandContainer ?? DatabaseTarget.DefaultContainer,
            DockerHost = host ? null : DockerHost,
            Host = HostName,
            Password = CredentialResolver.Password(Credential),
        };
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            if (IsRemote(InputObject.Path)) VerifyRemote(InputObject.Path);
            // -Container given on the command line wins over the container the set's manifest names (a manifest is data:
            // it does not choose where the tools run).
            else Verify(InputObject.Path, _commandContainer ?? InputObject.Container);
            return;
        }
        foreach (var p in Path)
        {
            if (IsRemote(p))
            {
                VerifyRemote(p);
                continue;
            }
            string resolved;
            try
            {
                resolved = GetUnresolvedProviderPathFromPSPath(p);
            }
            catch (Exception ex) when (ex is not PipelineStoppedException)
            {
                WriteError(new ErrorRecord(ex, ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, p));
                if (Quiet) WriteObject(false);
                continue;
            }
            Verify(resolved, Container);
        }
    }

    private void Verify(string path, string? container)
    {
        container = string.IsNullOrEmpty(container) ? null : container;
        var level = Enum.Parse<VerificationLevel>(Level, ignoreCase: true);
        var tools = new RestoreToolOptions
        {
            Container = container,
            DockerHost = DockerHost,
            PgBinDirectory = PgBinDirectory,
            DrillFor = level == VerificationLevel.Restore ? manifest => DrillOptionsFor(manifest) : null,
            WalPath = WalPath is null ? null : GetUnresolvedProviderPathFromPSPath(WalPath),
            PointInTime = PointInTimeOptions(level),
        };
        var isDirectory = Directory.Exists(path);
        if (level == VerificationLevel.Restore &&
            !ShouldProcess(path, $"Restore drill: restore the dump into a new scratch database on {DescribeDrillServer()}, check it, then {(KeepDatabase ? "keep" : "drop")} it"))
        {
            return;
        }
        if (level == VerificationLevel.PointInTime &&
            !ShouldProcess(path, "Point-in-time drill: recover the base backup and the WAL archive to 5 minutes ago into a new scratch container, count every table, then remove it"))
        {
            return;
        }
        // Checksum/Read only read the set; recording the result in its manifest is the one change, so -WhatIf skips it
        // (the Restore level asked above, for the drill and the record together).
        var record = level is VerificationLevel.Restore or VerificationLevel.PointInTime
            || !(isDirectory || path.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase))
            || ShouldProcess(path, "Record the verification result in the backup set's manifest");
        try
        {
            var report = RunCore((reporter, token) => isDirectory
                ? BackupMonitor.EvaluateAsync(new MonitorRequest { Directory = path, Database = Database, Kinds = SetKindFilter.Parse(Kind, picksNewest: true), MaxAge = MaxAge, MinimumSize = MinimumSize, Level = level, RecordVerification = record, Drift = DriftOptions(reporter) }, tools, reporter, token)
                : VerifyOne(path, level, tools, reporter, token, record));
            var result = OutputFactory.Verification(report, path);
            foreach (var problem in result.Problems) WriteVerbose(problem.ToString());
            if (Quiet) WriteObject(result.Passed);
            else WriteObject(result);
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            // One input failing does not stop the others.
            WriteError(ToErrorRecord(ex, path));
            if (Quiet) WriteObject(false);
        }
    }

    // A remote set or directory: downloaded into a private directory and verified there; nothing is recorded at the remote.
    private void VerifyRemote(string text)
    {
        var level = Enum.Parse<VerificationLevel>(Level, ignoreCase: true);
        var tools = new RestoreToolOptions
        {
            Container = _commandContainer,
            DockerHost = DockerHost,
            PgBinDirectory = PgBinDirectory,
            DrillFor = level == VerificationLevel.Restore ? manifest => DrillOptionsFor(manifest) : null,
            PointInTime = PointInTimeOptions(level),
        };
        if (level == VerificationLevel.PointInTime && !ShouldProcess(text, "Point-in-time drill of a downloaded base backup set"))
        {
            return;
        }
        if (level == VerificationLevel.Restore &&
            !ShouldProcess(text, $"Restore drill: download the set, restore its dump into a new scratch database on {DescribeDrillServer()}, check it, then {(KeepDatabase ? "keep" : "drop")} it"))
        {
            return;
        }
        if (_driftPolicy is not null)
        {
            WriteWarning(Messages.Format("Warning.TestCenateBackupCommand.2", text));
        }
        try
        {
            var location = ParseLocation(text).Remote!;
            var rclone = new Core.Offsite.Rclone.RcloneClient(Rclone);
            var name = BackupNaming.FileNameOf(location.ToString());
            var isFile = location.Path.Length > 0 && (name.EndsWith(".manifest.json", StringComparison.OrdinalIgnoreCase)
                || name.EndsWith(".dump", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                || name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".sql", StringComparison.OrdinalIgnoreCase));
            var report = RunCore((reporter, token) =>
            {
                if (isFile)
                {
                    var cut = location.Path.LastIndexOf('/');
                    var directory = new Core.Offsite.Rclone.RemoteLocation(location.Remote, cut < 0 ? "" : location.Path[..cut]);
                    return VerifyRemoteSet(rclone, directory, name, level, tools, reporter, token);
                }
                var request = new MonitorRequest { Directory = text, Database = Database, Kinds = SetKindFilter.Parse(Kind, picksNewest: true), MaxAge = MaxAge, MinimumSize = MinimumSize, Level = level };
                return Core.Offsite.RemoteSetVerifier.MonitorAsync(rclone, location, request, tools, reporter, token);
            });
            var result = OutputFactory.Verification(report, text);
            foreach (var problem in result.Problems) WriteVerbose(problem.ToString());
            if (Quiet) WriteObject(result.Passed);
            else WriteObject(result);
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            WriteError(ToErrorRecord(ex, text));
            if (Quiet) WriteObject(false);
        }
    }

    private async System.Threading.Tasks.Task<VerificationReport> VerifyRemoteSet(Core.Offsite.Rclone.RcloneClient rclone,
        Core.Offsite.Rclone.RemoteLocation directory, string name, VerificationLevel level, RestoreToolOptions tools,
        Core.IOperationReporter reporter, System.Threading.CancellationToken token)
    {
        var report = await Core.Offsite.RemoteSetVerifier.VerifyAsync(rclone, directory, name, level, tools, reporter, token).ConfigureAwait(false);
        if (MaxAge is not null || MinimumSize is not null) BackupMonitor.ApplyLimits(report, MaxAge, MinimumSize);
        return report;
    }

    private async System.Threading.Tasks.Task<VerificationReport> VerifyOne(string path, VerificationLevel level, RestoreToolOptions tools,
        Core.IOperationReporter reporter, System.Threading.CancellationToken token, bool record)
    {
        var report = await VerificationService.VerifyPathAsync(path, level, tools, reporter, token, record, DriftOptions(reporter))
            .ConfigureAwait(false);
        if (MaxAge is not null || MinimumSize is not null) BackupMonitor.ApplyLimits(report, MaxAge, MinimumSize);
        return report;
    }

    private string DescribeDrillServer()
    {
        var server = DrillServer(null);
        return server.Mode == ConnectionMode.Host ? $"{server.Host}:{server.Port}" : $"container '{server.Container}' (port {server.Port})";
    }

    /// <summary>The drill server, from the parameters only (see <see cref="DrillServerChoice"/>).</summary>
    private DatabaseTarget DrillServer(string? password) => DrillServerChoice.Choose(HostName, TargetContainer, _commandContainer,
        DockerHost, Port, CredentialResolver.User(Credential, UserName), password);

    private DrillOptions DrillOptionsFor(BackupManifest? manifest)
    {
        return new DrillOptions
        {
            Server = DrillServer(CredentialResolver.Password(Credential)),
            ScratchDatabase = ScratchDatabase,
            KeepDatabase = KeepDatabase,
            PgBinDirectory = PgBinDirectory,
            Protected = manifest is null ? Array.Empty<string>() : new[] { manifest.Database },
        };
    }
}
