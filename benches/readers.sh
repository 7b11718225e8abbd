#!/usr/bin/env bash
# Readers never wait: latency of `images` and `ps` on a store that is idle, then while 4 pulls
# of the ~150 MB bench image run into the same store (each of 4 workers pulls it, removes it,
# pulls it again, until the samples are taken), hutch and podman (--runtime runc) side by side,
# as the unprivileged test user. Prints median and p99 per case and the loaded/idle p99 ratio
# (the goal for hutch: within 2x). Run as root:
#   benches/readers.sh [samples]         (default 100 samples per case)
# BENCH_RIG_READY=1 skips starting the rig and creating the users (when they are up already).
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLES=${1:-100}
. tests/rig.sh
if [ -z "${BENCH_RIG_READY:-}" ]; then
    curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
    rig_users
fi
BIG=127.0.0.1:5000/bench/big:latest
if ! curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:5000/v2/bench/big/manifests/latest; then
    log "generating and pushing the benchmark image (~150 MB)"
    python3 tests/fixtures/mkimages.py --registry 127.0.0.1:5000 --bench >/dev/null
fi
IMAGE=127.0.0.1:5000/fixtures/basic:latest
. benches/lib.sh
WORK=/var/tmp/hutch-bench-readers
two_tools
for i in 1 2 3 4 5; do
    hutch create --name "c$i" "$IMAGE" true >/dev/null
    ((HAVE_PODMAN)) && podman_ create --name "c$i" "$IMAGE" true >/dev/null
done

pct() { # p -> the p-th percentile (ms) of microseconds on stdin
    sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; printf "%.1f", a[i]/1000}'
}
sample() { # tool verb -> "median p99 failures" over $SAMPLES runs (a failed run counts too)
    local tool=$1 verb=$2 f t0 t1 fails=0
    f=$(mktemp)
    for _ in $(seq 1 "$SAMPLES"); do
        t0=$(date +%s%N)
        "$tool" "$verb" >/dev/null 2>>"$WORK/${verb//\//_}.err" || fails=$((fails + 1))
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$f"
    done
    echo "$(pct 50 <"$f") $(pct 99 <"$f") $fails"
    rm -f "$f"
}
# The writer loops end when $WORK/stop exists: whatever way this script ends.
trap 'mkdir -p "$WORK"; touch "$WORK/stop"; wait; release_runtime_dirs' EXIT
writers() { # tool -> starts 4 pull/rmi loops in the background until $WORK/stop exists
    local tool=${WRITER:-$1}
    rm -f "$WORK/stop"
    for w in 1 2 3 4; do
        (while [ ! -e "$WORK/stop" ]; do
            "$tool" pull -q --tls-verify=false "$BIG" >/dev/null 2>&1 || true
            "$tool" rmi -f "$BIG" >/dev/null 2>&1 || true
        done) &
    done
    sleep 2 # let the pulls get going
}
stop_writers() { touch "$WORK/stop"; wait; }

launcher() { as_user "$H" "$@"; } # the setpriv + env launcher both tools run through, alone
report() { # tool label verbs...
    local tool=$1 label=$2 verb idle busy
    shift 2
    for verb in "$@"; do
        "$tool" "$verb" >/dev/null 2>&1 || true
        idle=$(sample "$tool" "$verb")
        writers "$tool"
        busy=$(sample "$tool" "$verb")
        stop_writers
        read -r im ip ifl <<<"$idle"
        read -r bm bp bfl <<<"$busy"
        printf '%-7s %-6s idle: median %6.1f ms p99 %7.1f ms   4 pulls: median %6.1f ms p99 %7.1f ms   p99 ratio %.2fx   failed runs %d/%d\n' \
            "$label" "$verb" "$im" "$ip" "$bm" "$bp" "$(echo "$bp / $ip" | bc -l)" $((ifl + bfl)) $((2 * SAMPLES))
        RATIO["$label $verb"]=$(printf '%.2f' "$(echo "$bp / $ip" | bc -l)")
        MEDRATIO["$label $verb"]=$(printf '%.2f' "$(echo "$bm / $im" | bc -l)")
        if [ -s "$WORK/${verb//\//_}.err" ]; then
            echo "        first errors: $(sort "$WORK/${verb//\//_}.err" | uniq -c | sort -rn | head -3 | tr '\n' ' ')"
        fi
        rm -f "$WORK/${verb//\//_}.err"
    done
}

declare -A RATIO MEDRATIO
echo "readers while 4 pulls of $BIG run into the same store, $SAMPLES samples per case"
# The machine's own slow-down under the pulls: the launcher running /bin/true, timed the same
# way, while hutch's pulls run. A reader's ratio near this one is contention for the CPU and
# the disk, not waiting.
WRITER=hutch report launcher launcher /bin/true
report hutch hutch images ps
# Where the loaded runs' time goes (benches/waits.py): on a CPU, waiting for one, or blocked.
launch=(setpriv --reuid="$U" --regid="$U" --init-groups -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
    HOME="$H/home" XDG_DATA_HOME="$H/data" XDG_CONFIG_HOME="$H/config" XDG_RUNTIME_DIR="$H/run")
writers hutch
python3 benches/waits.py "launcher, 4 pulls" "$SAMPLES" "${launch[@]}" /bin/true
python3 benches/waits.py "hutch images, 4 pulls" "$SAMPLES" "${launch[@]}" "$HUTCH" images
python3 benches/waits.py "hutch ps, 4 pulls" "$SAMPLES" "${launch[@]}" "$HUTCH" ps
stop_writers
((HAVE_PODMAN)) && report podman_ podman images ps
# The figures to compare: a reader's slow-down next to the machine's own (the control), the
# goal being hutch's images p99 ratio within 2x (on a busy machine, compare it with the control).
echo "SUMMARY p99 ratio (4 pulls / idle): hutch images ${RATIO[hutch images]}x, hutch ps ${RATIO[hutch ps]}x, control /bin/true ${RATIO[launcher /bin/true]}x, podman images ${RATIO[podman images]:-n/a}x, podman ps ${RATIO[podman ps]:-n/a}x"
echo "SUMMARY median ratio:                   hutch images ${MEDRATIO[hutch images]}x, hutch ps ${MEDRATIO[hutch ps]}x, control /bin/true ${MEDRATIO[launcher /bin/true]}x"
hutch rm -af >/dev/null 2>&1 || true
hutch system reset -f >/dev/null 2>&1 || true
((HAVE_PODMAN)) && { podman_ system reset -f >/dev/null 2>&1 || true; }
rm -rf "$WORK" 2>/dev/null || true
