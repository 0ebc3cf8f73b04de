#!/usr/bin/env bash
# Builds the importable module folder out/CenateBackup (cmdlets, dependencies, format views, help) and the
# package out/CenateBackup.<version>.nupkg that Install-PSResource installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.dotnet/tools:$PATH"
dotnet publish src/CenateBackup.PowerShell/CenateBackup.PowerShell.csproj -c Release -nologo -v quiet
pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup
pwsh -NoProfile -NonInteractive -File scripts/Build-Package.ps1 -ModulePath out/CenateBackup
echo "[build] module ready: $(pwd)/out/CenateBackup"
