#!/usr/bin/env bash
# Measures the window with 1,000 bots round-tripping through its own
# server: starts the server in Xvfb, opens the Load panel, sets 1,000 bots,
# starts them, and prints the window's own figures every 5 s (frames per
# second, events per second, frame CPU p50/p99/max, and the p99 of all
# frames so far) for 20 s, then the process's resident memory.
#
#   bash scripts/measure-bots.sh            # builds the release binary first
#   BIN=path/to/tcp-playground BOTS=500 bash scripts/measure-bots.sh
#
# The clicks use positions of the default 1280x800 layout.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb-common.sh
need_tools xvfb-run:xvfb xauth:xauth xdotool:xdotool
build_bin
log=$(mktemp)
export LOG=$log BOTS=${BOTS:-1000} SECONDS_LOAD=${SECONDS_LOAD:-20}
xvfb-run -a -s '-screen 0 1280x800x24' bash -s <<'INNER'
set -euo pipefail
. scripts/xvfb-common.sh   # wait_for_window
RUST_LOG=tcp_playground::app=debug "$BIN" 2>"$LOG" & app=$!
trap 'kill $app 2>/dev/null || true' EXIT
wait_for_window
click() { xdotool mousemove "$1" "$2" click 1; sleep 0.4; }
click 30 157          # Start the server (port 6000)
xdotool key ctrl+l; sleep 0.4   # open the Load panel
click 975 150         # the Bots field: a click edits it
xdotool key ctrl+a; xdotool type "$BOTS"; xdotool key Return; sleep 0.3
click 933 222         # Start bots ("Keep this window smooth" stays on)
sleep "$SECONDS_LOAD"
echo "resident memory after ${SECONDS_LOAD} s: $(( $(awk '/VmRSS/ {print $2}' "/proc/$app/status") / 1024 )) MiB"
import -window root /tmp/measure-bots.png 2>/dev/null || true
INNER
grep -E "frames/s|frames so far" "$log" | sed 's/^.*window: /window: /'
rm -f "$log"
