#!/usr/bin/env bash
# Runs the release build in a real X window (Xvfb), plays a short lesson
# with xdotool — start the server, open three clients, send names, let the
# tutorial's Python client send 张三, exit one tab, kick one thread, hold a
# new client in step mode, show a connection's diagram — and saves a
# screenshot after each step into shots/.
#
#   bash scripts/screenshot.sh            # builds the release binary first
#   BIN=path/to/tcp-playground bash scripts/screenshot.sh
#
# Needs (installed here if missing, as root): xvfb xauth imagemagick xdotool.
# The clicks use positions of the default 1280x800 layout.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/xvfb-common.sh
need_tools xvfb-run:xvfb xauth:xauth import:imagemagick xdotool:xdotool
build_bin
mkdir -p shots
xvfb-run -a -s '-screen 0 1280x800x24' bash -s <<'INNER'
set -euo pipefail
. scripts/xvfb-common.sh   # wait_for_window
"$BIN" & app=$!
trap 'kill $app 2>/dev/null || true' EXIT
wait_for_window
shot() { sleep 0.6; import -window root "shots/$1.png"; echo "shots/$1.png"; }
click() { xdotool mousemove "$1" "$2" click 1; sleep 0.3; }
shot 1-start
click 30 157                      # Start
for _ in 1 2 3; do click 195 12; done   # New client, three times
shot 2-three-clients
xdotool type --delay 30 "Carol"; xdotool key Return   # tab-3 has the focus
click 775 68; xdotool type --delay 30 "Alice"; xdotool key Return
click 890 68; xdotool type --delay 30 "Bob"; xdotool key Return
# The tutorial's own client joins from a terminal and sends a Chinese name
# (typing Chinese into Xvfb would need an input method).
(printf '张三\n'; sleep 4) | python3 tests/python/tcp_client.py >/dev/null 2>&1 &
shot 3-names
click 775 68; xdotool type --delay 30 "exit"; xdotool key Return
click 715 283                     # Kick the second client thread
shot 4-exit-and-kick
click 15 180                      # Step mode on
click 195 12                      # New client: its thread waits before Welcome
shot 5-step-mode-held
click 230 180                     # Next step: Welcome goes out
shot 6-step-mode-next
click 15 180                      # Step mode off: the dialogue goes on
click 775 68; click 880 202       # tab-1, Diagram
shot 7-diagram
INNER
