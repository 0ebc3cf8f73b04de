namespace CenateBackup.Core.Audit;

/// <summary>A role's privileges on a table.</summary>
public sealed record TableGrant(string Role, string Privileges);
