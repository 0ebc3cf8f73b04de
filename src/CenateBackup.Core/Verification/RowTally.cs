using System;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Storage;

namespace CenateBackup.Core.Verification;

/// <summary>
/// Counts data rows of a CSV export (records after the header) or of a data-only SQL script (lines of its COPY blocks).
/// </summary>
internal sealed class RowTally
{
    private readonly BackupFileKind _kind;
    private readonly CsvRecordCounter _csv = new();
    private readonly byte[] _line = new byte[16];
    private int _lineLength;
    private bool _inCopy;
    private long _sqlRows;
    private bool _lastWasNewline = true;

    public RowTally(BackupFileKind kind) => _kind = kind;

    public void Add(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        _lastWasNewline = data[^1] == (byte)'\n';
        if (_kind == BackupFileKind.Csv) { _csv.Add(data); return; }
        if (_kind != BackupFileKind.Sql) return;
        // SQL: lines between "COPY … FROM stdin;" and "\." are rows. Only line starts matter: keep a line's first
        // bytes.
        while (true)
        {
            var nl = data.IndexOf((byte)'\n');
            var part = nl < 0 ? data : data[..nl];
            var take = Math.Min(part.Length, _line.Length - _lineLength);
            part[..take].CopyTo(_line.AsSpan(_lineLength));
            _lineLength += take;
            if (nl < 0) return;
            EndLine();
            _lineLength = 0;
            data = data[(nl + 1)..];
        }
    }

    private void EndLine()
    {
        if (_inCopy)
        {
            if (_lineLength == 2 && _line[0] == (byte)'\\' && _line[1] == (byte)'.') _inCopy = false;
            else _sqlRows++;
        }
        else if (_lineLength >= 5 && _line[0] == (byte)'C' && _line[1] == (byte)'O' && _line[2] == (byte)'P'
            && _line[3] == (byte)'Y' && _line[4] == (byte)' ')
        {
            _inCopy = true;
        }
    }

    public VerificationProblem? Judge(string name, long? expected)
    {
        if (_kind == BackupFileKind.Csv && (_csv.InQuotes || !_lastWasNewline))
            return new VerificationProblem(ProblemKind.Truncated, name, "the CSV ends in the middle of a record");
        if (_kind == BackupFileKind.Sql && _inCopy)
        {
            return new VerificationProblem(ProblemKind.Truncated, name,
                "the SQL script ends inside its COPY data (no end marker)");
        }
        if (expected is null || _kind is not (BackupFileKind.Csv or BackupFileKind.Sql)) return null;
        var actual = _kind == BackupFileKind.Csv ? Math.Max(0, _csv.Records - 1) : _sqlRows;
        return actual == expected ? null
            : new VerificationProblem(ProblemKind.RowCountMismatch, name,
                $"{actual} rows in the file, the manifest says {expected}");
    }
}
