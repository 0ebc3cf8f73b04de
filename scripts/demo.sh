#!/usr/bin/env bash
# The README's demo command: on a fresh Debian 12 machine (as root) installs what is missing, builds the
# module, starts a throwaway postgres_cenate-style container on 127.0.0.1:55490 with sample asegurados
# (ROWS, default 100000), and runs the whole plan through its job scripts (examples/Invoke-CenateDemo.ps1):
# settings, audit trigger, the daily job, the weekly encrypted copy, an undelete from the audit log, the restore
# drill, a run killed half-way and its alert (read back from a local smtp4dev), the schedule (-WhatIf), statistics.
# The container is removed at the end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.dotnet/tools:$PATH"
# The SDK from dotnet-install.sh lives in ~/.dotnet, off PATH (install-prereqs.sh checks for it).
if ! command -v dotnet >/dev/null 2>&1 && [ -x "$HOME/.dotnet/dotnet" ]; then
  export PATH="$HOME/.dotnet:$PATH" DOTNET_ROOT="${DOTNET_ROOT:-$HOME/.dotnet}"
fi
ROWS="${ROWS:-100000}"
NAME=cenate_demo_pg
PORT=55490

bash scripts/install-prereqs.sh
bash scripts/build.sh
. "$(bash scripts/rig.sh engine | tail -1)"
echo "[demo] starting $NAME on 127.0.0.1:$PORT with $ROWS sample asegurados…"
bash scripts/rig.sh container "$NAME" "$PORT" "$ROWS" >/dev/null
cleanup() { if [ "${KEEP:-0}" != 1 ]; then bash scripts/rig.sh rm-container "$NAME" >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT
BACKUPS="${BACKUPS:-$(mktemp -d /tmp/cenate-demo.XXXXXX)}"
CENATE_DEMO_PASSWORD="$CENATE_TEST_PASSWORD" pwsh -NoProfile -NonInteractive -File examples/Invoke-CenateDemo.ps1 \
  -ModulePath "$(pwd)/out/CenateBackup/CenateBackup.psd1" -Container "$NAME" -Port "$PORT" -BackupPath "$BACKUPS"
echo "[demo] everything is in $BACKUPS: backups/, the encrypted copy in cloud/, logs/, settings in etc/"
