#!/usr/bin/env bash
# Pull benchmark: a ~150 MB, 5-layer generated image from the loopback registry into a fresh
# store, hutch against Debian's podman, as the unprivileged test user. Prints seconds, MB/s
# (compressed bytes / second) per run, the medians and the ratio. Run as root:
#   benches/pull.sh [runs]          (default 3 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
. tests/rig.sh
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
rig_users
IMAGE=127.0.0.1:5000/bench/big:latest
if ! curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:5000/v2/bench/big/manifests/latest; then
    log "generating and pushing the benchmark image (~150 MB)"
    python3 tests/fixtures/mkimages.py --registry 127.0.0.1:5000 --bench >/dev/null
fi
BYTES=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:5000/v2/bench/big/manifests/latest |
    python3 -c 'import json,sys; m=json.load(sys.stdin); print(sum(l["size"] for l in m["layers"]))')
. benches/lib.sh
UID_=$(id -u "$U")
WORK=/var/tmp/hutch-bench
rm -rf "$WORK"; mkdir -p "$WORK"; chown "$U" "$WORK"
sleep 40 # let earlier deletions age out of ext4's recently-deleted window (see fresh())

# Stores are only deleted at the end: ext4's inode allocator slows down file creation right after
# many deletions (recently_deleted()), which would penalise whichever tool runs next.
fresh() { # name -> dir
    local d=$WORK/$1
    mkdir -p "$d"/{home,data,config,run}; chmod 700 "$d/run"; chown -R "$U" "$d"
    echo "$d"
}

timeit() { # dir command... -> seconds
    local d=$1; shift
    local t0 t1
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    t0=$(date +%s.%N)
    as_user "$d" "$@" >/dev/null 2>"$d/stderr" || { cat "$d/stderr" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

MB=$(echo "$BYTES / 1000000" | bc -l)
printf 'image %s: %.1f MB compressed, %d runs each, fresh store per run\n' "$IMAGE" "$MB" "$RUNS"
declare -a H P
for i in $(seq 1 "$RUNS"); do
    d=$(fresh hutch-$i)
    s=$(timeit "$d" "$HUTCH" pull -q --tls-verify=false "$IMAGE")
    H+=("$s"); printf 'hutch  run %d: %6.2f s  %7.1f MB/s\n' "$i" "$s" "$(echo "$MB / $s" | bc -l)"
done
if command -v podman >/dev/null; then
    for i in $(seq 1 "$RUNS"); do
        d=$(fresh podman-$i)
        s=$(timeit "$d" podman --root "$d/podman/root" --runroot "$d/run/podman" --storage-driver overlay pull -q --tls-verify=false "$IMAGE")
        P+=("$s"); printf 'podman run %d: %6.2f s  %7.1f MB/s\n' "$i" "$s" "$(echo "$MB / $s" | bc -l)"
    done
fi
hm=$(printf '%s\n' "${H[@]}" | median)
printf 'hutch  median: %.2f s  %.1f MB/s\n' "$hm" "$(echo "$MB / $hm" | bc -l)"
if ((${#P[@]})); then
    pm=$(printf '%s\n' "${P[@]}" | median)
    printf 'podman median: %.2f s  %.1f MB/s\n' "$pm" "$(echo "$MB / $pm" | bc -l)"
    printf 'speed-up (podman / hutch): %.2fx\n' "$(echo "$pm / $hm" | bc -l)"
fi
for d in "$WORK"/hutch-*; do as_user "$d" "$HUTCH" rmi -a >/dev/null 2>&1 || true; done
for d in "$WORK"/podman-*; do as_user "$d" podman unshare rm -rf "$d/podman" >/dev/null 2>&1 || true; done
rm -rf "$WORK"
