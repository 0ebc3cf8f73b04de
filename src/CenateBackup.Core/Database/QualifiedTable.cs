
namespace CenateBackup.Core.Database;

/// <summary>A table resolved in the catalog.</summary>
public sealed record QualifiedTable(string Schema, string Name)
{
    /// <summary>"schema.table" as written in manifests (unquoted).</summary>
    public string Display => Schema + "." + Name;

    /// <summary>Quoted SQL identifier, safe to embed in SQL.</summary>
    public string Sql => Quote(Schema) + "." + Quote(Name);

    /// <summary>A pg_dump -t pattern that matches exactly this table (double quotes disable wildcards).</summary>
    public string DumpPattern => Quote(Schema) + "." + Quote(Name);

    /// <summary>Quotes an identifier the way PostgreSQL's quote_ident does for any name (see <see cref="SqlText.Identifier"/>).</summary>
    public static string Quote(string identifier) => SqlText.Identifier(identifier);

    /// <summary>Splits "schema.table" or "table" (a name with no dot has no schema).</summary>
    public static (string? Schema, string Name) Split(string name)
    {
        var dot = name.IndexOf('.');
        return dot <= 0 || dot == name.Length - 1 ? (null, name) : (name[..dot], name[(dot + 1)..]);
    }
}
