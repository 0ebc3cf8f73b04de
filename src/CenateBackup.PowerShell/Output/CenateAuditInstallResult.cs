using System;

namespace CenateBackup.PowerShell.Output;

/// <summary>What Install- or Uninstall-CenateAuditTrigger did.</summary>
public sealed class CenateAuditInstallResult
{
    internal CenateAuditInstallResult() { }

    /// <summary>schema.table.</summary>
    public string Table { get; internal set; } = "";
    /// <summary>The audit schema.</summary>
    public string AuditSchema { get; internal set; } = "";
    /// <summary>Audit triggers on the table now.</summary>
    public string[] Triggers { get; internal set; } = Array.Empty<string>();
    /// <summary>False when it was already as asked (nothing ran).</summary>
    public bool Changed { get; internal set; }
    /// <summary>The SQL run.</summary>
    public string[] Steps { get; internal set; } = Array.Empty<string>();
    /// <summary>Rows in the log for this table.</summary>
    public long LogRows { get; internal set; }
    /// <summary>The role that owns the audit log (only it, its members and superusers can change or erase the log).</summary>
    public string AuditOwner { get; internal set; } = "";
    /// <summary>What the admin must know that did not stop the run (also written as warnings).</summary>
    public string[] Warnings { get; internal set; } = Array.Empty<string>();
}
