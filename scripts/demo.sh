#!/usr/bin/env bash
# Builds Kassa and opens the desktop app on a fresh demo database, with `kassa sandbox`
# (the emulators of every provider, on fixed loopback ports) running beside it, so every
# provider account of the demo tills is connected.
#
#   bash scripts/demo.sh                    # setup, build, (re)create the demo database, run the app
#   bash scripts/demo.sh --screenshot FILE  # the same under its own Xvfb; saves a PNG of the window and exits
#
# Without $DISPLAY the app runs headless on an Xvfb this script starts (stop it with Ctrl-C).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

screenshot=""
while (($#)); do
    case $1 in
        --screenshot)
            [[ $# -ge 2 && -n $2 ]] || die "--screenshot needs a file name"
            screenshot=$2
            shift 2
            ;;
        -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (try --help)" ;;
    esac
done
if [[ -n $screenshot ]]; then
    [[ $screenshot == /* ]] || screenshot=$PWD/$screenshot
fi
cd "$KASSA_ROOT"

kassa_bin=$CARGO_TARGET_DIR/debug/kassa
app_bin=$CARGO_TARGET_DIR/debug/kassa-desktop

build_ui() {
    ensure_node_modules
    npm --prefix ui run build </dev/null
}

demo_db=""
demo_out=""
create_demo_db() {
    demo_out=$("$kassa_bin" demo)
    printf '%s\n' "$demo_out"
    demo_db=$(sed -n 's/^Demo database: //p' <<<"$demo_out" | head -n1)
    [[ -n $demo_db && -f $demo_db ]] || die "could not find the demo database's path in kassa demo's output"
}

# start_xvfb: starts Xvfb on the first free display from :99 and exports DISPLAY.
start_xvfb() {
    local n pid
    for ((n = 99; n < 199; n++)); do
        [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
        Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
        pid=$!
        on_exit "kill $pid 2>/dev/null"
        for _ in $(seq 100); do # up to 10 s for the socket
            [[ -e /tmp/.X11-unix/X$n ]] && { export DISPLAY=:$n; return 0; }
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    done
    die "could not start Xvfb"
}

# start_sandbox: runs `kassa sandbox` in the background on the demo ports and waits (up to
# 30 s) for the line saying it runs. A sandbox already listening there (another demo) is
# used as it is.
sandbox_log=""
start_sandbox() {
    sandbox_log=$(mktemp -t kassa-sandbox.XXXXXX)
    on_exit "rm -f '$sandbox_log'"
    "$kassa_bin" sandbox >"$sandbox_log" 2>&1 &
    local pid=$!
    on_exit "kill $pid 2>/dev/null"
    for _ in $(seq 300); do
        if grep -q '^Sandbox running' "$sandbox_log"; then
            cat "$sandbox_log" >&2
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            if grep -q 'another `kassa sandbox`' "$sandbox_log"; then
                log "A sandbox is already listening on the demo ports; using it."
                return 0
            fi
            cat "$sandbox_log" >&2
            die "kassa sandbox exited"
        fi
        sleep 0.1
    done
    die "kassa sandbox did not start within 30 s (see $sandbox_log)"
}

# test_demo_providers: runs Test connection for every provider account of every demo
# till, as the demo manager, so the Providers screen opens on real, recorded results.
test_demo_providers() {
    local ids id provider failed=0
    ids=$(KASSA_USER=manager KASSA_PIN=1234 "$kassa_bin" --db "$demo_db" pos list --json |
        sed -n 's/^ *"id": *\([0-9]*\),*$/\1/p')
    [[ -n $ids ]] || die "kassa pos list gave no POS devices"
    for id in $ids; do
        for provider in swip vourity flexiti venue_manager droppay; do
            KASSA_USER=manager KASSA_PIN=1234 "$kassa_bin" --db "$demo_db" \
                provider test "$provider" --pos "$id" >/dev/null || failed=$((failed + 1))
        done
    done
    # A failed test is recorded and shown on the Providers screen; the demo still opens.
    ((failed == 0)) || log "warning: $failed demo provider account(s) did not connect (see above)"
}

# wait_for_window: polls the window tree (up to 60 s) until a viewable window titled "Kassa…" exists.
wait_for_window() {
    local app_pid=$1 id
    for _ in $(seq 120); do
        kill -0 "$app_pid" 2>/dev/null || die "the app exited before showing its window"
        id=$(xwininfo -root -tree 2>/dev/null | sed -n 's/^ *\(0x[0-9a-f]*\) "Kassa[^"]*".*/\1/p' | head -n1)
        if [[ -n $id ]] && xwininfo -id "$id" 2>/dev/null | grep -q 'Map State: IsViewable'; then
            return 0
        fi
        sleep 0.5
    done
    die "no window titled Kassa within 60 s"
}

take_screenshot() {
    local convert=/usr/bin/convert # ImageMagick's; a `convert` earlier on PATH may be something else
    [[ -x $convert ]] || convert=convert
    KASSA_DB=$demo_db "$app_bin" &
    local app_pid=$!
    on_exit "kill $app_pid 2>/dev/null"
    wait_for_window "$app_pid"
    sleep "${KASSA_SCREENSHOT_SETTLE:-3}" # let the web view finish its first paint
    mkdir -p "$(dirname "$screenshot")"
    xwd -root -silent | "$convert" xwd:- "png:$screenshot"
    [[ $(head -c 8 "$screenshot" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
        die "$screenshot is not a PNG"
    log "screenshot: $screenshot"
}

step setup bash scripts/setup.sh ${screenshot:+--screenshot-tools}
step ui-build build_ui
step cargo-build cargo build -p kassa-cli -p kassa-desktop
step demo-db create_demo_db
step sandbox start_sandbox
step providers test_demo_providers

if [[ -n $screenshot ]]; then
    step xvfb start_xvfb
    step screenshot take_screenshot
    exit 0
fi

print_summary
users=$(sed -n '/^USER /,/^$/p' <<<"$demo_out")
log ""
log "Demo database: $demo_db"
log "Log in with one of these (from kassa demo):"
log "${users:-$demo_out}"
if [[ -z ${DISPLAY:-} ]]; then
    start_xvfb
    log "No \$DISPLAY: started Xvfb on $DISPLAY; the app runs headless there (Ctrl-C stops it)."
    log "For a picture of the window run: bash scripts/demo.sh --screenshot kassa.png"
fi
log "Providers: every demo till's accounts point at the sandbox above (Providers in the menu)."
log "Starting $app_bin"
KASSA_DB=$demo_db "$app_bin"
