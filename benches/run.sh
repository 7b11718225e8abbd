#!/usr/bin/env bash
# Container start benchmark and density, hutch against Debian's podman (--runtime runc), as the
# unprivileged test user, same image, same machine, same run. Run as root:
#   [SCALE_NS='2 8 32 128'] benches/run.sh [runs] [density-N]      (default 30 runs, N=200)
# Prints:
#   - `run --rm IMG true` wall time per tool: median and p90 over the runs (warm: one untimed
#     run first), with --network none and with each tool's default network (the two alternating,
#     run for run), and the ratio;
#   - density: N detached `sleep` containers started one after another: total start time, and
#     the summed PSS of each tool's own per-container processes (hutch: its monitor; podman:
#     conmon) divided by N;
#   - concurrent starts (issue 14's third figure): benches/scale.sh's starts/s for each N in
#     SCALE_NS beside podman's (SCALE_NS='' leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
N=${2:-200}
. tests/rig.sh
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
rig_users
IMAGE=127.0.0.1:5000/fixtures/basic:latest
. benches/lib.sh
WORK=${WORK:-/var/tmp/hutch-bench-run}
two_tools

echo "start latency: run --rm $IMAGE true, $RUNS runs each (after one warm-up run)"
# Both tools are launched through setpriv + env as the test user; that launcher alone costs:
base=$(series "launcher only (setpriv env true)" as_user "$H" /bin/true)
# `--network none` and the default network alternately, run for run (`pair_series`), each run
# alone and cold: the shared network namespace of the one before has closed.
run_a() { hutch run --rm --network none "$IMAGE" true; }
run_b() { hutch run --rm "$IMAGE" true; }
read -r hn hd < <(BETWEEN=netns_gone pair_series "hutch --network none" "hutch (default network)")
if ((HAVE_PODMAN)); then
    run_a() { podman_ run --rm --network none "$IMAGE" true; }
    run_b() { podman_ run --rm "$IMAGE" true; }
    read -r pn pd < <(pair_series "podman --runtime runc --network none" "podman --runtime runc (default net)")
    printf 'ratio podman/hutch: --network none %.1fx, default network %.1fx\n' "$(echo "$pn / $hn" | bc -l)" "$(echo "$pd / $hd" | bc -l)"
    printf 'net of the launcher: hutch %.1f ms, podman %.1f ms (--network none)\n' "$(echo "$hn - $base" | bc -l)" "$(echo "$pn - $base" | bc -l)"
    printf 'the default network adds: hutch %.1f ms, podman %.1f ms\n' "$(echo "$hd - $hn" | bc -l)" "$(echo "$pd - $pn" | bc -l)"
else
    echo "podman not available: no comparison"
    printf 'net of the launcher: hutch %.1f ms (--network none)\n' "$(echo "$hn - $base" | bc -l)"
    printf 'the default network adds: hutch %.1f ms\n' "$(echo "$hd - $hn" | bc -l)"
fi

pss_kib() { # pids... -> summed Pss in KiB
    local sum=0 p v
    for p in "$@"; do
        v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}
own_pids() { # comm dir before... -> the pids of `comm` this bench started: not in `before`, and
    # (if they say) with dir's runtime dir; other sessions' monitors of the test user are not ours
    local comm=$1 dir=$2 p e; shift 2
    for p in $(pgrep -u "$U" -x "$comm" || true); do
        case " $* " in *" $p "*) continue ;; esac
        e=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep '^XDG_RUNTIME_DIR=' || true)
        if [ -z "$e" ] || [ "$e" = "XDG_RUNTIME_DIR=$dir/run" ]; then echo "$p"; fi
    done
}
density() { # label comm dir runner...
    local label=$1 comm=$2 dir=$3; shift 3
    local t0 t1 pids kib before
    before=$(pgrep -u "$U" -x "$comm" || true)
    t0=$(date +%s%N)
    for i in $(seq 1 "$N"); do "$@" run -d --network none "$IMAGE" sleep 100000 >/dev/null; done
    t1=$(date +%s%N)
    sleep 2
    pids=$(own_pids "$comm" "$dir" $before)
    kib=$(pss_kib $pids)
    printf '%-8s %d containers started in %.2f s (%.1f ms each); %d %s processes, PSS %d KiB total, %.0f KiB per container\n' \
        "$label" "$N" "$(echo "($t1 - $t0) / 1000000000" | bc -l)" "$(echo "($t1 - $t0) / 1000000 / $N" | bc -l)" \
        "$(echo "$pids" | grep -c . || true)" "$comm" "$kib" "$(echo "$kib / $N" | bc -l)"
}
echo "density: $N detached 'sleep' containers (--network none)"
density hutch hutch-monitor "$H" hutch
hutch rm -af >/dev/null 2>&1 || true
if ((HAVE_PODMAN)); then
    density podman conmon "$P" podman_
    podman_ rm -af -t 0 >/dev/null 2>&1 || true
fi
hutch rmi -af >/dev/null 2>&1 || true
podman_ system reset -f >/dev/null 2>&1 || true
rm -rf "$WORK" 2>/dev/null || true
if [ -n "${SCALE_NS-2 8 32 128}" ]; then
    NS=${SCALE_NS-2 8 32 128} WORK=$WORK-scale benches/scale.sh
fi
