#!/bin/sh
# Entrypoint of the CenateBackup test containers (image cenate-postgres:15, built by scripts/rig.sh).
# Bind-mounted read-only (e.g. at /cenate-entrypoint.sh) and run as the container's command, as root:
#   docker run --network host -e PGPORT=55432 -e CENATE_PASSWORD \
#     -v "$PWD/scripts/container-entrypoint.sh:/cenate-entrypoint.sh:ro" cenate-postgres:15 /bin/sh /cenate-entrypoint.sh
#
# Env:  PGPORT            port to listen on (TCP on 127.0.0.1 only; the unix socket is
#                         /var/run/postgresql/.s.PGSQL.$PGPORT, so tools in the container need -p $PGPORT)
#       CENATE_PASSWORD   password of the role `cenate` (needed on first start only)
#       CENATE_USER       superuser name (default cenate), CENATE_DB database (default maestro_cenate)
#       CENATE_PGDATA     data directory (default /var/lib/cenate/data)
# Extra arguments are passed on to postgres (e.g. `-c shared_buffers=256MB`).
#
# Like the official postgres image with POSTGRES_USER=cenate: the bootstrap superuser is `cenate`,
# local (unix socket) connections are trusted, TCP connections need scram-sha-256.
# The password never appears on a command line: initdb reads it from a 0600 file that is deleted at once.
# Readiness = the server accepts TCP connections (pg_isready -h 127.0.0.1 -p $PGPORT -U cenate): the database
# and role exist before the server first listens.
# SIGTERM (docker stop) and SIGINT trigger a *fast* shutdown (open sessions, e.g. a running pg_dump,
# are terminated) so `docker stop` returns promptly; SIGQUIT = immediate shutdown; SIGHUP = reload.
set -eu

log() { printf '[entrypoint] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

: "${PGPORT:?PGPORT must be set (the port to listen on)}"
case "$PGPORT" in *[!0-9]*|'') die "PGPORT must be a number, got '$PGPORT'";; esac
DB_USER="${CENATE_USER:-cenate}"
DB_NAME="${CENATE_DB:-maestro_cenate}"
DATA="${CENATE_PGDATA:-/var/lib/cenate/data}"
export LANG="${LANG:-C.UTF-8}"

[ "$(id -u)" = 0 ] || die "must start as root (it drops to the postgres user itself)"
id postgres >/dev/null 2>&1 || die "no postgres user in this image"
command -v postgres >/dev/null 2>&1 || die "postgres not on PATH ($PATH)"

# Run a command as the postgres OS user without forking an extra process (setpriv execs directly).
as_postgres() {
  if command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

mkdir -p "$DATA" /var/run/postgresql
chown postgres:postgres "$DATA" /var/run/postgresql
chmod 0700 "$DATA"
chmod 2775 /var/run/postgresql

if [ ! -s "$DATA/PG_VERSION" ]; then
  [ -n "${CENATE_PASSWORD:-}" ] || die "CENATE_PASSWORD must be set to initialise $DATA"
  case "$DB_USER$DB_NAME" in *[!A-Za-z0-9_]*) die "CENATE_USER/CENATE_DB must be plain identifiers";; esac
  if [ -n "$(ls -A "$DATA" 2>/dev/null)" ]; then die "$DATA is not empty but has no PG_VERSION"; fi
  log "initialising $DATA (superuser $DB_USER, database $DB_NAME)"
  umask 077
  pwfile="$(mktemp /tmp/cenate-pw.XXXXXX)"
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$CENATE_PASSWORD" > "$pwfile"
  chown postgres:postgres "$pwfile"
  chmod 0600 "$pwfile"
  # Character classes of C.UTF-8 (upper('ñ') works) but byte-order collation "C": text sorts and
  # index builds take the fast memcmp path (about 2x faster index builds on the 4M-row seed).
  # --no-sync / fsync=off for the two set-up steps only (a throwaway test container: about 2.5 s saved
  # per start; only a host crash right after start could lose them). The server itself runs with fsync.
  locale=C.UTF-8
  [ -d /usr/lib/locale/C.utf8 ] || locale=C
  if ! as_postgres initdb --no-sync -D "$DATA" -U "$DB_USER" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale="$locale" --lc-collate=C \
        >/tmp/initdb.log 2>&1; then
    cat /tmp/initdb.log >&2
    die "initdb failed"
  fi
  rm -f "$pwfile"
  trap - EXIT
  umask 022
  # Create the database in single-user mode: nothing listens yet, so readiness stays "accepts TCP".
  if ! printf 'CREATE DATABASE %s OWNER %s;\n' "$DB_NAME" "$DB_USER" \
       | as_postgres postgres --single -D "$DATA" -c fsync=off -c port="$PGPORT" -c listen_addresses= template1 >/tmp/single.log 2>&1; then
    cat /tmp/single.log >&2
    die "creating database $DB_NAME failed"
  fi
  if grep -q 'ERROR' /tmp/single.log; then cat /tmp/single.log >&2; die "creating database $DB_NAME failed"; fi
  log "initialised"
else
  log "reusing existing data directory $DATA"
fi
unset CENATE_PASSWORD

log "starting postgres on 127.0.0.1:$PGPORT"
# postgres runs as a child of this shell (PID 1), which forwards signals: TERM -> INT (fast shutdown).
# Started directly (not through the shell function, which would fork a subshell that ignores SIGINT
# and hides postgres' pid), so $! is the postmaster itself.
if command -v setpriv >/dev/null 2>&1; then
  setpriv --reuid=postgres --regid=postgres --init-groups -- \
    postgres -D "$DATA" -c port="$PGPORT" -c listen_addresses=127.0.0.1 "$@" &
else
  runuser -u postgres -- postgres -D "$DATA" -c port="$PGPORT" -c listen_addresses=127.0.0.1 "$@" &
fi
pg_pid=$!
forward() { kill "-$1" "$pg_pid" 2>/dev/null || true; }
trap 'log "SIGTERM: fast shutdown"; forward INT' TERM
trap 'log "SIGINT: fast shutdown"; forward INT' INT
trap 'forward QUIT' QUIT
trap 'forward HUP' HUP
rc=0
while :; do
  rc=0
  wait "$pg_pid" || rc=$?
  # wait returns early (status > 128) when a trapped signal arrives; keep waiting while postgres lives.
  kill -0 "$pg_pid" 2>/dev/null || break
done
log "postgres exited with status $rc"
exit "$rc"
