#!/usr/bin/env bash
# Benchmark: CenateBackup vs the seed's way (docker exec pg_dump / docker cp / psql | gzip) on the same
# 4,000,000-row asegurados, on this machine, in one run. Not a test: it prints a table of times and ratios.
#   bash bench/run-bench.sh [rows] [--only NAME]
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
  local best="" t0 t1 d i
  for (( i = 0; i < REPEAT; i++ )); do
    t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N)
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

psql -X -Atq -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -c "select count(*) from asegurados" >/dev/null   # warm the cache
best_of container_z9_seed seed_z9
best_of container_z1_cli seed_z1_cli
best_of host_z6_pgdump plain_tcp
# The module's cases run in one pwsh session, each timed around the cmdlet (best of REPEAT).
t0=$(date +%s.%N)
json="$(pwsh -NoProfile -NonInteractive -File bench/Measure-Module.ps1 -ModulePath "$ROOT/out/CenateBackup/CenateBackup.psd1" \
  -Container "$NAME" -Port "$PORT" -Work "$WORK" -Repeat "$REPEAT" -Only "$ONLY")"
echo "[bench] module cases: $json"
for k in container_z9_module container_z1_module host_z6_module; do
  T[$k]="$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d.get('$k',''))" "$json")"
done
# One cold run of a whole pwsh process for the level-9 case, to show what starting pwsh adds.
cold() { rm -rf "$WORK/cold"; pwsh -NoProfile -NonInteractive -Command "Import-Module '$ROOT/out/CenateBackup/CenateBackup.psd1'; \$c=[pscredential]::new('cenate',(ConvertTo-SecureString \$env:PGPASSWORD -AsPlainText -Force)); \$null = New-CenateDump -Container $NAME -Port $PORT -Credential \$c -Path '$WORK/cold' -CompressionLevel 9 -ProgressAction SilentlyContinue"; }
REPEAT=1 best_of container_z9_module_coldpwsh cold
SIZE9_SEED="$(size_of "$WORK/seed9.dump" 2>/dev/null || echo 0)"
SIZE9_MOD="$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('container_z9_module_size',0))" "$json")"

ratio() { python3 -c "a,b='${T[$1]:-}','${T[$2]:-}'; print(f'{float(a)/float(b):.2f}x' if a and b else '-')"; }
{
  echo "CenateBackup benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, asegurados $ROWS rows ($SIZE)"
  printf '%-44s %10s %10s %8s %8s\n' "case" "seed (s)" "module (s)" "ratio" "target"
  printf '%-44s %10s %10s %8s %8s\n' "container, level 9 (exec+docker cp vs stream)" "${T[container_z9_seed]:--}" "${T[container_z9_module]:--}" "$(ratio container_z9_module container_z9_seed)" "<=0.90x"
  printf '%-44s %10s %10s %8s %8s\n' "container, level 1 (docker CLI > file)" "${T[container_z1_cli]:--}" "${T[container_z1_module]:--}" "$(ratio container_z1_module container_z1_cli)" "<=1.00x"
  printf '%-44s %10s %10s %8s %8s\n' "host mode, level 6 (pg_dump -f over TCP)" "${T[host_z6_pgdump]:--}" "${T[host_z6_module]:--}" "$(ratio host_z6_module host_z6_pgdump)" "<=1.05x"
  printf '%-44s %10s %10s %8s %8s\n' "level 9 incl. starting pwsh (cold process)" "${T[container_z9_seed]:--}" "${T[container_z9_module_coldpwsh]:--}" "$(ratio container_z9_module_coldpwsh container_z9_seed)" ""
  echo "level-9 archive size: seed ${SIZE9_SEED} bytes, module ${SIZE9_MOD} bytes"
  echo "times: best of $REPEAT runs; module cases timed around New-CenateDump in one pwsh session"
} | tee "$OUT/dump-$(date -u +%Y%m%d_%H%M%S).txt"
