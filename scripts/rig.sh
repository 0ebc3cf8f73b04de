#!/usr/bin/env bash
# Test rig for CenateBackup: a Docker engine, the image cenate-postgres:15-pgtap (PostgreSQL 15 + pgTAP), the seeded test container
# cenate_test_pg (127.0.0.1:55432) and PostgreSQL 14/17 servers (127.0.0.1:55414 / :55417) for
# version tests. Everything listens on 127.0.0.1 only; containers use --network host.
#
#   rig.sh up [rows]                 start (or reuse) everything; rows = asegurados rows in cenate_test_pg (20000)
#   rig.sh container NAME PORT [rows] (re)start a throwaway seeded container (rows default 2000)
#   rig.sh container-isolated NAME PORT [rows]   the same with --network none (reachable only via docker exec)
#   rig.sh rm-container NAME         docker rm -f NAME
#   rig.sh seed PORT rows            (re)seed maestro_cenate on 127.0.0.1:PORT
#   rig.sh down                      stop what the rig started (the image stays for reuse)
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
PGVERS="$RIG_HOME/pgvers/node_modules"

# The tag names what the image holds: a machine with an older image (cenate-postgres:15, no pgTAP)
# builds this one once instead of reusing the old one.
IMAGE="cenate-postgres:15-pgtap"
IMAGE_PATH_ENV='PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
TEST_CONTAINER="cenate_test_pg"
TEST_PORT=55432
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
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
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
      "CENATE_TEST_PG14_PORT=$PG14_PORT" \
      "CENATE_TEST_PG17_PORT=$PG17_PORT" \
      "CENATE_RIG_HOME=$RIG_HOME" \
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

# ---------------------------------------------------------------- docker engine
docker_ok() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

our_dockerd_pid() {   # prints the pid of the dockerd this rig started, if it still runs
  local pid
  [[ -f "$DOCKERD_PID_FILE" ]] || return 1
  pid="$(cat "$DOCKERD_PID_FILE" 2>/dev/null || true)"
  is_uint "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == dockerd ]] || return 1
  echo "$pid"
}

DOCKER_CHECKED=""
ensure_dockerd() {
  [[ -z "$DOCKER_CHECKED" ]] || return 0
  DOCKER_CHECKED=1
  command -v docker >/dev/null 2>&1 || die "docker client not found (run scripts/install-prereqs.sh)"
  if docker_ok; then
    if our_dockerd_pid >/dev/null; then
      log "reusing dockerd started by the rig (pid $(our_dockerd_pid))"
    else
      rm -f "$DOCKERD_PID_FILE"
      log "reusing a running Docker engine (not started by the rig; down will leave it)"
    fi
    return 0
  fi
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found (run scripts/install-prereqs.sh)"
  local other; other="$(cat /var/run/docker.pid 2>/dev/null || true)"
  if is_uint "$other" && [[ "$(cat "/proc/$other/comm" 2>/dev/null || true)" == dockerd ]]; then
    log "a dockerd (pid $other) runs but does not answer yet; waiting"
    local i; for i in $(seq 1 30); do docker_ok && return 0; sleep 1; done
    die "dockerd pid $other does not answer on /var/run/docker.sock"
  fi
  log "starting dockerd --bridge=none --iptables=false --ip6tables=false (log $DOCKERD_LOG)"
  mkdir -p "$RIG_HOME"
  # setsid: own session, so a Ctrl-C or a killed process group of the caller does not stop it.
  setsid dockerd --bridge=none --iptables=false --ip6tables=false \
    </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  local pid=$!
  echo "$pid" > "$DOCKERD_PID_FILE"
  local i
  for i in $(seq 1 60); do
    if docker_ok; then log "dockerd up (pid $pid)"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$DOCKERD_LOG" >&2; rm -f "$DOCKERD_PID_FILE"; die "dockerd exited; see $DOCKERD_LOG"; }
    sleep 1
  done
  tail -n 20 "$DOCKERD_LOG" >&2
  die "dockerd (pid $pid) did not answer within 60 s; see $DOCKERD_LOG"
}

# ---------------------------------------------------------------- image
debian_mirror() {
  local m=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    m="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [[ -z "$m" && -f /etc/apt/sources.list ]]; then
    m="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  [[ -n "$m" ]] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  echo "$m"
}

remove_rootfs() {   # never follow into a mount left behind by a failed debootstrap (/proc, /sys, /dev)
  local dir="$1" m
  [[ -d "$dir" ]] || return 0
  while read -r m; do
    [[ -n "$m" ]] && umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

IMAGE_CHECKED=""
ensure_image() {
  [[ -z "$IMAGE_CHECKED" ]] || return 0
  IMAGE_CHECKED=1
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present"
    return 0
  fi
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (run scripts/install-prereqs.sh)"
  local t0=$SECONDS mirror rootfs="$RIG_HOME/rootfs.build" dlog="$RIG_HOME/debootstrap.log"
  mirror="$(debian_mirror)"
  log "building $IMAGE: debootstrap --variant=minbase --include=postgresql-15,postgresql-15-pgtap bookworm from $mirror (log $dlog)"
  remove_rootfs "$rootfs"
  mkdir -p "$rootfs"
  if ! debootstrap --variant=minbase --include=postgresql-15,postgresql-15-pgtap bookworm "$rootfs" "$mirror" >"$dlog" 2>&1; then
    tail -n 30 "$dlog" >&2
    remove_rootfs "$rootfs"
    die "debootstrap failed; see $dlog"
  fi
  [[ -x "$rootfs/usr/lib/postgresql/15/bin/postgres" ]] || { remove_rootfs "$rootfs"; die "debootstrap produced no postgres binary"; }
  [[ -f "$rootfs/usr/share/postgresql/15/extension/pgtap.control" ]] || { remove_rootfs "$rootfs"; die "debootstrap produced no pgTAP extension"; }
  # The package's own cluster and the downloaded packages are not needed in the image.
  rm -rf "$rootfs/var/lib/postgresql/15/main" "$rootfs/etc/postgresql/15/main" \
         "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* "$rootfs/debootstrap"
  log "debootstrap done in $(elapsed "$t0"); importing"
  if ! tar --numeric-owner --one-file-system -C "$rootfs" -c . \
       | docker import -c "ENV $IMAGE_PATH_ENV" -c 'ENV LANG=C.UTF-8' \
                       -c 'CMD ["/bin/sh", "/cenate-entrypoint.sh"]' - "$IMAGE" >/dev/null; then
    remove_rootfs "$rootfs"
    die "docker import of $IMAGE failed"
  fi
  remove_rootfs "$rootfs"
  docker run --rm --network none "$IMAGE" postgres --version >/dev/null \
    || die "the new image $IMAGE cannot run postgres"
  log "built $IMAGE in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- containers
record_container() {
  touch "$CONTAINERS_FILE"
  grep -qxF "$1" "$CONTAINERS_FILE" || echo "$1" >> "$CONTAINERS_FILE"
}
forget_container() {
  [[ -f "$CONTAINERS_FILE" ]] || return 0
  local tmp; tmp="$(mktemp "$RIG_HOME/.containers.XXXXXX")"
  grep -vxF "$1" "$CONTAINERS_FILE" > "$tmp" || true
  mv -f "$tmp" "$CONTAINERS_FILE"
}

check_name() { [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid container name '$1'"; }

container_running() {
  [[ "$(docker container inspect -f '{{.State.Running}}' "$1" 2>/dev/null || true)" == true ]]
}

container_port() {   # PGPORT the container was started with
  docker container inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" 2>/dev/null \
    | sed -n 's/^PGPORT=//p' | head -n 1
}

wait_ready() {
  local name="$1" port="$2" i
  for (( i = 0; i < READY_TIMEOUT; i++ )); do
    if "$PG_ISREADY" -q -h "$DB_HOST" -p "$port" -U "$DB_USER" -d "$DB_NAME" -t 2 >/dev/null 2>&1; then return 0; fi
    if ! container_running "$name"; then
      docker logs --tail 30 "$name" >&2 2>&1 || true
      die "container $name stopped before PostgreSQL accepted connections on $DB_HOST:$port"
    fi
    sleep 1
  done
  docker logs --tail 30 "$name" >&2 2>&1 || true
  die "container $name: PostgreSQL did not accept connections on $DB_HOST:$port within $READY_TIMEOUT s"
}

start_container() {   # start_container NAME PORT ROWS [NETWORK]   NETWORK=none: reachable only through docker exec
  local name="$1" port="$2" rows="$3" network="${4:-host}" t0=$SECONDS
  check_name "$name"; check_port "$port"; check_rows "$rows"
  [[ -r "$ENTRYPOINT" ]] || die "missing $ENTRYPOINT"
  ensure_dockerd
  ensure_image
  load_password
  if docker container inspect "$name" >/dev/null 2>&1; then
    log "removing old container $name"
    docker rm -f "$name" >/dev/null || die "cannot remove old container $name"
  fi
  local i
  for (( i = 0; i < 10; i++ )); do port_in_use "$port" || break; sleep 1; done
  port_in_use "$port" && die "port $port on $DB_HOST is already in use by something else"
  log "starting container $name ($IMAGE, --network $network, 127.0.0.1:$port)"
  CENATE_PASSWORD="$RIG_PASSWORD" docker run -d --name "$name" --network "$network" --shm-size 256m \
      --label "$RIG_LABEL" -e PGPORT="$port" -e CENATE_PASSWORD \
      -v "$ENTRYPOINT:/cenate-entrypoint.sh:ro" "$IMAGE" /bin/sh /cenate-entrypoint.sh >/dev/null \
    || die "docker run $name failed"
  record_container "$name"
  if [[ "$network" == none ]]; then
    # Its own network namespace: only docker exec reaches the server (the module's last-resort route).
    local i
    for (( i = 0; i < READY_TIMEOUT; i++ )); do
      docker exec "$name" pg_isready -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d "$DB_NAME" -t 2 >/dev/null 2>&1 && break
      container_running "$name" || die "container $name stopped before PostgreSQL was ready"
      sleep 1
    done
    log "seeding $name through docker exec ($rows rows)"
    docker exec -i "$name" psql -X -q -v ON_ERROR_STOP=1 -p "$port" -U "$DB_USER" -d "$DB_NAME" -v rows="$rows" -f - < "$SEED_SQL" >/dev/null \
      || die "seeding $name through docker exec failed"
    log "container $name (network none) ready after $(elapsed "$t0")"
    return
  fi
  wait_ready "$name" "$port"
  log "container $name accepts connections on $DB_HOST:$port after $(elapsed "$t0")"
  seed "$port" "$rows"
}

remove_container() {
  local name="$1"
  check_name "$name"
  if docker_ok && docker container inspect "$name" >/dev/null 2>&1; then
    docker rm -f "$name" >/dev/null || die "cannot remove container $name"
    log "removed container $name"
  else
    log "no container $name"
  fi
  forget_container "$name"
}

# ---------------------------------------------------------------- PostgreSQL 14 / 17 (npm binaries)
# The server must run as the postgres OS user. If that user cannot reach RIG_HOME (e.g. it is under
# /root, mode 0700), binaries and data go to a postgres-owned directory in its home instead, and
# $RIG_HOME/pgNNdata is a symlink to the data directory.
PGRUN=""
pg_runtime_dir() {
  [[ -n "$PGRUN" ]] && return 0
  id postgres >/dev/null 2>&1 || die "no postgres OS user (install postgresql-15: scripts/install-prereqs.sh)"
  if runuser -u postgres -- test -x "$RIG_HOME" 2>/dev/null; then
    PGRUN="$RIG_HOME"
  else
    local home; home="$(getent passwd postgres | cut -d: -f6)"
    [[ -n "$home" && -d "$home" ]] || die "postgres OS user has no home directory"
    PGRUN="$home/cenate-rig-$(printf '%s' "$RIG_HOME" | md5sum | cut -c1-8)"
    if [[ ! -d "$PGRUN" ]]; then
      log "postgres cannot reach $RIG_HOME; PostgreSQL 14/17 binaries and data go to $PGRUN"
      mkdir -p "$PGRUN"
    fi
    chown postgres:postgres "$PGRUN"; chmod 0755 "$PGRUN"
  fi
  mkdir -p "$PGRUN/pgsock"
  chown postgres:postgres "$PGRUN/pgsock"; chmod 0755 "$PGRUN/pgsock"
}

pg_native_dir() {   # prints a native/ dir the postgres user can execute, copying it if needed
  local ver="$1" src="$PGVERS/pg$1/native" dst
  [[ -x "$src/bin/postgres" ]] || die "no PostgreSQL $ver binaries in $src (run scripts/install-prereqs.sh)"
  if runuser -u postgres -- test -x "$src/bin/postgres" 2>/dev/null; then
    echo "$src"; return 0
  fi
  dst="$PGRUN/pg$ver-native"
  if ! cmp -s "$src/bin/postgres" "$dst/bin/postgres" 2>/dev/null; then
    log "copying PostgreSQL $ver binaries to $dst"
    rm -rf "$dst"
    cp -a "$src" "$dst.tmp"
    chmod -R a+rX "$dst.tmp"
    mv "$dst.tmp" "$dst"
  fi
  echo "$dst"
}

run_as_postgres() { ( cd / && exec runuser -u postgres -- "$@" ); }

start_old_server() {   # start_old_server VERSION PORT
  local ver="$1" port="$2" t0=$SECONDS native data plog sock
  pg_runtime_dir
  load_password
  native="$(pg_native_dir "$ver")"
  data="$PGRUN/pg${ver}data"
  plog="$PGRUN/pg$ver.log"
  sock="$PGRUN/pgsock"
  [[ "$PGRUN" == "$RIG_HOME" ]] || ln -sfn "$data" "$RIG_HOME/pg${ver}data"
  local pgenv=(env "LD_LIBRARY_PATH=$native/lib" "PATH=$native/bin:/usr/bin:/bin")

  if [[ -s "$data/PG_VERSION" && "$(cat "$data/PG_VERSION")" != "$ver" ]]; then
    log "$data holds PostgreSQL $(cat "$data/PG_VERSION"), not $ver; recreating it"
    run_as_postgres "${pgenv[@]}" pg_ctl stop -D "$data" -m fast -w >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
  if [[ ! -s "$data/PG_VERSION" ]]; then
    log "initdb PostgreSQL $ver in $data"
    rm -rf "$data"; mkdir -p "$data"
    chown postgres:postgres "$data"; chmod 0700 "$data"
    local pwfile; pwfile="$(umask 077; mktemp "$PGRUN/.pw.XXXXXX")"
    printf '%s\n' "$RIG_PASSWORD" > "$pwfile"
    chown postgres:postgres "$pwfile"; chmod 0600 "$pwfile"
    if ! run_as_postgres "${pgenv[@]}" initdb -D "$data" -U "$DB_USER" --pwfile="$pwfile" \
          --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --lc-collate=C >"$PGRUN/pg$ver.initdb.log" 2>&1; then
      rm -f "$pwfile"
      tail -n 20 "$PGRUN/pg$ver.initdb.log" >&2
      die "initdb of PostgreSQL $ver failed"
    fi
    rm -f "$pwfile"
    cat >> "$data/postgresql.conf" <<CONF

# cenate rig
port = $port
listen_addresses = '$DB_HOST'
unix_socket_directories = '$sock'
CONF
  fi

  if run_as_postgres "${pgenv[@]}" pg_ctl status -D "$data" >/dev/null 2>&1; then
    log "PostgreSQL $ver already runs on $DB_HOST:$port"
  else
    port_in_use "$port" && die "port $port on $DB_HOST is already in use by something else"
    log "starting PostgreSQL $ver on $DB_HOST:$port (log $plog)"
    touch "$plog"; chown postgres:postgres "$plog"
    if ! run_as_postgres "${pgenv[@]}" pg_ctl start -D "$data" -l "$plog" -w -t "$READY_TIMEOUT" >/dev/null 9>&-; then
      tail -n 20 "$plog" >&2
      die "PostgreSQL $ver did not start; see $plog"
    fi
  fi
  "$PG_ISREADY" -q -h "$DB_HOST" -p "$port" -U "$DB_USER" -d "$DB_NAME" -t 10 || die "PostgreSQL $ver does not accept TCP connections on $DB_HOST:$port"

  # Database and password (the password may have changed if rig.env was deleted): over the local socket (trust).
  local sql_sock=("$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U "$DB_USER")
  if [[ -z "$("${sql_sock[@]}" -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]]; then
    "${sql_sock[@]}" -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >/dev/null \
      || die "cannot create $DB_NAME on PostgreSQL $ver"
  fi
  if ! psql_tcp "$port" "$DB_NAME" -qAt -c 'SELECT 1' >/dev/null 2>&1; then
    log "updating the password of $DB_USER on PostgreSQL $ver"
    printf "ALTER ROLE %s PASSWORD '%s';\n" "$DB_USER" "${RIG_PASSWORD//\'/\'\'}" \
      | "${sql_sock[@]}" -d postgres >/dev/null || die "cannot set the password on PostgreSQL $ver"
    psql_tcp "$port" "$DB_NAME" -qAt -c 'SELECT 1' >/dev/null || die "cannot log in to PostgreSQL $ver over TCP"
  fi
  if [[ "$(count_rows "$port")" == "$OLD_SERVER_ROWS" ]]; then
    log "PostgreSQL $ver already seeded ($OLD_SERVER_ROWS rows)"
  else
    seed "$port" "$OLD_SERVER_ROWS"
  fi
  log "PostgreSQL $ver ready on $DB_HOST:$port ($(elapsed "$t0"))"
}

stop_old_server() {
  local ver="$1" native data
  pg_runtime_dir
  data="$PGRUN/pg${ver}data"
  [[ -s "$data/PG_VERSION" ]] || return 0
  native="$(pg_native_dir "$ver")"
  local pgenv=(env "LD_LIBRARY_PATH=$native/lib" "PATH=$native/bin:/usr/bin:/bin")
  if run_as_postgres "${pgenv[@]}" pg_ctl status -D "$data" >/dev/null 2>&1; then
    run_as_postgres "${pgenv[@]}" pg_ctl stop -D "$data" -m fast -w -t 60 >/dev/null \
      || die "cannot stop PostgreSQL $ver ($data)"
    log "stopped PostgreSQL $ver"
  fi
}

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
cmd_up() {
  local rows="${1:-$DEFAULT_ROWS}" t0=$SECONDS
  check_rows "$rows"
  mkdir -p "$RIG_HOME"
  load_password
  ensure_dockerd
  ensure_image
  local have=""
  if container_running "$TEST_CONTAINER" && [[ "$(container_port "$TEST_CONTAINER")" == "$TEST_PORT" ]]; then
    have="$(count_rows "$TEST_PORT")"
  fi
  if [[ -n "$have" && "$have" == "$rows" ]]; then
    log "reusing running container $TEST_CONTAINER ($rows rows)"
    record_container "$TEST_CONTAINER"
  elif [[ -n "$have" ]]; then
    log "container $TEST_CONTAINER runs with $have rows; reseeding with $rows"
    record_container "$TEST_CONTAINER"
    seed "$TEST_PORT" "$rows"
  else
    start_container "$TEST_CONTAINER" "$TEST_PORT" "$rows"
  fi
  start_old_server 14 "$PG14_PORT"
  start_old_server 17 "$PG17_PORT"
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
  log "rig down in $(elapsed "$t0") (image $IMAGE kept)"
}

main() {
  local cmd="${1:-}"; [[ $# -gt 0 ]] && shift
  [[ "$cmd" == env ]] && { echo "$ENV_FILE"; return 0; }
  case "$cmd" in up|engine|container|container-isolated|rm-container|seed|down) ;; *) usage ;; esac
  [[ "$(id -u)" == 0 ]] || die "run as root (starts dockerd, debootstrap, runs servers as the postgres user)"
  [[ -x "$PSQL" ]] || die "$PSQL not found (install postgresql-15: scripts/install-prereqs.sh)"
  mkdir -p "$RIG_HOME"
  exec 9>"$RIG_HOME/rig.lock"
  flock -w 900 9 || die "another rig.sh holds $RIG_HOME/rig.lock"
  case "$cmd" in up|engine|container|container-isolated|seed) reserve_ports ;; esac
  case "$cmd" in
    up)           [[ $# -le 1 ]] || usage; cmd_up "$@" ;;
    engine)       [[ $# -eq 0 ]] || usage; cmd_engine ;;
    container)    [[ $# -ge 2 && $# -le 3 ]] || usage; start_container "$1" "$2" "${3:-$CONTAINER_DEFAULT_ROWS}" ;;
    container-isolated) [[ $# -ge 2 && $# -le 3 ]] || usage; start_container "$1" "$2" "${3:-$CONTAINER_DEFAULT_ROWS}" none ;;
    rm-container) [[ $# -eq 1 ]] || usage; remove_container "$1" ;;
    seed)         [[ $# -eq 2 ]] || usage; seed "$1" "$2" ;;
    down)         [[ $# -eq 0 ]] || usage; cmd_down ;;
  esac
}

main "$@"
