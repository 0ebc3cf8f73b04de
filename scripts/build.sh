#!/usr/bin/env bash
# Builds the importable module folder out/CenateBackup (cmdlets, dependencies, format views, en-US help).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.dotnet/tools:$PATH"
dotnet publish src/CenateBackup.PowerShell/CenateBackup.PowerShell.csproj -c Release -nologo -v quiet
pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup
echo "[build] module ready: $(pwd)/out/CenateBackup"
