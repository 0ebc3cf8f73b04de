#!/usr/bin/env bash
# The hospital plan's original daily backup script, emulated faithfully for the benchmark ("the plan's way"):
# only the docker CLI, gzip and the local psql/pg_restore, step by step as the plan does it.
#   bash bench/plan-backup.sh CONTAINER PORT OUTPUT_DIR
#     1. full dump: docker exec pg_dump --format=custom --compress=9 --file=/tmp/… , docker cp it out, docker exec rm
#     2. data-only SQL of asegurados: docker exec pg_dump --data-only -t asegurados | gzip  (gzip's default level 6)
#     3. CSV of asegurados: docker exec psql -c "COPY asegurados TO STDOUT WITH CSV HEADER" | gzip
#     4. verification as the plan does it: pg_restore -l of the dump, gzip -t of both .gz files
#     5. statistics: file sizes (du / ls -l) and SELECT count(*) FROM asegurados
# One log line per step goes to OUTPUT_DIR/backup_<stamp>.log (and to stdout). Exits non-zero when any step fails.
# The password comes from PGPASSWORD in the environment: `docker exec -e PGPASSWORD` passes the name only,
# so it never appears on a command line.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 CONTAINER PORT OUTPUT_DIR   (PGPASSWORD in the environment)" >&2
  exit 2
fi
CTR="$1"
PORT="$2"
DIR="$3"
DB=maestro_cenate
DBUSER=cenate
: "${PGPASSWORD:?PGPASSWORD must be set in the environment}"
export PGPASSWORD

STAMP="$(date +%Y%m%d_%H%M%S)"
mkdir -p "$DIR"
DUMP="$DIR/${DB}_${STAMP}.dump"
SQLGZ="$DIR/asegurados_${STAMP}.sql.gz"
CSVGZ="$DIR/asegurados_${STAMP}.csv.gz"
LOG="$DIR/backup_${STAMP}.log"
CTR_TMP="/tmp/${DB}_${STAMP}.dump"

log() { printf '%s [%s] %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$1" "$2" | tee -a "$LOG"; }
STEP="start"
T0=$SECONDS
on_exit() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    log ERROR "step '$STEP' failed (exit $rc)" >&2 || true
    docker exec "$CTR" rm -f "$CTR_TMP" >/dev/null 2>&1 || true   # leave no dump behind in the container
  fi
}
trap on_exit EXIT

log INFO "backup of $DB from container $CTR (port $PORT) into $DIR, stamp $STAMP"

# 1. Full dump, custom format, level 9, written inside the container, then copied out.
STEP="full dump"; t=$SECONDS
docker exec -e PGPASSWORD "$CTR" pg_dump -p "$PORT" -U "$DBUSER" -d "$DB" --format=custom --compress=9 --file="$CTR_TMP"
docker cp "$CTR:$CTR_TMP" "$DUMP" >/dev/null
docker exec "$CTR" rm "$CTR_TMP"
log INFO "full dump done in $(( SECONDS - t )) s: $DUMP"

# 2. Data-only SQL of asegurados, gzip at its default level (6).
STEP="data-only SQL of asegurados"; t=$SECONDS
docker exec -e PGPASSWORD "$CTR" pg_dump -p "$PORT" -U "$DBUSER" -d "$DB" --data-only -t asegurados | gzip > "$SQLGZ"
log INFO "data-only SQL of asegurados done in $(( SECONDS - t )) s: $SQLGZ"

# 3. CSV of asegurados.
STEP="CSV of asegurados"; t=$SECONDS
docker exec -e PGPASSWORD "$CTR" psql -p "$PORT" -U "$DBUSER" -d "$DB" -c "COPY asegurados TO STDOUT WITH CSV HEADER" | gzip > "$CSVGZ"
log INFO "CSV of asegurados done in $(( SECONDS - t )) s: $CSVGZ"

# 4. Verification, as the plan does it (pg_restore -l reads the table of contents only).
STEP="verification"; t=$SECONDS
pg_restore -l "$DUMP" > /dev/null
gzip -t "$SQLGZ"
gzip -t "$CSVGZ"
log INFO "verification passed in $(( SECONDS - t )) s (pg_restore -l, gzip -t x2)"

# 5. Statistics.
STEP="statistics"; t=$SECONDS
for f in "$DUMP" "$SQLGZ" "$CSVGZ"; do
  log INFO "size $(du -h "$f" | cut -f1) ($(ls -l "$f" | awk '{print $5}') bytes) $(basename "$f")"
done
ROWS="$(docker exec -e PGPASSWORD "$CTR" psql -p "$PORT" -U "$DBUSER" -d "$DB" -t -A -c "SELECT count(*) FROM asegurados")"
[ -n "$ROWS" ]
log INFO "asegurados rows: $ROWS"
log INFO "total $(du -ch "$DUMP" "$SQLGZ" "$CSVGZ" | tail -n 1 | cut -f1) in $(( SECONDS - T0 )) s"
STEP="done"
