-- pgTAP: the audit log is append-only for everyone but its own owner (issue 23 §3).
--
--   psql -X -v ON_ERROR_STOP=1 -v table_owner=<role> -v audit_owner=<role> -v own_schema=<schema> \
--        -h 127.0.0.1 -p <port> -U cenate -d <db> -f tests/sql/audit-owner.pgtap.sql
--
-- Expects a database (a copy of maestro_cenate) where, before this runs:
--   * public.asegurados belongs to :table_owner, a LOGIN role that is not a superuser;
--   * :own_schema is a schema :table_owner owns (somewhere to create a function of its own);
--   * Install-CenateAuditTrigger -Operation Delete,Truncate,Update -AuditOwner :audit_owner ran as a superuser
--     (cenate in the rig): schema cenate_audit, the log, the functions and the guard's event triggers.
-- It runs as cenate and switches to the table's owner with SET LOCAL ROLE (same privileges as its own login). Everything
-- is rolled back.
\set ON_ERROR_STOP on
\if :{?table_owner}
\else
\echo 'audit-owner.pgtap.sql: pass -v table_owner=<role> -v audit_owner=<role> -v own_schema=<schema>'
\quit
\endif
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;

BEGIN;
SELECT plan(48);

-- ------------------------------------------------------------------ who owns what
SELECT is((SELECT pg_catalog.pg_get_userbyid(nspowner)::text FROM pg_catalog.pg_namespace WHERE nspname = 'cenate_audit'), :'audit_owner',
    'the schema cenate_audit belongs to the audit owner');
SELECT is((SELECT pg_catalog.pg_get_userbyid(relowner)::text FROM pg_catalog.pg_class WHERE oid = 'cenate_audit.audit_log'::regclass), :'audit_owner',
    'cenate_audit.audit_log belongs to the audit owner');
SELECT is((SELECT pg_catalog.pg_get_userbyid(relowner)::text FROM pg_catalog.pg_class WHERE oid = 'cenate_audit.audit_row_shape'::regclass), :'audit_owner',
    'cenate_audit.audit_row_shape belongs to the audit owner');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'cenate_audit'::regnamespace
                   AND pg_catalog.pg_get_userbyid(p.proowner) <> $$ || pg_catalog.quote_literal(:'audit_owner'),
    'every function in cenate_audit belongs to the audit owner');
SELECT is((SELECT count(*) FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'cenate_audit'::regnamespace AND p.prosecdef
             AND p.proname IN ('log_deleted_rows', 'log_updated_row', 'log_truncate')), 3::bigint,
    'the three trigger functions are SECURITY DEFINER (they write as the audit owner)');
SELECT is((SELECT rolcanlogin OR rolsuper OR rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = :'audit_owner'), false,
    'the audit owner cannot log in, is no superuser and has no CREATEROLE');
SELECT is(pg_catalog.pg_has_role(:'table_owner', :'audit_owner', 'MEMBER'), false,
    'the table owner is not a member of the audit owner (directly or through other roles)');
SELECT is((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = :'table_owner'), false, 'the table owner is no superuser');
SELECT is((SELECT pg_catalog.pg_get_userbyid(relowner)::text FROM pg_catalog.pg_class WHERE oid = 'public.asegurados'::regclass), :'table_owner',
    'public.asegurados belongs to the table owner');
SELECT set_eq($$SELECT evtname::text || ':' || evtevent::text || ':' || evtenabled::text FROM pg_catalog.pg_event_trigger WHERE evtname LIKE 'cenate\_audit\_guard%'$$,
    ARRAY['cenate_audit_guard:ddl_command_end:O', 'cenate_audit_guard_drop:sql_drop:O'],
    'the guard''s two event triggers exist and are enabled');

-- ------------------------------------------------------------------ as the table's owner
CREATE TEMP TABLE tap_before ON COMMIT DROP AS SELECT count(*) AS n FROM cenate_audit.audit_log;
GRANT SELECT ON tap_before TO PUBLIC;
SET LOCAL ROLE :"table_owner";
SELECT is(current_user::text, :'table_owner', 'now running as the table owner (SET LOCAL ROLE)');

-- The log itself.
SELECT throws_ok('SELECT count(*) FROM cenate_audit.audit_log', '42501', NULL, 'owner: reading the log is refused (42501)');
SELECT throws_ok($$DELETE FROM cenate_audit.audit_log$$, '42501', NULL, 'owner: DELETE FROM the log is refused (42501)');
SELECT throws_ok($$UPDATE cenate_audit.audit_log SET old_row = NULL$$, '42501', NULL, 'owner: UPDATE of the log is refused (42501)');
SELECT throws_ok('TRUNCATE cenate_audit.audit_log', '42501', NULL, 'owner: TRUNCATE of the log is refused (42501)');
SELECT throws_ok($$INSERT INTO cenate_audit.audit_log (schema_name, table_name, operation) VALUES ('public', 'asegurados', 'DELETE')$$, '42501', NULL,
    'owner: INSERT of a forged entry is refused (42501)');
SELECT throws_ok('DROP TABLE cenate_audit.audit_log', '42501', NULL, 'owner: DROP TABLE of the log is refused (42501)');
SELECT throws_ok('ALTER TABLE cenate_audit.audit_log ADD COLUMN x int', '42501', NULL, 'owner: ALTER TABLE of the log is refused (42501)');
SELECT throws_ok('ALTER TABLE cenate_audit.audit_log RENAME TO audit_log_old', '42501', NULL, 'owner: renaming the log is refused (42501)');
SELECT throws_ok('DROP SCHEMA cenate_audit CASCADE', '42501', NULL, 'owner: DROP SCHEMA cenate_audit is refused (42501)');
SELECT throws_ok('DROP FUNCTION cenate_audit.log_deleted_rows() CASCADE', '42501', NULL, 'owner: DROP FUNCTION log_deleted_rows is refused (42501)');
SELECT throws_ok($$CREATE OR REPLACE FUNCTION cenate_audit.log_deleted_rows() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'$$, '42501', NULL,
    'owner: replacing log_deleted_rows is refused (42501)');
SELECT throws_ok('ALTER FUNCTION cenate_audit.log_truncate() SECURITY INVOKER', '42501', NULL, 'owner: ALTER FUNCTION log_truncate is refused (42501)');
-- (SET ROLE to the audit owner is tried in AuditOwner.Tests.ps1 with the owner's own login: here the session user is a
-- superuser, and SET ROLE checks the session user.)
SELECT throws_ok(pg_catalog.format('GRANT %I TO %I', :'audit_owner', :'table_owner'), '42501', NULL, 'owner: granting itself the audit owner is refused (42501)');
SELECT throws_ok('SET session_replication_role = replica', '42501', NULL, 'owner: SET session_replication_role = replica (skip triggers) is refused (42501)');
SELECT throws_ok('ALTER EVENT TRIGGER cenate_audit_guard DISABLE', '42501', NULL, 'owner: disabling the guard is refused (42501)');
SELECT throws_ok('DROP EVENT TRIGGER cenate_audit_guard_drop', '42501', NULL, 'owner: dropping the guard is refused (42501)');

-- The triggers on its own table (PostgreSQL allows these to an owner; the guard refuses them).
SELECT throws_ok('ALTER TABLE public.asegurados DISABLE TRIGGER cenate_audit_delete', '42501', NULL, 'owner: DISABLE TRIGGER cenate_audit_delete is refused (42501)');
SELECT throws_ok('ALTER TABLE public.asegurados DISABLE TRIGGER cenate_audit_truncate', '42501', NULL, 'owner: DISABLE TRIGGER cenate_audit_truncate is refused (42501)');
SELECT throws_ok('ALTER TABLE public.asegurados DISABLE TRIGGER ALL', '42501', NULL, 'owner: DISABLE TRIGGER ALL is refused (42501)');
SELECT throws_ok('ALTER TABLE public.asegurados DISABLE TRIGGER USER', '42501', NULL, 'owner: DISABLE TRIGGER USER is refused (42501)');
SELECT throws_ok('ALTER TABLE public.asegurados ENABLE REPLICA TRIGGER cenate_audit_update', '42501', NULL, 'owner: ENABLE REPLICA TRIGGER (fires only in replica mode) is refused (42501)');
SELECT throws_ok('DROP TRIGGER cenate_audit_delete ON public.asegurados', '42501', NULL, 'owner: DROP TRIGGER cenate_audit_delete is refused (42501)');
SELECT throws_ok('ALTER TRIGGER cenate_audit_truncate ON public.asegurados RENAME TO was_audit', '42501', NULL, 'owner: renaming an audit trigger is refused (42501)');
SELECT lives_ok(pg_catalog.format($f$CREATE FUNCTION %I.tap_noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'$f$, :'own_schema'),
    'owner: creates a trigger function of its own');
SELECT throws_ok(pg_catalog.format('CREATE OR REPLACE TRIGGER cenate_audit_delete AFTER DELETE ON public.asegurados FOR EACH STATEMENT EXECUTE FUNCTION %I.tap_noop()', :'own_schema'),
    '42501', NULL, 'owner: replacing cenate_audit_delete by a trigger of its own is refused (42501)');
-- Joining an inheritance tree would let a DELETE through the parent remove rows without firing the table's statement trigger.
SELECT lives_ok(pg_catalog.format('CREATE TABLE %I.tap_parent ()', :'own_schema'), 'owner: creates a table of its own');
SELECT throws_ok(pg_catalog.format('ALTER TABLE public.asegurados INHERIT %I.tap_parent', :'own_schema'), '42501', NULL,
    'owner: ALTER TABLE asegurados INHERIT (then DELETE through the parent) is refused (42501)');
SELECT throws_ok(pg_catalog.format('CREATE TABLE %I.tap_child () INHERITS (public.asegurados)', :'own_schema'), '42501', NULL,
    'owner: CREATE TABLE … INHERITS (public.asegurados) is refused (42501)');
SELECT lives_ok(pg_catalog.format('CREATE TABLE %I.tap_child2 () INHERITS (%I.tap_parent)', :'own_schema', :'own_schema'),
    'owner: inheritance among its own other tables still works');
-- Ordinary DDL on its table stays its own business.
SELECT lives_ok('ALTER TABLE public.asegurados ADD COLUMN tap_extra int', 'owner: other ALTER TABLE on its table still works');
SELECT lives_ok(pg_catalog.format('CREATE TRIGGER tap_other AFTER DELETE ON public.asegurados FOR EACH STATEMENT EXECUTE FUNCTION %I.tap_noop()', :'own_schema'),
    'owner: creating a trigger of its own still works');
SELECT lives_ok('ALTER TABLE public.asegurados DISABLE TRIGGER tap_other', 'owner: disabling a trigger of its own still works');
SELECT lives_ok('DROP TRIGGER tap_other ON public.asegurados', 'owner: dropping a trigger of its own still works');
-- What it may do to its rows is logged.
SELECT lives_ok('DELETE FROM public.asegurados WHERE id IN (SELECT id FROM public.asegurados ORDER BY id LIMIT 3)', 'owner: DELETE of 3 rows of its table works');
RESET ROLE;

SELECT is((SELECT count(*) FROM cenate_audit.audit_log), (SELECT n FROM tap_before) + 3, 'the owner''s DELETE of 3 rows was logged (3 entries), nothing else was');
SELECT is((SELECT count(*) FROM cenate_audit.audit_log WHERE transaction_id = txid_current() AND current_user_name = :'table_owner'), 3::bigint,
    'the 3 entries name the table owner as current_user_name');
SELECT set_eq($$SELECT tgname::text || ':' || tgenabled::text || ':' || tgfoid::regproc::text FROM pg_catalog.pg_trigger
                WHERE tgrelid = 'public.asegurados'::regclass AND tgname LIKE 'cenate\_audit\_%'$$,
    ARRAY['cenate_audit_delete:O:cenate_audit.log_deleted_rows', 'cenate_audit_truncate:O:cenate_audit.log_truncate', 'cenate_audit_update:O:cenate_audit.log_updated_row'],
    'after all that, the three audit triggers are there, enabled, calling the audit functions');

SELECT * FROM finish();
ROLLBACK;
