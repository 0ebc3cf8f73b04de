# shellcheck shell=bash
# Test rig, part 1: the Docker engine, the images cenate-postgres:15-pgtap and cenate-postgres:17, the seeded
# containers.
# Sourced by scripts/rig.sh, whose settings (RIG_HOME, IMAGE, ports …) and helpers (log, die, seed …) it uses.

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

# What each image holds: the Debian suite debootstrap installs, the packages, the PostgreSQL major (PATH
# /usr/lib/postgresql/<major>/bin) and a file the build must have produced besides the postgres binary.
image_recipe() {   # image_recipe IMAGE -> sets RECIPE_SUITE RECIPE_PACKAGES RECIPE_MAJOR RECIPE_CHECK
  case "$1" in
    "$IMAGE")
      RECIPE_SUITE=bookworm RECIPE_PACKAGES=postgresql-15,postgresql-15-pgtap RECIPE_MAJOR=15
      RECIPE_CHECK=usr/share/postgresql/15/extension/pgtap.control ;;
    "$IMAGE17")
      # trixie: debootstrap runs it through its "sid" script (Debian 12's debootstrap has the trixie link).
      RECIPE_SUITE=trixie RECIPE_PACKAGES=postgresql-17 RECIPE_MAJOR=17
      RECIPE_CHECK=usr/share/postgresql/17/extension/btree_gist.control ;;
    *) die "no recipe for image '$1'" ;;
  esac
}

IMAGES_CHECKED=" "
ensure_image() {   # ensure_image [IMAGE]   build IMAGE (default $IMAGE) once per machine; reuse it when present
  local image="${1:-$IMAGE}"
  [[ "$IMAGES_CHECKED" != *" $image "* ]] || return 0
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "image $image present"
    IMAGES_CHECKED+="$image "
    return 0
  fi
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (run scripts/install-prereqs.sh)"
  image_recipe "$image"
  local suite="$RECIPE_SUITE" packages="$RECIPE_PACKAGES" major="$RECIPE_MAJOR" check="$RECIPE_CHECK"
  [[ -e "/usr/share/debootstrap/scripts/$suite" ]] || die "debootstrap has no script for $suite (update debootstrap)"
  local t0=$SECONDS mirror rootfs="$RIG_HOME/rootfs.build.$major" dlog="$RIG_HOME/debootstrap-$major.log"
  local path_env="PATH=/usr/lib/postgresql/$major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  mirror="$(debian_mirror)"
  log "building $image: debootstrap --variant=minbase --include=$packages $suite from $mirror (log $dlog)"
  remove_rootfs "$rootfs"
  mkdir -p "$rootfs"
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$dlog" 2>&1; then
    tail -n 30 "$dlog" >&2
    remove_rootfs "$rootfs"
    die "debootstrap failed; see $dlog"
  fi
  [[ -x "$rootfs/usr/lib/postgresql/$major/bin/postgres" ]] \
    || { remove_rootfs "$rootfs"; die "debootstrap produced no postgres $major binary"; }
  [[ -f "$rootfs/$check" ]] || { remove_rootfs "$rootfs"; die "debootstrap produced no /$check"; }
  # The package's own cluster and the downloaded packages are not needed in the image.
  rm -rf "$rootfs/var/lib/postgresql/$major/main" "$rootfs/etc/postgresql/$major/main" \
         "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* "$rootfs/debootstrap"
  log "debootstrap done in $(elapsed "$t0"); importing"
  if ! tar --numeric-owner --one-file-system -C "$rootfs" -c . \
       | docker import -c "ENV $path_env" -c 'ENV LANG=C.UTF-8' \
                       -c 'CMD ["/bin/sh", "/cenate-entrypoint.sh"]' - "$image" >/dev/null; then
    remove_rootfs "$rootfs"
    die "docker import of $image failed"
  fi
  remove_rootfs "$rootfs"
  local version
  version="$(docker run --rm --network none "$image" postgres --version 2>/dev/null)" \
    || die "the new image $image cannot run postgres"
  [[ "$version" == *" $major."* ]] || die "the new image $image runs '$version', expected PostgreSQL $major"
  IMAGES_CHECKED+="$image "
  log "built $image ($version) in $(elapsed "$t0")"
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

# start_container NAME PORT ROWS [NETWORK] [IMAGE]   NETWORK=none: reachable only through docker exec; IMAGE: $IMAGE
start_container() {
  local name="$1" port="$2" rows="$3" network="${4:-host}" image="${5:-$IMAGE}" t0=$SECONDS
  check_name "$name"; check_port "$port"; check_rows "$rows"
  [[ -r "$ENTRYPOINT" ]] || die "missing $ENTRYPOINT"
  ensure_dockerd
  ensure_image "$image"
  load_password
  if docker container inspect "$name" >/dev/null 2>&1; then
    log "removing old container $name"
    docker rm -f "$name" >/dev/null || die "cannot remove old container $name"
  fi
  local i
  for (( i = 0; i < 10; i++ )); do port_in_use "$port" || break; sleep 1; done
  port_in_use "$port" && die "port $port on $DB_HOST is already in use by something else"
  log "starting container $name ($image, --network $network, 127.0.0.1:$port)"
  CENATE_PASSWORD="$RIG_PASSWORD" docker run -d --name "$name" --network "$network" --shm-size 256m \
      --label "$RIG_LABEL" -e PGPORT="$port" -e CENATE_PASSWORD \
      -v "$ENTRYPOINT:/cenate-entrypoint.sh:ro" "$image" /bin/sh /cenate-entrypoint.sh >/dev/null \
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
