using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Compare;

/// <summary>One side of a comparison: a backup file of a set, or the live table.</summary>
internal abstract class CompareSide : IAsyncDisposable
{
    /// <summary>The set's stamp, or "live".</summary>
    public string Label { get; protected init; } = "";

    /// <summary>The path given (a manifest or a file), or the live table's description.</summary>
    public string GivenPath { get; protected init; } = "";

    /// <summary>The file read (name only), or the live table.</summary>
    public string FileName { get; protected init; } = "";

    /// <summary>The set's manifest, when one vouches for the file.</summary>
    public BackupManifest? Manifest { get; protected init; }

    /// <summary>The table's columns, in this side's order.</summary>
    public IReadOnlyList<string> Columns { get; protected set; } = Array.Empty<string>();

    /// <summary>The table's primary key columns as this side knows them (empty: unknown).</summary>
    public IReadOnlyList<string> PrimaryKey { get; protected set; } = Array.Empty<string>();

    /// <summary>The rows the side's manifest records for the table (null: unknown).</summary>
    public long? ExpectedRows { get; protected set; }

    /// <summary>A warning about the side (an unverified file), or null.</summary>
    public string? Warning { get; protected set; }

    /// <summary>Streams every row to <paramref name="sink"/>; <paramref name="progress"/>: bytes read so far.</summary>
    public abstract Task StreamAsync(CompareSink sink, Action<long> progress, CancellationToken ct);

    /// <summary>Bytes the side will read (0: unknown).</summary>
    public long Size { get; protected init; }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
