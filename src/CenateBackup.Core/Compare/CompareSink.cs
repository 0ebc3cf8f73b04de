using System;
using System.Collections.Generic;
using System.Linq;

namespace CenateBackup.Core.Compare;

/// <summary>
/// Where one side's rows go: each block of rows (a file, a dump's leaf partition, a live COPY) names its columns; its
/// rows are decoded, turned into records by column name (so blocks and sides may order columns otherwise) and sorted.
/// </summary>
internal sealed class CompareSink
{
    private readonly IReadOnlyList<string> _key;
    private readonly IReadOnlyList<string> _compared;
    private readonly IReadOnlyList<string>? _carried;
    private readonly ExternalRecordSorter _sorter;
    private readonly DecodedRow _row = new();

    /// <summary>Key, compared and (with -IncludeRows) carried column names; the sorter the records go to.</summary>
    public CompareSink(IReadOnlyList<string> key, IReadOnlyList<string> compared, IReadOnlyList<string>? carried,
        ExternalRecordSorter sorter)
    {
        _key = key;
        _compared = compared;
        _carried = carried;
        _sorter = sorter;
    }

    /// <summary>Rows read.</summary>
    public long Rows { get; private set; }

    /// <summary>A splitter for a block of rows with <paramref name="columns"/>; <paramref name="csv"/>: CSV, else COPY
    /// text.</summary>
    public RowSplitter Begin(IReadOnlyList<string> columns, bool csv)
    {
        var record = new CompareRecord(CompareRecord.IndexesOf(columns, _key), CompareRecord.IndexesOf(columns,
            _compared),
            _carried is null ? null : CompareRecord.IndexesOf(columns, _carried));
        var width = columns.Count;
        return new RowSplitter(csv, line =>
        {
            if (csv) RowDecoders.Csv(line, _row);
            else RowDecoders.CopyText(line, _row);
            if (_row.Count != width)
            {
                throw new FormatException($"row {Rows + 1} has {_row.Count} fields, the header names {width} columns");
            }
            _sorter.Add(record.Encode(_row));
            Rows++;
        }, Rows);
    }

    /// <summary>The columns both sides have, minus the key: compared in the reference's order.</summary>
    public static List<string> Compared(IReadOnlyList<string> reference, IReadOnlyList<string> difference,
        IReadOnlyList<string> key) =>
        reference.Where(c => difference.Contains(c, StringComparer.Ordinal) && !key.Contains(c,
            StringComparer.Ordinal)).ToList();
}
