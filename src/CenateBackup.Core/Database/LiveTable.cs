using System.Collections.Generic;

namespace CenateBackup.Core.Database;

/// <summary>What the live database holds of a table, as <see cref="LiveTableReader"/> read it.</summary>
internal sealed class LiveTable
{
    /// <summary>pg_class oid.</summary>
    public uint Oid { get; init; }
    /// <summary>The owning role.</summary>
    public string Owner { get; init; } = "";
    /// <summary>A partition, an inheritance child or a partitioned table: Replace would break the hierarchy.</summary>
    public string? Hierarchy { get; init; }
    /// <summary>A partitioned table (relkind p): rows inserted into it are routed to its partitions.</summary>
    public bool Partitioned { get; init; }
    /// <summary>
    /// Partitioned: each leaf partition (regclass text) and its pg_get_partition_constraintdef (with its ancestors'
    /// bounds; "true" when it has none), from the live catalog: a row fits the table when it fits one of them.
    /// </summary>
    public List<(string Leaf, string Constraint)> PartitionConstraints { get; } = new();
    /// <summary>
    /// The table (or one of its partitions) has a DEFERRABLE unique, primary key or exclusion constraint: INSERT … ON
    /// CONFLICT refuses such a table (55000), so MissingRows locks out writers and inserts without it.
    /// </summary>
    public bool DeferrableUnique { get; set; }
    /// <summary>Primary key columns, in key order (empty without one).</summary>
    public List<string> PrimaryKey { get; } = new();
    /// <summary>Columns in order: generated (no value is loaded into it), GENERATED ALWAYS AS IDENTITY.</summary>
    public List<(string Name, bool Generated, bool IdentityAlways)> Columns { get; } = new();
    /// <summary>Other tables' foreign keys that reference this table: name, referencing table (regclass text), definition.</summary>
    public List<(string Name, string Table, string Definition)> ReferencingForeignKeys { get; } = new();
    /// <summary>Views that read this table directly (regclass text).</summary>
    public List<string> DependentViews { get; } = new();
    /// <summary>Sequences the table owns (serial or identity; regclass text) and their column.</summary>
    public List<(string Sequence, string Column, string Schema, string Name)> OwnedSequences { get; } = new();
    /// <summary>Index names (in the table's schema).</summary>
    public List<string> Indexes { get; } = new();
    /// <summary>User triggers: name, CREATE TRIGGER text.</summary>
    public List<(string Name, string Definition)> Triggers { get; } = new();
    /// <summary>The table's own foreign keys: name, constraint definition.</summary>
    public List<(string Name, string Definition)> ForeignKeys { get; } = new();
}
