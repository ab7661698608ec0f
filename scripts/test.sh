#!/usr/bin/env bash
# The whole test suite, each part a timed step; stops at the first failure and prints the
# timing table either way.
#
#   bash scripts/test.sh            # everything, the end-to-end test of the real window included
#   bash scripts/test.sh --no-e2e   # everything but building the app and the end-to-end test
#
# Screenshots and the driver log of the end-to-end test go to artifacts/ (git-ignored).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e=1
for arg in "$@"; do
    case $arg in
        --no-e2e) e2e=0 ;;
        -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
        *) die "unknown argument: $arg (try --help)" ;;
    esac
done
cd "$KASSA_ROOT"
# npm and vitest: no prompts, no watch mode.
export CI=${CI:-true}

e2e_test() {
    mkdir -p artifacts
    rm -f artifacts/e2e-*
    KASSA_APP_BIN=$CARGO_TARGET_DIR/debug/kassa-desktop \
        KASSA_CLI_BIN=$CARGO_TARGET_DIR/debug/kassa \
        cargo test -p kassa-tests --test e2e -- --ignored --nocapture --test-threads=1
}

step setup bash scripts/setup.sh
step ui-deps ensure_node_modules
# The UI build comes before any cargo step: the desktop crate embeds ui/build.
step ui-build npm --prefix ui run build
step ui-check npm --prefix ui run check
step ui-test npm --prefix ui run test
step fmt cargo fmt --all --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step cargo-test cargo test --workspace
if ((e2e)); then
    step app-build cargo build -p kassa-desktop -p kassa-cli
    step e2e e2e_test
fi
