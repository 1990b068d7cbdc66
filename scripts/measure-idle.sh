#!/usr/bin/env bash
# Measures the window at rest under Xvfb, beside an empty eframe window
# built the same way (examples/empty_window.rs):
#
# - start to first frame, as the app logs it (5 starts; the slowest too);
# - CPU used over 10 seconds of idling, after a short settling time;
# - resident memory and threads, the app's and the empty window's, and
#   their ratio.
#
#   bash scripts/measure-idle.sh          # builds the release binaries first
#   BIN=path/to/tcp-playground EMPTY_BIN=path/to/empty_window bash scripts/measure-idle.sh
#
# Needs xvfb and xauth (installed here if missing, as root). Linux only:
# it reads /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb-common.sh
need_tools xvfb-run:xvfb xauth:xauth
build_bin
if [ -z "${EMPTY_BIN:-}" ]; then
  cargo build --release --quiet --example empty_window
  EMPTY_BIN=target/release/examples/empty_window
fi
export BIN EMPTY_BIN SECONDS_IDLE=${SECONDS_IDLE:-10}
xvfb-run -a -s '-screen 0 1280x800x24' bash -s <<'INNER'
set -euo pipefail
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# Start to first frame: the app logs it at debug level.
for run in 1 2 3 4 5; do
  log=$(mktemp)
  RUST_LOG=tcp_playground::app=debug "$BIN" 2> "$log" & app=$!
  for _ in $(seq 100); do grep -q "first frame" "$log" && break; sleep 0.05; done
  kill $app; wait $app 2> /dev/null || true
  grep -o "first frame built [0-9]* ms after start" "$log" | sed "s/^/start $run: /"
  rm -f "$log"
done

"$BIN" & app=$!
sleep 3   # let it open and settle
before=$(ticks $app)
sleep "$SECONDS_IDLE"
after=$(ticks $app)
app_rss=$(rss_kib $app)
threads=$(awk '/Threads/ {print $2}' "/proc/$app/status")
kill $app; wait $app 2> /dev/null || true
cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v s="$SECONDS_IDLE" 'BEGIN {printf "%.2f", 100 * t / hz / s}')
echo "idle CPU over ${SECONDS_IDLE} s: ${cpu}% of one core ($((after - before)) ticks)"
echo "resident memory: $((app_rss / 1024)) MiB; threads: ${threads}"

"$EMPTY_BIN" & empty=$!
sleep 3
empty_rss=$(rss_kib $empty)
kill $empty; wait $empty 2> /dev/null || true
echo "empty eframe window: $((empty_rss / 1024)) MiB"
awk -v a="$app_rss" -v e="$empty_rss" 'BEGIN {printf "the app uses %.2fx the memory of an empty eframe window\n", a / e}'
INNER
