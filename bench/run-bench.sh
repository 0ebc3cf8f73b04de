#!/usr/bin/env bash
# Benchmark: CenateBackup vs the seed's way (docker exec pg_dump / docker cp / psql | gzip) on the same
# 4,000,000-row asegurados, on this machine, in one run. Not a test: it prints a table of times and ratios.
#   bash bench/run-bench.sh [rows]
#   ONLY=PREFIX bash bench/run-bench.sh [rows]   only the cases whose key starts with PREFIX, e.g.
#     ONLY=container / ONLY=host   the dump cases (New-CenateDump vs docker exec pg_dump / pg_dump over TCP)
#     ONLY=export                  CSV of asegurados (Export-CenateAseguradosCsv vs psql COPY | gzip, psql > file)
#     ONLY=set                     the plan's whole daily set (New-CenateDump -Include Csv,Sql | Test-CenateBackup
#                                  vs bench/plan-backup.sh)
#     ONLY=verify                  Test-CenateBackup on one module-made dump: Read (local and in the container) vs
#                                  pg_restore -f /dev/null, and the Restore drill vs createdb + pg_restore -d + count
#     ONLY=restore                 Restore-CenateTable on the table: MissingRows of 10,000 deleted rows, Replace, Staging
#                                  (absolute targets; by hand: pg_restore -t into an empty database, for scale)
#     ONLY=compare                 Compare-CenateBackup of two sets (10,000 deleted, 500 inserted, 100 updated rows) vs
#                                  gzip -dc of both CSV.gz, time and peak RSS, at [rows] and at 1,000,000 rows; lists
#                                  checked against psql EXCEPT (bench/Measure-Compare.ps1)
#     ONLY=audit                   audit trigger costs: DELETE of 100,000 rows without/with the trigger, TRUNCATE with
#                                  row capture (seconds, log size) and CountOnly (bench/Measure-Audit.sh)
#   REPEAT=N (default 2): best of N runs per case.
# A case that fails prints "[bench] KEY FAILED …" and shows '-' in the table; the other cases still run.
# Uses the test rig's image and a dedicated container (cenate_bench_pg, 127.0.0.1:55450); reuses it when
# it already holds the requested number of rows.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
ROWS="${1:-4000000}"
ONLY="${ONLY:-}"
NAME=cenate_bench_pg
PORT=55450
export PATH="$HOME/.dotnet/tools:$PATH"
OUT="$ROOT/bench/results"; mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/cenate-bench.XXXXXX)"; chmod 700 "$WORK"
trap 'rm -rf "$WORK"' EXIT

[ -d out/CenateBackup ] || bash scripts/build.sh
bash scripts/rig.sh engine >/dev/null
. "$(bash scripts/rig.sh env)"
export PGPASSWORD="$CENATE_TEST_PASSWORD"
have="$(psql -X -Atq -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -c 'select count(*) from asegurados' 2>/dev/null || true)"
if [ "$have" != "$ROWS" ]; then
  echo "[bench] seeding $ROWS rows into $NAME (127.0.0.1:$PORT)…"
  bash scripts/rig.sh container "$NAME" "$PORT" "$ROWS" >/dev/null
fi
psql -X -Atq -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -c "VACUUM ANALYZE asegurados" >/dev/null
SIZE="$(psql -X -Atq -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -c "select pg_size_pretty(pg_table_size('asegurados'))")"

REPEAT="${REPEAT:-2}"
declare -A T
best_of() {   # best_of KEY command...: the best of REPEAT runs, in seconds
  local key="$1"; shift
  if [ -n "$ONLY" ] && [[ "$key" != $ONLY* ]]; then return; fi
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
  docker exec -e PGPASSWORD "$NAME" pg_dump -p $PORT -U cenate -d maestro_cenate --format=custom --compress=9 --file=/tmp/bench.dump
  docker cp "$NAME:/tmp/bench.dump" "$WORK/seed9.dump"; docker exec "$NAME" rm -f /tmp/bench.dump
}
seed_z1_cli() { docker exec -e PGPASSWORD "$NAME" pg_dump -p $PORT -U cenate -d maestro_cenate -Fc -Z1 > "$WORK/seed1.dump"; }
plain_tcp() { pg_dump -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -Fc -Z6 -f "$WORK/plain6.dump"; }
# Export group: CSV of asegurados, the plan's way through the container, and the local psql 15 over TCP.
seed_csvgz() {
  docker exec -e PGPASSWORD "$NAME" psql -p $PORT -U cenate -d maestro_cenate -c "COPY asegurados TO STDOUT WITH CSV HEADER" | gzip > "$WORK/seed.csv.gz"
}
psql_csv() { psql -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -c "COPY asegurados TO STDOUT WITH CSV HEADER" > "$WORK/psql.csv"; }
# Set group: the plan's whole daily backup script, end to end (dump + data-only SQL + CSV, verification, statistics).
plan_set() { rm -rf "$WORK/plan"; bash bench/plan-backup.sh "$NAME" "$PORT" "$WORK/plan" >/dev/null; }

psql -X -Atq -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -c "select count(*) from asegurados" >/dev/null   # warm the cache
best_of container_z9_seed seed_z9
best_of container_z1_cli seed_z1_cli
best_of host_z6_pgdump plain_tcp
best_of export_csvgz_seed seed_csvgz
best_of export_csv_psql psql_csv
CSV_PSQL_SIZE="$(size_of "$WORK/psql.csv" 2>/dev/null || echo 0)"; rm -f "$WORK/psql.csv"   # ~1.35 GB at 4M rows
best_of set_plan plan_set
PLAN_SIZE="$(du -cb "$WORK"/plan/*.dump "$WORK"/plan/*.gz 2>/dev/null | tail -n 1 | cut -f1 || true)"
PLAN_CSVGZ_SIZE="$(size_of "$WORK"/plan/asegurados_*.csv.gz 2>/dev/null || echo 0)"
rm -rf "$WORK/plan"
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
  psql -X -q -h 127.0.0.1 -p $PORT -U cenate -d postgres -c "DROP DATABASE IF EXISTS bench_drill" -c "CREATE DATABASE bench_drill"
  docker exec -i -e PGPASSWORD "$NAME" pg_restore -p $PORT -U cenate -d bench_drill --no-owner --exit-on-error < "$VDUMP"
  psql -X -Atq -h 127.0.0.1 -p $PORT -U cenate -d bench_drill -c "select count(*) from asegurados" >/dev/null
  psql -X -q -h 127.0.0.1 -p $PORT -U cenate -d postgres -c "DROP DATABASE bench_drill"
}
if [ -n "$VSET" ]; then
  best_of verify_read_pgrestore verify_read_local
  best_of verify_read_pgrestore_exec verify_read_exec
  best_of verify_drill_manual verify_drill_manual
fi
# Restore group: a by-hand table restore for scale (pg_restore -t into an empty database: no keys, no indexes),
# then the module's three modes on the live bench table (bench/Measure-Restore.ps1).
restore_by_hand() {
  [ -n "${RDUMP:-}" ] || { pg_dump -Fc -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -f "$WORK/restore-ref.dump"; RDUMP="$WORK/restore-ref.dump"; }
  psql -X -q -h 127.0.0.1 -p $PORT -U cenate -d postgres -c "DROP DATABASE IF EXISTS bench_rt" -c "CREATE DATABASE bench_rt"
  docker exec -i -e PGPASSWORD "$NAME" pg_restore -p $PORT -U cenate -d bench_rt --no-owner -t asegurados < "$RDUMP"
  psql -X -q -h 127.0.0.1 -p $PORT -U cenate -d postgres -c "DROP DATABASE bench_rt"
}
if [ -z "$ONLY" ] || [[ "$ONLY" == restore* ]]; then
  pg_dump -Fc -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -f "$WORK/restore-ref.dump"; RDUMP="$WORK/restore-ref.dump"
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
if [ -z "$ONLY" ] || [[ "$ONLY" == compare* ]]; then
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
         verify_read_module verify_read_exec_module verify_drill_module; do
  T[$k]="$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d.get('$k',''))" "$json")"
done
# One cold run of a whole pwsh process for the level-9 case, to show what starting pwsh adds.
cold() { rm -rf "$WORK/cold"; pwsh -NoProfile -NonInteractive -Command "Import-Module '$ROOT/out/CenateBackup/CenateBackup.psd1'; \$c=[pscredential]::new('cenate',(ConvertTo-SecureString \$env:PGPASSWORD -AsPlainText -Force)); \$null = New-CenateDump -Container $NAME -Port $PORT -Credential \$c -Path '$WORK/cold' -CompressionLevel 9 -ProgressAction SilentlyContinue"; }
REPEAT=1 best_of container_z9_module_coldpwsh cold
SIZE9_SEED="$(size_of "$WORK/seed9.dump" 2>/dev/null || echo 0)"
SIZE9_MOD="$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('container_z9_module_size',0))" "$json")"
CSVGZ_SEED="$(size_of "$WORK/seed.csv.gz" 2>/dev/null || echo 0)"
b() { local v; v="$(jget "$1")"; if [ -n "$v" ]; then echo "$v bytes"; else echo "-"; fi; }   # a module size; - when its case did not run

ratio() { python3 -c "a,b='${T[$1]:-}','${T[$2]:-}'; print(f'{float(a)/float(b):.2f}x' if a and b else '-')"; }
sel() { local k; for k in "$@"; do [ -z "$ONLY" ] || [[ "$k" == $ONLY* ]] && return 0; done; return 1; }   # a row shows when one of its keys ran
row() {   # row LABEL SEED_KEY MODULE_KEY TARGET
  sel "$2" "$3" || return 0
  printf '%-44s %10s %10s %8s %8s\n' "$1" "${T[$2]:--}" "${T[$3]:--}" "$(ratio "$3" "$2")" "$4"
}
RESULT_NAME=dump; [ -z "$ONLY" ] || RESULT_NAME="$(printf '%s' "$ONLY" | tr -c 'A-Za-z0-9_' '_')"
{
  echo "CenateBackup benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, asegurados $ROWS rows ($SIZE)${ONLY:+, ONLY=$ONLY}"
  printf '%-44s %10s %10s %8s %8s\n' "case" "seed (s)" "module (s)" "ratio" "target"
  row "container, level 9 (exec+docker cp vs stream)" container_z9_seed container_z9_module "<=0.90x"
  row "container, level 1 (docker CLI > file)" container_z1_cli container_z1_module "<=1.00x"
  row "host mode, level 6 (pg_dump -f over TCP)" host_z6_pgdump host_z6_module "<=1.05x"
  if sel container_z9_module_coldpwsh; then
    printf '%-44s %10s %10s %8s %8s\n' "level 9 incl. starting pwsh (cold process)" "${T[container_z9_seed]:--}" "${T[container_z9_module_coldpwsh]:--}" "$(ratio container_z9_module_coldpwsh container_z9_seed)" ""
  fi
  row "CSV.gz (exec psql COPY | gzip vs Export)" export_csvgz_seed export_csvgz_module "<=0.40x"
  row "CSV (psql over TCP > file vs -NoCompression)" export_csv_psql export_csv_module "<=1.10x"
  row "plan's set (plan-backup.sh vs -Z9 set+Read)" set_plan set_z9_module "<=0.50x"
  row "plan's set vs module defaults set+Read" set_plan set_default_module "<=0.30x"
  row "Read: pg_restore -f /dev/null vs -Level Read" verify_read_pgrestore verify_read_module "<=1.20x"
  row "Read in the container (docker exec -i)" verify_read_pgrestore_exec verify_read_exec_module "<=1.20x"
  row "drill: createdb+pg_restore+count vs Restore" verify_drill_manual verify_drill_module "<120 s"
  if sel restore_pgrestore_t restore_missing10k; then
    printf '%-44s %10s %10s %8s %8s\n' "restore: MissingRows, 10,000 deleted rows" "" "${T[restore_missing10k]:--}" "" "<=60 s"
    printf '%-44s %10s %10s %8s %8s\n' "restore: Replace with PK+indexes, verified" "${T[restore_pgrestore_t]:--}" "${T[restore_replace]:--}" "$(ratio restore_replace restore_pgrestore_t)" "<=120 s"
    printf '%-44s %10s %10s %8s %8s\n' "restore: Staging (table beside the live one)" "" "${T[restore_staging]:--}" "" ""
    echo "(seed column for Replace: docker exec -i pg_restore -t asegurados into an empty database — rows only, no keys or indexes)"
  fi
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
  if sel export_csvgz_seed export_csvgz_module export_csv_psql export_csv_module; then
    echo "CSV.gz size: seed (psql | gzip -6) ${CSVGZ_SEED} bytes, module $(b export_csvgz_module_csvgz_size); plain CSV: psql ${CSV_PSQL_SIZE:-0} bytes, module $(b export_csv_module_csv_size)"
  fi
  if sel set_plan set_z9_module set_default_module; then
    echo "set CSV.gz size: plan ${PLAN_CSVGZ_SIZE:-0} bytes, module -Z9 $(b set_z9_module_csvgz_size), module defaults $(b set_default_module_csvgz_size)"
    echo "set total size: plan ${PLAN_SIZE:-0} bytes, module -Z9 $(b set_z9_module_size), module defaults $(b set_default_module_size)"
  fi
  echo "times: best of $REPEAT runs; module cases timed around the cmdlets (set cases: New-CenateDump | Test-CenateBackup -Level Read) in one pwsh session"
} | tee "$OUT/$RESULT_NAME-$(date -u +%Y%m%d_%H%M%S).txt"
