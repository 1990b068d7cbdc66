# Shared by the scripts that run the real window under Xvfb (screenshot.sh,
# measure-idle.sh, measure-busy.sh, measure-close.sh). Source it:
#
#   . "$(dirname "$0")/xvfb-common.sh"
#
# need_tools COMMAND:PACKAGE...  installs the Debian packages of missing
#     commands (as root, with apt-get), or says which to install and fails.
# build_bin                     sets and exports BIN: the release binary,
#     built first, unless BIN was given.
# wait_for_window               (source this file again inside `xvfb-run
#     bash`: xvfb-run's sh does not pass functions on) waits until the window "TCP Playground" exists, then gives it the
#     keyboard focus: Xvfb has no window manager to do that.

# The window remembers its settings (language, zoom, fields) in the user's
# data folder; the scripts click positions of the default English layout,
# so each run starts from a fresh, empty data folder of its own.
if [ -z "${FRESH_DATA_HOME:-}" ]; then
  FRESH_DATA_HOME="$(mktemp -d)"
  export FRESH_DATA_HOME XDG_DATA_HOME="$FRESH_DATA_HOME"
fi

need_tools() {
  local need=() tool
  for tool in "$@"; do
    command -v "${tool%%:*}" > /dev/null || need+=("${tool##*:}")
  done
  ((${#need[@]})) || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" > /dev/null
  else
    echo "please install: ${need[*]}" >&2
    return 1
  fi
}

build_bin() {
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/tcp-playground
  fi
  export BIN
}

wait_for_window() {
  local _
  for _ in $(seq 100); do
    xdotool search --name "TCP Playground" > /dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 1
  xdotool search --name "TCP Playground" windowfocus
}
