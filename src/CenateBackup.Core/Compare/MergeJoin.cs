using System;
using System.Collections.Generic;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Compare;

/// <summary>
/// One pass over the two sides in key order: a key only in the reference is Missing, only in the difference Added, in
/// both with another hash of the compared fields Changed. Two equal keys in a row on one side are DuplicateKey (the
/// error names the side and the key columns, never the value: keys can be personal data).
/// </summary>
internal static class MergeJoin
{
    /// <summary>Joins <paramref name="reference"/> and <paramref name="difference"/> into <paramref
    /// name="result"/>.</summary>
    public static void Run(IRecordCursor reference, IRecordCursor difference, int keyCount, ComparisonResult result,
        int keyLimit, bool includeRows, IReadOnlyList<string>? referenceColumns,
            IReadOnlyList<string>? differenceColumns,
        Action<long>? tick = null)
    {
        var r = new Side(reference, keyCount, "reference", result);
        var d = new Side(difference, keyCount, "difference", result);
        var hasR = r.Next();
        var hasD = d.Next();
        long steps = 0;
        while (hasR || hasD)
        {
            var c = !hasD ? -1 : !hasR ? 1 : CompareKeyOrder.CompareKeys(reference.Current, difference.Current,
                keyCount);
            if (c < 0)
            {
                result.Missing++;
                Note(result.MissingKeys, reference.Current, null, RowChange.Missing);
                hasR = r.Next();
            }
            else if (c > 0)
            {
                result.Added++;
                Note(result.AddedKeys, null, difference.Current, RowChange.Added);
                hasD = d.Next();
            }
            else
            {
                if (CompareRecord.Hash(reference.Current,
                    keyCount).SequenceEqual(CompareRecord.Hash(difference.Current, keyCount)))
                {
                    result.Unchanged++;
                }
                else
                {
                    result.Changed++;
                    Note(result.ChangedKeys, reference.Current, difference.Current, RowChange.Changed);
                }
                hasR = r.Next();
                hasD = d.Next();
            }
            if (tick is not null && (++steps & 0xFFFFF) == 0) tick(steps);
        }

        void Note(List<string?[]> list, ReadOnlySpan<byte> refRecord, ReadOnlySpan<byte> diffRecord, RowChange change)
        {
            var any = change == RowChange.Added ? diffRecord : refRecord;
            var key = CompareRecord.KeyText(any, keyCount);
            // Past the limit only the counts go on: neither the key nor (with -IncludeRows) the row is kept, so memory
            // stays bounded by -KeyLimit.
            if (list.Count >= keyLimit) { result.KeysTruncated = true; return; }
            list.Add(key);
            if (!includeRows) return;
            result.Rows.Add(new RowDifference(change, key,
                change == RowChange.Added ? null : referenceColumns, change == RowChange.Added ? null
                    : CompareRecord.RowText(refRecord, keyCount),
                change == RowChange.Missing ? null : differenceColumns,
                change == RowChange.Missing ? null : CompareRecord.RowText(diffRecord, keyCount)));
        }
    }

    /// <summary>A cursor that counts its rows and refuses a key equal to the one before it.</summary>
    private sealed class Side
    {
        private readonly IRecordCursor _cursor;
        private readonly int _keyCount;
        private readonly string _name;
        private readonly ComparisonResult _result;
        private byte[] _previous = new byte[256];
        private int _previousLength = -1;

        public Side(IRecordCursor cursor, int keyCount, string name, ComparisonResult result)
        {
            _cursor = cursor;
            _keyCount = keyCount;
            _name = name;
            _result = result;
        }

        public bool Next()
        {
            if (!_cursor.MoveNext()) return false;
            var record = _cursor.Current;
            var keyLength = CompareRecord.KeyLength(record, _keyCount);
            if (_previousLength >= 0 && CompareKeyOrder.CompareKeys(_previous.AsSpan(0, _previousLength), record,
                _keyCount) == 0)
            {
                var columns = string.Join(", ", _result.Key);
                throw new CenateException(ErrorIds.DuplicateKey, CenateErrorKind.InvalidData,
                    Messages.Format("DuplicateKey", _name, (_name == "reference" ? _result.ReferenceFile
                        : _result.DifferenceFile), columns),
                    Messages.Get("DuplicateKey.Action"),
                    _result.Table);
            }
            if (keyLength > _previous.Length) _previous = new byte[Math.Max(keyLength, _previous.Length * 2)];
            record[..keyLength].CopyTo(_previous);
            _previousLength = keyLength;
            return true;
        }
    }
}
