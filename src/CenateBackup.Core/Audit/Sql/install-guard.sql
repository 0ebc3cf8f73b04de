-- CenateBackup audit guard: the event triggers that run {{audit}}.guard_audit_triggers() (see install-log.sql).
-- Only a superuser may create event triggers; the service runs this only when the installing role is one.
-- {{guard}} is made of [a-z0-9_] only (cenate_audit_guard, or with a hash of the audit schema's name).
DROP EVENT TRIGGER IF EXISTS {{guard}};
DROP EVENT TRIGGER IF EXISTS {{guard}}_drop;
CREATE EVENT TRIGGER {{guard}} ON ddl_command_end WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER')
    EXECUTE FUNCTION {{audit}}.guard_audit_triggers();
CREATE EVENT TRIGGER {{guard}}_drop ON sql_drop WHEN TAG IN ('DROP TRIGGER')
    EXECUTE FUNCTION {{audit}}.guard_audit_triggers();
