# Prepares this shell to build TCP Playground for Windows and run the
# Windows programs under wine, on Debian 12 (wine 8.0). Source it, from
# any folder:
#
#   . scripts/wine-env.sh
#   cargo build --target x86_64-pc-windows-gnu
#   wine target/x86_64-pc-windows-gnu/debug/tcp-playground.exe
#   cargo test --target x86_64-pc-windows-gnu    # the tests run under wine
#
# A window needs an X display. Without one, use xvfb-run -a wine ....
#
# What it does:
# - installs what is missing: as root, with apt-get (wine, the MinGW linker,
#   the X libraries a window needs, Xvfb); with rustup, the Rust target
#   x86_64-pc-windows-gnu. Someone who is not root is told what to install.
# - exports WINEPREFIX (a throwaway wine folder, "C:", under $TMPDIR or
#   /tmp), WINEDEBUG=-all (no wine debug messages), and
#   CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine, so cargo runs the
#   Windows test programs with wine.
# - creates the wine folder at the first use (wine's first boot takes a few
#   seconds) and puts a small stand-in for bcryptprimitives.dll in it (see
#   scripts/wine/processprng.c): without it, Rust programs do not start
#   under wine 8.0.
# - starts wine's server and services in the background, once, so that
#   each wine command afterwards starts quickly.
#
# Sourcing it again is cheap: the wine folder is reused.
# To stop wine's background processes: wineserver -k
# To start again from a new wine folder: wineserver -k; rm -rf "$WINEPREFIX"

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "wine-env.sh sets variables in your shell: source it, . scripts/wine-env.sh" >&2
    exit 1
fi

# Debian packages: what every wine run needs, and what a window needs.
_wine_env_needed="wine wine64 gcc-mingw-w64-x86-64"
_wine_env_for_window="libx11-6 libxext6 libxrender1 libxrandr2 libxi6 libxcursor1 libgl1 libgl1-mesa-dri xvfb xauth"

# Installs the missing Debian packages (as root), or says which are missing.
_wine_env_packages() {
    local pkg installed missing=() missing_needed=()
    if ! command -v dpkg-query > /dev/null 2>&1; then
        # Not Debian: check only the commands.
        for pkg in wine wineserver x86_64-w64-mingw32-gcc; do
            if ! command -v "$pkg" > /dev/null 2>&1; then
                echo "wine-env: error: $pkg is missing: install wine and the MinGW-w64 compiler" >&2
                return 1
            fi
        done
        return 0
    fi
    # One dpkg-query for all of them: lines like "install ok installed wine".
    installed=" $(dpkg-query -W -f='${Status} ${Package}\n' \
        $_wine_env_needed $_wine_env_for_window 2> /dev/null |
        sed -n 's/^install ok installed //p' | tr '\n' ' ') "
    for pkg in $_wine_env_needed $_wine_env_for_window; do
        if [[ "$installed" != *" $pkg "* ]]; then
            missing+=("$pkg")
            if [[ " $_wine_env_needed " == *" $pkg "* ]]; then
                missing_needed+=("$pkg")
            fi
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null 2>&1; then
        echo "wine-env: installing ${missing[*]} with apt-get" >&2
        apt-get update -qq > /dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                "${missing[@]}" > /dev/null
        return
    fi
    echo "wine-env: please install: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    if [ "${#missing_needed[@]}" -gt 0 ]; then
        return 1
    fi
    echo "wine-env: (going on without them: a window may not open under wine)" >&2
}

# Adds the Rust target for Windows, if rustup does not have it yet.
_wine_env_rust_target() {
    if ! command -v rustup > /dev/null 2>&1; then
        echo "wine-env: rustup not found: the Rust target x86_64-pc-windows-gnu must be installed" >&2
        return 0
    fi
    if rustup target list --installed | grep -x x86_64-pc-windows-gnu > /dev/null; then
        return 0
    fi
    echo "wine-env: adding the Rust target x86_64-pc-windows-gnu" >&2
    rustup target add x86_64-pc-windows-gnu
}

# Runs a wine command detached from this shell: its input, output and
# errors go to /dev/null, and the other files the shell has open are
# closed. The wine server and services that it leaves running then hold no
# pipe of ours: otherwise `out=$(wine ...)`, or whatever reads CI's log,
# would wait for them to close it, that is forever.
_wine_env_detached() {
    (
        for fd in $(ls "/proc/$BASHPID/fd" 2> /dev/null); do
            if [ "$fd" -gt 2 ]; then
                eval "exec $fd>&-"
            fi
        done
        "$@"
    ) < /dev/null > /dev/null 2>&1
}

_wine_env_setup() {
    local repo ready dll
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1

    _wine_env_packages || return 1
    (cd "$repo" && _wine_env_rust_target) || return 1

    export WINEPREFIX="${TMPDIR:-/tmp}/tcp-playground-wine-$(id -u)"
    export WINEDEBUG=-all
    export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine

    # The file .ready is written last: a wine folder without it was left
    # half made (an interrupted first boot), and is made again.
    ready="$WINEPREFIX/.ready"
    if [ ! -e "$ready" ]; then
        echo "wine-env: creating the wine folder $WINEPREFIX (wine's first boot)" >&2
        _wine_env_detached wineserver -k
        rm -rf "$WINEPREFIX"
        mkdir -p "$WINEPREFIX" || return 1
    fi

    # The wine server, persistent (-p): it stays when the last wine program
    # ends, so the next one starts at once. It exits with 2 when one is
    # already running for this folder.
    _wine_env_detached wineserver -p
    # Start wine's services, and at the first use boot the folder. The
    # overrides keep wine from looking for its .NET (mono) and browser
    # (gecko) engines there, which on some wine versions asks, in a window,
    # to download them. Rust programs need neither.
    if ! WINEDLLOVERRIDES="mscoree,mshtml=" _wine_env_detached wine cmd /c exit; then
        echo "wine-env: error: wine does not start programs (try: wine cmd /c echo hello)" >&2
        return 1
    fi

    if [ ! -e "$ready" ]; then
        # wine from 8.13 on has bcryptprimitives.dll (its boot puts a
        # placeholder in system32); wine 8.0 does not: build the stand-in.
        dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
        if [ ! -e "$dll" ]; then
            echo "wine-env: building a stand-in bcryptprimitives.dll (ProcessPrng) for wine $(wine --version)" >&2
            x86_64-w64-mingw32-gcc -shared -O2 -s -o "$dll" \
                "$repo/scripts/wine/processprng.c" "$repo/scripts/wine/processprng.def" \
                -ladvapi32 || return 1
        fi
        touch "$ready"
    fi
    echo "wine-env: ready: WINEPREFIX=$WINEPREFIX, cargo runs x86_64-pc-windows-gnu programs with wine" >&2
}

_wine_env_setup || return 1
