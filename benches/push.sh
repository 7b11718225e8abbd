#!/usr/bin/env bash
# Push benchmark: the ~150 MB, 5-layer benchmark image (bench/big) from the user's store to the
# loopback registry, hutch against Debian's podman, as the unprivileged test user. Each run
# pulls the image into a fresh store (untimed), then times a push to a new repository under the
# registry's other name (localhost:5000, so that neither tool can mount blobs from where it
# pulled them: every layer is rebuilt, compressed and uploaded), then times a second push of
# the same image to the same place right after (every blob present: HEADs and the manifest
# only; the page cache is dropped before the first push, not before the second), then times a
# push with --compression-format zstd (default level 3) to another new repository (page cache
# dropped again).
# Prints seconds per run, the medians and the ratios. Run as root:
#   benches/push.sh [runs]          (default 3 runs each)
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
. benches/lib.sh
WORK=/var/tmp/hutch-bench-push
rm -rf "$WORK"; mkdir -p "$WORK"; chown "$U" "$WORK"
TAG=$(date +%s)

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

timewarm() { # dir command... -> seconds, page cache kept (a push right after another)
    local d=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    as_user "$d" "$@" >/dev/null 2>"$d/stderr" || { cat "$d/stderr" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf 'push of %s (fresh store per run, pulled untimed) to localhost:5000, %d runs each\n' "$IMAGE" "$RUNS"
declare -a H H2 HZ P P2 PZ
for i in $(seq 1 "$RUNS"); do
    d=$(fresh hutch-$i)
    as_user "$d" "$HUTCH" pull -q --tls-verify=false "$IMAGE" >/dev/null
    dest=localhost:5000/benchpush/hutch-$TAG-$i:latest
    s=$(timeit "$d" "$HUTCH" push -q --tls-verify=false "$IMAGE" "$dest")
    s2=$(timewarm "$d" "$HUTCH" push -q --tls-verify=false "$IMAGE" "$dest")
    sz=$(timeit "$d" "$HUTCH" push -q --tls-verify=false --compression-format zstd "$IMAGE" "${dest%:latest}-zstd:latest")
    H+=("$s"); H2+=("$s2"); HZ+=("$sz")
    printf 'hutch  run %d: %6.2f s   second push %6.3f s   zstd push %6.2f s\n' "$i" "$s" "$s2" "$sz"
done
if command -v podman >/dev/null; then
    for i in $(seq 1 "$RUNS"); do
        d=$(fresh podman-$i)
        pod=(podman --runtime runc --root "$d/podman/root" --runroot "$d/run/podman" --storage-driver overlay)
        as_user "$d" "${pod[@]}" pull -q --tls-verify=false "$IMAGE" >/dev/null
        dest=localhost:5000/benchpush/podman-$TAG-$i:latest
        s=$(timeit "$d" "${pod[@]}" push -q --tls-verify=false "$IMAGE" "$dest")
        s2=$(timewarm "$d" "${pod[@]}" push -q --tls-verify=false "$IMAGE" "$dest")
        # podman 4.3 would otherwise send the gzip blobs it just pushed (its blob info cache
        # knows them at this registry) rather than compress to zstd: forget them first.
        rm -f "$d"/data/containers/cache/blob-info-cache-v1.*
        sz=$(timeit "$d" "${pod[@]}" push -q --tls-verify=false --compression-format zstd "$IMAGE" "${dest%:latest}-zstd:latest")
        P+=("$s"); P2+=("$s2"); PZ+=("$sz")
        printf 'podman run %d: %6.2f s   second push %6.3f s   zstd push %6.2f s\n' "$i" "$s" "$s2" "$sz"
    done
fi
hm=$(printf '%s\n' "${H[@]}" | median); hm2=$(printf '%s\n' "${H2[@]}" | median); hmz=$(printf '%s\n' "${HZ[@]}" | median)
printf 'hutch  median: %.2f s   second push %.3f s   zstd push %.2f s\n' "$hm" "$hm2" "$hmz"
if ((${#P[@]})); then
    pm=$(printf '%s\n' "${P[@]}" | median); pm2=$(printf '%s\n' "${P2[@]}" | median); pmz=$(printf '%s\n' "${PZ[@]}" | median)
    printf 'podman median: %.2f s   second push %.3f s   zstd push %.2f s\n' "$pm" "$pm2" "$pmz"
    printf 'speed-up (podman / hutch): push %.2fx, second push %.2fx, zstd push %.2fx\n' "$(echo "$pm / $hm" | bc -l)" "$(echo "$pm2 / $hm2" | bc -l)" "$(echo "$pmz / $hmz" | bc -l)"
fi
for d in "$WORK"/hutch-*; do as_user "$d" "$HUTCH" rmi -a >/dev/null 2>&1 || true; done
for d in "$WORK"/podman-*; do as_user "$d" podman unshare rm -rf "$d/podman" >/dev/null 2>&1 || true; done
rm -rf "$WORK"
