-- The audit log as the module installed it before it kept exact row images (commit 7b0bed7..d23322f): the upgrade
-- tests install this, log rows with it, then run Install-CenateAuditTrigger over it. Do not edit: it is history.
-- CenateBackup audit log: schema, append-only log table and trigger functions. Idempotent.
-- {{audit}} is the audit schema, quoted. Runs in one transaction with search_path = ''.
CREATE SCHEMA IF NOT EXISTS {{audit}};
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
    transaction_id    bigint      NOT NULL DEFAULT pg_catalog.txid_current()
);
-- Append-only for everyone but its owner: no privilege for PUBLIC; the trigger functions write as the owner.
REVOKE ALL ON TABLE {{audit}}.audit_log FROM PUBLIC;
CREATE INDEX IF NOT EXISTS audit_log_table_time_idx ON {{audit}}.audit_log (schema_name, table_name, logged_at);
COMMENT ON TABLE {{audit}}.audit_log IS 'CenateBackup audit log: every deleted, truncated (and optionally updated) row, with who, when and how. Append-only.';

-- DELETE: one statement-level trigger with a transition table logs every deleted row in one INSERT (a row-level
-- trigger would run one INSERT per row).
CREATE OR REPLACE FUNCTION {{audit}}.log_deleted_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{audit}}, pg_temp AS $cenate$
BEGIN
    INSERT INTO audit_log (schema_name, table_name, operation, old_row)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, 'DELETE', pg_catalog.to_jsonb(o) FROM cenate_deleted_rows o;
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
-- read and write of the table), 'CountOnly' records only how many rows went.
CREATE OR REPLACE FUNCTION {{audit}}.log_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, {{audit}}, pg_temp AS $cenate$
DECLARE
    n bigint;
BEGIN
    IF TG_ARGV[0] = 'Rows' THEN
        EXECUTE pg_catalog.format('INSERT INTO %I.audit_log (schema_name, table_name, operation, old_row) SELECT %L, %L, %L, pg_catalog.to_jsonb(t) FROM ONLY %I.%I t',
            '{{audit_name}}', TG_TABLE_SCHEMA, TG_TABLE_NAME, 'TRUNCATE', TG_TABLE_SCHEMA, TG_TABLE_NAME);
        GET DIAGNOSTICS n = ROW_COUNT;
    ELSE
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM ONLY %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO n;
    END IF;
    INSERT INTO audit_log (schema_name, table_name, operation, row_count) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, 'TRUNCATE', n);
    RETURN NULL;
END
$cenate$;

REVOKE ALL ON FUNCTION {{audit}}.log_deleted_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION {{audit}}.log_updated_row() FROM PUBLIC;
REVOKE ALL ON FUNCTION {{audit}}.log_truncate() FROM PUBLIC;
