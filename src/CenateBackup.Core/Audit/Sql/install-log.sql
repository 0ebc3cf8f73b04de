-- CenateBackup audit log: append-only log table and trigger functions. Idempotent.
-- {{audit}} is the audit schema, quoted. Runs in one transaction, as the audit owner role (SET LOCAL ROLE): the service
-- created the schema (AUTHORIZATION that role) and moved any existing object of the log to it first, so everything here
-- belongs to the audit owner, a NOLOGIN role that the table's owner and the application roles cannot become.
-- No name chosen by a user appears inside a function body or a string literal: bodies find the log through their
-- pinned search_path, so a schema name with quotes, newlines or $cenate$ cannot break them.
REVOKE ALL ON SCHEMA {{audit}} FROM PUBLIC;

CREATE TABLE IF NOT EXISTS {{audit}}.audit_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    logged_at         timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    schema_name       text        NOT NULL,
    table_name        text        NOT NULL,
    operation         text        NOT NULL CHECK (operation IN ('DELETE', 'TRUNCATE', 'UPDATE')),
    old_row           jsonb,
    new_row           jsonb,
    row_count         bigint,
    session_user_name text        NOT NULL DEFAULT session_user,
    -- current_user inside the SECURITY DEFINER trigger functions is their owner: the role in effect (SET ROLE) is read
    -- from the 'role' setting instead, else the login.
    current_user_name text        NOT NULL DEFAULT COALESCE(NULLIF(pg_catalog.current_setting('role'), 'none'), session_user),
    application_name  text        DEFAULT pg_catalog.current_setting('application_name'),
    client_addr       inet        DEFAULT pg_catalog.inet_client_addr(),
    statement         text        DEFAULT pg_catalog.current_query(),
    transaction_id    bigint      NOT NULL DEFAULT pg_catalog.txid_current(),
    old_row_image     text,
    old_row_shape     uuid
);
-- Exact image of the row (DELETE, TRUNCATE): old_row is for people and jq, but to_jsonb cannot tell SQL NULL from a
-- jsonb null, rewrites json values and loses -0. old_row_image is the row's own text form (record_out: every column
-- through its type's output function, SQL NULL as an empty unquoted field), old_row_shape names its columns in
-- {{audit}}.audit_row_shape. Restore-CenateDeletedRow reads the image back through the current columns' input functions.
-- A log from before these columns gets them here (entries logged before have no image: the undelete uses old_row).
ALTER TABLE {{audit}}.audit_log ADD COLUMN IF NOT EXISTS old_row_image text;
ALTER TABLE {{audit}}.audit_log ADD COLUMN IF NOT EXISTS old_row_shape uuid;
-- The column names of a row image, in attnum order, once per table shape (not once per row). The id is the first
-- 128 bits of the names' SHA-256, so every session computes the same id without reading this table.
CREATE TABLE IF NOT EXISTS {{audit}}.audit_row_shape (
    id      uuid   PRIMARY KEY,
    columns text[] NOT NULL
);
REVOKE ALL ON TABLE {{audit}}.audit_row_shape FROM PUBLIC;
COMMENT ON TABLE {{audit}}.audit_row_shape IS 'CenateBackup audit log: the column names (in order) of the row images in audit_log.old_row_image.';
-- Append-only for everyone but its owner: no privilege for PUBLIC; the trigger functions write as the owner.
REVOKE ALL ON TABLE {{audit}}.audit_log FROM PUBLIC;
CREATE INDEX IF NOT EXISTS audit_log_table_time_idx ON {{audit}}.audit_log (schema_name, table_name, logged_at);
COMMENT ON TABLE {{audit}}.audit_log IS 'CenateBackup audit log: every deleted, truncated (and optionally updated) row, with who, when and how. Append-only.';

-- The shape of a table's row images: the id of its column names in order (the first 128 bits of their SHA-256, so the
-- triggers never read audit_row_shape to find it), recorded once per layout. Called by the row-image writers below, as
-- their owner; not SECURITY DEFINER itself, and no privilege for PUBLIC.
CREATE OR REPLACE FUNCTION {{audit}}.row_shape(relid oid) RETURNS uuid
    LANGUAGE plpgsql SET search_path = pg_catalog, {{audit}}, pg_temp AS $cenate$
DECLARE
    cols text[] := ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = relid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum);
    shape uuid := substr(encode(sha256(convert_to(cols::text, 'UTF8')), 'hex'), 1, 32)::uuid;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_row_shape s WHERE s.id = shape) THEN
        BEGIN
            INSERT INTO audit_row_shape (id, columns) VALUES (shape, cols) ON CONFLICT (id) DO NOTHING;
        EXCEPTION WHEN serialization_failure THEN
            NULL;  -- REPEATABLE READ: another session recorded this very shape (same id, same names) after our snapshot.
        END;
    END IF;
    RETURN shape;
END
$cenate$;

-- DELETE: one statement-level trigger with a transition table logs every deleted row in one INSERT (a row-level
-- trigger would run one INSERT per row).
CREATE OR REPLACE FUNCTION {{audit}}.log_deleted_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{audit}}, pg_temp
    SET DateStyle = 'ISO, YMD' SET IntervalStyle = 'postgres' SET extra_float_digits = 3 SET bytea_output = 'hex' SET lc_monetary = 'C' AS $cenate$
DECLARE
    shape uuid := row_shape(TG_RELID);
BEGIN
    INSERT INTO audit_log (schema_name, table_name, operation, old_row, old_row_image, old_row_shape)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, 'DELETE', pg_catalog.to_jsonb(o), o::text, shape FROM cenate_deleted_rows o;
    RETURN NULL;
END
$cenate$;

-- UPDATE (optional): old and new row, row by row.
CREATE OR REPLACE FUNCTION {{audit}}.log_updated_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{audit}}, pg_temp AS $cenate$
BEGIN
    INSERT INTO audit_log (schema_name, table_name, operation, old_row, new_row)
    VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'UPDATE', pg_catalog.to_jsonb(OLD), pg_catalog.to_jsonb(NEW));
    RETURN NULL;
END
$cenate$;

-- TRUNCATE: BEFORE the rows go, statement level. TG_ARGV[0] = 'Rows' copies every row into the log (costs a full
-- read and write of the table), 'CountOnly' records only how many rows went. Either way it reads the table as the audit
-- owner, which the service grants SELECT on the table (and USAGE on its schema) for that.
CREATE OR REPLACE FUNCTION {{audit}}.log_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{audit}}, pg_temp
    SET DateStyle = 'ISO, YMD' SET IntervalStyle = 'postgres' SET extra_float_digits = 3 SET bytea_output = 'hex' SET lc_monetary = 'C' AS $cenate$
DECLARE
    n bigint;
    shape uuid;
BEGIN
    IF TG_ARGV[0] = 'Rows' THEN
        shape := row_shape(TG_RELID);
        -- audit_log resolves through the pinned search_path (pg_catalog has none; pg_temp comes last).
        EXECUTE pg_catalog.format('INSERT INTO audit_log (schema_name, table_name, operation, old_row, old_row_image, old_row_shape) SELECT %L, %L, %L, pg_catalog.to_jsonb(t), t::text, $1 FROM ONLY %I.%I t',
            TG_TABLE_SCHEMA, TG_TABLE_NAME, 'TRUNCATE', TG_TABLE_SCHEMA, TG_TABLE_NAME) USING shape;
        GET DIAGNOSTICS n = ROW_COUNT;
    ELSE
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM ONLY %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO n;
    END IF;
    INSERT INTO audit_log (schema_name, table_name, operation, row_count) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'TRUNCATE', n);
    RETURN NULL;
END
$cenate$;

REVOKE ALL ON FUNCTION {{audit}}.row_shape(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION {{audit}}.log_deleted_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION {{audit}}.log_updated_row() FROM PUBLIC;
REVOKE ALL ON FUNCTION {{audit}}.log_truncate() FROM PUBLIC;

-- The guard (run by two event triggers that only a superuser can create, see install-guard.sql): PostgreSQL lets a
-- table's owner ALTER TABLE … DISABLE TRIGGER and DROP TRIGGER on its own table; this refuses that, and renaming or
-- replacing a cenate_audit_* trigger, to everyone who is not the audit owner, a member of it or a superuser.
-- SECURITY INVOKER on purpose: current_user is the role running the DDL. It reads only the catalogs, and finds its own
-- schema and owner through the event trigger that runs it ({{guard}} is made of [a-z0-9_] only).
CREATE OR REPLACE FUNCTION {{audit}}.guard_audit_triggers() RETURNS event_trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $cenate$
DECLARE
    ns oid;
    owner oid;
    bad text;
BEGIN
    SELECT p.pronamespace, p.proowner INTO ns, owner FROM pg_event_trigger e JOIN pg_proc p ON p.oid = e.evtfoid
     WHERE e.evtname IN ('{{guard}}', '{{guard}}_drop') ORDER BY e.evtname LIMIT 1;
    IF owner IS NULL OR pg_has_role(current_user, owner, 'MEMBER') THEN
        RETURN;
    END IF;
    IF TG_EVENT = 'sql_drop' THEN
        -- Only triggers dropped by name (original): DROP TABLE takes its triggers along, and that stays the owner's right.
        SELECT string_agg(o.object_identity, ', ' ORDER BY o.object_identity) INTO bad
          FROM pg_event_trigger_dropped_objects() o
         WHERE o.object_type = 'trigger' AND o.original AND starts_with(o.address_names[array_upper(o.address_names, 1)], 'cenate_audit_');
    ELSE
        SELECT string_agg(pg_catalog.format('%s on %s', t.tgname, t.tgrelid::regclass), ', ' ORDER BY t.tgname) INTO bad
          FROM pg_trigger t LEFT JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE (t.tgrelid IN (SELECT c.objid FROM pg_event_trigger_ddl_commands() c WHERE c.classid = 'pg_class'::regclass)
                OR t.oid IN (SELECT c.objid FROM pg_event_trigger_ddl_commands() c WHERE c.classid = 'pg_trigger'::regclass))
           AND NOT t.tgisinternal
           AND CASE WHEN p.pronamespace = ns AND p.proname IN ('log_deleted_rows', 'log_updated_row', 'log_truncate')
                    THEN t.tgenabled NOT IN ('O', 'A') OR NOT starts_with(t.tgname, 'cenate_audit_')
                    ELSE starts_with(t.tgname, 'cenate_audit_') AND p.proname NOT IN ('log_deleted_rows', 'log_updated_row', 'log_truncate') END;
        -- An audited table that joins an inheritance tree (ALTER TABLE … INHERIT, ATTACH PARTITION, CREATE TABLE …
        -- INHERITS): a DELETE through the parent fires no statement trigger on the child, so its rows would go unlogged.
        IF bad IS NULL THEN
            SELECT string_agg(pg_catalog.format('%s (child of %s)', i.inhrelid::regclass, i.inhparent::regclass), ', ' ORDER BY 1) INTO bad
              FROM pg_inherits i
             WHERE (i.inhrelid IN (SELECT c.objid FROM pg_event_trigger_ddl_commands() c WHERE c.classid = 'pg_class'::regclass)
                    OR i.inhparent IN (SELECT c.objid FROM pg_event_trigger_ddl_commands() c WHERE c.classid = 'pg_class'::regclass))
               AND EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                            WHERE t.tgrelid IN (i.inhrelid, i.inhparent) AND p.pronamespace = ns
                              AND p.proname IN ('log_deleted_rows', 'log_updated_row', 'log_truncate'));
            IF bad IS NOT NULL THEN
                RAISE EXCEPTION 'an audited table may not join an inheritance tree or become a partition: % (rows deleted through the parent would not be logged); only the audit log''s owner % (a member of it, or a superuser) may do that', bad, owner::regrole
                    USING ERRCODE = 'insufficient_privilege',
                          HINT = 'CenateBackup: remove the audit first (Uninstall-CenateAuditTrigger, connected as a superuser).';
            END IF;
        END IF;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'the audit trigger % may be disabled, renamed, replaced or dropped only by the audit log''s owner % (a member of it, or a superuser)', bad, owner::regrole
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'CenateBackup: remove the audit of a table with Uninstall-CenateAuditTrigger, connected as a superuser.';
    END IF;
END
$cenate$;
REVOKE ALL ON FUNCTION {{audit}}.guard_audit_triggers() FROM PUBLIC;
