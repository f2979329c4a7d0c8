#!/usr/bin/env bash
# Headless ingest under ../shared/bench's wrk harness, the same way its Django peer is measured:
#   benches/wrk.sh [PORT] [SECONDS] [EVENTS_DIR]
# Builds nothing: run `cargo build --release` first. For each concurrency (1, 16; override with
# CONCURRENCIES="16 64"): start target/release/xsi-wallboard --headless on 127.0.0.1:PORT, run
# load.sh, then print the server's CPU per event, its peak RSS and what the board holds, and stop
# it. Loopback only, bounded in time (load.sh caps SECONDS at 600).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Scratch under target/ (ignored by git): the generated events are kept for the next run.
OUT_DIR="$HERE/target/bench"
mkdir -p "$OUT_DIR"
PORT="${1:-18090}"; SECS="${2:-10}"; EV="${3:-$OUT_DIR/peers-events}"
SHARED="${SHARED_BENCH:-$HERE/../shared/bench}"
BIN="$HERE/target/release/xsi-wallboard"
[ -x "$BIN" ] || { echo "no $BIN: run cargo build --release" >&2; exit 2; }
[ -s "$EV/index.txt" ] || python3 "$SHARED/events/gen_events.py" 5000 "$EV" >/dev/null
HZ="$(getconf CLK_TCK)"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null || true' EXIT
for C in ${CONCURRENCIES:-1 16}; do
  echo "=== xsi-wallboard --headless, concurrency $C, ${SECS}s ==="
  "$BIN" --headless --listen "127.0.0.1:$PORT" --path /webhooks --log-file "$OUT_DIR/xsi-wallboard-bench.log" \
      >"$OUT_DIR/xsi-wallboard-bench.out" 2>&1 &
  PID=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  T0="$(awk '{print $14 + $15}' /proc/$PID/stat)"
  OUT="$("$SHARED/load.sh" "http://127.0.0.1:$PORT/webhooks" "$EV" "$SECS" "$C")"
  T1="$(awk '{print $14 + $15}' /proc/$PID/stat)"
  echo "$OUT"
  REQ="$(echo "$OUT" | sed -n 's/^json: {"requests": \([0-9]*\),.*/\1/p')"
  awk -v t=$((T1 - T0)) -v hz="$HZ" -v r="${REQ:-0}" -v s="$SECS" 'BEGIN{
    printf "server CPU: %.2f s over the run (%.0f%% of one core), %.2f us CPU per event\n", t/hz, 100*t/hz/s, (r>0 ? 1e6*t/hz/r : 0)}'
  grep -E '^VmHWM|^VmRSS' /proc/$PID/status
  curl -fs "http://127.0.0.1:$PORT/api/board" | python3 -c '
import json, sys
b = json.load(sys.stdin)
print("board: %d queues, %d calls waiting, events %s" % (len(b["queues"]), sum(len(q["calls"]) for q in b["queues"]), b["events"]))'
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
