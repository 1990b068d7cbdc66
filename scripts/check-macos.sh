#!/usr/bin/env bash
# Checks that TCP Playground still compiles for macOS, from Linux:
#
#   bash scripts/check-macos.sh
#
# `cargo check` type-checks without linking, so no macOS SDK is needed
# (about 3.5 minutes on two cores the first time). It cannot run the
# program: nothing macOS-specific is tested here beyond compiling. On
# macOS the window says that TCP states are not available there yet.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=x86_64-apple-darwin
if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
fi
cargo check --target "$target" --all-targets
