#!/usr/bin/env bash
# Installs what building, testing and running Kassa needs, skipping whatever is present.
# Idempotent; `apt-get update` only runs when an apt package is missing.
#
#   bash scripts/setup.sh                      # build + test + e2e prerequisites
#   bash scripts/setup.sh --screenshot-tools   # also ImageMagick and xwd (scripts/demo.sh --screenshot)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

screenshot_tools=0
for arg in "$@"; do
    case $arg in
        --screenshot-tools) screenshot_tools=1 ;;
        -h | --help) sed -n '2,6p' "$0"; exit 0 ;;
        *) die "unknown argument: $arg" ;;
    esac
done

apt_packages=(
    # Tauri 2 on Linux
    libwebkit2gtk-4.1-dev build-essential libssl-dev librsvg2-dev pkg-config
    # headless window + WebDriver (WebKitWebDriver) for the end-to-end test
    xvfb xauth webkit2gtk-driver x11-utils
    # later work: XML checks, virtual serial ports
    libxml2-utils socat
    # the download in `cargo install` and the curl used by scripts
    ca-certificates curl
)
if ((screenshot_tools)); then
    apt_packages+=(imagemagick x11-apps) # convert, xwd
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_packages+=(nodejs npm)
fi
ensure_apt "${apt_packages[@]}"

# Vite 8 wants ^20.19 || >=22.12; Debian 12's own nodejs is 18.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
              process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)'; then
    log "warning: node $(node --version) is older than the UI toolchain (Vite 8) supports: 20.19+ or 22.12+"
fi

command -v cargo >/dev/null || die "cargo is missing: install Rust $(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' "$KASSA_ROOT/Cargo.toml") or newer with rustup (https://rustup.rs)"
if command -v rustup >/dev/null; then
    installed=$(rustup component list --installed)
    for component in rustfmt clippy; do
        grep -q "^$component" <<<"$installed" || rustup component add "$component"
    done
else
    for tool in cargo-fmt cargo-clippy; do
        command -v "$tool" >/dev/null || die "$tool is missing and there is no rustup to add it"
    done
fi

ensure_cargo_tool tauri-driver tauri-driver --locked

log "setup: everything is installed"
