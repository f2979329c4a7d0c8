#!/usr/bin/env bash
# The wallboard beside the limit of its own HTTP stack (issue 20), in one run:
#   benches/limit.sh [SECONDS] [CONCURRENCY] [ROUNDS]
# Builds ../shared/bench/noop-axum (axum on hyper and tokio, release, fat LTO, reading each POST
# body and answering 200) into target/noop; expects target/release/xsi-wallboard (run
# `cargo build --release` first). Then, ROUNDS times (default 2), in alternation: start one,
# load it with ../shared/bench/load.sh (the same events, SECONDS at CONCURRENCY, default 10 s at
# 16), read its CPU from /proc before and after, stop it. Prints each run, the medians, and the
# wallboard's ratios to noop-axum: server CPU per event (target <= 1.4x) and events/s (target
# >= 0.7x). Only ratios from one run mean anything on a noisy machine. Loopback only, bounded.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-10}"; CONC="${2:-16}"; ROUNDS="${3:-2}"
OUT_DIR="$HERE/target/bench"
mkdir -p "$OUT_DIR"
SHARED="${SHARED_BENCH:-$HERE/../shared/bench}"
EV="$OUT_DIR/peers-events"
WALLBOARD="$HERE/target/release/xsi-wallboard"
NOOP="$HERE/target/noop/release/noop-axum"
PORT_NOOP="${PORT_NOOP:-18601}"; PORT_WB="${PORT_WB:-18602}"

[ -x "$WALLBOARD" ] || { echo "no $WALLBOARD: run cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }
cargo build --quiet --release --manifest-path "$SHARED/noop-axum/Cargo.toml" --target-dir "$HERE/target/noop"
[ -s "$EV/index.txt" ] || python3 "$SHARED/events/gen_events.py" 5000 "$EV" >/dev/null
HZ="$(getconf CLK_TCK)"

PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null || true' EXIT
RESULTS="$OUT_DIR/limit-results.txt"
: >"$RESULTS"

# run NAME PORT CMD...: one loaded run; appends "NAME events_per_s us_cpu_per_event rss_kb".
run() {
  local name="$1" port="$2"; shift 2
  "$@" >"$OUT_DIR/limit-$name.out" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local t0 t1 out req eps
  t0="$(awk '{print $14 + $15}' "/proc/$PID/stat")"
  out="$("$SHARED/load.sh" "http://127.0.0.1:$port/xsi-events" "$EV" "$SECS" "$CONC")"
  t1="$(awk '{print $14 + $15}' "/proc/$PID/stat")"
  req="$(echo "$out" | sed -n 's/^json: {"requests": \([0-9]*\),.*/\1/p')"
  eps="$(echo "$out" | sed -n 's/^json: .*"ok_events_per_s": \([0-9.]*\),.*/\1/p')"
  local non2xx rss
  non2xx="$(echo "$out" | sed -n 's/^json: .*"non2xx": \([0-9]*\),.*/\1/p')"
  rss="$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  awk -v n="$name" -v t=$((t1 - t0)) -v hz="$HZ" -v r="${req:-0}" -v e="${eps:-0}" -v x="${non2xx:-0}" -v m="$rss" 'BEGIN{
    us = (r > 0 ? 1e6 * t / hz / r : 0)
    printf "%-10s %9.0f events/s  %6.2f us CPU/event  peak RSS %6d kB  non-2xx %d\n", n, e, us, m, x
    printf "%s %f %f %d\n", n, e, us, m >> "'"$RESULTS"'"}'
}

for round in $(seq "$ROUNDS"); do
  echo "=== round $round: ${SECS}s at concurrency $CONC ==="
  run noop-axum "$PORT_NOOP" "$NOOP" "127.0.0.1:$PORT_NOOP"
  run wallboard "$PORT_WB" "$WALLBOARD" --headless --listen "127.0.0.1:$PORT_WB" \
      --log-file "$OUT_DIR/limit-wallboard.log"
done

# Medians of each side, then the ratios the issue sets targets for.
awk '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $1 == "noop-axum" { ne[++n] = $2; nc[n] = $3 }
  $1 == "wallboard" { we[++w] = $2; wc[w] = $3; wr[w] = $4 }
  END {
    nE = median(ne, n); nC = median(nc, n); wE = median(we, w); wC = median(wc, w)
    printf "\nmedians: noop-axum %.0f events/s at %.2f us; wallboard %.0f events/s at %.2f us\n", nE, nC, wE, wC
    printf "CPU per event: %.2fx noop-axum (target <= 1.4x)\n", wC / nC
    printf "events/s:      %.2fx noop-axum (target >= 0.7x)\n", wE / nE
  }' "$RESULTS"
