#!/usr/bin/env bash
# Builds the importable module folder out/CenateBackup (cmdlets, dependencies, format views, en-US and Spanish help)
# and the package out/CenateBackup.<version>.nupkg that Install-PSResource installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.dotnet/tools:$PATH"
# The SDK from dotnet-install.sh lives in ~/.dotnet, off PATH (install-prereqs.sh checks for it).
if ! command -v dotnet >/dev/null 2>&1 && [ -x "$HOME/.dotnet/dotnet" ]; then
  export PATH="$HOME/.dotnet:$PATH" DOTNET_ROOT="${DOTNET_ROOT:-$HOME/.dotnet}"
fi
dotnet publish src/CenateBackup.PowerShell/CenateBackup.PowerShell.csproj -c Release -nologo -v quiet
pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup
# Spanish help (docs/es-ES, checked against docs/en-US) for every es-* $PSUICulture: out/CenateBackup/es and es-ES.
# CENATE_HELP_ALLOW_MISSING=1 is for translators only: a missing Spanish page is replaced by the English one.
es_args=()
if [ "${CENATE_HELP_ALLOW_MISSING:-}" = 1 ]; then es_args=(-AllowMissingTranslation); fi
pwsh -NoProfile -NonInteractive -File scripts/Build-Help.ps1 -ModulePath out/CenateBackup -DocsPath docs/es-ES \
    "${es_args[@]}"
pwsh -NoProfile -NonInteractive -File scripts/Build-Package.ps1 -ModulePath out/CenateBackup
echo "[build] module ready: $(pwd)/out/CenateBackup"
