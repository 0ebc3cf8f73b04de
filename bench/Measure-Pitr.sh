#!/usr/bin/env bash
# Point-in-time recovery time (issue 19): how long Restore-CenatePointInTime takes to bring the 4,000,000-row database
# back to a moment after a base backup, with the WAL of the writes made since. A throwaway container (the rig's image,
# host network, 127.0.0.1:PORT) with asegurados, Start-CenateWalArchive, New-CenateBaseBackup, then:
#   1. "an hour of writes" of a busy registry: 1,000 transactions that update 100,000 rows, insert 10,000 and delete
#      1,000 (compressed into about a minute; what counts for replay is the WAL, not the wall time);
#   2. on top of that, the worst hour: one UPDATE of every row of asegurados.
# After each, the time is taken on the server, the archive is awaited, and the copy is recovered to that time and
# removed. Prints the base backup's size, the WAL replayed and the seconds. Not a test.
#   bash bench/Measure-Pitr.sh [rows]        (needs the rig: bash scripts/rig.sh up; the module: bash scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-4000000}"
NAME=cenate_bench_pitr
PORT=55470
WORK="$(mktemp -d /tmp/cenate-bench-pitr.XXXXXX)"
export PATH="$HOME/.dotnet/tools:$PATH"
# shellcheck disable=SC1090
. ~/.cache/cenate-rig/rig.env
export PGPASSWORD="$CENATE_TEST_PASSWORD"
cleanup() {
  for c in $(docker ps -aq --filter label=org.cenate.role=pitr --filter "label=org.cenate.primary=$NAME"); do docker rm -f -v "$c" >/dev/null 2>&1 || true; done
  docker rm -f "${NAME}_wal" >/dev/null 2>&1 || true
  bash scripts/rig.sh rm-container "$NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
started=$(date +%s)
bash scripts/rig.sh container "$NAME" "$PORT" "$ROWS" >/dev/null
echo "[pitr] container with $ROWS rows ready in $(( $(date +%s) - started )) s" >&2
q() { psql -X -q -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate "$@"; }
pw() {
  pwsh -NoProfile -NonInteractive -Command "
    Import-Module ./out/CenateBackup/CenateBackup.psd1
    \$pw = ConvertTo-SecureString \$env:CENATE_TEST_PASSWORD -AsPlainText -Force
    \$cred = [pscredential]::new('cenate', \$pw)
    \$P = @{ Container = '$NAME'; Port = $PORT; Credential = \$cred }
    $1"
}
pw "\$a = Start-CenateWalArchive @P -Path '$WORK/wal' -ReplicationCredential ([pscredential]::new('cenate_replication', \$pw)) -Confirm:\$false
    if (\$a.State -ne 'Streaming') { throw \"archiver not streaming: \$(\$a.Problems)\" }" >/dev/null
base_s=$( { /usr/bin/time -f %e pwsh -NoProfile -NonInteractive -Command "
    Import-Module ./out/CenateBackup/CenateBackup.psd1
    \$cred = [pscredential]::new('cenate', (ConvertTo-SecureString \$env:CENATE_TEST_PASSWORD -AsPlainText -Force))
    New-CenateBaseBackup -Container $NAME -Port $PORT -Credential \$cred -Path '$WORK/base' -CompressionLevel 1 -ProgressAction SilentlyContinue | Out-Null" ; } 2>&1 | tail -1)
base_bytes=$(du -cb "$WORK"/base/*.base.tar.gz | tail -1 | cut -f1)
wait_archived() {
  local lsn; lsn=$(q -At -c "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 600); do
    [ "$(q -At -c "SELECT count(*) FROM pg_stat_replication WHERE flush_lsn >= '$lsn'")" = 1 ] && return 0
    sleep 0.2
  done
  echo "[pitr] the archiver did not catch up" >&2; return 1
}
wal_mb() { du -cm "$WORK"/wal/0000* 2>/dev/null | tail -1 | cut -f1; }
recover() {   # recover LABEL: restore to the server's time now (after one more commit), print the line, remove the copy
  local t; t=$(q -At -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
  q -c "SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS bench_mark (at timestamptz); INSERT INTO bench_mark VALUES (now())" >/dev/null
  wait_archived
  local out
  out=$(pw "\$sw = [Diagnostics.Stopwatch]::StartNew()
      \$c = Restore-CenatePointInTime @P -Path '$WORK/base' -WalPath '$WORK/wal' -Time ([DateTimeOffset]::Parse('$t').UtcDateTime) -ProgressAction SilentlyContinue
      \$s = \$sw.Elapsed.TotalSeconds
      \$n = & psql -X -At -h 127.0.0.1 -p \$c.Port -U cenate -d maestro_cenate -c 'SELECT count(*) FROM asegurados'
      '{0:0.0} {1} {2} {3}' -f \$s, \$c.WalFiles, \$n, \$c.State
      \$c | Remove-CenatePointInTime -Confirm:\$false | Out-Null")
  read -r secs files rows state <<<"$out"
  printf '%-52s %7s s  %5s MB WAL (%s files)  copy: %s, %s rows\n' "$1" "$secs" "$(wal_mb)" "$files" "$state" "$rows"
}
echo "CenateBackup point-in-time recovery — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, asegurados $ROWS rows"
echo "base backup (level 1): ${base_s} s, $(( base_bytes / 1048576 )) MB"
q -c "CREATE OR REPLACE PROCEDURE bench_hour() LANGUAGE plpgsql AS \$\$
DECLARE i int; lo bigint; hi bigint;
BEGIN
  SELECT min(id), max(id) INTO lo, hi FROM asegurados;
  FOR i IN 0..999 LOOP
    UPDATE asegurados SET updated_at = now(), telefono = lpad((i * 7919 % 1000000000)::text, 9, '9')
      WHERE id BETWEEN lo + i * ((hi - lo) / 1000) AND lo + i * ((hi - lo) / 1000) + 99;
    INSERT INTO asegurados (tipo_documento, numero_documento, apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo,
        tipo_seguro, codigo_ipress, fecha_afiliacion)
      SELECT tipo_documento, 'B' || i || '-' || g, apellido_paterno, nombres, fecha_nacimiento, sexo, ubigeo, tipo_seguro,
        codigo_ipress, current_date FROM (SELECT * FROM asegurados WHERE id >= lo + i ORDER BY id LIMIT 1) a
        CROSS JOIN generate_series(1, 10) g;
    DELETE FROM asegurados WHERE id = lo + (hi - lo) / 2 + i;
    COMMIT;
  END LOOP;
END \$\$" >/dev/null
hour_start=$(date +%s.%N)
q -c "CALL bench_hour()" >/dev/null
echo "an hour of writes (100,000 updated, 10,000 inserted, 1,000 deleted rows in 1,000 transactions) took $(printf '%.0f' "$(echo "$(date +%s.%N) - $hour_start" | bc)") s"
recover "recover to the end of that hour"
q -c "UPDATE asegurados SET updated_at = now()" >/dev/null
recover "… and after an UPDATE of every row (the worst hour)"
