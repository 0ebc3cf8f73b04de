#!/usr/bin/env bash
# Benchmark of Sync-CenateOffsite (issue 14) on the plan's daily set of the 4,000,000-row asegurados
# (New-CenateDump -Include Csv,Sql): not a test, it prints times and ratios.
#   bash bench/Measure-Offsite.sh [rows]        REPEAT=N (default 2): best of N per case
# 1. To a directory on another mounted file system (a loop-mounted ext4 image, standing for the USB disk):
#    Sync-CenateOffsite (every file read back from the disk after fsync + dropping its pages from the cache)
#    vs `rsync -a` followed by sha256sum of the copied files after fsync + dropping their pages the same way
#    (target ≤ 1.2×); plain `rsync -a` (no verification at all) is printed beside it.
# 2. To an sftp remote on the loopback (`rclone serve sftp`): Sync-CenateOffsite vs `rclone copy` +
#    `rclone check --download` (target ≤ 1.2×).
# Uses the bench container of run-bench.sh (cenate_bench_pg, 127.0.0.1:55450) and the rig's image; needs root (mount).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
ROWS="${1:-4000000}"
REPEAT="${REPEAT:-2}"
NAME=cenate_bench_pg
PORT=55450
SFTP_PORT=56490
export PATH="$HOME/.dotnet/tools:$PATH"
OUT="$ROOT/bench/results"; mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/cenate-offsite-bench.XXXXXX)"; chmod 700 "$WORK"
USB="$WORK/usb"
SERVE_PID=""
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
  mountpoint -q "$USB" && { umount "$USB" || umount -l "$USB"; }
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "[bench-offsite] $*" >&2; }

command -v rsync >/dev/null 2>&1 || { log "apt-get install rsync (the baseline)"; apt-get install -y -qq rsync >/dev/null; }
command -v rclone >/dev/null 2>&1 || bash scripts/install-prereqs.sh
[ -d out/CenateBackup ] || bash scripts/build.sh
bash scripts/rig.sh engine >/dev/null
. "$(bash scripts/rig.sh env)"
export PGPASSWORD="$CENATE_TEST_PASSWORD"
have="$(psql -X -Atq -h 127.0.0.1 -p $PORT -U cenate -d maestro_cenate -c 'select count(*) from asegurados' 2>/dev/null || true)"
if [ "$have" != "$ROWS" ]; then
  log "seeding $ROWS rows into $NAME (127.0.0.1:$PORT)…"
  bash scripts/rig.sh container "$NAME" "$PORT" "$ROWS" >/dev/null
fi

log "writing the daily set (New-CenateDump -Include Csv,Sql | Test-CenateBackup -Level Checksum)…"
pwsh -NoProfile -NonInteractive -Command "\$ErrorActionPreference='Stop'; Import-Module '$ROOT/out/CenateBackup/CenateBackup.psd1'
  \$c=[pscredential]::new('cenate',(ConvertTo-SecureString \$env:PGPASSWORD -AsPlainText -Force))
  \$r = New-CenateDump -Container $NAME -Port $PORT -Credential \$c -Path '$WORK/backups' -Include Csv,Sql -ProgressAction SilentlyContinue | Test-CenateBackup -Level Checksum -ProgressAction SilentlyContinue
  if (-not \$r.Passed) { throw 'the set did not verify' }" >/dev/null
mapfile -t FILES < <(cd "$WORK/backups" && ls | grep -v -e '\.manifest\.json$' -e '^\.cenate')
SET_BYTES=$(cd "$WORK/backups" && du -cb "${FILES[@]}" | tail -1 | cut -f1)
log "set: ${#FILES[@]} files, $SET_BYTES bytes"

# The USB disk: an ext4 image on a loop device, three times the set.
truncate -s $(( SET_BYTES * 3 + 268435456 )) "$WORK/usb.img"
mkfs.ext4 -q -F "$WORK/usb.img"
mkdir -p "$USB"; mount -o loop "$WORK/usb.img" "$USB"

# The sftp remote on the loopback: the password goes to rclone serve through its environment, and into the
# client's config obscured; neither is on a command line.
mkdir -p "$WORK/sftp"
SFTP_PASS="$(head -c 18 /dev/urandom | base64 | tr -dc A-Za-z0-9)"
RCLONE_PASS="$SFTP_PASS" RCLONE_USER=bench rclone serve sftp "$WORK/sftp" --addr "127.0.0.1:$SFTP_PORT" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
CONF="$WORK/rclone.conf"
umask 077
printf '[bsftp]\ntype = sftp\nhost = 127.0.0.1\nport = %s\nuser = bench\npass = %s\n' "$SFTP_PORT" "$(rclone obscure "$SFTP_PASS")" > "$CONF"
for _ in $(seq 1 50); do rclone --config "$CONF" lsd bsftp: >/dev/null 2>&1 && break; sleep 0.2; done

drop_pages() {   # fsync each file, then drop its pages from the page cache (as the module does before its read-back)
  python3 - "$@" <<'PY'
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
PY
}
best() {   # best KEY command…: best of REPEAT, seconds
  local key="$1" b="" t0 t1 d i; shift
  for (( i = 0; i < REPEAT; i++ )); do
    t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N)
    d=$(python3 -c "print(f'{$t1-$t0:.2f}')")
    if [ -z "$b" ] || python3 -c "import sys; sys.exit(0 if $d < $b else 1)"; then b=$d; fi
  done
  T[$key]=$b; log "$key: $b s"
}
declare -A T
rsync_verify() {
  rm -rf "$USB/rsync"; mkdir -p "$USB/rsync"
  rsync -a "${FILES[@]/#/$WORK/backups/}" "$USB/rsync/"
  sync -f "$USB/rsync"
  drop_pages "${FILES[@]/#/$USB/rsync/}"
  (cd "$USB/rsync" && sha256sum "${FILES[@]}" >/dev/null)
}
rsync_plain() { rm -rf "$USB/rsync"; mkdir -p "$USB/rsync"; rsync -a "${FILES[@]/#/$WORK/backups/}" "$USB/rsync/"; }
rclone_check() {
  rclone --config "$CONF" purge bsftp:plain >/dev/null 2>&1 || true
  printf '%s\n' "${FILES[@]}" > "$WORK/list"
  rclone --config "$CONF" copy "$WORK/backups" bsftp:plain --files-from "$WORK/list"
  rclone --config "$CONF" check "$WORK/backups" bsftp:plain --files-from "$WORK/list" --download >/dev/null 2>&1
}
best rsync_verify rsync_verify
best rsync_plain rsync_plain
rm -rf "$USB/rsync"
best rclone_check rclone_check
rclone --config "$CONF" purge bsftp:plain >/dev/null 2>&1 || true

# The module's cases in one pwsh session, each timed around the cmdlet; the destination is emptied (all but the
# marker) before each run so every run copies the whole set.
json="$(pwsh -NoProfile -NonInteractive -Command "\$ErrorActionPreference='Stop'; Import-Module '$ROOT/out/CenateBackup/CenateBackup.psd1'
  Initialize-CenateOffsiteTarget -Destination '$USB/cenate' -Label bench -Confirm:\$false | Out-Null
  \$out = [ordered]@{}
  foreach (\$case in 'module_dir', 'module_sftp') {
    \$best = [double]::MaxValue
    foreach (\$i in 1..$REPEAT) {
      if (\$case -eq 'module_dir') { Get-ChildItem -LiteralPath '$USB/cenate' -Force | Where-Object Name -ne '.cenate-offsite.json' | Remove-Item -Force; \$dest = '$USB/cenate' }
      else { & rclone --config '$CONF' purge bsftp:cenate 2>\$null; \$dest = 'bsftp:cenate' }
      \$sw = [Diagnostics.Stopwatch]::StartNew()
      \$r = Sync-CenateOffsite -Path '$WORK/backups' -Destination \$dest -RcloneConfig '$CONF' -ProgressAction SilentlyContinue
      \$sw.Stop()
      if (\$r.Status -ne 'Copied') { throw \"\${case}: \$(\$r.Status) \$(\$r.Reason)\" }
      \$best = [math]::Min(\$best, \$sw.Elapsed.TotalSeconds)
    }
    \$out[\$case] = [math]::Round(\$best, 2)
  }
  \$out | ConvertTo-Json -Compress")"
T[module_dir]=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['module_dir'])" "$json")
T[module_sftp]=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['module_sftp'])" "$json")
log "module_dir: ${T[module_dir]} s; module_sftp: ${T[module_sftp]} s"

ratio() { python3 -c "print(f'{$1/$2:.2f}×')"; }
mb=$(python3 -c "print(f'{$SET_BYTES/1048576:.1f}')")
stamp="$(date -u +%Y%m%d_%H%M%S)"
{
  echo "Offsite copies of the daily set ($ROWS rows; ${#FILES[@]} files, $mb MB), best of $REPEAT, $(date -u '+%Y-%m-%d %H:%M') UTC"
  printf '%-78s %9s %9s %7s %7s\n' "case" "baseline" "module" "ratio" "target"
  printf '%-78s %9s %9s %7s %7s\n' "directory on another fs: rsync -a + fsync/drop pages + sha256sum vs Sync-CenateOffsite" "${T[rsync_verify]}" "${T[module_dir]}" "$(ratio "${T[module_dir]}" "${T[rsync_verify]}")" "≤1.20×"
  printf '%-78s %9s %9s %7s %7s\n' "  (plain rsync -a, nothing verified)" "${T[rsync_plain]}" "" "$(ratio "${T[module_dir]}" "${T[rsync_plain]}")" ""
  printf '%-78s %9s %9s %7s %7s\n' "loopback sftp: rclone copy + rclone check --download vs Sync-CenateOffsite" "${T[rclone_check]}" "${T[module_sftp]}" "$(ratio "${T[module_sftp]}" "${T[rclone_check]}")" "≤1.20×"
} | tee "$OUT/offsite-$stamp.txt"
