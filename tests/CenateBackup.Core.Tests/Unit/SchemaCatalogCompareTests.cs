using System.Linq;
using CenateBackup.Core.Database;
using CenateBackup.Core.Storage;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>The restore drill's comparison of the catalog recorded at dump time with the restored one.</summary>
public class SchemaCatalogCompareTests
{
    private static ManifestCatalogObject Fk(string name, string references, bool derived = true) => new()
    {
        Table = "broad.recetas", Kind = "ForeignKey", Name = name, Derived = derived,
        Definition = $"FOREIGN KEY (atencion_id, fecha) REFERENCES broad.{references}(id, fecha) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
    };

    private static ManifestCatalogObject Index(string table, string name, string columns, bool derived = false) => new()
    {
        Table = table, Kind = "Index", Name = name, Derived = derived,
        Definition = $"CREATE INDEX {name} ON {table} USING btree ({columns})",
    };

    [Fact]
    public void Foreign_key_clones_that_a_restore_names_anew_match_by_what_they_are()
    {
        // What PostgreSQL 15 does: the clones for the referenced partitions come back numbered in another order.
        var recorded = new[]
        {
            Fk("recetas_atencion_id_fecha_fkey", "atenciones", derived: false),
            Fk("recetas_atencion_id_fecha_fkey2", "atenciones_2026_01"), Fk("recetas_atencion_id_fecha_fkey3", "atenciones_2026_02"),
            Fk("recetas_atencion_id_fecha_fkey6", "atenciones_default"), Fk("recetas_atencion_id_fecha_fkey7", "atenciones_2026_03"),
        };
        var restored = new[]
        {
            Fk("recetas_atencion_id_fecha_fkey", "atenciones", derived: false),
            Fk("recetas_atencion_id_fecha_fkey1", "atenciones_2026_01"), Fk("recetas_atencion_id_fecha_fkey2", "atenciones_2026_02"),
            Fk("recetas_atencion_id_fecha_fkey5", "atenciones_2026_03"), Fk("recetas_atencion_id_fecha_fkey6", "atenciones_default"),
        };
        var (missing, different) = SchemaCatalog.Compare(recorded, restored);
        Assert.Empty(missing);
        Assert.Empty(different);
    }

    [Fact]
    public void A_derived_object_that_did_not_come_back_is_still_missing()
    {
        var recorded = new[] { Fk("f2", "atenciones_2026_01"), Fk("f3", "atenciones_2026_02"), Fk("f4", "atenciones_2026_03") };
        var restored = new[] { Fk("f1", "atenciones_2026_01"), Fk("f2", "atenciones_2026_03") };
        var (missing, different) = SchemaCatalog.Compare(recorded, restored);
        Assert.Equal("f3", Assert.Single(missing).Name);
        Assert.Empty(different);
    }

    [Fact]
    public void A_derived_object_that_came_back_changed_is_reported()
    {
        var recorded = new[] { Fk("f2", "atenciones_2026_01") };
        var changed = Fk("f2", "atenciones_2026_01");
        changed.Definition = changed.Definition.Replace(" ON DELETE CASCADE", "", System.StringComparison.Ordinal);
        var (missing, different) = SchemaCatalog.Compare(recorded, new[] { changed });
        Assert.Empty(missing);
        Assert.Equal("f2", Assert.Single(different).Expected.Name);
    }

    [Fact]
    public void Names_still_count_where_PostgreSQL_keeps_them()
    {
        // A plain table's index: pg_restore gives it its name back, so another name means it is not the recorded one.
        var recorded = new[] { Index("public.asegurados", "asegurados_dni_idx", "dni") };
        var restored = new[] { Index("public.asegurados", "otro_idx", "dni") };
        var (missing, _) = SchemaCatalog.Compare(recorded, restored);
        Assert.Equal("asegurados_dni_idx", Assert.Single(missing).Name);
    }

    [Fact]
    public void A_partition_index_is_known_without_its_name_even_when_quoted()
    {
        var recorded = new[] { Index("broad.\"Atenciones Enero\"", "\"Atenciones Enero_paciente_id_idx\"", "paciente_id", derived: true) };
        var restored = new[] { Index("broad.\"Atenciones Enero\"", "\"Atenciones Enero_paciente_id_idx1\"", "paciente_id", derived: true) };
        Assert.Equal(SchemaCatalog.Identity(recorded[0]), SchemaCatalog.Identity(restored[0]));
        var (missing, different) = SchemaCatalog.Compare(recorded, restored);
        Assert.Empty(missing);
        Assert.Empty(different);
    }

    [Fact]
    public void Each_found_object_answers_for_one_recorded_object_only()
    {
        var recorded = new[] { Fk("a1", "atenciones_2026_01"), Fk("a2", "atenciones_2026_01") };
        var restored = new[] { Fk("b1", "atenciones_2026_01") };
        var (missing, different) = SchemaCatalog.Compare(recorded, restored);
        Assert.Single(missing);
        Assert.Empty(different);
    }

    [Fact]
    public void The_identity_keeps_method_predicate_and_uniqueness()
    {
        var btree = Index("broad.t", "i", "x", derived: true);
        var hash = new ManifestCatalogObject { Table = "broad.t", Kind = "Index", Name = "i", Derived = true, Definition = "CREATE INDEX i ON broad.t USING hash (x)" };
        var partial = new ManifestCatalogObject { Table = "broad.t", Kind = "Index", Name = "i", Derived = true, Definition = "CREATE INDEX i ON broad.t USING btree (x) WHERE (x > 0)" };
        var unique = new ManifestCatalogObject { Table = "broad.t", Kind = "Index", Name = "i", Derived = true, Definition = "CREATE UNIQUE INDEX i ON broad.t USING btree (x)" };
        var identities = new[] { btree, hash, partial, unique }.Select(SchemaCatalog.Identity).ToHashSet();
        Assert.Equal(4, identities.Count);
    }

    [Fact]
    public void A_trigger_clone_matches_by_what_it_does()
    {
        var recorded = new ManifestCatalogObject
        {
            Table = "broad.p1", Kind = "Trigger", Name = "touch", Derived = true,
            Definition = "CREATE TRIGGER touch BEFORE UPDATE ON broad.p1 FOR EACH ROW EXECUTE FUNCTION broad.touch()",
        };
        var renamed = new ManifestCatalogObject
        {
            Table = "broad.p1", Kind = "Trigger", Name = "touch_1", Derived = true,
            Definition = "CREATE TRIGGER touch_1 BEFORE UPDATE ON broad.p1 FOR EACH ROW EXECUTE FUNCTION broad.touch()",
        };
        var other = new ManifestCatalogObject
        {
            Table = "broad.p1", Kind = "Trigger", Name = "touch_1", Derived = true,
            Definition = "CREATE TRIGGER touch_1 AFTER UPDATE ON broad.p1 FOR EACH ROW EXECUTE FUNCTION broad.touch()",
        };
        Assert.Empty(SchemaCatalog.Compare(new[] { recorded }, new[] { renamed }).Missing);
        Assert.Single(SchemaCatalog.Compare(new[] { recorded }, new[] { other }).Missing);
    }

    [Fact]
    public void The_missing_object_is_named_rightly_when_a_plain_twin_has_the_same_definition()
    {
        // The partition held the clone of its parent's key (derived) and a key of its own with the same definition;
        // the restored copy has one clone, under the parent's new name: the partition's own key is what is missing.
        var own = Fk("a_own_fk", "atenciones", derived: false);
        var clone = Fk("m_k_fk", "atenciones");
        var restored = Fk("m_k_fk_renamed", "atenciones");
        var (missing, different) = SchemaCatalog.Compare(new[] { own, clone }, new[] { restored });
        Assert.Equal("a_own_fk", Assert.Single(missing).Name);
        Assert.Empty(different);
    }
}
