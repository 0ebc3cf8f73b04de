# shellcheck shell=bash
# Test rig, part 2: the PostgreSQL 14 and 17 servers (npm binaries) for version tests.
# Sourced by scripts/rig.sh, whose settings (RIG_HOME, PGVERS, ports …) and helpers (log, die, seed …) it uses.

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
