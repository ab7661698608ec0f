#!/usr/bin/env bash
# Measures the desktop app's first screen under Xvfb: launch -> window mapped -> first paint,
# and the memory (PSS) of the app and its WebKit processes after it has been idle.
#
#   bash scripts/first-paint.sh [--runs N] [--idle SECS] [--app PATH] [--cli PATH]
#
# Defaults: 5 runs, 10 s idle, the release binaries in $CARGO_TARGET_DIR/release (build them
# with `npm --prefix ui run build && cargo build --release -p kassa-desktop -p kassa-cli`).
# Each run starts its own Xvfb (black root), a fresh demo database and the app with the
# environment this shell has (so `KASSA_WEBKIT_DMABUF=1 bash scripts/first-paint.sh`
# measures the DMA-BUF renderer). It polls the window tree until a viewable window titled
# "Kassa" exists ("mapped"), then captures that window with xwd until it holds more than one
# colour ("painted": a window that is still one blank colour is not painted), then waits
# SECS and sums `Pss` from /proc/PID/smaps_rollup over the app and every process below it
# (WebKitWebProcess, WebKitNetworkProcess, bwrap, ...). Times are from the launch, measured
# with $EPOCHREALTIME; "painted" is the start of the first capture that showed paint, so it
# is late by at most one poll (printed as "poll").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs=5
idle=10
app_bin=$CARGO_TARGET_DIR/release/kassa-desktop
kassa_bin=$CARGO_TARGET_DIR/release/kassa
while (($#)); do
    case $1 in
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --idle) idle=${2:?--idle needs seconds}; shift 2 ;;
        --app) app_bin=${2:?--app needs a path}; shift 2 ;;
        --cli) kassa_bin=${2:?--cli needs a path}; shift 2 ;;
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (try --help)" ;;
    esac
done
[[ -x $app_bin ]] || die "$app_bin is missing: cargo build --release -p kassa-desktop (after npm --prefix ui run build)"
[[ -x $kassa_bin ]] || die "$kassa_bin is missing: cargo build --release -p kassa-cli"

ensure_apt xvfb x11-utils x11-apps imagemagick # Xvfb, xwininfo, xwd, identify
identify=/usr/bin/identify # ImageMagick's; something else may be earlier on PATH

work=$(mktemp -d /tmp/kassa-first-paint.XXXXXX)
on_exit "rm -rf '$work'"

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
ms() { echo "$(($1 / 1000))"; }

# descendants PID: PID and every process below it.
descendants() {
    local queue=("$1") out=() p c
    while ((${#queue[@]})); do
        p=${queue[0]}
        queue=("${queue[@]:1}")
        out+=("$p")
        for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do queue+=("$c"); done
    done
    echo "${out[@]}"
}

# pss_kb PID...: the sum of Pss over the processes, in kB.
pss_kb() {
    local total=0 p kb
    for p in "$@"; do
        kb=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || true)
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}

xvfb_pid=""
app_pid=""
stop_run() {
    [[ -n $app_pid ]] && { kill "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null || true; }
    [[ -n $xvfb_pid ]] && { kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null || true; }
    app_pid=""
    xvfb_pid=""
}
on_exit stop_run

start_xvfb() {
    local n
    for ((n = 120; n < 220; n++)); do
        [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
        Xvfb ":$n" -screen 0 1280x800x24 -br -nolisten tcp >/dev/null 2>&1 &
        xvfb_pid=$!
        for _ in $(seq 200); do
            [[ -e /tmp/.X11-unix/X$n ]] && { export DISPLAY=:$n; return 0; }
            kill -0 "$xvfb_pid" 2>/dev/null || break
            sleep 0.05
        done
    done
    die "could not start Xvfb"
}

one_run() {
    local db=$work/demo-$1.sqlite3 t0 win="" t_map="" t_paint="" colours polls=0 poll_sum=0 tp
    rm -f "$db"
    "$kassa_bin" --db "$db" demo >/dev/null
    start_xvfb
    t0=$(now_us)
    KASSA_DB=$db "$app_bin" >"$work/app-$1.log" 2>&1 &
    app_pid=$!
    while [[ -z $t_paint ]]; do
        kill -0 "$app_pid" 2>/dev/null || { cat "$work/app-$1.log" >&2; die "the app exited during run $1"; }
        (($(now_us) - t0 < 60000000)) || die "nothing painted within 60 s"
        if [[ -z $t_map ]]; then
            win=$(xwininfo -root -tree 2>/dev/null | sed -n 's/^ *\(0x[0-9a-f]*\) "Kassa[^"]*".*/\1/p' | head -n1)
            if [[ -n $win ]] && xwininfo -id "$win" 2>/dev/null | grep -q 'Map State: IsViewable'; then
                t_map=$(($(now_us) - t0))
            else
                sleep 0.01
                continue
            fi
        fi
        tp=$(now_us)
        colours=$(xwd -id "$win" -silent 2>/dev/null | "$identify" -format '%k' xwd:- 2>/dev/null || echo 0)
        polls=$((polls + 1))
        poll_sum=$((poll_sum + $(now_us) - tp))
        ((colours > 1)) && t_paint=$((tp - t0))
    done
    xwd -id "$win" -silent | /usr/bin/convert xwd:- "png:$work/paint-$1.png" 2>/dev/null || true
    sleep "$idle"
    local pids
    read -r -a pids <<<"$(descendants "$app_pid")"
    local pss
    pss=$(pss_kb "${pids[@]}")
    local names
    names=$(for p in "${pids[@]}"; do cat /proc/"$p"/comm 2>/dev/null; done | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=", "}')
    printf '%4s %10s %12s %8s %9s   %s\n' "$1" "$(ms "$t_map")" "$(ms "$t_paint")" "$(ms $((poll_sum / polls)))" \
        "$((pss / 1024))" "$names"
    echo "$t_map $t_paint $pss" >>"$work/results"
    stop_run
}

log "app: $app_bin"
log "env: KASSA_WEBKIT_DMABUF=${KASSA_WEBKIT_DMABUF-(unset)} WEBKIT_DISABLE_DMABUF_RENDERER=${WEBKIT_DISABLE_DMABUF_RENDERER-(unset)}"
log "GPU render nodes: $(ls /dev/dri/renderD* 2>/dev/null | tr '\n' ' ' || true)"
log "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%4s %10s %12s %8s %9s   %s\n' run "mapped ms" "painted ms" "poll ms" "PSS MB" "processes after ${idle} s idle"
for ((i = 1; i <= runs; i++)); do one_run "$i"; done

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2] + v[NR/2+1]) / 2)}'; }
printf '%4s %10s %12s %8s %9s\n' median \
    "$(ms "$(awk '{print $1}' "$work/results" | median)")" \
    "$(ms "$(awk '{print $2}' "$work/results" | median)")" "" \
    "$(($(awk '{print $3}' "$work/results" | median) / 1024))"
if [[ -n ${KASSA_FIRST_PAINT_KEEP:-} ]]; then
    mkdir -p "$KASSA_FIRST_PAINT_KEEP"
    cp "$work"/paint-*.png "$KASSA_FIRST_PAINT_KEEP"/ 2>/dev/null || true
    log "first-paint screenshots in $KASSA_FIRST_PAINT_KEEP"
fi
