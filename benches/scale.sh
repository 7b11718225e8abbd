#!/usr/bin/env bash
# Concurrent starts, hutch against Debian's podman (--runtime runc), as the unprivileged test
# user, same image, same machine, same run. Run as root:
#   [NS='2 8 32 128'] [NETS='none default'] [TRIALS=1] benches/scale.sh
# For each N: N `run -d IMG sleep 1000` launched at once (each through the same setpriv + env
# launcher), the total wall time until the last one returned, starts/s, and the time per start
# (linear scaling: time per start stays flat as N grows). For hutch, each start runs with
# HUTCH_TRACE=1 and the store's locks report how long taking them waited and how long they
# were held ("unlocked PATH: waited W us, held H us"): the longest wait of any start and the
# longest critical section are printed per lock. The containers are removed (untimed) after
# each N.
set -euo pipefail
cd "$(dirname "$0")/.."
NS=${NS:-2 8 32 128}
NETS=${NETS:-none}
TRIALS=${TRIALS:-1}
. tests/rig.sh
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
rig_users
IMAGE=127.0.0.1:5000/fixtures/basic:latest
. benches/lib.sh
WORK=${WORK:-/var/tmp/hutch-bench-scale}
two_tools
LOGS=$WORK/logs
mkdir -p "$LOGS"
chown "$U" "$LOGS"

# label n net runner... -> one line; fills $LOGS/<i>.err with each start's stderr
burst() {
    local label=$1 n=$2 net=$3; shift 3
    local netarg=() t0 t1 i fails=0 pids=()
    [ "$net" = none ] && netarg=(--network none)
    rm -f "$LOGS"/*.err
    t0=$(date +%s%N)
    for i in $(seq 1 "$n"); do
        "$@" run -d "${netarg[@]}" "$IMAGE" sleep 1000 >/dev/null 2>"$LOGS/$i.err" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
    t1=$(date +%s%N)
    local ms=$(((t1 - t0) / 1000000))
    printf '%-7s %-8s N=%-4d total %7d ms  %6.1f starts/s  %6.1f ms per start  failed %d\n' \
        "$label" "$net" "$n" "$ms" "$(echo "$n * 1000 / $ms" | bc -l)" "$(echo "$ms / $n" | bc -l)" "$fails"
    if ((fails)); then
        grep -h "Error" "$LOGS"/*.err | sort | uniq -c | head -3 >&2 || true
    fi
}

# The lock lines of the last hutch burst: per lock file, the longest wait, the holds of all the
# starts together (a wait no longer than the others' holds is queueing behind their critical
# sections, not a lock held while nothing happens), the longest and the mean hold.
locks() {
    cat "$LOGS"/*.err | awk '/unlocked .*: waited/ {
            n = $6; sub(":", "", n); sub(".*/", "", n); w = $8; h = $11
            # Each container'"'"'s own start lock (runtime dir, <id>.lock): one line for all of them.
            if (length(n) == 69 && n ~ /^[0-9a-f]+\.lock$/) n = "<id>.lock (each)"
            if (w > W[n]) W[n] = w; if (h > H[n]) H[n] = h; C[n]++; S[n] += h
        }
        END { for (n in W) printf "          %-16s taken %4d times: longest wait %7.1f ms (all holds together %7.1f ms), longest hold %6.1f ms, mean hold %5.1f ms\n", n, C[n], W[n] / 1000, S[n] / 1000, H[n] / 1000, S[n] / C[n] / 1000 }' | sort
}

echo "concurrent starts: N x run -d $IMAGE sleep 1000 at once (networks: $NETS; $TRIALS trial(s) each)"
for net in $NETS; do
    for n in $NS; do
        for _ in $(seq 1 "$TRIALS"); do
            burst hutch "$n" "$net" as_user "$H" env HUTCH_TRACE=1 "$HUTCH"
            locks
            hutch rm -af -t 0 >/dev/null 2>&1 || true
            if ((HAVE_PODMAN)); then
                burst podman "$n" "$net" podman_
                podman_ rm -af -t 0 >/dev/null 2>&1 || true
            fi
        done
    done
done
hutch rmi -af >/dev/null 2>&1 || true
podman_ system reset -f >/dev/null 2>&1 || true
rm -rf "$WORK" 2>/dev/null || true
