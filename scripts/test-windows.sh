#!/usr/bin/env bash
# Builds TCP Playground for Windows on Linux and tests it under wine:
#
#   bash scripts/test-windows.sh
#
# 1. the tests that cover the Windows code, run as Windows programs:
#    the library's unit tests (the TCP table parser, the listener's
#    wake-up), the protocol and server tests, the client tests, the real
#    TCP states read from Windows' TCP table (tcp_state);
# 2. the exe as a Windows user meets it (scripts/check-windows-exe.py):
#    a windowed program with icon and version, `--version`, `trace`,
#    `serve` with the tutorial's client, and the window itself.
#
# The other test targets need Linux (capture, deferred accept, /proc) or
# are the same code already tested on Linux; building them all for
# Windows would double the time CI takes.
#
# It installs what it needs (wine, MinGW, Xvfb, xdotool, ImageMagick) as
# root with apt-get, or says what to install. Everything runs inside one
# virtual X display, so that wine's desktop process, which starts with the
# first wine program, can open windows.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -z "${DISPLAY:-}" ]; then
    . scripts/xvfb-common.sh
    need_tools xvfb-run:xvfb xauth:xauth
    exec xvfb-run -a -s '-screen 0 1280x800x24' bash "$0" "$@"
fi

. scripts/xvfb-common.sh
need_tools xdotool:xdotool import:imagemagick python3:python3
. scripts/wine-env.sh
# A wine server left running by an earlier shell without this display
# would open no window: start it again, here.
wineserver -k 2> /dev/null || true
wineserver -w 2> /dev/null || true
. scripts/wine-env.sh

target=x86_64-pc-windows-gnu
echo "--- Windows: tests under wine"
# The wine profile (Cargo.toml) builds the dependencies unoptimised:
# much faster to build, fast enough for these tests.
#
# Wine itself sometimes crashes as a test program exits, after every test
# in it passed (seen once in CI: "test result: ok. 10 passed", then
# SIGSEGV from wine). Such a run is tried once more; a test that fails, or
# a second crash, fails the script.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for tests in --lib "--test server_protocol" "--test client" "--test tcp_state"; do
    # shellcheck disable=SC2086 # $tests is one or two words on purpose
    for attempt in 1 2; do
        if cargo test --profile wine --target "$target" $tests 2>&1 | tee "$log"; then
            break
        fi
        if [ "$attempt" = 1 ] && grep -q '^test result: ok\.' "$log" &&
            ! grep -q '^test result: FAILED' "$log" &&
            grep -q 'SIGSEGV' "$log"; then
            echo "--- every test passed, then wine crashed as the program exited: once more" >&2
            continue
        fi
        exit 1
    done
done
# The exe (for the checks below and the window).
cargo build --profile wine --target "$target"

echo "--- Windows: the exe under wine"
python3 scripts/check-windows-exe.py "target/$target/wine/tcp-playground.exe"
