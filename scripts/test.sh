#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the module, starts the test rig (dockerd,
# postgres_cenate-style containers of PostgreSQL 15 and 17, PostgreSQL 14 and 17 servers, all on 127.0.0.1),
# runs xunit and Pester, stops what it started and prints "Tests: N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
export PATH="$HOME/.dotnet/tools:$PATH"
# The SDK from dotnet-install.sh lives in ~/.dotnet, off PATH (install-prereqs.sh checks for it).
if ! command -v dotnet >/dev/null 2>&1 && [ -x "$HOME/.dotnet/dotnet" ]; then
  export PATH="$HOME/.dotnet:$PATH" DOTNET_ROOT="${DOTNET_ROOT:-$HOME/.dotnet}"
fi
ROWS="${CENATE_TEST_ROWS:-20000}"
RESULTS="$ROOT/out/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"

bash scripts/install-prereqs.sh
dotnet restore tests/CenateBackup.PowerShell.Tests/assets/ConflictingDependency.csproj -nologo -v quiet
bash scripts/build.sh
dotnet build tests/CenateBackup.Core.Tests -c Release -nologo -v quiet

keep_rig="${CENATE_KEEP_RIG:-0}"
cleanup() { if [ "$keep_rig" != 1 ]; then bash scripts/rig.sh down || true; fi; }
trap cleanup EXIT
bash scripts/rig.sh up "$ROWS"
# shellcheck disable=SC1090
. "$(bash scripts/rig.sh env)"

xunit_rc=0
dotnet test tests/CenateBackup.Core.Tests -c Release --no-build -nologo \
  --logger "trx;LogFileName=xunit.trx" --logger "console;verbosity=normal" --results-directory "$RESULTS" || xunit_rc=$?

pwsh -NoProfile -NonInteractive -File tests/CenateBackup.PowerShell.Tests/Invoke-Tests.ps1 \
  -PesterPath "$HOME/.nuget/packages/pester/5.7.1/tools/Pester.psd1" \
  -CountsPath "$RESULTS/pester.json" -ResultsPath "$RESULTS/pester.xml" || true

summary_rc=0
python3 - "$RESULTS" "$xunit_rc" <<'PY' || summary_rc=$?
import json, sys, os, re
results, xunit_rc = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0
trx = os.path.join(results, "xunit.trx")
if os.path.exists(trx):
    text = open(trx, encoding="utf-8").read()
    m = re.search(r'<Counters [^>]*>', text)
    attrs = dict(re.findall(r'(\w+)="(\d+)"', m.group(0))) if m else {}
    passed += int(attrs.get("passed", 0)); failed += int(attrs.get("failed", 0)) + int(attrs.get("error", 0))
    skipped += int(attrs.get("notExecuted", 0))
else:
    failed += 1; print("xunit produced no results", file=sys.stderr)
if xunit_rc != 0 and failed == 0:
    failed += 1; print("xunit exited with %d" % xunit_rc, file=sys.stderr)
p = os.path.join(results, "pester.json")
if os.path.exists(p):
    c = json.load(open(p, encoding="utf-8-sig"))
    passed += c["passed"]; failed += c["failed"]; skipped += c["skipped"]
else:
    failed += 1; print("Pester produced no results", file=sys.stderr)
line = "Tests: %d passed, %d failed" % (passed, failed)
if skipped: line += ", %d skipped" % skipped
open(os.path.join(results, "summary.txt"), "w").write(line + "\n")
sys.exit(1 if failed else 0)
PY
# Stop the rig first, so the summary is the last line printed.
trap - EXIT
cleanup
cat "$RESULTS/summary.txt"
exit "$summary_rc"
