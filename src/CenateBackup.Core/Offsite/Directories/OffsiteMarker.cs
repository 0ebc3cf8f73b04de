using System;
using System.IO;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Offsite.Directories;

/// <summary>
/// The file that names an offsite directory target (".cenate-offsite.json", 0600, JSON): a GUID and a label written
/// once by Initialize-CenateOffsiteTarget. It lives on the disk itself, so the disk that is mounted can be told from
/// another disk, and from the empty directory left on the system disk when no disk is mounted.
/// </summary>
public sealed class OffsiteMarker
{
    /// <summary>The marker's file name in the target directory.</summary>
    public const string FileName = BackupCatalog.OffsiteMarkerFileName;

    /// <summary>What a label may look like: a letter or digit first, then letters, digits, space, '.', '_',
    /// '-'.</summary>
    public const string LabelPattern = @"^[\p{L}\p{N}][\p{L}\p{N} ._\-]{0,63}\z";

    // A marker is a few hundred bytes; anything much larger is not ours and is not read into memory.
    private const int MaxBytes = 64 * 1024;
    private static readonly Regex s_label = new(LabelPattern, RegexOptions.CultureInvariant);
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private OffsiteMarker(Guid id, string label, DateTimeOffset createdAt, string createdOn, string tool)
    {
        Id = id;
        Label = label;
        CreatedAt = createdAt;
        CreatedOn = createdOn;
        Tool = tool;
    }

    /// <summary>The target's identity (new for every initialised directory).</summary>
    public Guid Id { get; }
    /// <summary>The admin's name for the disk ("usb-a", "nas-sede").</summary>
    public string Label { get; }
    /// <summary>When the marker was written (UTC).</summary>
    public DateTimeOffset CreatedAt { get; }
    /// <summary>Host that wrote it.</summary>
    public string CreatedOn { get; }
    /// <summary>Module and version that wrote it.</summary>
    public string Tool { get; }

    /// <summary>True when <paramref name="label"/> is an acceptable label.</summary>
    public static bool IsValidLabel(string? label) => label is not null && s_label.IsMatch(label);

    /// <summary>
    /// The marker of <paramref name="directory"/>; null when there is none. A marker that cannot be read, is not
    /// JSON, is not a regular file (a symlink is never followed) or lacks its id or label: TargetMarkerMismatch.
    /// </summary>
    public static OffsiteMarker? TryLoad(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            return Directory.Exists(path)
                ? throw Unreadable(path, Messages.Get("TargetMarkerUnreadable.Directory")) : null;
        }
        if (info.LinkTarget is not null) throw Unreadable(path, Messages.Get("TargetMarkerUnreadable.Link"));
        if (info.Length > MaxBytes) throw Unreadable(path, Messages.Format("TargetMarkerUnreadable.Size", info.Length));
        Document? doc;
        try
        {
            doc = JsonSerializer.Deserialize<Document>(File.ReadAllBytes(path), s_json);
        }
        catch (JsonException ex)
        {
            throw Unreadable(path, Messages.Format("TargetMarkerUnreadable.Json", ex.Message));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, ex.Message);
        }
        if (doc is null || doc.Id == Guid.Empty || !IsValidLabel(doc.Label))
        {
            throw Unreadable(path, "it has no valid id or label");
        }
        return new OffsiteMarker(doc.Id, doc.Label!, doc.CreatedAt, doc.CreatedOn ?? "", doc.Tool ?? "");
    }

    /// <summary>
    /// Writes the marker of <paramref name="directory"/> (atomically, 0600, never replacing one). When the directory
    /// already has a marker: the same label returns it unchanged; another label is TargetAlreadyInitialized.
    /// </summary>
    public static OffsiteMarker Create(string directory, string label)
    {
        if (!IsValidLabel(label))
        {
            throw new ArgumentException($"'{label}' is not a valid label ({LabelPattern}).", nameof(label));
        }
        var existing = TryLoad(directory);
        if (existing is not null) return SameLabelOrThrow(existing, directory, label);
        var marker = new OffsiteMarker(Guid.NewGuid(), label, DateTimeOffset.UtcNow, Environment.MachineName,
            ToolName());
        var finalPath = Path.Combine(directory, FileName);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new Document
        {
            Id = marker.Id, Label = marker.Label, CreatedAt = marker.CreatedAt, CreatedOn = marker.CreatedOn,
            Tool = marker.Tool,
        }, s_json);
        string partial;
        try
        {
            using (var file = PartialFile.Create(finalPath, FileOptions.None, out partial))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
        }
        catch (UnauthorizedAccessException ex)
        {
            throw BackupDirectory.NotWritable(directory, ex);
        }
        try
        {
            // Two runs at once: the first marker wins and the second run judges its label against it.
            if (!NoReplaceRename.TryMove(partial, finalPath))
            {
                return SameLabelOrThrow(TryLoad(directory)!, directory, label);
            }
            DirectorySync.Fsync(directory);
        }
        finally
        {
            try { File.Delete(partial); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return marker;
    }

    internal static OffsiteMarker SameLabelOrThrow(OffsiteMarker existing, string directory, string label) =>
        string.Equals(existing.Label, label, StringComparison.Ordinal)
            ? existing
            : throw new CenateException(ErrorIds.TargetAlreadyInitialized, CenateErrorKind.ResourceExists,
                Messages.Format("TargetAlreadyInitialized", directory, existing.Label, existing.Id, existing.CreatedAt, existing.CreatedOn),
                Messages.Format("TargetAlreadyInitialized.Action", existing.Label), directory);

    private static CenateException Unreadable(string path, string why) => new(ErrorIds.TargetMarkerMismatch,
        CenateErrorKind.InvalidData, Messages.Format("TargetMarkerUnreadable", path, why),
        Messages.Get("TargetMarkerUnreadable.Action"), path);

    private static string ToolName()
    {
        var assembly = typeof(OffsiteMarker).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "";
        return ("CenateBackup " + version).Trim();
    }

    private sealed class Document
    {
        public Guid Id { get; set; }
        public string? Label { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public string? CreatedOn { get; set; }
        public string? Tool { get; set; }
    }
}
