#!/usr/bin/env bash
# Measures how long the window takes to exit when it is closed with
# everything running: the server started, 20 client tabs connected, and 50
# busy line clients (scripts/load.py) round-tripping through the server.
# The close is the one a window manager's close button sends
# (WM_DELETE_WINDOW), delivered with python-xlib, as Xvfb has no window
# manager. Prints the time from the close to the process's end, its exit
# code, and its threads and descriptors just before.
#
#   bash scripts/measure-close.sh          # builds the release binary first
#   BIN=path/to/tcp-playground bash scripts/measure-close.sh
#
# Needs xvfb, xauth, xdotool (installed here if missing, as root) and the
# python-xlib package (installed with pip if missing). The clicks use
# positions of the default 1280x800 layout. Linux only: it reads /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb-common.sh
need_tools xvfb-run:xvfb xauth:xauth xdotool:xdotool
python3 -c 'import Xlib' 2>/dev/null || pip install -q python-xlib
build_bin
xvfb-run -a -s '-screen 0 1280x800x24' bash -s <<'INNER'
set -euo pipefail
. scripts/xvfb-common.sh   # wait_for_window
"$BIN" 2>/dev/null & app=$!
wait_for_window
xdotool mousemove 30 157 click 1; sleep 0.5            # Start (port 6000)
for _ in $(seq 20); do xdotool mousemove 195 12 click 1; sleep 0.1; done   # 20 tabs
python3 scripts/load.py 127.0.0.1 6000 50 20 >/dev/null 2>&1 & load=$!
sleep 3
echo "before the close: $(ls /proc/$app/task | wc -l) threads, $(ls /proc/$app/fd | wc -l) open descriptors"
start=$(date +%s%N)
python3 - <<'PY'
from Xlib import display, X, protocol
d = display.Display()
def find(window):
    if window.get_wm_name() == 'TCP Playground':
        return window
    for child in window.query_tree().children:
        found = find(child)
        if found:
            return found
window = find(d.screen().root)
protocols = d.intern_atom('WM_PROTOCOLS')
delete = d.intern_atom('WM_DELETE_WINDOW')
window.send_event(protocol.event.ClientMessage(
    window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])),
    event_mask=0)
d.flush()
PY
for _ in $(seq 1000); do kill -0 "$app" 2>/dev/null || break; sleep 0.01; done
end=$(date +%s%N)
kill "$load" 2>/dev/null || true
if kill -0 "$app" 2>/dev/null; then
  echo "still running 10 s after the close"; kill -9 "$app"; exit 1
fi
code=0; wait "$app" || code=$?
echo "exited with code $code, $(( (end - start) / 1000000 )) ms after the close"
INNER
