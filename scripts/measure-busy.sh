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
. scripts/xvfb-common.sh
need_tools xvfb-run:xvfb xauth:xauth xdotool:xdotool
build_bin
log=$(mktemp)
export LOG=$log
xvfb-run -a -s '-screen 0 1280x800x24' bash -s <<'INNER'
set -euo pipefail
. scripts/xvfb-common.sh   # wait_for_window
RUST_LOG=tcp_playground::app=debug "$BIN" 2>"$LOG" & app=$!
trap 'kill $app 2>/dev/null || true' EXIT
wait_for_window
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
