#!/usr/bin/env bash
# The WAL archive's recovery point (issue 19): how long after a COMMIT the archive has that commit on its disk.
# A throwaway container (the rig's image, host network, 127.0.0.1:PORT), Start-CenateWalArchive, then 200 small commits
# measured one by one (bench/wal-rpo.sql: COMMIT, then wait until pg_stat_replication.flush_lsn of the archiver passes
# the commit's position), first on an idle server, then while another session writes 6 x 400,000 rows (~800 MB of WAL).
# Prints p50 / p95 / max in milliseconds. Not a test.
#   bash bench/Measure-WalRpo.sh [runs]          (needs the rig: bash scripts/rig.sh up; the module: bash scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-200}"
NAME=cenate_bench_rpo
PORT=55460
WAL="$(mktemp -d /tmp/cenate-bench-rpo.XXXXXX)"
export PATH="$HOME/.dotnet/tools:$PATH"
# shellcheck disable=SC1090
. ~/.cache/cenate-rig/rig.env
export PGPASSWORD="$CENATE_TEST_PASSWORD"
cleanup() { docker rm -f "${NAME}_wal" >/dev/null 2>&1 || true; bash scripts/rig.sh rm-container "$NAME" >/dev/null 2>&1 || true; rm -rf "$WAL"; }
trap cleanup EXIT
bash scripts/rig.sh container "$NAME" "$PORT" 1000 >/dev/null
pwsh -NoProfile -NonInteractive -Command "
  Import-Module ./out/CenateBackup/CenateBackup.psd1
  \$pw = ConvertTo-SecureString \$env:CENATE_TEST_PASSWORD -AsPlainText -Force
  \$a = Start-CenateWalArchive -Container $NAME -Port $PORT -Credential ([pscredential]::new('cenate', \$pw)) -Path '$WAL/wal' \`
        -ReplicationCredential ([pscredential]::new('cenate_replication', \$pw)) -Confirm:\$false
  if (\$a.State -ne 'Streaming') { throw \"archiver not streaming: \$(\$a.Problems)\" }" >/dev/null
q() { psql -X -q -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate "$@"; }
q -f bench/wal-rpo.sql >/dev/null
report() {
  q -At -F ' ' -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY micros)::numeric / 1000, 2),
    round(percentile_cont(0.95) WITHIN GROUP (ORDER BY micros)::numeric / 1000, 2), round(max(micros)::numeric / 1000, 2), count(*)
    FROM rpo_result" | { read -r p50 p95 max n; printf '%-34s %6s ms %6s ms %6s ms  (%s commits)\n' "$1" "$p50" "$p95" "$max" "$n"; }
}
printf '%-34s %9s %9s %9s\n' 'commit -> on the archive disk' p50 p95 max
q -c "CALL rpo_measure($RUNS, '${NAME}_wal')" >/dev/null
report 'idle server'
q -c 'TRUNCATE rpo_result' >/dev/null
( for _ in 1 2 3 4 5 6; do q -c "INSERT INTO rpo_probe (note) SELECT repeat('b', 200) FROM generate_series(1, 400000)"; done ) &
load=$!
sleep 1
q -c "CALL rpo_measure($RUNS, '${NAME}_wal')" >/dev/null
kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true
report 'during a bulk load (~800 MB WAL)'
