#!/usr/bin/env bash
# Test rig for CenateBackup: a Docker engine, the images cenate-postgres:15-pgtap (PostgreSQL 15 + pgTAP, bookworm) and
# cenate-postgres:17 (PostgreSQL 17, trixie), the seeded test containers cenate_test_pg (15, 127.0.0.1:55432) and
# cenate_test_pg17 (17, 127.0.0.1:55437, 2000 rows), and PostgreSQL 14/17 servers (127.0.0.1:55414 / :55417) for
# version tests. Everything listens on 127.0.0.1 only; containers use --network host.
#
#   rig.sh up [rows]                 start (or reuse) everything; rows = asegurados rows in cenate_test_pg (20000)
#   rig.sh container NAME PORT [rows] (re)start a throwaway seeded container (rows default 2000)
#   rig.sh container17 NAME PORT [rows]   the same with the PostgreSQL 17 image
#   rig.sh container-isolated NAME PORT [rows]   the same with --network none (reachable only via docker exec)
#   rig.sh rm-container NAME         docker rm -f NAME
#   rig.sh seed PORT rows            (re)seed maestro_cenate on 127.0.0.1:PORT
#   rig.sh down                      stop what the rig started (the images stay for reuse)
#   rig.sh env                       print the path of rig.env (shell `export` lines; source it)
#
# State lives in RIG_HOME (${CENATE_RIG_HOME:-$HOME/.cache/cenate-rig}). Progress goes to stderr as
# "[rig] ..."; the password is never put on a command line (PGPASSWORD / -e NAME from the environment).
set -euo pipefail

RIG_HOME="${CENATE_RIG_HOME:-$HOME/.cache/cenate-rig}"
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ENTRYPOINT="$SCRIPTS_DIR/container-entrypoint.sh"
SEED_SQL="$SCRIPTS_DIR/seed-asegurados.sql"
ENV_FILE="$RIG_HOME/rig.env"
CONTAINERS_FILE="$RIG_HOME/containers"
DOCKERD_PID_FILE="$RIG_HOME/dockerd.pid"
DOCKERD_LOG="$RIG_HOME/dockerd.log"
CRON_PID_FILE="$RIG_HOME/cron.pid"
PGVERS="$RIG_HOME/pgvers/node_modules"

# The tag names what the image holds: a machine with an older image (cenate-postgres:15, no pgTAP)
# builds this one once instead of reusing the old one.
IMAGE="cenate-postgres:15-pgtap"
TEST_CONTAINER="cenate_test_pg"
TEST_PORT=55432
# A PostgreSQL 17 container (pg_dump 17 inside it) for the container-mode matrix; built by the same debootstrap route.
IMAGE17="cenate-postgres:17"
TEST17_CONTAINER="cenate_test_pg17"
TEST17_PORT=55437
PG14_PORT=55414
PG17_PORT=55417
DB_HOST="127.0.0.1"
DB_USER="cenate"
DB_NAME="maestro_cenate"
DEFAULT_ROWS=20000
CONTAINER_DEFAULT_ROWS=2000
OLD_SERVER_ROWS=2000
READY_TIMEOUT=60
RIG_LABEL="cenate.rig=1"

PG15_BIN=/usr/lib/postgresql/15/bin
PSQL="$PG15_BIN/psql"
PG_ISREADY="$PG15_BIN/pg_isready"
unset PGSERVICE PGOPTIONS PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSSLMODE 2>/dev/null || true

log() { printf '[rig] %s\n' "$*" >&2; }
die() { printf '[rig] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( SECONDS - $1 )) s"; }

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

is_uint() { [[ "${1:-}" =~ ^[0-9]+$ ]]; }
check_port() { is_uint "$1" && (( $1 > 0 && $1 < 65536 )) || die "invalid port '$1'"; }
check_rows() { is_uint "$1" || die "invalid row count '$1'"; }

# ---------------------------------------------------------------- rig.env / password
RIG_PASSWORD=""
load_password() {
  [[ -n "$RIG_PASSWORD" ]] && return 0
  if [[ -f "$ENV_FILE" ]]; then
    RIG_PASSWORD="$(. "$ENV_FILE" >/dev/null 2>&1; printf '%s' "${CENATE_TEST_PASSWORD:-}")"
  fi
  if [[ -z "$RIG_PASSWORD" ]]; then
    RIG_PASSWORD="$(head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-24)"
    [[ ${#RIG_PASSWORD} -ge 16 ]] || die "could not generate a password"
    log "generated a new password for role $DB_USER"
    write_env "$DEFAULT_ROWS"
  fi
}

current_env_rows() {
  local r=""
  [[ -f "$ENV_FILE" ]] && r="$(. "$ENV_FILE" >/dev/null 2>&1; printf '%s' "${CENATE_TEST_ROWS:-}")"
  is_uint "$r" && echo "$r" || echo "$DEFAULT_ROWS"
}

write_env() {
  local rows="$1" tmp
  mkdir -p "$RIG_HOME"
  tmp="$(umask 077; mktemp "$RIG_HOME/.rig.env.XXXXXX")"
  {
    echo "# written by $SCRIPTS_DIR/rig.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); source it: . \"$ENV_FILE\""
    local kv
    for kv in \
      "CENATE_TEST_CONTAINER=$TEST_CONTAINER" \
      "CENATE_TEST_PORT=$TEST_PORT" \
      "CENATE_TEST_HOST=$DB_HOST" \
      "CENATE_TEST_USER=$DB_USER" \
      "CENATE_TEST_PASSWORD=$RIG_PASSWORD" \
      "CENATE_TEST_DATABASE=$DB_NAME" \
      "CENATE_TEST_ROWS=$rows" \
      "CENATE_TEST_IMAGE=$IMAGE" \
      "CENATE_TEST_PG17_CONTAINER=$TEST17_CONTAINER" \
      "CENATE_TEST_PG17_CONTAINER_PORT=$TEST17_PORT" \
      "CENATE_TEST_PG17_IMAGE=$IMAGE17" \
      "CENATE_TEST_PG14_PORT=$PG14_PORT" \
      "CENATE_TEST_PG17_PORT=$PG17_PORT" \
      "CENATE_RIG_HOME=$RIG_HOME" \
      "CENATE_S3RVER=$RIG_HOME/s3rver/node_modules/.bin/s3rver" \
      "CENATE_RIG_SCRIPTS=$SCRIPTS_DIR"; do
      printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
  } > "$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------- helpers
port_in_use() {   # something listens on 127.0.0.1:PORT (or on all addresses)
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "( sport = :$port )" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/$DB_HOST/$port") 2>/dev/null
  fi
}

psql_tcp() {      # psql_tcp PORT DB [psql args...]   (password from the environment, never argv)
  local port="$1" db="$2"; shift 2
  PGPASSWORD="$RIG_PASSWORD" PGCONNECT_TIMEOUT=10 "$PSQL" -X -v ON_ERROR_STOP=1 \
    -h "$DB_HOST" -p "$port" -U "$DB_USER" -d "$db" "$@"
}

count_rows() {    # prints the row count of public.asegurados on PORT, or nothing (no table, no login)
  local exists
  exists="$(psql_tcp "$1" "$DB_NAME" -qAt -c "SELECT to_regclass('public.asegurados') IS NOT NULL" 2>/dev/null || true)"
  [[ "$exists" == t ]] || return 0
  psql_tcp "$1" "$DB_NAME" -qAt -c 'SELECT count(*) FROM public.asegurados' 2>/dev/null || true
}

seed() {
  local port="$1" rows="$2" t0=$SECONDS
  check_port "$port"; check_rows "$rows"
  [[ -r "$SEED_SQL" ]] || die "missing $SEED_SQL"
  load_password
  log "seeding $DB_NAME on $DB_HOST:$port with $rows asegurados rows"
  if ! psql_tcp "$port" "$DB_NAME" -q -v rows="$rows" -f "$SEED_SQL" >/dev/null; then
    die "seeding $DB_HOST:$port failed"
  fi
  local got; got="$(count_rows "$port")"
  [[ "$got" == "$rows" ]] || die "after seeding $DB_HOST:$port has '$got' rows, expected $rows"
  log "seeded $DB_HOST:$port ($rows rows) in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- docker engine, image, containers; PostgreSQL 14 / 17
# shellcheck source=lib/rig-docker.sh
. "$SCRIPTS_DIR/lib/rig-docker.sh"
# shellcheck source=lib/rig-pgservers.sh
. "$SCRIPTS_DIR/lib/rig-pgservers.sh"

# ---------------------------------------------------------------- ports
# The rig's servers listen on fixed loopback ports inside Linux's ephemeral range (32768-60999), where any outgoing
# connection (a test's own client, the Docker engine) may take one as its local port first: PostgreSQL then fails
# with "could not bind … Address already in use" (seen in CI). Reserve them from the ephemeral range (root; kept
# until reboot, added to whatever is reserved already).
RIG_PORT_RANGES="55400-55499,56000-56999"
reserve_ports() {
  local f=/proc/sys/net/ipv4/ip_local_reserved_ports current
  [[ -w "$f" ]] || { log "cannot reserve ports $RIG_PORT_RANGES from the ephemeral range ($f not writable)"; return 0; }
  current="$(cat "$f")"
  case ",$current," in *",55400-55499,"*) return 0 ;; esac
  if echo "${current:+$current,}$RIG_PORT_RANGES" > "$f" 2>/dev/null; then
    log "reserved ports $RIG_PORT_RANGES from the ephemeral range"
  else
    log "could not reserve ports $RIG_PORT_RANGES from the ephemeral range"
  fi
}

# ---------------------------------------------------------------- subcommands
ensure_seeded_container() {   # ensure_seeded_container NAME PORT ROWS IMAGE   reuse a running one, else (re)start it
  local name="$1" port="$2" rows="$3" image="$4" have=""
  if container_running "$name" && [[ "$(container_port "$name")" == "$port" ]] \
     && [[ "$(docker container inspect -f '{{.Config.Image}}' "$name" 2>/dev/null || true)" == "$image" ]]; then
    have="$(count_rows "$port")"
  fi
  if [[ -n "$have" && "$have" == "$rows" ]]; then
    log "reusing running container $name ($rows rows)"
    record_container "$name"
  elif [[ -n "$have" ]]; then
    log "container $name runs with $have rows; reseeding with $rows"
    record_container "$name"
    seed "$port" "$rows"
  else
    start_container "$name" "$port" "$rows" host "$image"
  fi
}

our_cron_pid() {   # prints the pid of the cron daemon this rig started, if it still runs
  local pid
  [[ -f "$CRON_PID_FILE" ]] || return 1
  pid="$(cat "$CRON_PID_FILE" 2>/dev/null || true)"
  is_uint "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == cron ]] || return 1
  echo "$pid"
}

ensure_cron() {   # the real Debian cron daemon for the schedule tests (no systemd as PID 1 here)
  [[ -x /usr/sbin/cron ]] || { log "no /usr/sbin/cron: the scheduled-run tests will fail (install-prereqs.sh installs it)"; return 0; }
  if our_cron_pid >/dev/null || pgrep -x cron >/dev/null 2>&1; then return 0; fi
  # The daemon must inherit no descriptor but 0-2: it would hold the rig lock (fd 9) or a caller's pipe for ever.
  ( for fd in $(ls /proc/$BASHPID/fd); do (( fd > 2 )) && eval "exec $fd>&-"; done
    exec /usr/sbin/cron -L 15 </dev/null >/dev/null 2>&1 ) || die "cron did not start"
  local i pid=""
  for (( i = 0; i < 50; i++ )); do
    pid="$(cat /var/run/crond.pid 2>/dev/null || true)"
    is_uint "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == cron ]] && break
    sleep 0.1
  done
  is_uint "$pid" || die "cron started but wrote no /var/run/crond.pid"
  echo "$pid" > "$CRON_PID_FILE"
  log "cron started (pid $pid)"
}

cmd_up() {
  local rows="${1:-$DEFAULT_ROWS}" t0=$SECONDS
  check_rows "$rows"
  mkdir -p "$RIG_HOME"
  load_password
  ensure_dockerd
  ensure_image "$IMAGE"
  ensure_image "$IMAGE17"
  ensure_seeded_container "$TEST_CONTAINER" "$TEST_PORT" "$rows" "$IMAGE"
  ensure_seeded_container "$TEST17_CONTAINER" "$TEST17_PORT" "$CONTAINER_DEFAULT_ROWS" "$IMAGE17"
  start_old_server 14 "$PG14_PORT"
  start_old_server 17 "$PG17_PORT"
  ensure_cron
  write_env "$rows"
  log "rig up in $(elapsed "$t0"); source $ENV_FILE"
  echo "$ENV_FILE"
}

cmd_engine() {   # dockerd + image + rig.env only (demo and benchmarks start their own containers)
  mkdir -p "$RIG_HOME"
  load_password
  ensure_dockerd
  ensure_image
  write_env "$(current_env_rows || echo 0)"
  echo "$ENV_FILE"
}

cmd_down() {
  local t0=$SECONDS name
  local -a names=()
  if docker_ok; then
    [[ -f "$CONTAINERS_FILE" ]] && mapfile -t names < "$CONTAINERS_FILE"
    mapfile -t -O "${#names[@]}" names < <(docker ps -a --filter "label=$RIG_LABEL" --format '{{.Names}}')
    for name in $(printf '%s\n' "${names[@]}" | sort -u); do
      [[ -n "$name" ]] || continue
      if docker container inspect "$name" >/dev/null 2>&1; then
        docker rm -f "$name" >/dev/null && log "removed container $name"
      fi
    done
  fi
  rm -f "$CONTAINERS_FILE"
  stop_old_server 14
  stop_old_server 17
  local pid
  if pid="$(our_cron_pid)"; then kill -TERM "$pid" && log "stopped cron (pid $pid)"; fi
  rm -f "$CRON_PID_FILE"
  if pid="$(our_dockerd_pid)"; then
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    local i
    for (( i = 0; i < 60; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) did not stop within 60 s"
    rm -f "$DOCKERD_PID_FILE"
  else
    rm -f "$DOCKERD_PID_FILE"
    docker_ok && log "leaving the Docker engine running (the rig did not start it)"
  fi
  log "rig down in $(elapsed "$t0") (images $IMAGE and $IMAGE17 kept)"
}

main() {
  local cmd="${1:-}"; [[ $# -gt 0 ]] && shift
  [[ "$cmd" == env ]] && { echo "$ENV_FILE"; return 0; }
  case "$cmd" in up|engine|container|container17|container-isolated|rm-container|seed|down) ;; *) usage ;; esac
  [[ "$(id -u)" == 0 ]] || die "run as root (starts dockerd, debootstrap, runs servers as the postgres user)"
  [[ -x "$PSQL" ]] || die "$PSQL not found (install postgresql-15: scripts/install-prereqs.sh)"
  mkdir -p "$RIG_HOME"
  exec 9>"$RIG_HOME/rig.lock"
  flock -w 900 9 || die "another rig.sh holds $RIG_HOME/rig.lock"
  case "$cmd" in up|engine|container|container17|container-isolated|seed) reserve_ports ;; esac
  case "$cmd" in
    up)           [[ $# -le 1 ]] || usage; cmd_up "$@" ;;
    engine)       [[ $# -eq 0 ]] || usage; cmd_engine ;;
    container)    [[ $# -ge 2 && $# -le 3 ]] || usage; start_container "$1" "$2" "${3:-$CONTAINER_DEFAULT_ROWS}" ;;
    container17)  [[ $# -ge 2 && $# -le 3 ]] || usage
                  start_container "$1" "$2" "${3:-$CONTAINER_DEFAULT_ROWS}" host "$IMAGE17" ;;
    container-isolated) [[ $# -ge 2 && $# -le 3 ]] || usage; start_container "$1" "$2" "${3:-$CONTAINER_DEFAULT_ROWS}" none ;;
    rm-container) [[ $# -eq 1 ]] || usage; remove_container "$1" ;;
    seed)         [[ $# -eq 2 ]] || usage; seed "$1" "$2" ;;
    down)         [[ $# -eq 0 ]] || usage; cmd_down ;;
  esac
}

main "$@"
