using CenateBackup.Core.Database;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class QualifiedTableTests
{
    [Theory]
    [InlineData("asegurados", "\"asegurados\"")]
    [InlineData("", "\"\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    [InlineData("\"", "\"\"\"\"")]
    [InlineData("\"\"", "\"\"\"\"\"\"")]
    [InlineData("Mixed Case", "\"Mixed Case\"")]
    [InlineData("x\"; DROP TABLE t; --", "\"x\"\"; DROP TABLE t; --\"")]
    public void Quote_DoublesEmbeddedQuotes(string identifier, string expected)
    {
        Assert.Equal(expected, QualifiedTable.Quote(identifier));
    }

    [Theory]
    [InlineData("public.asegurados", "public", "asegurados")]
    [InlineData("asegurados", null, "asegurados")]
    [InlineData(".x", null, ".x")]
    [InlineData("x.", null, "x.")]
    [InlineData(".", null, ".")]
    [InlineData("", null, "")]
    [InlineData("a.b.c", "a", "b.c")]
    public void Split(string name, string? schema, string table)
    {
        var (s, t) = QualifiedTable.Split(name);
        Assert.Equal(schema, s);
        Assert.Equal(table, t);
    }

    [Fact]
    public void Display_Sql_DumpPattern_OfAPlainName()
    {
        var t = new QualifiedTable("public", "asegurados");
        Assert.Equal("public.asegurados", t.Display);
        Assert.Equal("\"public\".\"asegurados\"", t.Sql);
        Assert.Equal("\"public\".\"asegurados\"", t.DumpPattern);
    }

    [Fact]
    public void DumpPattern_OfAHostileName_IsFullyDoubleQuoted()
    {
        var t = new QualifiedTable("my schema", "we\"ird *; name?");
        Assert.Equal("\"my schema\".\"we\"\"ird *; name?\"", t.DumpPattern);
        Assert.Equal("my schema.we\"ird *; name?", t.Display);
        Assert.Equal(t.DumpPattern, t.Sql);
    }

    [Fact]
    public void DumpPattern_QuotesWildcardsAndDotsInsideNames()
    {
        // pg_dump patterns: '*', '?' and '.' outside quotes are wildcards/separators; inside quotes they are literal.
        var t = new QualifiedTable("s.x", "t*");
        Assert.Equal("\"s.x\".\"t*\"", t.DumpPattern);
    }

    [Fact]
    public void RecordEquality_IsByValue()
    {
        Assert.Equal(new QualifiedTable("public", "asegurados"), new QualifiedTable("public", "asegurados"));
        Assert.NotEqual(new QualifiedTable("public", "asegurados"), new QualifiedTable("public", "Asegurados"));
    }
}
