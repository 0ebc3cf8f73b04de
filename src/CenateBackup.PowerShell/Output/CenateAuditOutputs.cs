using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>One entry of the audit log.</summary>
public sealed class CenateAuditEntry
{
    internal CenateAuditEntry() { }

    /// <summary>Entry id (binds to Restore-CenateDeletedRow).</summary>
    public long Id { get; internal set; }
    /// <summary>When it was logged.</summary>
    public DateTimeOffset LoggedAt { get; internal set; }
    /// <summary>schema.table.</summary>
    public string Table { get; internal set; } = "";
    /// <summary>DELETE, TRUNCATE or UPDATE.</summary>
    public string Operation { get; internal set; } = "";
    /// <summary>The row before (JSON), null for a TRUNCATE count entry.</summary>
    public string? OldRow { get; internal set; }
    /// <summary>DELETE/TRUNCATE: the row's exact text form (its record literal) that Restore-CenateDeletedRow reads; null for entries logged before the log kept it.</summary>
    public string? OldRowImage { get; internal set; }
    /// <summary>UPDATE: the row after (JSON).</summary>
    public string? NewRow { get; internal set; }
    /// <summary>TRUNCATE: how many rows went.</summary>
    public long? RowCount { get; internal set; }
    /// <summary>session_user.</summary>
    public string SessionUser { get; internal set; } = "";
    /// <summary>current_user.</summary>
    public string CurrentUser { get; internal set; } = "";
    /// <summary>application_name of the session.</summary>
    public string? ApplicationName { get; internal set; }
    /// <summary>Client address (null: local socket).</summary>
    public string? ClientAddress { get; internal set; }
    /// <summary>The statement that did it.</summary>
    public string? Statement { get; internal set; }
    /// <summary>Transaction id.</summary>
    public long TransactionId { get; internal set; }
    /// <summary>The database.</summary>
    public string Database { get; internal set; } = "";
}

/// <summary>What Restore-CenateDeletedRow did.</summary>
public sealed class CenateUndeleteResult
{
    internal CenateUndeleteResult(string table, long considered, long inserted, long skipped, string[] droppedColumns, long fromJson)
    {
        Table = table; Considered = considered; Inserted = inserted; Skipped = skipped; DroppedColumns = droppedColumns; FromJson = fromJson;
    }

    /// <summary>schema.table.</summary>
    public string Table { get; }
    /// <summary>Logged rows considered (one per key, the newest).</summary>
    public long Considered { get; }
    /// <summary>Rows put back.</summary>
    public long Inserted { get; }
    /// <summary>Rows skipped: their key exists again.</summary>
    public long Skipped { get; }
    /// <summary>Columns of the logged rows that the table no longer has (their values stay in the log).</summary>
    public string[] DroppedColumns { get; }
    /// <summary>Of Considered, rows logged before the log kept exact row images, restored from OldRow (jsonb).</summary>
    public long FromJson { get; }
}

/// <summary>What Remove-CenateAuditLog deleted.</summary>
public sealed class CenateAuditRemoval
{
    internal CenateAuditRemoval(string auditSchema, string database, DateTimeOffset before, long removed)
    {
        AuditSchema = auditSchema; Database = database; Before = before; Removed = removed;
    }

    /// <summary>The audit schema.</summary>
    public string AuditSchema { get; }
    /// <summary>The database.</summary>
    public string Database { get; }
    /// <summary>Entries logged before this went.</summary>
    public DateTimeOffset Before { get; }
    /// <summary>How many.</summary>
    public long Removed { get; }
}

/// <summary>A role's privileges on a table.</summary>
public sealed class CenateTableGrant
{
    internal CenateTableGrant(string role, string privileges) { Role = role; Privileges = privileges; }

    /// <summary>Role (or PUBLIC).</summary>
    public string Role { get; }
    /// <summary>Privileges, comma-separated.</summary>
    public string Privileges { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Role}: {Privileges}";
}

/// <summary>What Protect-CenateTable did.</summary>
public sealed class CenateProtectResult
{
    internal CenateProtectResult() { }

    /// <summary>schema.table.</summary>
    public string Table { get; internal set; } = "";
    /// <summary>Roles DELETE and TRUNCATE were taken from.</summary>
    public string[] Roles { get; internal set; } = Array.Empty<string>();
    /// <summary>Grants before.</summary>
    public CenateTableGrant[] Before { get; internal set; } = Array.Empty<CenateTableGrant>();
    /// <summary>Grants after.</summary>
    public CenateTableGrant[] After { get; internal set; } = Array.Empty<CenateTableGrant>();
    /// <summary>The SQL run.</summary>
    public string[] Steps { get; internal set; } = Array.Empty<string>();
    /// <summary>PUBLIC and group roles also revoked from with -IncludeInherited (they are in Roles too).</summary>
    public string[] Inherited { get; internal set; } = Array.Empty<string>();
}

/// <summary>What New-CenateReadOnlyRole did.</summary>
public sealed class CenateReadOnlyRoleResult
{
    internal CenateReadOnlyRoleResult(string role, bool created, string[] schemas, string[] views, string[] steps)
    {
        Role = role; Created = created; Schemas = schemas; Views = views; Steps = steps;
    }

    /// <summary>The role.</summary>
    public string Role { get; }
    /// <summary>True when created; false when it existed and was brought up to date.</summary>
    public bool Created { get; }
    /// <summary>Schemas it may read.</summary>
    public string[] Schemas { get; }
    /// <summary>Read-only views it may read.</summary>
    public string[] Views { get; }
    /// <summary>The SQL run (the password shown as a placeholder).</summary>
    public string[] Steps { get; }
    /// <summary>What changed, in words: for an existing role each attribute removed, the password replaced or not, the grants and views added.</summary>
    public string[] Changes { get; internal set; } = Array.Empty<string>();
    /// <summary>The warnings written: a password left unchanged, write privileges an adopted role keeps, clients that cannot log in.</summary>
    public string[] Warnings { get; internal set; } = Array.Empty<string>();
}
