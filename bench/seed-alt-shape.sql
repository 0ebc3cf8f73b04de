-- A second shape of public.asegurados for the benchmark (SHAPE=alt bash bench/run-bench.sh), independent of
-- scripts/seed-asegurados.sql: the same table name, but few text columns and mostly numbers, dates, timestamps,
-- booleans and a uuid-like text, some NULLs, a bigint primary key, and one wide-ish varchar holding commas, double
-- quotes, empty strings and the odd embedded newline (CSV quoting). About 200 bytes per row of COPY text.
--   psql -X -v ON_ERROR_STOP=1 -v rows=4000000 -h 127.0.0.1 -p 55451 -U cenate -d maestro_cenate -f bench/seed-alt-shape.sql
-- Idempotent (drops and recreates public.asegurados only; ipress and afiliaciones_log, if present, are left alone:
-- neither references asegurados) and deterministic: values come from integer hashes of the row number
-- (hashint8extended, the same on every platform) and md5 of it, never random()/now(). PostgreSQL 14+.
-- run-bench.sh recognises this shape by its column ref_uuid, which the default shape does not have.
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 20000
\endif

SET client_min_messages = warning;
SET maintenance_work_mem = '256MB';
SET synchronous_commit = off;
SET TIME ZONE 'UTC';

DROP TABLE IF EXISTS public.asegurados CASCADE;

CREATE TABLE public.asegurados (
    id              bigint           NOT NULL,
    ref_uuid        text             NOT NULL,
    cuenta          integer          NOT NULL,
    contador        smallint,
    saldo           numeric(14,4)    NOT NULL,
    tasa            double precision,
    puntaje         real,
    activo          boolean          NOT NULL,
    verificado      boolean,
    categoria       char(2)          NOT NULL,
    vigente_desde   date             NOT NULL,
    vigente_hasta   date,
    registrado_en   timestamptz      NOT NULL,
    modificado_en   timestamp,
    observacion     varchar(160)
);

-- h1..h4: deterministic hashes of the row number i; m: md5 of it (the uuid-like text).
INSERT INTO public.asegurados
      (id, ref_uuid, cuenta, contador, saldo, tasa, puntaje, activo, verificado, categoria,
       vigente_desde, vigente_hasta, registrado_en, modificado_en, observacion)
SELECT i,
       substr(m, 1, 8) || '-' || substr(m, 9, 4) || '-4' || substr(m, 14, 3) || '-a' || substr(m, 18, 3)
         || '-' || substr(m, 21, 12),
       (h1 % 2000000000)::int,
       CASE WHEN h2 % 11 = 0 THEN NULL ELSE (h2 % 32000)::smallint END,
       ((h3 % 100000000000) / 10000.0)::numeric(14,4) * CASE WHEN h4 % 9 = 0 THEN -1 ELSE 1 END,
       CASE WHEN h1 % 13 = 0 THEN NULL ELSE (h2 % 1000003)::float8 / 7.0 END,
       CASE WHEN h3 % 7 = 0 THEN NULL ELSE ((h4 % 100000) / 1000.0)::real END,
       h1 % 4 <> 0,
       CASE WHEN h2 % 5 = 0 THEN NULL ELSE h3 % 2 = 0 END,
       (ARRAY['A1','A2','B1','B2','C ','D3','E4','Z9'])[1 + h4 % 8],
       date '2000-01-01' + (h1 % 9000)::int,
       CASE WHEN h2 % 3 = 0 THEN NULL ELSE date '2000-01-01' + (h1 % 9000)::int + (h3 % 3650)::int END,
       timestamptz '2010-01-01 00:00:00+00' + interval '1 second' * (h4 % 473040000) + interval '1 millisecond' * (h1 % 1000),
       CASE WHEN h1 % 4 = 0 THEN NULL
            ELSE timestamp '2020-01-01 00:00:00' + interval '1 second' * (h2 % 157680000) + interval '1 microsecond' * (h3 % 1000000) END,
       CASE h3 % 16
            WHEN 0 THEN NULL
            WHEN 1 THEN ''
            WHEN 2 THEN 'Nota "urgente", revisar: saldo, tasa y cuenta ' || (h1 % 100000)
            WHEN 3 THEN E'Línea 1, "cita"\nLínea 2; fin'
            WHEN 4 THEN 'O''Brien, "El Tío", Ñuñoa ' || (h2 % 1000) || ', Lote ' || (h4 % 97)
            ELSE (ARRAY['conciliado','pendiente de revisión','observado, sin firma','anulado por duplicado',
                        'transferido a la cuenta ' || (h2 % 999999),'cargo, abono, ajuste'])[1 + h4 % 6]
                 || ', ref ' || (h4 % 1000000) END
FROM (
    SELECT i,
           md5(i::text)                                 AS m,
           hashint8extended(i, 11) & 2147483647         AS h1,
           hashint8extended(i, 12) & 2147483647         AS h2,
           hashint8extended(i, 13) & 2147483647         AS h3,
           hashint8extended(i, 14) & 2147483647         AS h4
    FROM generate_series(1::bigint, (:rows)::bigint) AS i
) AS r;

ALTER TABLE public.asegurados ADD CONSTRAINT asegurados_pkey PRIMARY KEY (id);
COMMENT ON TABLE public.asegurados IS 'Benchmark alt shape (bench/seed-alt-shape.sql): deterministic, numbers/dates/timestamps';
ANALYZE public.asegurados;
