#!/usr/bin/env bash
# Measures the window at rest under Xvfb: CPU used over 10 seconds of
# idling (after a short settling time) and resident memory.
#
#   bash scripts/measure-idle.sh          # builds the release binary first
#   BIN=path/to/tcp-playground bash scripts/measure-idle.sh
#
# Needs xvfb and xauth (installed here if missing, as root). Linux only:
# it reads /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb-common.sh
need_tools xvfb-run:xvfb xauth:xauth
build_bin
export BIN SECONDS_IDLE=${SECONDS_IDLE:-10}
xvfb-run -a -s '-screen 0 1280x800x24' bash -s <<'INNER'
set -euo pipefail
start=$(date +%s.%N)
"$BIN" & app=$!
trap 'kill $app 2>/dev/null || true' EXIT
sleep 3   # let it open and settle
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
sleep "$SECONDS_IDLE"
after=$(ticks)
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$app/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$app/status")
cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v s="$SECONDS_IDLE" 'BEGIN {printf "%.2f", 100 * t / hz / s}')
echo "idle CPU over ${SECONDS_IDLE} s: ${cpu}% of one core ($((after - before)) ticks)"
echo "resident memory: $((rss_kib / 1024)) MiB; threads: ${threads}"
INNER
