using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

namespace CenateBackup.Core.Compare;

/// <summary>A sorted sequence of records, read once.</summary>
internal interface IRecordCursor : IDisposable
{
    /// <summary>Moves to the next record; false at the end.</summary>
    bool MoveNext();

    /// <summary>The current record; valid until the next <see cref="MoveNext"/>.</summary>
    ReadOnlySpan<byte> Current { get; }
}

/// <summary>
/// Sorts records by key in bounded memory: records gather in one arena until it holds <c>runBytes</c> (records plus
/// their index), then that run is sorted and spilled to a 0600 file; at the end the runs are merged as they are read.
/// A side that fits in one run never touches the disk.
/// </summary>
internal sealed class ExternalRecordSorter : IDisposable
{
    private const int EntryBytes = 24;
    private readonly int _keyCount;
    private readonly long _runBytes;
    private readonly SpillDirectory _spill;
    private readonly string _side;
    private readonly List<FileStream> _runs = new();
    private byte[] _arena = new byte[1 << 16];
    private int _used;
    private Entry[] _entries = new Entry[1024];
    private int _count;
    private int _spilled;

    /// <summary>A sorter for records with <paramref name="keyCount"/> key fields; runs of at most <paramref
    /// name="runBytes"/>.</summary>
    public ExternalRecordSorter(int keyCount, long runBytes, SpillDirectory spill, string side)
    {
        _keyCount = keyCount;
        _runBytes = Math.Max(runBytes, 4096);
        _spill = spill;
        _side = side;
    }

    /// <summary>Runs written to disk so far.</summary>
    public int SpilledRuns => _spilled;

    /// <summary>Adds a record (copied).</summary>
    public void Add(ReadOnlySpan<byte> record)
    {
        if (_count > 0 && _used + record.Length + (long)(_count + 1) * EntryBytes > _runBytes) Spill();
        if (_used + record.Length > _arena.Length)
        {
            var size = Math.Max((long)_arena.Length * 2, _used + record.Length);
            Array.Resize(ref _arena, (int)Math.Min(size, Math.Max(_runBytes, _used + record.Length)));
        }
        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        record.CopyTo(_arena.AsSpan(_used));
        var fast = CompareRecord.TryFastKey(record, out var value);
        _entries[_count++] = new Entry(_used, record.Length, value, fast);
        _used += record.Length;
    }

    /// <summary>Ends the input; the records in key order.</summary>
    public IRecordCursor Finish()
    {
        SortRun();
        if (_runs.Count == 0) return new MemoryCursor(_arena, _entries, _count);
        Spill();
        _arena = Array.Empty<byte>();
        _entries = Array.Empty<Entry>();
        var readers = new List<RunReader>();
        foreach (var run in _runs)
        {
            run.Position = 0;
            readers.Add(new RunReader(run));
        }
        _runs.Clear();
        return new MergeCursor(readers, _keyCount);
    }

    private void SortRun() => Array.Sort(_entries, 0, _count, new EntryComparer(_arena, _keyCount));

    private void Spill()
    {
        SortRun();
        var file = _spill.CreateRun(_side);
        _runs.Add(file);
        _spilled++;
        Span<byte> length = stackalloc byte[4];
        for (var i = 0; i < _count; i++)
        {
            var e = _entries[i];
            BinaryPrimitives.WriteInt32LittleEndian(length, e.Length);
            file.Write(length);
            file.Write(_arena, e.Offset, e.Length);
        }
        file.Flush();
        _used = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // A run whose last write failed (a full disk) fails again as it closes: every run is still closed (and so
        // deleted), and the first failure stays the one reported.
        foreach (var run in _runs)
        {
            try { run.Dispose(); }
            catch (IOException) { }
        }
        _runs.Clear();
    }

    private readonly record struct Entry(int Offset, int Length, long Fast, bool HasFast);

    private sealed class EntryComparer : IComparer<Entry>
    {
        private readonly byte[] _arena;
        private readonly int _keyCount;

        public EntryComparer(byte[] arena, int keyCount)
        {
            _arena = arena;
            _keyCount = keyCount;
        }

        public int Compare(Entry a, Entry b)
        {
            if (a.HasFast && b.HasFast && a.Fast != b.Fast) return a.Fast < b.Fast ? -1 : 1;
            return CompareKeyOrder.CompareKeys(_arena.AsSpan(a.Offset, a.Length), _arena.AsSpan(b.Offset, b.Length),
                _keyCount);
        }
    }

    private sealed class MemoryCursor : IRecordCursor
    {
        private readonly byte[] _arena;
        private readonly Entry[] _entries;
        private readonly int _count;
        private int _at = -1;

        public MemoryCursor(byte[] arena, Entry[] entries, int count)
        {
            _arena = arena;
            _entries = entries;
            _count = count;
        }

        public ReadOnlySpan<byte> Current => _arena.AsSpan(_entries[_at].Offset, _entries[_at].Length);

        public bool MoveNext() => ++_at < _count;

        public void Dispose() { }
    }

    /// <summary>Reads one spilled run back, record by record.</summary>
    private sealed class RunReader : IDisposable
    {
        private readonly FileStream _file;
        private byte[] _record = new byte[256];

        public RunReader(FileStream file) => _file = file;

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Current => _record.AsSpan(0, Length);

        public bool MoveNext()
        {
            Span<byte> length = stackalloc byte[4];
            if (_file.ReadAtLeast(length, 4, throwOnEndOfStream: false) < 4) return false;
            Length = BinaryPrimitives.ReadInt32LittleEndian(length);
            if (Length > _record.Length) _record = new byte[Math.Max(Length, _record.Length * 2)];
            _file.ReadExactly(_record, 0, Length);
            return true;
        }

        public void Dispose() => _file.Dispose();
    }

    /// <summary>Merges the runs: the smallest head each time (few runs: a scan beats a heap).</summary>
    private sealed class MergeCursor : IRecordCursor
    {
        private readonly List<RunReader> _live = new();
        private readonly List<RunReader> _all;
        private readonly int _keyCount;
        private RunReader? _current;
        private bool _started;

        public MergeCursor(List<RunReader> readers, int keyCount)
        {
            _all = readers;
            _keyCount = keyCount;
        }

        public ReadOnlySpan<byte> Current => _current!.Current;

        public bool MoveNext()
        {
            if (!_started)
            {
                _started = true;
                foreach (var r in _all) if (r.MoveNext()) _live.Add(r);
            }
            else if (_current is not null && !_current.MoveNext()) _live.Remove(_current);
            if (_live.Count == 0) { _current = null; return false; }
            var best = _live[0];
            for (var i = 1; i < _live.Count; i++)
            {
                if (CompareKeyOrder.CompareKeys(_live[i].Current, best.Current, _keyCount) < 0) best = _live[i];
            }
            _current = best;
            return true;
        }

        public void Dispose()
        {
            foreach (var r in _all) r.Dispose();
        }
    }
}
