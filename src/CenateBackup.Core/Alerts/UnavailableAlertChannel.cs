using System;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// A channel that is configured but cannot work this run (the SMTP password variable is unset, the credential file
/// is unsafe): every send fails with that reason, so the alert is spooled and the other channels still deliver —
/// a broken credential must not silence the heartbeat, the status file and the chat webhook too.
/// </summary>
public sealed class UnavailableAlertChannel : IAlertChannel
{
    private readonly CenateException _reason;

    /// <summary>A channel of <paramref name="kind"/> to <paramref name="target"/> that fails with <paramref name="reason"/>.</summary>
    public UnavailableAlertChannel(AlertChannelKind kind, string target, CenateException reason)
    {
        Kind = kind;
        Target = target;
        _reason = reason ?? throw new ArgumentNullException(nameof(reason));
    }

    /// <inheritdoc />
    public AlertChannelKind Kind { get; }

    /// <inheritdoc />
    public string Target { get; }

    /// <inheritdoc />
    public bool Spools => Kind is AlertChannelKind.Mail or AlertChannelKind.Webhook;

    /// <inheritdoc />
    public Task<AlertReceipt> SendAsync(AlertMessage message, CancellationToken cancellationToken) =>
        Task.FromException<AlertReceipt>(_reason);
}
