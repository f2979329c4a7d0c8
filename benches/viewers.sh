#!/usr/bin/env bash
# Many viewers (issue 17 item 7): one release receiver, VIEWERS stream viewers on
# /api/board/stream, RATE events/s posted for SECS seconds; the same run with no viewer first,
# so the receiver's CPU per viewer is the difference. Loopback only, bounded.
#   benches/viewers.sh [VIEWERS] [RATE] [SECS] [PORT]
# Run `cargo build --release --workspace` first.
set -euo pipefail
VIEWERS="${1:-200}"; RATE="${2:-1000}"; SECS="${3:-20}"; PORT="${4:-18096}"
CENTERS="${CENTERS:-20}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$HERE/target/release"
OUT_DIR="$HERE/target/bench"
mkdir -p "$OUT_DIR"
[ -x "$BIN/xsi-wallboard" ] && [ -x "$BIN/xsi-load" ] || { echo "run cargo build --release --workspace first" >&2; exit 2; }
# About 6.5 events a call in the demo's model: enough calls to keep RATE up for SECS.
CALLS=$(( RATE * SECS * 10 / 65 ))
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null || true' EXIT
declare -A CPU
for N in 0 "$VIEWERS"; do
  echo "=== $N viewers, $RATE events/s, $CALLS calls over $CENTERS call centers ==="
  "$BIN/xsi-wallboard" --headless --listen "127.0.0.1:$PORT" \
      --log-file "$OUT_DIR/xsi-wallboard-viewers.log" >/dev/null 2>&1 &
  PID=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  OUT="$OUT_DIR/viewers-$N.txt"
  "$BIN/xsi-load" --url "http://127.0.0.1:$PORT/xsi-events" --calls "$CALLS" \
      --call-centers "$CENTERS" --concurrency 16 --rate "$RATE" --max-secs $(( SECS * 3 )) \
      --viewers "$N" --server-pid "$PID" | tee "$OUT" | grep -v 'json:' || true
  RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
  echo "receiver RSS at the end: $(( RSS / 1024 )) MB"
  CPU[$N]=$(grep '^json:' "$OUT" | sed 's/^json: //' | jq '.server_cpu_us_per_event * .events_per_sec / 1e4')
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
echo "receiver CPU: ${CPU[0]}% of a core with no viewer, ${CPU[$VIEWERS]}% with $VIEWERS"
awk -v a="${CPU[0]}" -v b="${CPU[$VIEWERS]}" -v n="$VIEWERS" \
    'BEGIN { if (n > 0) printf "per viewer: %.3f%% of a core\n", (b - a) / n }'
