#!/usr/bin/env bash
# Save + load benchmark: the ~150 MB, 5-layer benchmark image (bench/big), hutch against
# Debian's podman, as the unprivileged test user. Each run pulls the image into a fresh store
# (untimed), times `save -o FILE` (docker-archive, both tools' default) with the page cache
# dropped first, then times `load -i FILE` of that archive into another fresh, empty store
# (the air-gapped machine's case: every layer is extracted). Prints seconds per run, the
# medians and the ratios (podman / hutch) of save, load and the two together. Run as root:
#   benches/save.sh [runs]          (default 3 runs each)
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
WORK=/var/tmp/hutch-bench-save
rm -rf "$WORK"; mkdir -p "$WORK"; chown "$U" "$WORK"

fresh() { # name -> dir
    local d=$WORK/$1
    mkdir -p "$d"/{home,data,config,run}; chmod 700 "$d/run"; chown -R "$U" "$d"
    echo "$d"
}

timeit() { # dir command... -> seconds (page cache dropped first)
    local d=$1; shift
    local t0 t1
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    t0=$(date +%s.%N)
    as_user "$d" "$@" >/dev/null 2>"$d/stderr" || { cat "$d/stderr" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf 'save -o + load -i of %s (docker-archive; load into an empty store), %d runs each\n' "$IMAGE" "$RUNS"
declare -a HS HL HT PS PL PT
for i in $(seq 1 "$RUNS"); do
    d=$(fresh hutch-$i); e=$(fresh hutch-load-$i)
    as_user "$d" "$HUTCH" pull -q --tls-verify=false "$IMAGE" >/dev/null
    s=$(timeit "$d" "$HUTCH" save -o "$WORK/hutch-$i.tar" "$IMAGE")
    l=$(timeit "$e" "$HUTCH" load -i "$WORK/hutch-$i.tar")
    t=$(echo "$s + $l" | bc -l)
    HS+=("$s"); HL+=("$l"); HT+=("$t")
    printf 'hutch  run %d: save %6.2f s   load %6.2f s   both %6.2f s\n' "$i" "$s" "$l" "$t"
    rm -f "$WORK/hutch-$i.tar"
done
if command -v podman >/dev/null; then
    for i in $(seq 1 "$RUNS"); do
        d=$(fresh podman-$i); e=$(fresh podman-load-$i)
        pod() { echo podman --runtime runc --root "$1/podman/root" --runroot "$1/run/podman" --storage-driver overlay; }
        as_user "$d" $(pod "$d") pull -q --tls-verify=false "$IMAGE" >/dev/null
        s=$(timeit "$d" $(pod "$d") save -o "$WORK/podman-$i.tar" "$IMAGE")
        l=$(timeit "$e" $(pod "$e") load -i "$WORK/podman-$i.tar")
        t=$(echo "$s + $l" | bc -l)
        PS+=("$s"); PL+=("$l"); PT+=("$t")
        printf 'podman run %d: save %6.2f s   load %6.2f s   both %6.2f s\n' "$i" "$s" "$l" "$t"
        rm -f "$WORK/podman-$i.tar"
    done
fi
med() { printf '%s\n' "$@" | median; }
hs=$(med "${HS[@]}"); hl=$(med "${HL[@]}"); ht=$(med "${HT[@]}")
printf 'hutch  median: save %.2f s   load %.2f s   both %.2f s\n' "$hs" "$hl" "$ht"
if ((${#PS[@]})); then
    ps_=$(med "${PS[@]}"); pl=$(med "${PL[@]}"); pt=$(med "${PT[@]}")
    printf 'podman median: save %.2f s   load %.2f s   both %.2f s\n' "$ps_" "$pl" "$pt"
    printf 'speed-up (podman / hutch): save %.2fx, load %.2fx, save + load %.2fx\n' \
        "$(echo "$ps_ / $hs" | bc -l)" "$(echo "$pl / $hl" | bc -l)" "$(echo "$pt / $ht" | bc -l)"
fi
for d in "$WORK"/hutch-*; do as_user "$d" "$HUTCH" rmi -a >/dev/null 2>&1 || true; done
for d in "$WORK"/podman-*; do as_user "$d" podman unshare rm -rf "$d/podman" >/dev/null 2>&1 || true; done
rm -rf "$WORK"
