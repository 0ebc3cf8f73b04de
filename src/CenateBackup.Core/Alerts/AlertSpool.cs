using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Alerts;

/// <summary>
/// One alert that could not be delivered. Only data is kept: where it goes and with which credential come from the
/// current parameters when it is finally sent, never from this file (ARCHITECTURE "Trust"); the target is
/// informational.
/// </summary>
public sealed record AlertSpoolEntry
{
    /// <summary>Mail or Webhook.</summary>
    public required AlertChannelKind Channel { get; init; }
    /// <summary>The redacted target it was meant for (informational).</summary>
    public string Target { get; init; } = "";
    /// <summary>When it was queued.</summary>
    public required DateTimeOffset QueuedAt { get; init; }
    /// <summary>The run, as data; composed again (delayed) when sent.</summary>
    public required AlertRun Run { get; init; }
    /// <summary>Its change at the time.</summary>
    public AlertChange Change { get; init; }
    /// <summary>Failed attempts to send it that were not the channel being down (dropped after
    /// <see cref="AlertSpool.MaxAttempts"/>).</summary>
    public int Attempts { get; init; }

    /// <summary>Why this entry (read from a file anyone may have damaged) cannot be composed, or null.</summary>
    internal string? Problem()
    {
        if (Channel is not (AlertChannelKind.Mail or AlertChannelKind.Webhook)) return "an unknown channel";
        if (!Enum.IsDefined(Change)) return "an unknown change";
        if (Run is null) return "no run";
        if (string.IsNullOrWhiteSpace(Run.Host) || string.IsNullOrWhiteSpace(Run.Job)) return "no host or job";
        if (Run.Items is null) return "no items";
        if (Run.OmittedFailures < 0 || Run.OmittedOthers < 0 || Attempts < 0) return "a negative count";
        foreach (var item in Run.Items)
        {
            if (item is null || item.Kind is null || item.Subject is null || item.Message is null
                || !Enum.IsDefined(item.Status)) return "an item that is not one";
        }
        return Run.LastGoodBackup is { } g && (g.Database is null || g.Stamp is null) ? "a damaged last good backup"
            : null;
    }
}

/// <summary>
/// The spool file <c>&lt;StateDirectory&gt;/&lt;Job&gt;.spool.json</c> (0600, written atomically): alerts that could
/// not be delivered, sent first (oldest first) with the next alert on the same kind of channel. At most
/// <see cref="MaxPerChannel"/> per channel; the oldest are dropped with a warning. A damaged file is renamed
/// <c>&lt;name&gt;.corrupt-&lt;stamp&gt;</c> (kept for the admin) and the spool starts empty.
/// </summary>
public sealed class AlertSpool
{
    /// <summary>Most entries kept per channel kind.</summary>
    public const int MaxPerChannel = 20;

    /// <summary>Failed attempts (the server refusing this one message, not the channel being down) after which an
    /// entry is dropped, so one message a server always refuses cannot block the channel.</summary>
    public const int MaxAttempts = 3;

    private readonly List<AlertSpoolEntry> _entries;

    private AlertSpool(string path, List<AlertSpoolEntry> entries)
    {
        Path = path;
        _entries = entries;
    }

    /// <summary>The spool file.</summary>
    public string Path { get; }

    /// <summary>True when entries were added or removed since it was loaded.</summary>
    public bool Changed { get; private set; }

    /// <summary>Every entry, oldest first.</summary>
    public IReadOnlyList<AlertSpoolEntry> Entries => _entries;

    /// <summary>The spool file of <paramref name="job"/>.</summary>
    public static string PathOf(string stateDirectory, string job) => System.IO.Path.Combine(stateDirectory, job
        + ".spool.json");

    /// <summary>A spool that is neither read nor written (the state directory cannot be trusted or locked): what
    /// fails in this run is not kept.</summary>
    public static AlertSpool Detached(string path) => new(path, new List<AlertSpoolEntry>()) { IsDetached = true };

    /// <summary>True for a <see cref="Detached"/> spool.</summary>
    public bool IsDetached { get; private init; }

    /// <summary>
    /// Loads the spool (empty when there is none). Never throws for what is in or around the file: an unreadable file
    /// is a warning and an empty, detached spool (it is not overwritten); entries that cannot be composed are dropped
    /// with a warning; a file with no usable entry is set aside as <c>&lt;name&gt;.corrupt-&lt;stamp&gt;</c>.
    /// </summary>
    public static AlertSpool Load(string path, Func<DateTimeOffset> clock, Action<string> warn)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return new AlertSpool(path, new List<AlertSpoolEntry>());
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            warn(Messages.Format("Warning.AlertSpool.Unreadable", path, ex.Message));
            return Detached(path);
        }
        try
        {
            var doc = JsonSerializer.Deserialize<Document>(bytes, AlertFileWriter.Json);
            if (doc is null || doc.SchemaVersion != 1
                || doc.Entries is null) throw new JsonException("not a spool document");
            var entries = new List<AlertSpoolEntry>();
            foreach (var element in doc.Entries)
            {
                var (entry, problem) = Parse(element);
                if (entry is not null) entries.Add(entry);
                else warn(Messages.Format("Warning.AlertSpool.BadEntry", path, problem));
            }
            if (entries.Count == 0 && doc.Entries.Count > 0) throw new JsonException("no usable entry");
            return new AlertSpool(path, entries.OrderBy(e => e.QueuedAt).ToList())
            {
                Changed = entries.Count != doc.Entries.Count,
            };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var aside = path + ".corrupt-" + clock().UtcDateTime.ToString("yyyyMMdd_HHmmss",
                System.Globalization.CultureInfo.InvariantCulture);
            try { File.Move(path, aside, overwrite: true); }
            catch (Exception moveEx) when (moveEx is IOException or UnauthorizedAccessException) { aside = path; }
            warn(Messages.Format("Warning.AlertSpool.Damaged", path, ex.GetType().Name, aside));
            return new AlertSpool(path, new List<AlertSpoolEntry>()) { Changed = aside != path };
        }
    }

    private static (AlertSpoolEntry? Entry, string? Problem) Parse(JsonElement element)
    {
        try
        {
            var entry = element.Deserialize<AlertSpoolEntry>(AlertFileWriter.Json);
            if (entry is null) return (null, "null");
            var problem = entry.Problem();
            return problem is null ? (entry, null) : (null, problem);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException
            or ArgumentException)
        {
            return (null, ex.GetType().Name);
        }
    }
    /// <summary>The entries of one channel kind, oldest first.</summary>
    public IReadOnlyList<AlertSpoolEntry> For(AlertChannelKind kind) => _entries.Where(e => e.Channel == kind).ToList();

    /// <summary>Puts <paramref name="updated"/> in the place of <paramref name="entry"/>.</summary>
    public void Replace(AlertSpoolEntry entry, AlertSpoolEntry updated)
    {
        var index = _entries.IndexOf(entry);
        if (index < 0) return;
        _entries[index] = updated;
        Changed = true;
    }

    /// <summary>Removes a delivered entry.</summary>
    public void Remove(AlertSpoolEntry entry)
    {
        if (_entries.Remove(entry)) Changed = true;
    }

    /// <summary>Appends an undelivered alert; drops the oldest of its channel beyond <see
    /// cref="MaxPerChannel"/>.</summary>
    public void Add(AlertSpoolEntry entry, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // 100,000 piped errors are kept as 50 + a count, not as a 45 MB spool.
        entry = entry with { Run = entry.Run.Bounded() };
        _entries.Add(entry);
        Changed = true;
        var ofKind = _entries.Where(e => e.Channel == entry.Channel).OrderBy(e => e.QueuedAt).ToList();
        foreach (var old in ofKind.Take(Math.Max(0, ofKind.Count - MaxPerChannel)))
        {
            _entries.Remove(old);
            warn(Messages.Format("Warning.AlertSpool.Full", Path, MaxPerChannel, entry.Channel,
                old.QueuedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm",
                    System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>Writes the spool atomically (0600); an empty spool removes the file.</summary>
    public void Save()
    {
        if (IsDetached) return;
        if (_entries.Count == 0)
        {
            if (File.Exists(Path)) File.Delete(Path);
        }
        else
        {
            AlertFileWriter.EnsureDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            var doc = new Dictionary<string, object>
            {
                ["schemaVersion"] = 1, ["entries"] = _entries.OrderBy(e => e.QueuedAt).ToList(),
            };
            AlertFileWriter.Write(Path, JsonSerializer.Serialize(doc, AlertFileWriter.Json));
        }
        Changed = false;
    }

    private sealed class Document
    {
        public int SchemaVersion { get; set; }
        public List<JsonElement>? Entries { get; set; }
    }
}
