using System.Collections.Generic;

namespace CenateBackup.Core.Database;

/// <summary>A table as an export sees it (see <see cref="SnapshotSession.DescribeTableAsync"/>).</summary>
public sealed record TableShape(
    QualifiedTable Table,
    IReadOnlyList<string> Columns,
    string ServerEncoding,
    long EstimatedRows,
    long TableBytes,
    IReadOnlyList<string> SequenceSetvals)
{
    /// <summary>
    /// True for a partitioned table (relkind 'p', at any level): it holds no rows itself and cannot be the source of
    /// COPY; <see cref="EstimatedRows"/> and <see cref="TableBytes"/> are then the sums over its partitions.
    /// </summary>
    public bool IsPartitioned { get; init; }

    /// <summary>The table's pg_class oid.</summary>
    public uint Oid { get; init; }
}
