#!/usr/bin/env bash
# The project's one test command: bash scripts/test.sh
#
# It checks that what the tests need is present, then runs every test
# (unit tests, integration tests, examples, benches) and exits with
# cargo's status. Extra arguments go to `cargo test`.
set -euo pipefail

# Run from the repository root, wherever the script is called from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# tests/interop_python.rs and tests/cli.rs run the tutorial's Python scripts.
if ! command -v python3 > /dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null 2>&1; then
        echo "python3 is missing: installing it with apt-get" >&2
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3
    else
        echo "error: the tests need python3, which is not installed." >&2
        echo "Install it, for example: sudo apt-get install python3 (Debian, Ubuntu)," >&2
        echo "brew install python (macOS), or from https://www.python.org/downloads/" >&2
        exit 1
    fi
fi

exec cargo test --all-targets "$@"
