#!/usr/bin/env bash
# Audit trigger costs on the bench container's 4,000,000-row asegurados (issue 7), each in a transaction that is
# rolled back so the table stays as it was:
#   DELETE of 100,000 rows without and with the DELETE trigger (ratio);
#   TRUNCATE of the whole table with row capture (seconds, size of the log) and with CountOnly.
# Usage: bash bench/Measure-Audit.sh NAME PORT  (PGPASSWORD set; the module built in out/)
set -euo pipefail
NAME="$1"; PORT="$2"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
psqlq() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U cenate -d maestro_cenate "$@"; }
# Seconds of one statement inside BEGIN … ROLLBACK, measured by the server (clock_timestamp around it).
timed() {
  psqlq -c "BEGIN" -c "SELECT set_config('cenate.t0', clock_timestamp()::text, true)" -c "$1" \
        -c "SELECT round(extract(epoch FROM clock_timestamp() - current_setting('cenate.t0')::timestamptz)::numeric, 2)" \
        ${2:+-c "$2"} -c "ROLLBACK" | tail -n "${3:-1}"
}
audit() {   # audit install|uninstall [extra args]
  local verb="$1"; shift
  pwsh -NoProfile -NonInteractive -Command "Import-Module '$ROOT/out/CenateBackup/CenateBackup.psd1'; \$c=[pscredential]::new('cenate',(ConvertTo-SecureString \$env:PGPASSWORD -AsPlainText -Force)); \$null = ${verb}-CenateAuditTrigger -Container $NAME -Port $PORT -Credential \$c -Confirm:\$false $*"
}
psqlq -c "SELECT count(*) FROM asegurados" >/dev/null   # warm
audit Uninstall -Operation Delete,Truncate,Update
best() { local b=""; for i in 1 2 3; do v="$("$@")"; if [ -z "$b" ] || python3 -c "import sys; sys.exit(0 if $v < $b else 1)"; then b=$v; fi; done; echo "$b"; }
del_plain=$(best timed "DELETE FROM asegurados WHERE id <= 100000")
audit Install -Operation Delete
del_audit=$(best timed "DELETE FROM asegurados WHERE id <= 100000")
audit Uninstall -Operation Delete
audit Install -Operation Truncate
trunc_rows_out=$(timed "TRUNCATE asegurados" "SELECT pg_total_relation_size('cenate_audit.audit_log')" 2)
audit Uninstall -Operation Truncate
audit Install -Operation Truncate -TruncateMode CountOnly
trunc_count=$(timed "TRUNCATE asegurados")
audit Uninstall -Operation Truncate
trunc_plain=$(timed "TRUNCATE asegurados")
trunc_rows=$(echo "$trunc_rows_out" | head -n 1); log_bytes=$(echo "$trunc_rows_out" | tail -n 1)
python3 - "$del_plain" "$del_audit" "$trunc_plain" "$trunc_rows" "$log_bytes" "$trunc_count" <<'PY'
import json, sys
dp, da, tp, tr, lb, tc = sys.argv[1:]
print(json.dumps({"audit_delete100k_plain": float(dp), "audit_delete100k_trigger": float(da), "audit_delete_ratio": round(float(da) / float(dp), 2),
                  "audit_truncate_plain": float(tp), "audit_truncate_rows": float(tr), "audit_truncate_log_bytes": int(lb), "audit_truncate_countonly": float(tc)}))
PY
