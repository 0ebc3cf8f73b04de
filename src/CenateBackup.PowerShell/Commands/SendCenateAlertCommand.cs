using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Reflection;
using System.Threading.Tasks;
using CenateBackup.Core.Alerts;
using CenateBackup.Core.Errors;
using CenateBackup.PowerShell.Output;
using CenateBackup.Core.Resources;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Sends one alert per run (mail, webhook, heartbeat, status file) about what the pipeline
/// reported.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Send, "CenateAlert", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = SendSet)]
[OutputType(typeof(CenateAlertResult))]
public sealed class SendCenateAlertCommand : CenateCmdletBase
{
    private const string SendSet = "Send";
    private const string TestSet = "Test";
    private readonly List<object> _inputs = new();
    private DateTimeOffset _startedAt;
    private bool _whatIf;

    /// <inheritdoc />
    protected override int ProgressActivityId => 51;

#pragma warning disable CS1591 // described in docs/en-US/Send-CenateAlert.md
    [Parameter(ParameterSetName = SendSet, ValueFromPipeline = true)]
    [AllowNull]
    public object? InputObject { get; set; }

    [Parameter(ParameterSetName = TestSet, Mandatory = true)]
    public SwitchParameter Test { get; set; }

    [Parameter]
    [ValidateSet("Failure", "Always", "Change")]
    public string When { get; set; } = "Failure";

    [Parameter]
    [ValidatePattern("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    public string? Job { get; set; }

    [Parameter]
    [ValidateNotNull]
    public CultureInfo? Culture { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan Timeout { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Settings { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StateDirectory { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SmtpServer { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? From { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? To { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Cc { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    [ValidateSet("StartTls", "SslOnConnect", "None", "Auto")]
    public string? Security { get; set; }

    [Parameter]
    public SwitchParameter SkipRevocationCheck { get; set; }

    [Parameter]
    [ValidateThumbprint]
    public string? CertificateThumbprint { get; set; }

    [Parameter]
    [ValidateNotNull]
    [ValidateHttpUri]
    public Uri? WebhookUri { get; set; }

    [Parameter]
    [ValidateSet("Json", "Slack", "Teams", "Telegram")]
    public string WebhookFormat { get; set; } = "Json";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TelegramChatId { get; set; }

    [Parameter]
    [ValidateNotNull]
    [ValidateHttpUri]
    public Uri? HeartbeatUri { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StatusPath { get; set; }
#pragma warning restore CS1591

    /// <inheritdoc />
    protected override void BeginProcessing() => _startedAt = DateTimeOffset.UtcNow;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        // -InputObject $errors (an array) is many things to report, as the same array piped would be.
        var many = InputObject is string ? null : LanguagePrimitives.GetEnumerable(InputObject);
        if (many is null)
        {
            _inputs.Add(InputObject);
            return;
        }
        foreach (var one in many)
        {
            if (one is not null) _inputs.Add(one);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        // What the run reported comes first: a broken alert configuration must still name the run's failure.
        var (items, failedCategories) = Collect(DateTimeOffset.UtcNow);
        AlertConfiguration configuration = null!;
        IReadOnlyList<IAlertChannel> channels = null!;
        try
        {
            configuration = Configure();
            channels = configuration.CreateChannels();
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            var reported = new AlertRun
            {
                Host = Environment.MachineName, Job = Job ?? "", StartedAt = _startedAt, EndedAt = DateTimeOffset.UtcNow,
                Items = items,
            };
            var error = ex is CenateException known ? NamingTheRun(known, reported) : ex;
            ThrowTerminatingError(ToErrorRecord(error, Settings));
        }
        var dispatcher = new AlertDispatcher(channels, configuration.Dispatch, () => DateTimeOffset.UtcNow);
        var version = ModuleVersion();
        if (!Test && items.Count == 0)
        {
            // A monitor whose steps emitted nothing (no backup found, a step that failed before writing anything and
            // whose error was not passed on) must not report success: silence is the failure this cmdlet exists for.
            items.Add(AlertItemFactory.NothingReported(configuration.Dispatch.Job, _inputs.Count));
            failedCategories.Add(ErrorCategory.ObjectNotFound);
        }
        var run = new AlertRun
        {
            Host = Environment.MachineName, Job = configuration.Dispatch.Job, StartedAt = _startedAt,
                EndedAt = DateTimeOffset.UtcNow,
            ModuleVersion = version, Items = Test ? Array.Empty<AlertItem>() : AlertItemFactory.Summarise(items),
        };
        IReadOnlyList<AlertDelivery> deliveries = Array.Empty<AlertDelivery>();
        RunTerminating(null, () =>
        {
            if (Test)
            {
                var approved = Ask(dispatcher.Channels, test: true);
                deliveries = RunCore((_, token) => dispatcher.TestAsync(run, approved.Contains, token));
                return;
            }
            var plan = RunCore((reporter, _) => Task.FromResult(dispatcher.Prepare(run, reporter)));
            var allowed = Ask(dispatcher.Channels, test: false);
            deliveries = RunCore((reporter, token) => dispatcher.DeliverAsync(plan, allowed.Contains, IsWhatIf(),
                reporter, token));
            run = plan.Run;
        });
        foreach (var delivery in deliveries)
        {
            if (delivery.Error is not null)
            {
                WriteError(ToErrorRecord(NamingTheRun(delivery.Error, run), delivery.Target));
            }
            else if (!string.IsNullOrEmpty(delivery.Reason)
                && delivery.Status is AlertDeliveryStatus.Sent) WriteWarning(Messages.Format("Warning.SendCenateAlertCommand", delivery.Channel, delivery.Reason));
            WriteObject(ToResult(delivery));
        }
        if (!Test && run.State == AlertState.Failure) WriteRunFailed(run, failedCategories, deliveries);
    }

    /// <summary>The inputs as alert items (unknown objects are ignored with a verbose line).</summary>
    private (List<AlertItem> Items, List<ErrorCategory?> FailedCategories) Collect(DateTimeOffset now)
    {
        var items = new List<AlertItem>();
        var failedCategories = new List<ErrorCategory?>();
        foreach (var input in _inputs)
        {
            var (item, category) = AlertItemFactory.Create(input, now);
            if (item is null)
            {
                var type = PSObject.AsPSObject(input).BaseObject.GetType().Name;
                WriteVerbose($"Send-CenateAlert ignores a {type}: it is not something the module reports.");
                continue;
            }
            items.Add(item);
            if (item.Status == AlertItemStatus.Failed) failedCategories.Add(category);
        }
        return (items, failedCategories);
    }

    private AlertConfiguration Configure()
    {
        AlertSettings? file = null;
        string? settingsDirectory = null;
        if (Settings is not null)
        {
            var settingsPath = GetUnresolvedProviderPathFromPSPath(Settings);
            settingsDirectory = System.IO.Path.GetDirectoryName(settingsPath);
            file = AlertSettingsReader.Read(settingsPath);
        }
        var bound = MyInvocation.BoundParameters;
        T? If<T>(string name, T value) where T : struct => bound.ContainsKey(name) ? value : null;
        T? Enum<T>(string name, string? value) where T : struct =>
            bound.ContainsKey(name) && value is not null ? System.Enum.Parse<T>(value, ignoreCase: true) : null;
        var explicitSettings = new AlertSettings
        {
            SmtpServer = SmtpServer, Port = If(nameof(Port), Port), From = From, To = To, Cc = Cc,
                Security = Enum<MailSecurity>(nameof(Security), Security),
            SkipRevocationCheck = bound.ContainsKey(nameof(SkipRevocationCheck)) ? SkipRevocationCheck.IsPresent : null,
            CertificateThumbprint = CertificateThumbprint, WebhookUri = WebhookUri,
                WebhookFormat = Enum<WebhookFormat>(nameof(WebhookFormat), WebhookFormat),
            TelegramChatId = TelegramChatId, HeartbeatUri = HeartbeatUri,
            StatusPath = StatusPath is null ? null : GetUnresolvedProviderPathFromPSPath(StatusPath),
            StateDirectory = StateDirectory is null ? null : GetUnresolvedProviderPathFromPSPath(StateDirectory),
            When = Enum<AlertWhen>(nameof(When), When), Job = Job, Culture = Culture, Timeout = If(nameof(Timeout),
                Timeout),
        };
        var settings = explicitSettings.Over(file is null ? null : Relative(file, settingsDirectory!));
        // The credential is looked for only when there is a relay to send it to. When it cannot be had (an unset
        // password variable under cron, a credential file someone made readable), the mail channel fails and spools
        // and the other channels still deliver.
        NetworkCredential? credential = null;
        CenateException? credentialError = null;
        if (settings.SmtpServer is not null)
        {
            try
            {
                credential = Credential?.GetNetworkCredential()
                    ?? (settings.CredentialPath is { } credentialPath
                        ? AlertSettingsReader.ReadCredential(credentialPath) : null)
                    ?? AlertConfiguration.CredentialFromEnvironment(settings);
            }
            catch (CenateException ex) when (ex.ErrorId is ErrorIds.CredentialFileInsecure
                or ErrorIds.CredentialFileInvalid or ErrorIds.PasswordVariableNotSet)
            {
                credentialError = ex;
            }
        }
        var defaultJob = AlertSettings.JobFromScript(MyInvocation.ScriptName);
        return AlertConfiguration.Resolve(settings, credential, defaultJob, CultureInfo.CurrentUICulture)
            with { MailCredentialError = credentialError };
    }

    /// <summary>Relative paths in a settings file are relative to the file, not to wherever the job happens to
    /// start.</summary>
    private static AlertSettings Relative(AlertSettings file, string directory)
    {
        // "~/status.json" means the home directory, as it does on a command line, not "<settings dir>/~".
        static string Home(string p) => p == "~" || p.StartsWith("~/", StringComparison.Ordinal)
            || p.StartsWith("~\\", StringComparison.Ordinal)
            ? System.IO.Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                p[1..].TrimStart('/', '\\'))
            : p;
        string? Full(string? p) => p is null ? null : System.IO.Path.GetFullPath(Home(p), directory);
        return file with { StatusPath = Full(file.StatusPath), StateDirectory = Full(file.StateDirectory),
            CredentialPath = Full(file.CredentialPath) };
    }

    private HashSet<IAlertChannel> Ask(IReadOnlyList<IAlertChannel> channels, bool test)
    {
        var approved = new HashSet<IAlertChannel>();
        foreach (var channel in channels)
        {
            var action = channel.Kind switch
            {
                AlertChannelKind.Heartbeat => test ? "Ping (test)" : "Ping",
                AlertChannelKind.StatusFile => test ? "Check that the status file's directory is writable"
                    : "Write status",
                _ => test ? "Send test alert" : "Send alert",
            };
            var description = $"Performing the operation \"{action}\" on target \"{channel.Target}\".";
            if (ShouldProcess(description, $"{description}\nAre you sure?", "Confirm", out var reason))
            {
                approved.Add(channel);
            }
            else if (reason == ShouldProcessReason.WhatIf)
            {
                _whatIf = true;
            }
        }
        return approved;
    }

    private bool IsWhatIf()
    {
        if (_whatIf) return true;
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && w is SwitchParameter s) return s.IsPresent;
        return GetVariableValue("WhatIfPreference") switch
        {
            bool b => b,
            SwitchParameter sp => sp.IsPresent,
            _ => false,
        };
    }

    /// <summary>
    /// A delivery error of a failed run also names the run's failure: with $ErrorActionPreference = 'Stop' it is the
    /// error that ends the script, before BackupRunFailed can be written, and the cron mail must still say what broke.
    /// </summary>
    private static Exception NamingTheRun(CenateException error, AlertRun run)
    {
        if (run.State != AlertState.Failure) return error;
        return new CenateException(error.ErrorId, error.Kind,
            Messages.Format("SendCenateAlertCommand.Error", error.Message.TrimEnd('.'), run.FirstFailureText()), error.RecommendedAction,
            error.Target, error.InnerException);
    }

    private void WriteRunFailed(AlertRun run, List<ErrorCategory?> categories, IReadOnlyList<AlertDelivery> deliveries)
    {
        var first = run.Failures.First();
        var sentBy = deliveries.Where(d => d.Status == AlertDeliveryStatus.Sent && !d.Delayed).Select(d
            => d.Channel.ToString()).Distinct().ToList();
        var alert = sentBy.Count > 0 ? "sent by " + string.Join(", ", sentBy) : "not sent";
        var exception = new CenateException(ErrorIds.BackupRunFailed, CenateErrorKind.InvalidOperation,
            Messages.Format("BackupRunFailed", run.FirstFailureText(), alert), first.NextStep, first.Subject);
        var category = categories.FirstOrDefault(c => c is not null) ?? ErrorCategory.InvalidResult;
        var record = new ErrorRecord(exception, ErrorIds.BackupRunFailed, category, first.Subject);
        if (first.NextStep is not null)
        {
            record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = first.NextStep };
        }
        WriteError(record);
    }

    private static CenateAlertResult ToResult(AlertDelivery d) => new()
    {
        Channel = d.Channel.ToString(), Target = d.Target, Status = d.Status.ToString(), State = d.State.ToString(),
        Change = d.Change.ToString(), Job = d.Job, Subject = d.Subject, Delayed = d.Delayed, QueuedAt = d.QueuedAt,
            Reply = d.Reply,
        Secure = d.Secure, Protocol = d.Protocol, ErrorId = d.ErrorId, Reason = d.Reason, Spooled = d.Spooled,
            Time = d.Time,
        Duration = d.Duration,
    };

    private static string ModuleVersion()
    {
        var assembly = typeof(SendCenateAlertCommand).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? version[..plus] : version;
    }
}
