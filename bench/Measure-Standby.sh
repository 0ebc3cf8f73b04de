#!/usr/bin/env bash
# The streaming standby (issue 20) on the 4,000,000-row database: how long New-CenateStandby takes to build a standby
# (pg_basebackup through its own slot, start, streaming) against the same done by hand (docker run of the same image,
# pg_basebackup -R -X stream, postgres), how far behind it falls during the worst hour (an UPDATE of every row of
# asegurados) and how long it takes to catch up, and how long Get-CenateReplicationStatus takes. A throwaway primary
# (the rig's image, host network, 127.0.0.1:PORT). Not a test.
#   bash bench/Measure-Standby.sh [rows]      (needs the rig: bash scripts/rig.sh up; the module: bash scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-4000000}"
NAME=cenate_bench_sb
PORT=55480
SB_PORT=55481
HAND_PORT=55482
WORK="$(mktemp -d /tmp/cenate-bench-sb.XXXXXX)"
export PATH="$HOME/.dotnet/tools:$PATH"
# shellcheck disable=SC1090
. ~/.cache/cenate-rig/rig.env
export PGPASSWORD="$CENATE_TEST_PASSWORD"
REPL_PASSWORD="bench-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export REPL_PASSWORD
cleanup() {
  docker rm -f "${NAME}_standby" "${NAME}_hand" >/dev/null 2>&1 || true
  docker volume rm "${NAME}_standby_data" >/dev/null 2>&1 || true
  bash scripts/rig.sh rm-container "$NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
started=$(date +%s)
bash scripts/rig.sh container "$NAME" "$PORT" "$ROWS" >/dev/null
echo "[standby] primary with $ROWS rows ready in $(( $(date +%s) - started )) s" >&2
q() { psql -X -q -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate "$@"; }
pw() {
  pwsh -NoProfile -NonInteractive -Command "
    Import-Module ./out/CenateBackup/CenateBackup.psd1
    \$cred = [pscredential]::new('cenate', (ConvertTo-SecureString \$env:CENATE_TEST_PASSWORD -AsPlainText -Force))
    \$repl = [pscredential]::new('cenate_replication', (ConvertTo-SecureString \$env:REPL_PASSWORD -AsPlainText -Force))
    \$P = @{ Container = '$NAME'; Port = $PORT; Credential = \$cred }
    $1"
}
echo "CenateBackup streaming standby — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, asegurados $ROWS rows, $(q -At -c "SELECT pg_size_pretty(pg_database_size('maestro_cenate'))")"

# 1. New-CenateStandby, end to end (plan, role, slot, volume, container, base backup, start, streaming).
module_s=$(pw "\$sw = [Diagnostics.Stopwatch]::StartNew()
    \$s = New-CenateStandby -Container '$NAME' -PrimaryPort $PORT -Credential \$cred -StandbyName '${NAME}_standby' -Port $SB_PORT -ReplicationCredential \$repl -Confirm:\$false -ProgressAction SilentlyContinue
    if (\$s.State -ne 'Streaming') { throw \"not streaming: \$(\$s.Problems)\" }
    '{0:0.0}' -f \$sw.Elapsed.TotalSeconds")

# 2. By hand, the same steps an admin would type: a slot, docker run of the same image with pg_basebackup, then postgres,
#    and waiting for the WAL receiver.
image=$(docker inspect -f '{{.Image}}' "$NAME")
hand_start=$(date +%s.%N)
q -c "SELECT pg_create_physical_replication_slot('bench_hand', true)" >/dev/null
printf '127.0.0.1:%s:replication:cenate_replication:%s\n' "$PORT" "$REPL_PASSWORD" > "$WORK/pgpass"
chmod 600 "$WORK/pgpass"
docker run -d --name "${NAME}_hand" --network host -v "$WORK/pgpass:/pgpass.src:ro" --entrypoint sh "$image" -c "
  cp /pgpass.src /tmp/pgpass && chown postgres /tmp/pgpass && chmod 600 /tmp/pgpass
  mkdir -p /srv/sb /var/run/postgresql && chown postgres /srv/sb /var/run/postgresql && chmod 700 /srv/sb
  setpriv --reuid=postgres --regid=postgres --init-groups -- env PGPASSFILE=/tmp/pgpass pg_basebackup -D /srv/sb/data -h 127.0.0.1 -p $PORT -U cenate_replication -w -R -X stream -S bench_hand -c fast
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D /srv/sb/data -c port=$HAND_PORT -c listen_addresses=127.0.0.1" >/dev/null
for _ in $(seq 1 3600); do
  [ "$(psql -X -At -h 127.0.0.1 -p "$HAND_PORT" -U cenate -d maestro_cenate -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ] && break
  sleep 0.2
done
hand_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $hand_start" | bc)")
docker rm -f "${NAME}_hand" >/dev/null
q -c "SELECT pg_drop_replication_slot('bench_hand')" >/dev/null
printf 'build a standby: New-CenateStandby %s s, by hand (docker run + pg_basebackup -R -X stream + postgres) %s s, ratio %.2f\n' \
  "$module_s" "$hand_s" "$(echo "$module_s / $hand_s" | bc -l)"

# 3. The worst hour: one UPDATE of every row; the standby's lag at its end and the time until it has replayed it all.
status_s=$(pw "\$sw = [Diagnostics.Stopwatch]::StartNew(); \$null = Get-CenateReplicationStatus @P; '{0:0.000}' -f \$sw.Elapsed.TotalSeconds")
upd_start=$(date +%s.%N)
q -c "UPDATE asegurados SET updated_at = now()" >/dev/null
upd_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $upd_start" | bc)")
lag=$(pw "\$s = Get-CenateReplicationStatus @P; '{0:N0} {1}' -f \$s.LagBytes, \$s.State")
catch_start=$(date +%s.%N)
pw "\$deadline = [DateTime]::UtcNow.AddMinutes(30)
    while ((Get-CenateReplicationStatus @P).LagBytes -ne 0) { if ([DateTime]::UtcNow -gt \$deadline) { throw 'no catch-up in 30 min' }; Start-Sleep -Milliseconds 200 }" >/dev/null
catch_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $catch_start" | bc)")
wal_mb=$(q -At -c "SELECT ((pg_current_wal_lsn() - '0/0'::pg_lsn) / 1048576)::bigint")
echo "UPDATE of every row on the primary: ${upd_s} s; standby behind at its end: ${lag% *} bytes (${lag##* }); replayed all ${catch_s} s later (primary WAL position ${wal_mb} MB)"
echo "Get-CenateReplicationStatus (one standby, both servers asked): ${status_s} s"
psql -X -At -h 127.0.0.1 -p "$SB_PORT" -U cenate -d maestro_cenate -c "SELECT 'rows on the standby: ' || count(*) || ', with the update replayed: ' || count(*) FILTER (WHERE updated_at > now() - interval '1 hour') FROM asegurados"
pw "Remove-CenateStandby @P -StandbyName '${NAME}_standby' -RemoveData -Confirm:\$false | Out-Null"
