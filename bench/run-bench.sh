#!/usr/bin/env bash
# Benchmark: CenateBackup vs the seed's way (docker exec pg_dump / docker cp / psql | gzip) on the same
# 4,000,000-row asegurados, on this machine, in one run. Not a test: it prints a table of times and ratios.
#   bash bench/run-bench.sh [rows]
#   ONLY=PREFIX[,PREFIX…] bash bench/run-bench.sh [rows]   only the cases whose key starts with a PREFIX, e.g.
#     ONLY=export,floor,set         every row of the daily-set performance table (README, bench/RESULTS.md)
#     ONLY=container / ONLY=host   the dump cases (New-CenateDump vs docker exec pg_dump / pg_dump over TCP)
#     ONLY=export                  CSV of asegurados (Export-CenateAseguradosCsv vs psql COPY | gzip, psql > file),
#                                  and the floor cases below
#     ONLY=floor                   the server's own COPY asegurados TO '/dev/null' (CSV with header, and text): what
#                                  reading the table costs the server alone, the floor of the CSV cases (superuser)
#     ONLY=set                     the plan's whole daily set (New-CenateDump -Include Csv,Sql | Test-CenateBackup
#                                  vs bench/plan-backup.sh), and set_rss: the set at the module's defaults + Read in
#                                  a fresh pwsh process under /usr/bin/time -v (peak RSS, wall clock; bench/Run-DailySet.ps1),
#                                  beside pwsh + Import-Module alone
#     ONLY=verify                  Test-CenateBackup on one module-made dump: Read (local and in the container) vs
#                                  pg_restore -f /dev/null, and the Restore drill vs createdb + pg_restore -d + count
#     ONLY=restore                 Restore-CenateTable on the table: MissingRows of 10,000 deleted rows, Replace, Staging
#                                  (absolute targets; by hand: pg_restore -t into an empty database, for scale)
#     ONLY=compare                 Compare-CenateBackup of two sets (10,000 deleted, 500 inserted, 100 updated rows) vs
#                                  gzip -dc of both CSV.gz, time and peak RSS, at [rows] and at 1,000,000 rows; lists
#                                  checked against psql EXCEPT (bench/Measure-Compare.ps1)
#     (point-in-time recovery time: bash bench/Measure-Pitr.sh, a container of its own)
#     ONLY=base                    base backups: New-CenateBaseBackup vs docker exec pg_basebackup -D - -Ft -X fetch | gzip
#                                  (and > file uncompressed), and the base backup followed by its pg_verifybackup check
#     ONLY=audit                   audit trigger costs: DELETE of 100,000 rows without/with the trigger, TRUNCATE with
#                                  row capture (seconds, log size) and CountOnly (bench/Measure-Audit.sh)
#   REPEAT=N (default 2): best of N runs per case (set_rss: one run).
#   SHAPE=default|alt (default: default): the table's shape. default = scripts/seed-asegurados.sql (text-heavy, ~330
#     bytes per row of COPY text); alt = bench/seed-alt-shape.sql (the same name asegurados, mostly numbers, dates,
#     timestamps, booleans and a uuid-like text, ~200 bytes per row), in a container of its own. The table printed is
#     labelled with the shape. The compare group needs the default shape's columns and is skipped with SHAPE=alt.
#   BENCH_CONTAINER=NAME, BENCH_PORT=PORT: the container to benchmark (defaults: cenate_bench_pg on 55450;
#     with SHAPE=alt cenate_bench_alt on 55451).
# A case that fails prints "[bench] KEY FAILED …" and shows '-' in the table; the other cases still run.
# Uses the test rig's image and a dedicated host-network container on 127.0.0.1:PORT; reuses it when it already holds
# the requested number of rows of the requested shape (the alt shape is recognised by its column ref_uuid), else
# (re)seeds it: the default shape by `scripts/rig.sh container` (a restart), the alt shape by running
# bench/seed-alt-shape.sql in the running container (started first with `scripts/rig.sh container NAME PORT 0`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
ROWS="${1:-4000000}"
ONLY="${ONLY:-}"
SHAPE="${SHAPE:-default}"
case "$SHAPE" in
  default) NAME="${BENCH_CONTAINER:-cenate_bench_pg}"; PORT="${BENCH_PORT:-55450}"; SHAPE_SRC=scripts/seed-asegurados.sql ;;
  alt)     NAME="${BENCH_CONTAINER:-cenate_bench_alt}"; PORT="${BENCH_PORT:-55451}"; SHAPE_SRC=bench/seed-alt-shape.sql ;;
  *)       echo "[bench] SHAPE must be 'default' or 'alt', not '$SHAPE'" >&2; exit 2 ;;
esac
[[ "$ROWS" =~ ^[0-9]+$ ]] || { echo "[bench] rows must be a number, not '$ROWS'" >&2; exit 2; }
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "[bench] BENCH_PORT must be a number, not '$PORT'" >&2; exit 2; }
[[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "[bench] invalid BENCH_CONTAINER '$NAME'" >&2; exit 2; }
export PATH="$HOME/.dotnet/tools:$PATH"
OUT="$ROOT/bench/results"; mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/cenate-bench.XXXXXX)"; chmod 700 "$WORK"
trap 'rm -rf "$WORK"' EXIT

[ -d out/CenateBackup ] || bash scripts/build.sh
bash scripts/rig.sh engine >/dev/null
. "$(bash scripts/rig.sh env)"
export PGPASSWORD="$CENATE_TEST_PASSWORD"
pq() { psql -X -Atq -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate "$@"; }
table_shape() {   # prints the shape of public.asegurados on PORT (default / alt), nothing when unreachable or absent
  pq -c "SELECT CASE WHEN to_regclass('public.asegurados') IS NULL THEN NULL
                     WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public.asegurados'::regclass
                                  AND attname = 'ref_uuid' AND NOT attisdropped) THEN 'alt' ELSE 'default' END" 2>/dev/null || true
}
our_container_up() {   # NAME runs, was started for PORT, and its server answers there
  [ "$(docker container inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null || true)" = true ] || return 1
  [ "$(docker container inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$NAME" 2>/dev/null | sed -n 's/^PGPORT=//p' | head -n 1)" = "$PORT" ] || return 1
  pq -c 'SELECT 1' >/dev/null 2>&1
}
have_shape="$(table_shape)"
have=""; [ -z "$have_shape" ] || have="$(pq -c 'select count(*) from asegurados' 2>/dev/null || true)"
if [ "$have" != "$ROWS" ] || [ "$have_shape" != "$SHAPE" ]; then
  echo "[bench] seeding $ROWS rows of the $SHAPE shape into $NAME (127.0.0.1:$PORT; it holds ${have:-no} rows of shape ${have_shape:-none})…"
  if [ "$SHAPE" = default ]; then
    bash scripts/rig.sh container "$NAME" "$PORT" "$ROWS" >/dev/null
  else
    our_container_up || bash scripts/rig.sh container "$NAME" "$PORT" 0 >/dev/null
    pq -v rows="$ROWS" -f bench/seed-alt-shape.sql >/dev/null
    if [ "$(table_shape)" != alt ] || [ "$(pq -c 'select count(*) from asegurados')" != "$ROWS" ]; then
      echo "[bench] seeding the alt shape into $NAME failed" >&2; exit 1
    fi
  fi
fi
psql -X -Atq -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate -c "VACUUM ANALYZE asegurados" >/dev/null
SIZE="$(psql -X -Atq -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate -c "select pg_size_pretty(pg_table_size('asegurados'))")"

REPEAT="${REPEAT:-2}"
declare -A T
# A case runs when ONLY is empty or a prefix of its key, or of the group it also belongs to (ALSO).
declare -A ALSO=([floor_copy_csv]=export [floor_copy_text]=export)
# ONLY may list several prefixes, comma-separated (ONLY=export,floor,set: every row of the daily-set table).
wanted() {
  [ -z "$ONLY" ] && return 0
  local p prefixes
  IFS=, read -ra prefixes <<< "$ONLY"
  for p in "${prefixes[@]}"; do
    [[ "$1" == $p* ]] && return 0
    [ -n "${ALSO[$1]:-}" ] && [[ "${ALSO[$1]}" == $p* ]] && return 0
  done
  return 1
}
best_of() {   # best_of KEY command...: the best of REPEAT runs, in seconds
  local key="$1"; shift
  wanted "$key" || return 0
  local best="" t0 t1 d i rc
  for (( i = 0; i < REPEAT; i++ )); do
    # In a subshell with -e of its own (not inside `if`, which would switch -e off in the case's functions),
    # so a failing step fails the case and only the case.
    t0=$(date +%s.%N); set +e; ( set -e; "$@" ); rc=$?; set -e; t1=$(date +%s.%N)
    if [ $rc -ne 0 ]; then echo "[bench] $key FAILED (exit $rc); shown as '-'" >&2; return 0; fi
    d=$(python3 -c "print(f'{$t1-$t0:.1f}')")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $d < $best else 1)"; then best=$d; fi
  done
  T[$key]=$best
  echo "[bench] $key: ${T[$key]} s (best of $REPEAT)"
}
size_of() { stat -c %s "$1"; }
seed_z9() {
  docker exec -e PGPASSWORD "$NAME" pg_dump -p "$PORT" -U cenate -d maestro_cenate --format=custom --compress=9 --file=/tmp/bench.dump
  docker cp "$NAME:/tmp/bench.dump" "$WORK/seed9.dump"; docker exec "$NAME" rm -f /tmp/bench.dump
}
seed_z1_cli() { docker exec -e PGPASSWORD "$NAME" pg_dump -p "$PORT" -U cenate -d maestro_cenate -Fc -Z1 > "$WORK/seed1.dump"; }
plain_tcp() { pg_dump -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate -Fc -Z6 -f "$WORK/plain6.dump"; }
# Export group: CSV of asegurados, the plan's way through the container, and the local psql 15 over TCP.
seed_csvgz() {
  docker exec -e PGPASSWORD "$NAME" psql -p "$PORT" -U cenate -d maestro_cenate -c "COPY asegurados TO STDOUT WITH CSV HEADER" | gzip > "$WORK/seed.csv.gz"
}
psql_csv() { psql -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate -c "COPY asegurados TO STDOUT WITH CSV HEADER" > "$WORK/psql.csv"; }
# Floor: the server's own COPY to its /dev/null (no client, no network): what reading and formatting the table costs.
floor_csv() { pq -c "COPY asegurados TO '/dev/null' WITH (FORMAT csv, HEADER)" >/dev/null; }
floor_text() { pq -c "COPY asegurados TO '/dev/null'" >/dev/null; }
# Set group: the plan's whole daily backup script, end to end (dump + data-only SQL + CSV, verification, statistics).
plan_set() { rm -rf "$WORK/plan"; bash bench/plan-backup.sh "$NAME" "$PORT" "$WORK/plan" >/dev/null; }

psql -X -Atq -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate -c "select count(*) from asegurados" >/dev/null   # warm the cache
best_of container_z9_seed seed_z9
best_of container_z1_cli seed_z1_cli
best_of host_z6_pgdump plain_tcp
best_of export_csvgz_seed seed_csvgz
best_of export_csv_psql psql_csv
CSV_PSQL_SIZE="$(size_of "$WORK/psql.csv" 2>/dev/null || echo 0)"; rm -f "$WORK/psql.csv"   # ~1.35 GB at 4M rows
best_of floor_copy_csv floor_csv
best_of floor_copy_text floor_text
best_of set_plan plan_set
PLAN_SIZE="$(du -cb "$WORK"/plan/*.dump "$WORK"/plan/*.gz 2>/dev/null | tail -n 1 | cut -f1 || true)"
PLAN_CSVGZ_SIZE="$(size_of "$WORK"/plan/asegurados_*.csv.gz 2>/dev/null || echo 0)"
rm -rf "$WORK/plan"
# Base group: pg_basebackup of the whole cluster by hand through the container, compressed by gzip and not compressed.
base_by_hand_gzip() {
  docker exec -e PGPASSWORD "$NAME" pg_basebackup -p "$PORT" -U cenate -D - -Ft -X fetch -c fast | gzip > "$WORK/seed.base.tar.gz"
}
base_by_hand_tar() { docker exec -e PGPASSWORD "$NAME" pg_basebackup -p "$PORT" -U cenate -D - -Ft -X fetch -c fast > "$WORK/seed.base.tar"; }
best_of base_seed_gzip base_by_hand_gzip
best_of base_seed_tar base_by_hand_tar
BASE_SEED_SIZE="$(size_of "$WORK/seed.base.tar.gz" 2>/dev/null || echo 0)"; BASE_TAR_SIZE="$(size_of "$WORK/seed.base.tar" 2>/dev/null || echo 0)"
rm -f "$WORK/seed.base.tar.gz" "$WORK/seed.base.tar"
# Verify group: one set made by the module (default level), then read and restored both ways.
VSET=""
if [ -z "$ONLY" ] || [[ verify == $ONLY* ]] || [[ "$ONLY" == verify* ]]; then
  pwsh -NoProfile -NonInteractive -Command "Import-Module '$ROOT/out/CenateBackup/CenateBackup.psd1'; \$c=[pscredential]::new('cenate',(ConvertTo-SecureString \$env:PGPASSWORD -AsPlainText -Force)); \$null = New-CenateDump -Container $NAME -Port $PORT -Credential \$c -Path '$WORK/vset' -ProgressAction SilentlyContinue"
  VSET="$(ls "$WORK"/vset/*.manifest.json)"; VDUMP="$(ls "$WORK"/vset/*.dump)"
  echo "[bench] verify set: $VDUMP ($(size_of "$VDUMP") bytes)"
fi
verify_read_local() { pg_restore -f /dev/null "$VDUMP"; }
verify_read_exec() { docker exec -i "$NAME" pg_restore -f /dev/null < "$VDUMP"; }
# The plan's monthly restore test done by hand: a scratch database, the dump restored in the container, a count, drop.
verify_drill_manual() {
  psql -X -q -h 127.0.0.1 -p "$PORT" -U cenate -d postgres -c "DROP DATABASE IF EXISTS bench_drill" -c "CREATE DATABASE bench_drill"
  docker exec -i -e PGPASSWORD "$NAME" pg_restore -p "$PORT" -U cenate -d bench_drill --no-owner --exit-on-error < "$VDUMP"
  psql -X -Atq -h 127.0.0.1 -p "$PORT" -U cenate -d bench_drill -c "select count(*) from asegurados" >/dev/null
  psql -X -q -h 127.0.0.1 -p "$PORT" -U cenate -d postgres -c "DROP DATABASE bench_drill"
}
if [ -n "$VSET" ]; then
  best_of verify_read_pgrestore verify_read_local
  best_of verify_read_pgrestore_exec verify_read_exec
  best_of verify_drill_manual verify_drill_manual
fi
# Restore group: a by-hand table restore for scale (pg_restore -t into an empty database: no keys, no indexes),
# then the module's three modes on the live bench table (bench/Measure-Restore.ps1).
restore_by_hand() {
  [ -n "${RDUMP:-}" ] || { pg_dump -Fc -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate -f "$WORK/restore-ref.dump"; RDUMP="$WORK/restore-ref.dump"; }
  psql -X -q -h 127.0.0.1 -p "$PORT" -U cenate -d postgres -c "DROP DATABASE IF EXISTS bench_rt" -c "CREATE DATABASE bench_rt"
  docker exec -i -e PGPASSWORD "$NAME" pg_restore -p "$PORT" -U cenate -d bench_rt --no-owner -t asegurados < "$RDUMP"
  psql -X -q -h 127.0.0.1 -p "$PORT" -U cenate -d postgres -c "DROP DATABASE bench_rt"
}
if [ -z "$ONLY" ] || [[ "$ONLY" == restore* ]]; then
  pg_dump -Fc -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate -f "$WORK/restore-ref.dump"; RDUMP="$WORK/restore-ref.dump"
  REPEAT=1 best_of restore_pgrestore_t restore_by_hand
  if rjson="$(pwsh -NoProfile -NonInteractive -File bench/Measure-Restore.ps1 -ModulePath "$ROOT/out/CenateBackup/CenateBackup.psd1" \
      -Container "$NAME" -Port "$PORT" -Work "$WORK")"; then
    echo "[bench] restore cases: $rjson"
    for k in restore_missing10k restore_replace restore_staging; do
      T[$k]="$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('$k',''))" "$rjson")"
    done
  else
    echo "[bench] Measure-Restore.ps1 FAILED; restore cases shown as '-'" >&2
  fi
fi
# Compare group: at the table's size and at 1,000,000 rows (memory must not grow with the table), each on a copy of the
# bench database; fails loudly when a key list differs from psql EXCEPT.
declare -A CMP
if [ "$SHAPE" != default ] && { [ -z "$ONLY" ] || [[ "$ONLY" == compare* ]]; }; then
  echo "[bench] compare group skipped: bench/Measure-Compare.ps1 needs the default shape's columns" >&2
elif [ -z "$ONLY" ] || [[ "$ONLY" == compare* ]]; then
  for n in $(printf '%s\n' "$ROWS" 1000000 | sort -nu); do
    [ "$n" -le "$ROWS" ] || continue
    if cjson="$(pwsh -NoProfile -NonInteractive -File bench/Measure-Compare.ps1 \
        -ModulePath "$ROOT/out/CenateBackup/CenateBackup.psd1" -Container "$NAME" -Port "$PORT" -Work "$WORK/compare" -Rows "$n")"; then
      echo "[bench] compare at $n rows: $cjson"; CMP[$n]="$cjson"
    else
      echo "[bench] Measure-Compare.ps1 at $n rows FAILED" >&2
    fi
  done
fi
AUDIT_JSON=""
if [ -z "$ONLY" ] || [[ "$ONLY" == audit* ]]; then
  if AUDIT_JSON="$(bash bench/Measure-Audit.sh "$NAME" "$PORT")"; then echo "[bench] audit cases: $AUDIT_JSON"; else echo "[bench] Measure-Audit.sh FAILED" >&2; AUDIT_JSON=""; fi
fi
# The module's cases run in one pwsh session, each timed around the cmdlet (best of REPEAT).
t0=$(date +%s.%N)
if ! json="$(pwsh -NoProfile -NonInteractive -File bench/Measure-Module.ps1 -ModulePath "$ROOT/out/CenateBackup/CenateBackup.psd1" \
  -Container "$NAME" -Port "$PORT" -Work "$WORK" -Repeat "$REPEAT" -Only "$ONLY" -VerifySet "$VSET")" || [ -z "$json" ]; then
  echo "[bench] Measure-Module.ps1 FAILED; module cases shown as '-'" >&2
  json='{}'
fi
echo "[bench] module cases: $json"
jget() { python3 -c "import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print('' if v is None else v)" "$json" "$1"; }
for k in container_z9_module container_z1_module host_z6_module \
         export_csvgz_module export_csv_module set_z9_module set_default_module \
         verify_read_module verify_read_exec_module verify_drill_module base_module base_z1_module base_verified_module; do
  T[$k]="$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d.get('$k',''))" "$json")"
done
# One cold run of a whole pwsh process for the level-9 case, to show what starting pwsh adds.
cold() { rm -rf "$WORK/cold"; pwsh -NoProfile -NonInteractive -Command "Import-Module '$ROOT/out/CenateBackup/CenateBackup.psd1'; \$c=[pscredential]::new('cenate',(ConvertTo-SecureString \$env:PGPASSWORD -AsPlainText -Force)); \$null = New-CenateDump -Container $NAME -Port $PORT -Credential \$c -Path '$WORK/cold' -CompressionLevel 9 -ProgressAction SilentlyContinue"; }
REPEAT=1 best_of container_z9_module_coldpwsh cold
# Peak memory: the daily set at the module's defaults (dump level 6, gzip 6) + Read in a fresh pwsh process under
# /usr/bin/time -v (bench/Run-DailySet.ps1 exits 1 unless every Test-CenateBackup result passed), and pwsh + Import-Module
# alone for reference. The password reaches pwsh through PGPASSWORD only. One run.
time_field() {   # time_field FILE rss|wall: peak RSS in MB, or the elapsed wall clock in seconds, from a time -v report
  python3 - "$1" "$2" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
if sys.argv[2] == 'rss':
    kb = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', text).group(1))
    print(f"{kb / 1024:.0f}")
else:
    parts = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)', text).group(1).split(':')
    secs = 0.0
    for p in parts: secs = secs * 60 + float(p)
    print(f"{secs:.1f}")
PY
}
set_rss_run() {
  local psd1="$ROOT/out/CenateBackup/CenateBackup.psd1"
  rm -rf "$WORK/rss"
  /usr/bin/time -v -o "$WORK/rss-idle.time" pwsh -NoProfile -NonInteractive -Command "Import-Module '$psd1'"
  /usr/bin/time -v -o "$WORK/rss-set.time" pwsh -NoProfile -NonInteractive -File bench/Run-DailySet.ps1 \
    -ModulePath "$psd1" -Container "$NAME" -Port "$PORT" -Path "$WORK/rss"
  rm -rf "$WORK/rss"
}
if wanted set_rss; then
  [ -x /usr/bin/time ] || echo "[bench] set_rss needs /usr/bin/time (apt-get install time)" >&2
  set +e; ( set -e; set_rss_run ); rc=$?; set -e
  if [ $rc -eq 0 ]; then
    T[set_rss]="$(time_field "$WORK/rss-set.time" rss || true)"; T[set_rss_wall]="$(time_field "$WORK/rss-set.time" wall || true)"
    T[set_rss_idle]="$(time_field "$WORK/rss-idle.time" rss || true)"
    echo "[bench] set_rss: peak ${T[set_rss]} MB, ${T[set_rss_wall]} s wall (pwsh + module alone: ${T[set_rss_idle]} MB)"
  else
    echo "[bench] set_rss FAILED (exit $rc); shown as '-'" >&2; rm -rf "$WORK/rss"
  fi
fi
SIZE9_SEED="$(size_of "$WORK/seed9.dump" 2>/dev/null || echo 0)"
SIZE9_MOD="$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('container_z9_module_size',0))" "$json")"
CSVGZ_SEED="$(size_of "$WORK/seed.csv.gz" 2>/dev/null || echo 0)"
b() { local v; v="$(jget "$1")"; if [ -n "$v" ]; then echo "$v bytes"; else echo "-"; fi; }   # a module size; - when its case did not run

ratio() { python3 -c "a,b='${T[$1]:-}','${T[$2]:-}'; print(f'{float(a)/float(b):.2f}x' if a and b else '-')"; }
sel() { local k; for k in "$@"; do wanted "$k" && return 0; done; return 1; }   # a row shows when one of its keys ran
row() {   # row LABEL SEED_KEY MODULE_KEY TARGET
  sel "$2" "$3" || return 0
  printf '%-44s %10s %10s %8s %8s\n' "$1" "${T[$2]:--}" "${T[$3]:--}" "$(ratio "$3" "$2")" "$4"
}
RESULT_NAME=dump; [ -z "$ONLY" ] || RESULT_NAME="$(printf '%s' "$ONLY" | tr -c 'A-Za-z0-9_' '_')"
[ "$SHAPE" = default ] || RESULT_NAME="$SHAPE-$RESULT_NAME"
{
  echo "CenateBackup benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, asegurados $ROWS rows ($SIZE), shape $SHAPE ($SHAPE_SRC), $NAME:$PORT${ONLY:+, ONLY=$ONLY}"
  printf '%-44s %10s %10s %8s %8s\n' "case" "seed (s)" "module (s)" "ratio" "target"
  row "container, level 9 (exec+docker cp vs stream)" container_z9_seed container_z9_module "<=0.90x"
  row "container, level 1 (docker CLI > file)" container_z1_cli container_z1_module "<=1.00x"
  row "host mode, level 6 (pg_dump -f over TCP)" host_z6_pgdump host_z6_module "<=1.05x"
  if sel container_z9_module_coldpwsh; then
    printf '%-44s %10s %10s %8s %8s\n' "level 9 incl. starting pwsh (cold process)" "${T[container_z9_seed]:--}" "${T[container_z9_module_coldpwsh]:--}" "$(ratio container_z9_module_coldpwsh container_z9_seed)" ""
  fi
  row "CSV.gz (exec psql COPY | gzip vs Export)" export_csvgz_seed export_csvgz_module "<=0.40x"
  row "CSV (psql over TCP > file vs -NoCompression)" export_csv_psql export_csv_module "<=1.10x"
  if sel floor_copy_csv; then printf '%-44s %10s %10s %8s %8s\n' "floor: server COPY ... TO '/dev/null', CSV" "${T[floor_copy_csv]:--}" "" "" ""; fi
  if sel floor_copy_text; then printf '%-44s %10s %10s %8s %8s\n' "floor: server COPY ... TO '/dev/null', text" "${T[floor_copy_text]:--}" "" "" ""; fi
  row "plan's set (plan-backup.sh vs -Z9 set+Read)" set_plan set_z9_module "<=0.40x"
  row "plan's set vs module defaults set+Read" set_plan set_default_module "<=0.30x"
  if sel set_rss; then
    printf '%-44s %10s %10s %8s %8s  %s\n' "peak RSS, level-6 daily set + Read (MB)" "" "${T[set_rss]:--}" "" "<=250 MB" \
      "(pwsh + Import-Module alone: ${T[set_rss_idle]:--} MB)"
    printf '%-44s %10s %10s %8s %8s\n' "  same set, whole pwsh process (time -v, s)" "${T[set_plan]:--}" "${T[set_rss_wall]:--}" "$(ratio set_rss_wall set_plan)" ""
  fi
  row "Read: pg_restore -f /dev/null vs -Level Read" verify_read_pgrestore verify_read_module "<=1.20x"
  row "Read in the container (docker exec -i)" verify_read_pgrestore_exec verify_read_exec_module "<=1.20x"
  row "drill: createdb+pg_restore+count vs Restore" verify_drill_manual verify_drill_module "<120 s"
  if sel restore_pgrestore_t restore_missing10k; then
    printf '%-44s %10s %10s %8s %8s\n' "restore: MissingRows, 10,000 deleted rows" "" "${T[restore_missing10k]:--}" "" "<=60 s"
    printf '%-44s %10s %10s %8s %8s\n' "restore: Replace with PK+indexes, verified" "${T[restore_pgrestore_t]:--}" "${T[restore_replace]:--}" "$(ratio restore_replace restore_pgrestore_t)" "<=120 s"
    printf '%-44s %10s %10s %8s %8s\n' "restore: Staging (table beside the live one)" "" "${T[restore_staging]:--}" "" ""
    echo "(seed column for Replace: docker exec -i pg_restore -t asegurados into an empty database — rows only, no keys or indexes)"
  fi
  row "base backup (exec pg_basebackup | gzip)" base_seed_gzip base_module "<=1.10x"
  row "base backup at level 1 (same peer)" base_seed_gzip base_z1_module ""
  row "base backup vs uncompressed tar by hand" base_seed_tar base_module ""
  row "base backup at level 1 vs uncompressed tar" base_seed_tar base_z1_module ""
  row "base backup + pg_verifybackup check" base_seed_gzip base_verified_module ""
  if sel base_seed_gzip base_module; then echo "base backup size: tar ${BASE_TAR_SIZE:-0} bytes, pg_basebackup | gzip -6 ${BASE_SEED_SIZE:-0} bytes, module $(b base_module_size), module level 1 $(b base_z1_module_size)"; fi
  if [ -n "$AUDIT_JSON" ]; then
    python3 - "$AUDIT_JSON" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"audit: DELETE 100,000 rows without trigger {d['audit_delete100k_plain']} s, with it {d['audit_delete100k_trigger']} s ({d['audit_delete_ratio']}x)")
print(f"audit: TRUNCATE of the table: plain {d['audit_truncate_plain']} s, with row capture {d['audit_truncate_rows']} s "
      f"(log {d['audit_truncate_log_bytes'] / 1048576:.0f} MB), CountOnly {d['audit_truncate_countonly']} s")
PY
  fi
  for n in "${!CMP[@]}"; do
    python3 - "${CMP[$n]}" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"compare {d['compare_rows']:,} rows ({d['compare_missing']} missing, {d['compare_added']} added, "
      f"{d['compare_changed']} changed; "
      f"lists = psql EXCEPT): cmdlet {d['compare_cmdlet_s']} s, process {d['compare_process_s']} s "
      f"vs gzip -dc both CSV.gz {d['compare_gzip_s']} s = {d['compare_ratio']}x "
      f"({d['compare_process_ratio']}x with pwsh start; target <=1.5x); "
      f"peak RSS {d['compare_rss_mb']} MB (pwsh + module alone {d['compare_pwsh_idle_rss_mb']} MB)")
PY
  done
  if sel verify_drill_module; then echo "module restore drill: ${T[verify_drill_module]:--} s (target: under 120 s)"; fi
  if sel container_z9_seed container_z9_module; then echo "level-9 archive size: seed ${SIZE9_SEED} bytes, module ${SIZE9_MOD} bytes"; fi
  if sel floor_copy_csv && [ -n "${T[floor_copy_csv]:-}" ] && sel export_csv_psql; then
    echo "CSV vs the server's floor (COPY CSV HEADER TO '/dev/null' = 1.00x): psql > file $(ratio export_csv_psql floor_copy_csv), module -NoCompression $(ratio export_csv_module floor_copy_csv)"
  fi
  if sel export_csvgz_seed export_csvgz_module export_csv_psql export_csv_module; then
    echo "CSV.gz size: seed (psql | gzip -6) ${CSVGZ_SEED} bytes, module $(b export_csvgz_module_csvgz_size); plain CSV: psql ${CSV_PSQL_SIZE:-0} bytes, module $(b export_csv_module_csv_size)"
  fi
  if sel set_plan set_z9_module set_default_module; then
    echo "set CSV.gz size: plan ${PLAN_CSVGZ_SIZE:-0} bytes, module -Z9 $(b set_z9_module_csvgz_size), module defaults $(b set_default_module_csvgz_size)"
    echo "set total size: plan ${PLAN_SIZE:-0} bytes, module -Z9 $(b set_z9_module_size), module defaults $(b set_default_module_size)"
  fi
  echo "times: best of $REPEAT runs; module cases timed around the cmdlets (set cases: New-CenateDump | Test-CenateBackup -Level Read) in one pwsh session"
  if sel set_rss; then echo "peak RSS: /usr/bin/time -v of one fresh pwsh process (Import-Module, the set at module defaults, Test-CenateBackup -Level Read; bench/Run-DailySet.ps1)"; fi
} | tee "$OUT/$RESULT_NAME-$(date -u +%Y%m%d_%H%M%S).txt"
