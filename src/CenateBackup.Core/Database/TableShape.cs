using System.Collections.Generic;

namespace CenateBackup.Core.Database;

/// <summary>A table as an export sees it (see <see cref="SnapshotSession.DescribeTableAsync"/>).</summary>
public sealed record TableShape(
    QualifiedTable Table,
    IReadOnlyList<string> Columns,
    string ServerEncoding,
    long EstimatedRows,
    long TableBytes,
    IReadOnlyList<string> SequenceSetvals);
