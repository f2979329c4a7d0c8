#!/usr/bin/env bash
# The load tool against a fresh headless wallboard per run (the check needs an empty board):
#   benches/load.sh [CALLS] [CALL_CENTERS] [PORT]
# For each concurrency in CONCURRENCIES (default "1 16 64"), in order and shuffled (SHUFFLES,
# default "0 0.3"): start target/release/xsi-wallboard --headless on 127.0.0.1:PORT, run
# target/release/xsi-load against it, stop it. Run `cargo build --release --workspace` first
# (the load tool is the workspace member tools/xsi-load; its binary lands in target/release).
set -euo pipefail
CALLS="${1:-20000}"; CENTERS="${2:-50}"; PORT="${3:-18095}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$HERE/target/release"
OUT_DIR="$HERE/target/bench"
mkdir -p "$OUT_DIR"
[ -x "$BIN/xsi-wallboard" ] && [ -x "$BIN/xsi-load" ] || { echo "run cargo build --release --workspace first" >&2; exit 2; }
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null || true' EXIT
status=0
for SHUFFLE in ${SHUFFLES:-0 0.3}; do
  for C in ${CONCURRENCIES:-1 16 64}; do
    echo "=== calls $CALLS, call centers $CENTERS, concurrency $C, shuffle $SHUFFLE ==="
    "$BIN/xsi-wallboard" --headless --listen "127.0.0.1:$PORT" --log-file "$OUT_DIR/xsi-wallboard-load.log" \
        >/dev/null 2>&1 &
    PID=$!
    for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    "$BIN/xsi-load" --url "http://127.0.0.1:$PORT/xsi-events" --calls "$CALLS" \
        --call-centers "$CENTERS" --concurrency "$C" --shuffle "$SHUFFLE" --server-pid "$PID" \
        | grep -v '^json:' || status=1
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  done
done
exit "$status"
