using System;
using System.Collections.Generic;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Restores;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>RestoreKeyFilter's pure checks: a piped comparison's key columns, repeats and positions.</summary>
public sealed class RestoreKeyFilterUnitTests
{
    private static readonly string[] s_pk = { "tipo_documento", "numero_documento" };

    [Theory]
    [InlineData("numero_documento,tipo_documento")]
    [InlineData("tipo_documento")]
    [InlineData("Tipo_documento,numero_documento")]
    [InlineData("tipo_documento,numero_documento,periodo")]
    public void KeyColumnsOtherThanThePrimaryKeyAreRefusedNamingTheColumns(string list)
    {
        var columns = list.Split(',');
        var ex = Assert.Throws<CenateException>(() => RestoreKeyFilter.CheckColumns(columns, s_pk, "public.t"));
        Assert.Equal(ErrorIds.KeyListInvalid, ex.ErrorId);
        Assert.Contains("(" + string.Join(", ", columns) + ")", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(tipo_documento, numero_documento)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThePrimaryKeyOrNoColumnsPass()
    {
        RestoreKeyFilter.CheckColumns(new[] { "tipo_documento", "numero_documento" }, s_pk, "public.t");
        RestoreKeyFilter.CheckColumns(null, s_pk, "public.t");
    }

    [Fact]
    public void DistinctKeepsTheFirstPositionOfEachKey()
    {
        var keys = new List<IReadOnlyList<string>>
        {
            new[] { "DNI", "1" }, new[] { "DNI", "1" }, new[] { "CE", "1" }, new[] { "DNI", "1 " }, new[] { "CE", "1" },
        };
        var (distinct, positions) = RestoreKeyFilter.Distinct(keys);
        Assert.Equal(3, distinct.Count);
        Assert.Equal(new long[] { 1, 3, 4 }, positions);
        Assert.Equal(new[] { "DNI", "1 " }, distinct[2]);
    }
}
