using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

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

    /// <summary>Loads the spool (empty when there is none; a damaged one is set aside with a warning).</summary>
    public static AlertSpool Load(string path, Func<DateTimeOffset> clock, Action<string> warn)
    {
        if (!File.Exists(path)) return new AlertSpool(path, new List<AlertSpoolEntry>());
        try
        {
            var doc = JsonSerializer.Deserialize<Document>(File.ReadAllBytes(path), AlertFileWriter.Json);
            if (doc is null || doc.SchemaVersion != 1
                || doc.Entries is null) throw new JsonException("not a spool document");
            var entries = doc.Entries.Where(e => e?.Run is not null
                && e.Channel is AlertChannelKind.Mail or AlertChannelKind.Webhook)
                .OrderBy(e => e.QueuedAt).ToList();
            return new AlertSpool(path, entries);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            var aside = path + ".corrupt-" + clock().UtcDateTime.ToString("yyyyMMdd_HHmmss",
                System.Globalization.CultureInfo.InvariantCulture);
            try { File.Move(path, aside, overwrite: true); }
            catch (Exception moveEx) when (moveEx is IOException or UnauthorizedAccessException) { aside = path; }
            warn($"The alert spool {path} is damaged ({ex.GetType().Name}); it was set aside as {aside} "
                + "and the spool starts empty.");
            return new AlertSpool(path, new List<AlertSpoolEntry>()) { Changed = aside != path };
        }
    }

    /// <summary>The entries of one channel kind, oldest first.</summary>
    public IReadOnlyList<AlertSpoolEntry> For(AlertChannelKind kind) => _entries.Where(e => e.Channel == kind).ToList();

    /// <summary>Removes a delivered entry.</summary>
    public void Remove(AlertSpoolEntry entry)
    {
        if (_entries.Remove(entry)) Changed = true;
    }

    /// <summary>Appends an undelivered alert; drops the oldest of its channel beyond <see
    /// cref="MaxPerChannel"/>.</summary>
    public void Add(AlertSpoolEntry entry, Action<string> warn)
    {
        _entries.Add(entry);
        Changed = true;
        var ofKind = _entries.Where(e => e.Channel == entry.Channel).OrderBy(e => e.QueuedAt).ToList();
        foreach (var old in ofKind.Take(Math.Max(0, ofKind.Count - MaxPerChannel)))
        {
            _entries.Remove(old);
            warn($"The alert spool {Path} holds more than {MaxPerChannel} {entry.Channel} alerts: the one queued at "
                + $"{old.QueuedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC was dropped.");
        }
    }

    /// <summary>Writes the spool atomically (0600); an empty spool removes the file.</summary>
    public void Save()
    {
        if (_entries.Count == 0)
        {
            if (File.Exists(Path)) File.Delete(Path);
        }
        else
        {
            AlertFileWriter.EnsureDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            var doc = new Document { SchemaVersion = 1, Entries = _entries.OrderBy(e => e.QueuedAt).ToList() };
            AlertFileWriter.Write(Path, JsonSerializer.Serialize(doc, AlertFileWriter.Json));
        }
        Changed = false;
    }

    private sealed class Document
    {
        public int SchemaVersion { get; set; }
        public List<AlertSpoolEntry>? Entries { get; set; }
    }
}
