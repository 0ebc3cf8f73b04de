using System;
using CenateBackup.Core.Database;
using CenateBackup.Core.Exports;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class CopyOutStatementTests
{
    private static readonly QualifiedTable s_plain = new("public", "asegurados");
    private static readonly QualifiedTable s_odd = new("Esquema \"raro\"", "t; DROP TABLE x; --");

    [Fact]
    public void PlainTable_Csv_IsCopyOfTheTableItself_Unchanged()
    {
        Assert.Equal("COPY \"public\".\"asegurados\" TO STDOUT WITH (FORMAT csv, HEADER)",
            CopyOutStatement.Csv(s_plain, new[] { "id", "nombres" }, partitioned: false));
    }

    [Fact]
    public void PlainTable_Text_NamesTheColumns()
    {
        Assert.Equal("COPY \"public\".\"asegurados\" (\"id\", \"nombres\") TO STDOUT",
            CopyOutStatement.Text(s_plain, new[] { "id", "nombres" }, partitioned: false));
    }

    [Fact]
    public void PartitionedTable_ReadsThroughAQuery_WithQuotedNames()
    {
        var cols = new[] { "id", "Fecha \"x\"", "a,b" };
        const string source = "(SELECT \"id\", \"Fecha \"\"x\"\"\", \"a,b\" "
            + "FROM \"Esquema \"\"raro\"\"\".\"t; DROP TABLE x; --\")";
        Assert.Equal("COPY (SELECT * FROM \"Esquema \"\"raro\"\"\".\"t; DROP TABLE x; --\") TO STDOUT WITH (FORMAT csv, HEADER)",
            CopyOutStatement.Csv(s_odd, cols, partitioned: true));
        Assert.Equal("COPY " + source + " TO STDOUT", CopyOutStatement.Text(s_odd, cols, partitioned: true));
    }

    [Fact]
    public void PartitionedTable_WithNoCopyColumns_IsAZeroColumnSelect()
    {
        Assert.Equal("COPY (SELECT  FROM \"public\".\"asegurados\") TO STDOUT",
            CopyOutStatement.Text(s_plain, Array.Empty<string>(), partitioned: true));
    }

    [Fact]
    public void ExecLookup_Parses_OneJsonLine_WithTabsAndNewlinesInNames()
    {
        var line = "[\"br\\tad\", \"aten\\nciones\", \"p\", \"15.18 (Debian)\", \"150018\", "
            + "[\"id\", \"fe\\\"cha\"], 1200]\n";
        var found = ExecTableLookup.Parse(line);
        Assert.Equal(new QualifiedTable("br\tad", "aten\nciones"), found.Table);
        Assert.True(found.Partitioned);
        Assert.Equal(new[] { "id", "fe\"cha" }, found.Columns);
        Assert.Equal("15.18 (Debian)", found.ServerVersion);
        Assert.Equal(150018, found.ServerVersionNum);
        Assert.Equal(1200, found.EstimatedRows);
        Assert.False(ExecTableLookup.Parse("[\"public\", \"t\", \"r\", \"17.0\", \"170000\", [], 0]").Partitioned);
    }

    [Theory]
    [InlineData("")]
    [InlineData("public\tasegurados\t15\t150000")]
    [InlineData("[\"public\", \"t\", \"r\"]")]
    [InlineData("[\"public\", null, \"r\", \"17.0\", \"170000\", [], 0]")]
    [InlineData("[\"public\", \"t\", \"r\", \"17.0\", \"x\", [], 0]")]
    public void ExecLookup_RefusesWhatTheScriptDoesNotPrint(string output)
    {
        Assert.Throws<FormatException>(() => ExecTableLookup.Parse(output));
    }
}
