using System;

namespace CenateBackup.Core.Storage;

/// <summary>Which table exports a backup set gets besides its dump.</summary>
[Flags]
public enum TableExports
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>&lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.csv.gz: COPY … (FORMAT csv, HEADER).</summary>
    Csv = 1,
    /// <summary>&lt;database&gt;_&lt;stamp&gt;.&lt;table&gt;.data.sql.gz: a data-only SQL script of the table.</summary>
    Sql = 2,
}
