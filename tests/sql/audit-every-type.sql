-- A table with every built-in type family and the values to_jsonb cannot keep, for the audit tests
-- (audit.pgtap.sql includes it with \ir; AuditExact.Tests.ps1 runs it with psql -f). Creates public.aet_every_type
-- with 5 rows (id 1..5) and its types; nothing else.
CREATE TYPE public.aet_pair AS (a int, b text);
CREATE DOMAIN public.aet_positive AS int CHECK (VALUE > 0);
CREATE TYPE public.aet_color AS ENUM ('rojo', 'verde');
CREATE TABLE public.aet_every_type (
    id  int PRIMARY KEY,
    jb  jsonb,  js  json,   f8  float8, f4  float4, nu numeric, n3 numeric(10,3),
    ai  int[],  at  text[], ai2 int[],  c   public.aet_pair,    d  public.aet_positive,
    r   int4range, tr tstzrange, mr int4multirange,
    b   bytea,  iv  interval, x xml,    bt  bit(4), vb varbit,  ch char(5), vc varchar(8), tx text,
    ts  timestamp, tz timestamptz, dt date, tm time, tt timetz,
    m   money,  bo  boolean, u uuid,    ip  inet,   ci cidr,    mac macaddr,
    e   public.aet_color, pt point, bx box, tv tsvector, tq tsquery,
    i2  int2,   i8  int8,   c1 "char",  nm  name,   ls pg_lsn,  oi oid, rc regclass, rt regtype,
    g   text GENERATED ALWAYS AS (upper(tx)) STORED
);
INSERT INTO public.aet_every_type (id, jb, js, f8, f4, nu, n3, ai, at, ai2, c, d, r, tr, mr, b, iv, x, bt, vb, ch, vc, tx, ts, tz, dt, tm, tt,
                                   m, bo, u, ip, ci, mac, e, pt, bx, tv, tq, i2, i8, c1, nm, ls, oi, rc, rt) VALUES
    -- jsonb null (not SQL NULL), json with spaces and duplicate keys, -0, NaN, arrays with NULL, nested arrays, a
    -- composite whose fields are all NULL (not SQL NULL), char(n) padding, timestamps +-infinity, an empty string.
    (1, 'null', '{"a": 1,  "a" : 2 }', '-0', '-0', 'NaN', 1.500, '{1,NULL,3}', '{{a,NULL},{"x y",""}}', '{{1,2},{3,NULL}}', '(,)', 5,
     '[1,5)', '[2024-01-01 00:00+00,2024-02-01 00:00+00)', '{[1,3),[5,7)}', '\x00ff00', '1 day -02:00:00.5', '<a  b="1">x</a>',
     '1010', '101', 'ab', 'ab', '', 'infinity', '-infinity', 'infinity', '23:59:59.999999', '10:00:00+05:30',
     12.34, true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.0.0.1', '10.0.0.0/8', '08:00:2b:01:02:03',
     'rojo', '(1.5,-0)', '((0,0),(1,1))', 'a:1 b:2', 'a & !b', -32768, 9223372036854775807, 'x', 'nombre', '16/B374D848', 4294967295, 'pg_catalog.pg_class', 'integer[]'),
    -- SQL NULL in every column but the key.
    (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    -- +-Infinity, a jsonb object holding null, json array with odd spacing, a composite with a comma and quotes,
    -- text with quotes, a backslash, a newline and a tab, an empty array, an empty range, an XML fragment (content).
    (3, '{"k": null, "n": -0}', '[1,2.50,   3]', 'Infinity', '-Infinity', 'Infinity', -0.000, '{}', '{"","NULL",NULL}', '{}', '(1,"x,y ""z""")', 7,
     'empty', 'empty', '{}', '\x', '-1 mons +1 day -00:00:01', 'texto <b>x</b> m&#225;s', '0000', '', 'abcde', 'a"b\c', E'a"b\\c\nd\te',
     '-infinity', 'infinity', '-infinity', '00:00:00', '00:00:00-14', -0.01, false, '00000000-0000-0000-0000-000000000000', '::1', '::/0',
     'ff:ff:ff:ff:ff:ff', 'verde', '(-0,NaN)', '((-1,-1),(-2,-2))', '', '!a', 0, -9223372036854775808, ' ', '', '0/0', 0, 'public.aet_every_type', 'public.aet_pair'),
    -- Floats that rounding would change, numeric scale, a subnormal double, dates far away.
    (4, '[1.0, 1e2, "x"]', '{}', '0.1', '0.1', '-0', 123.450, '{2147483647,-2147483648}', '{"\\","\""}', '{{{1}}}', '(-1,)', 2147483647,
     '(,)', '(,2024-01-01 00:00+00]', '{(,)}', '\xdeadbeef', '178000000 years', '<?xml version="1.0"?><r/>', '1111', '1', '     ', 'ñandú', 'ñandú',
     '294276-12-31 23:59:59.999999', '4713-11-24 00:00:00+00 BC', '5874897-12-31', '24:00:00', '23:59:59+15:59', -92233720368547758.08, NULL,
     'ffffffff-ffff-ffff-ffff-ffffffffffff', '192.168.1.1/24', '192.168.0.0/16', '00:00:00:00:00:00', 'rojo', '(1e-300,4.9e-324)',
     '((1e300,1),(-1e300,-1))', 'x:1A,2B y', 'x:* <-> y', 1, 1, 'z', repeat('n', 63), 'FFFFFFFF/FFFFFFFF', 1, 'pg_class', 'public.aet_positive'),
    -- A double just above the smallest normal, and the largest; nested composite quoting.
    (5, '{"a": {"b": [null, false, 0.000001]}}', 'null', '2.2250738585072014e-308', '3.4028235e+38', '0.000000000000000000001', 0,
     '{NULL}', '{{NULL,NULL}}', NULL, '(0,"(1,2)")', 1, '[,)', '[,)', '{[,)}', '\x5c', '0', '', NULL, NULL, 'a b', '', ' ',
     '2000-02-29 12:00:00', '2000-02-29 12:00:00.123456+00', '2000-02-29', '12:34:56.789', '12:00:00+00', 0, true, NULL, '0.0.0.0/0', '0.0.0.0/0',
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
