# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it after `set -euo pipefail`:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides: KASSA_ROOT, CARGO_TARGET_DIR, step, on_exit, print_summary, ensure_apt,
# ensure_cargo_tool, ensure_node_modules, log, die.

KASSA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KASSA_ROOT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kassa-target}"
# cargo installed by rustup lives here; a non-login CI shell may not have it on PATH.
if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- timed steps and the summary table --------------------------------------------------

_KASSA_STEP_NAMES=()
_KASSA_STEP_SECS=()
_KASSA_STEP_STATES=()
_KASSA_CURRENT_STEP=""
_KASSA_STEP_T0=0
_KASSA_SUMMARY_DONE=0
_KASSA_EXIT_HOOKS=()
_KASSA_T_START=""

# Microseconds since the epoch, from bash 5's $EPOCHREALTIME (no subprocess, locale-proof).
_kassa_now_us() {
    local t=${EPOCHREALTIME/[.,]/}
    echo "$((10#$t))"
}
_kassa_fmt_secs() { # MICROSECONDS -> "12.3"
    local ds=$(($1 / 100000))
    echo "$((ds / 10)).$((ds % 10))"
}
_KASSA_T_START=$(_kassa_now_us)

_kassa_record() { # NAME STATE
    local secs
    secs=$(_kassa_fmt_secs $(($(_kassa_now_us) - _KASSA_STEP_T0)))
    _KASSA_STEP_NAMES+=("$1")
    _KASSA_STEP_SECS+=("$secs")
    _KASSA_STEP_STATES+=("$2")
    if [[ $2 == ok ]]; then log "== step $1: $secs s"; else log "== step $1: $secs s, $2"; fi
}

# step NAME CMD [ARGS...]: run CMD, print its duration, remember it for the summary.
# Relies on `set -e`: a failing CMD (a shell function stops at its first failing command)
# ends the script, and the EXIT trap records the step as FAILED and prints the table.
step() {
    local name=$1
    shift
    log ""
    log ">> step $name: $*"
    _KASSA_CURRENT_STEP=$name
    _KASSA_STEP_T0=$(_kassa_now_us)
    "$@"
    _kassa_record "$name" ok
    _KASSA_CURRENT_STEP=""
}

# print_summary [TITLE]: print the table of steps so far (only once per script).
print_summary() {
    [[ $_KASSA_SUMMARY_DONE == 1 ]] && return 0
    _KASSA_SUMMARY_DONE=1
    ((${#_KASSA_STEP_NAMES[@]})) || return 0
    local i total
    total=$(_kassa_fmt_secs $(($(_kassa_now_us) - _KASSA_T_START)))
    {
        echo ""
        echo "== summary${1:+: $1}"
        printf '   %-22s %9s  %s\n' STEP SECONDS RESULT
        for i in "${!_KASSA_STEP_NAMES[@]}"; do
            printf '   %-22s %9s  %s\n' "${_KASSA_STEP_NAMES[$i]}" "${_KASSA_STEP_SECS[$i]}" "${_KASSA_STEP_STATES[$i]}"
        done
        printf '   %-22s %9s\n' total "$total"
    } >&2
}

# on_exit CMD...: run CMD (eval'd) when the script exits, before the summary; last in, first run.
on_exit() { _KASSA_EXIT_HOOKS=("$*" "${_KASSA_EXIT_HOOKS[@]}"); }

_kassa_on_exit() {
    local rc=$? hook
    set +e
    if [[ -n $_KASSA_CURRENT_STEP ]]; then
        _kassa_record "$_KASSA_CURRENT_STEP" "FAILED (exit $rc)"
        _KASSA_CURRENT_STEP=""
    fi
    for hook in "${_KASSA_EXIT_HOOKS[@]}"; do eval "$hook"; done
    if ((rc == 0)); then print_summary ok; else print_summary "FAILED (exit $rc)"; fi
    exit "$rc"
}
trap _kassa_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- installers ---------------------------------------------------------------------------

_KASSA_APT_UPDATED=0

_kassa_as_root() {
    if [[ $(id -u) == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

_kassa_apt_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# ensure_apt PKG...: install the Debian packages that are not installed yet.
ensure_apt() {
    local missing=() p
    for p in "$@"; do
        _kassa_apt_installed "$p" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
    log "installing apt packages: ${missing[*]}"
    if [[ $_KASSA_APT_UPDATED == 0 ]]; then
        _kassa_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        _KASSA_APT_UPDATED=1
    fi
    _kassa_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# ensure_cargo_tool BIN CRATE [CARGO INSTALL FLAGS...]: `cargo install` CRATE unless BIN exists.
ensure_cargo_tool() {
    local bin=$1 crate=$2
    shift 2
    command -v "$bin" >/dev/null && return 0
    command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs)"
    log "installing $bin: cargo install $crate $*"
    # A private temporary target dir: don't contend for the project's build lock.
    env -u CARGO_TARGET_DIR cargo install "$crate" "$@"
    command -v "$bin" >/dev/null || die "cargo installed $crate but $bin is not on PATH ($PATH)"
}

# ensure_node_modules: `npm ci` in ui/ when node_modules is missing or older than the lock file.
ensure_node_modules() {
    local ui=$KASSA_ROOT/ui
    [[ -f $ui/package-lock.json ]] || die "$ui/package-lock.json is missing"
    if [[ ! -f $ui/node_modules/.package-lock.json || $ui/package-lock.json -nt $ui/node_modules/.package-lock.json ]]; then
        (cd "$ui" && npm ci --no-audit --no-fund </dev/null)
    else
        log "ui/node_modules is up to date with package-lock.json"
    fi
}
