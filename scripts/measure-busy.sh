#!/usr/bin/env bash
# Measures the window under busy traffic: starts the window's server in
# Xvfb (a click on Start), runs scripts/load.py against it (50 line clients
# sending names as fast as the server answers, 15 s), and prints the
# window's own figures (frames per second, events per second, every 5 s)
# and its CPU use. Redraws must stay bounded while every event is applied.
#
#   bash scripts/measure-busy.sh            # builds the release binary first
#   BIN=path/to/tcp-playground bash scripts/measure-busy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in xvfb-run:xvfb xauth:xauth xdotool:xdotool; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    apt-get update -qq && apt-get install -y -qq "${tool##*:}" >/dev/null
  fi
done
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/tcp-playground
fi
export BIN
log=$(mktemp)
export LOG=$log
xvfb-run -a -s '-screen 0 1280x800x24' bash -s <<'INNER'
set -euo pipefail
RUST_LOG=tcp_playground::app=debug "$BIN" 2>"$LOG" & app=$!
trap 'kill $app 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  xdotool search --name "TCP Playground" >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 1
xdotool mousemove 30 157 click 1   # Start (default port 6000)
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
before=$(ticks)
python3 scripts/load.py 127.0.0.1 6000 50 15
after=$(ticks)
sleep 6   # one more report after the load
echo "window CPU during the load: $(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", 100 * t / hz / 15}')% of one core"
INNER
grep "frames/s" "$log" | sed 's/^.*window: /window: /'
rm -f "$log"
