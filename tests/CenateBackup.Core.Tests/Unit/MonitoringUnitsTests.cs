using System;
using System.Linq;
using CenateBackup.Core.Database;
using CenateBackup.Core.Formats;
using CenateBackup.Core.Storage;
using CenateBackup.Core.Verification;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

public class MonitoringUnitsTests
{
    [Theory]
    [InlineData("26h", 26 * 3600)]
    [InlineData("2d", 2 * 86400)]
    [InlineData("1d12h", 36 * 3600)]
    [InlineData("90m", 90 * 60)]
    [InlineData("90min", 90 * 60)]
    [InlineData("45s", 45)]
    [InlineData("1w", 7 * 86400)]
    [InlineData("1.5h", 5400)]
    [InlineData(" 26H ", 26 * 3600)]
    [InlineData("1.02:00:00", 26 * 3600)]
    [InlineData("00:30:00", 1800)]
    public void Durations_parse(string text, int seconds)
    {
        Assert.True(HumanUnits.TryParseDuration(text, out var t));
        Assert.Equal(TimeSpan.FromSeconds(seconds), t);
    }

    [Theory]
    [InlineData("")]
    [InlineData("pronto")]
    [InlineData("26")]
    [InlineData("0h")]
    [InlineData("h")]
    [InlineData("26x")]
    [InlineData("-2d")]
    [InlineData("00:00:00")]
    public void Non_durations_are_refused(string text) => Assert.False(HumanUnits.TryParseDuration(text, out _));

    [Theory]
    [InlineData("500MB", 500L << 20)]
    [InlineData("1.5GB", 1610612736L)]
    [InlineData("800k", 800L << 10)]
    [InlineData("12 GiB", 12L << 30)]
    [InlineData("1TB", 1L << 40)]
    [InlineData("1073741824", 1073741824L)]
    [InlineData("0", 0L)]
    public void Sizes_parse(string text, long bytes)
    {
        Assert.True(HumanUnits.TryParseSize(text, out var b));
        Assert.Equal(bytes, b);
    }

    [Theory]
    [InlineData("mucho")]
    [InlineData("")]
    [InlineData("5 PB")]
    [InlineData("-1MB")]
    [InlineData("1,5GB")]
    public void Non_sizes_are_refused(string text) => Assert.False(HumanUnits.TryParseSize(text, out _));

    [Theory]
    [InlineData(26 * 3600, "26h 00m")]
    [InlineData(47 * 3600 + 59 * 60, "47h 59m")]
    [InlineData(3 * 86400 + 2 * 3600 + 5 * 60, "3d 02h 05m")]
    [InlineData(45 * 60 + 10, "45m 10s")]
    [InlineData(1, "0m 01s")]
    public void Ages_read_like_an_admin_writes_them(int seconds, string expected) =>
        Assert.Equal(expected, BackupMonitor.FormatAge(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KB")]
    [InlineData(524288000L, "500.0 MB")]
    [InlineData(1099511627776L, "1.0 TB")]
    public void Sizes_format_in_binary_units(long bytes, string expected) => Assert.Equal(expected, BackupMonitor.FormatSize(bytes));

    private static VerificationReport Report(TimeSpan age, long size) =>
        new() { Stamp = "20261127_020000", Age = age, Size = size, SizeFile = "x.dump", Files = { "x.dump" }, Checks = { "sha256 x.dump" } };

    [Fact]
    public void Limits_add_stale_and_too_small_with_the_figures()
    {
        var r = Report(TimeSpan.FromHours(31) + TimeSpan.FromMinutes(5), 120L << 20);
        BackupMonitor.ApplyLimits(r, TimeSpan.FromHours(26), 500L << 20);
        Assert.False(r.Passed);
        Assert.Equal(new[] { ProblemKind.Stale, ProblemKind.TooSmall }, r.Problems.Select(p => p.Kind));
        Assert.Equal("the newest complete set (20261127_020000) is 31h 05m old, more than -MaxAge 26h 00m", r.Problems[0].Message);
        Assert.Equal("x.dump", r.Problems[1].File);
        Assert.Equal("120.0 MB (125829120 bytes), below -MinimumSize 500.0 MB (524288000 bytes)", r.Problems[1].Message);
    }

    [Fact]
    public void Limits_pass_a_fresh_big_set_and_the_edges_are_inclusive()
    {
        var r = Report(TimeSpan.FromHours(26), 500L << 20);
        BackupMonitor.ApplyLimits(r, TimeSpan.FromHours(26), 500L << 20);
        Assert.True(r.Passed);
        Assert.Empty(r.Problems);
    }

    [Fact]
    public void Limits_keep_earlier_problems()
    {
        var r = Report(TimeSpan.FromHours(1), 1L << 30);
        r.Problems.Add(new VerificationProblem(ProblemKind.ChecksumMismatch, "x.dump", "sha256 differs"));
        BackupMonitor.ApplyLimits(r, TimeSpan.FromHours(26), 1);
        Assert.False(r.Passed);
    }

    [Theory]
    [InlineData("CHECK (((tipo_documento)::text = ANY ((ARRAY['DNI'::character varying, 'CE'::character varying])::text[])))",
                "CHECK (((tipo_documento)::text = ANY (ARRAY[('DNI'::character varying)::text, ('CE'::character varying)::text])))")]
    [InlineData("CHECK ((created_at > '2020-01-01 00:00:00+00'::timestamp with time zone))",
                "CHECK (created_at > '2020-01-01 00:00:00+00'::timestamp with time zone)")]
    [InlineData("CHECK ((monto >= (0)::numeric(12,2)))", "CHECK ((monto >= 0::numeric))")]
    public void Definitions_that_differ_only_by_reparsing_are_equal(string recorded, string restored) =>
        Assert.Equal(SchemaCatalog.Normalize(recorded), SchemaCatalog.Normalize(restored));

    [Theory]
    [InlineData("CREATE INDEX i ON public.a USING btree (ubigeo)", "CREATE INDEX i ON public.a USING hash (ubigeo)")]
    [InlineData("CREATE INDEX i ON public.a USING btree (ubigeo)", "CREATE UNIQUE INDEX i ON public.a USING btree (ubigeo)")]
    [InlineData("CHECK ((sexo = ANY (ARRAY['M'::bpchar, 'F'::bpchar])))", "CHECK ((sexo = ANY (ARRAY['M'::bpchar, 'X'::bpchar])))")]
    [InlineData("FOREIGN KEY (codigo_ipress) REFERENCES public.ipress(codigo)", "FOREIGN KEY (codigo_ipress) REFERENCES public.ipress(codigo) ON DELETE CASCADE")]
    [InlineData("CREATE INDEX i ON public.a USING btree (apellido_paterno, apellido_materno)", "CREATE INDEX i ON public.a USING btree (apellido_materno, apellido_paterno)")]
    public void Real_differences_stay_different(string recorded, string restored)
    {
        Assert.NotEqual(SchemaCatalog.Normalize(recorded), SchemaCatalog.Normalize(restored));
        var e = new ManifestCatalogObject { Table = "public.a", Kind = "Index", Name = "i", Definition = recorded };
        var f = new ManifestCatalogObject { Table = "public.a", Kind = "Index", Name = "i", Definition = restored };
        var (missing, different) = SchemaCatalog.Compare(new[] { e }, new[] { f });
        Assert.Empty(missing);
        Assert.Single(different);
    }

    [Fact]
    public void Compare_finds_what_is_missing_by_table_kind_and_name()
    {
        var pk = new ManifestCatalogObject { Table = "public.a", Kind = "PrimaryKey", Name = "a_pkey", Definition = "PRIMARY KEY (id)" };
        var tg = new ManifestCatalogObject { Table = "public.a", Kind = "Trigger", Name = "t", Definition = "CREATE TRIGGER t …" };
        var sameNameOtherTable = new ManifestCatalogObject { Table = "public.b", Kind = "Trigger", Name = "t", Definition = "CREATE TRIGGER t …" };
        var (missing, different) = SchemaCatalog.Compare(new[] { pk, tg }, new[] { pk, sameNameOtherTable });
        Assert.Equal(new[] { tg }, missing);
        Assert.Empty(different);
    }

    [Theory]
    [InlineData("maestro_cenate_20261127_020000.dump", "maestro_cenate")]
    [InlineData("otra_base_de_datos_20260101_000000.dump", "otra_base_de_datos")]
    [InlineData("maestro_cenate.dump", null)]
    [InlineData("asegurados_20261127_020000.csv.gz", null)]
    public void A_lone_dump_names_its_database(string file, string? database) =>
        Assert.Equal(database, VerificationService.DatabaseFromFileName(file));

    [Fact]
    public void The_default_scratch_name_is_a_drill_stamp()
    {
        Assert.Equal("cenate_drill_20261127_143005", RestoreDrill.DefaultScratchName(new DateTimeOffset(2026, 11, 27, 9, 30, 5, TimeSpan.FromHours(-5))));
    }
}
