-- CenateBackup audit triggers on one table. {{table}} is schema.table quoted, {{audit}} the audit schema quoted,
-- {{truncate_mode}} Rows or CountOnly. Each line runs only when that trigger is missing (the service checks).
--@delete
CREATE TRIGGER cenate_audit_delete AFTER DELETE ON {{table}} REFERENCING OLD TABLE AS cenate_deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION {{audit}}.log_deleted_rows();
--@truncate
CREATE TRIGGER cenate_audit_truncate BEFORE TRUNCATE ON {{table}} FOR EACH STATEMENT EXECUTE FUNCTION {{audit}}.log_truncate('{{truncate_mode}}');
--@update
CREATE TRIGGER cenate_audit_update AFTER UPDATE ON {{table}} FOR EACH ROW EXECUTE FUNCTION {{audit}}.log_updated_row();
