#!/usr/bin/env bash
# --userns keep-id benchmark, hutch against Debian's podman (--runtime runc), as the unprivileged
# test user, same image, same machine, same run. Run as root:
#   benches/keepid.sh [runs]      (default 3)
# ONLY_IO=1 runs the I/O part alone; NO_IO=1 leaves it out.
# MAPS='FLAGS;FLAGS…' the other maps whose first run is timed as keep-id's (default: --uidmap
# 0:1:65536, --uidmap 0:30001:30000 (a range above the image's ids, as a second `--userns auto`
# container gets) and --userns keep-id:uid=1000,gid=1000, which hutch all shifts with
# fuse-overlayfs).
# BENCH_RIG_READY=1 skips starting the rig and creating the users (when they are up already).
# The image is bench/big (~160 MB, 6,000 small files, no shell of its own): the host's static
# busybox is bound in read-only as /busybox to run commands. Prints:
#   - the first `run --rm --userns keep-id IMG true` on a fresh store (image pulled untimed):
#     hutch (its default method, then HUTCH_KEEPID_METHOD=copy, the fallback) and podman, the
#     medians, the ratio, and the store's growth (du) caused by that run;
#   - the I/O cost of the method: reading every file of the image (tar of /usr /opt /var to
#     wc), and a write-heavy run as the container's root (2,000 new files and a 64 MiB file,
#     then a copy of /opt), each with and without keep-id, for both tools.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
. tests/rig.sh
if [ -z "${BENCH_RIG_READY:-}" ]; then
    curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
    rig_users
fi
TEST_USER=${TEST_USER:-hutchtest}
IMAGE=127.0.0.1:5000/bench/big:latest
if ! curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:5000/v2/bench/big/manifests/latest; then
    python3 tests/fixtures/mkimages.py --registry 127.0.0.1:5000 --bench
fi
. benches/lib.sh
WORK=${WORK:-/var/tmp/hutch-bench-keepid}
two_tools
BB=(-v /bin/busybox:/busybox:ro)
KB=(--userns keep-id)

hutch_with() { local m=$1; shift; as_user "$H" env HUTCH_KEEPID_METHOD="$m" "$HUTCH" "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
secs() { # command... -> seconds of one run (fails the bench when the command fails)
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@" >&2 || true; exit 1; }
    t1=$(date +%s%N)
    echo "scale=3; ($t1 - $t0) / 1000000000" | bc -l
}
du_kib() { # the --rm container's directory is deleted after the run returns: wait for that
    local i
    for i in $(seq 1 100); do
        compgen -G "$1/hutch/tmp/trash-*" >/dev/null || break
        sleep 0.1
    done
    du -sk "$1" 2>/dev/null | cut -f1
}

fresh_hutch() { rm -rf "$H/data/hutch" "$H/run/hutch"; hutch pull -q "$IMAGE" >/dev/null; }
fresh_podman() { rm -rf "$P/storage" "$P/run/storage"; podman_ pull -q --tls-verify=false "$IMAGE" >/dev/null; }

if [ -z "${ONLY_IO:-}" ]; then # ONLY_IO=1: the I/O part alone
echo "first run --rm --userns keep-id $IMAGE true on a fresh store (pulled untimed), $RUNS runs each"
echo "hutch's method: $(hutch info --format '{{.Store.KeepIdMethod}}')"
first() { # label fresh-fn store-dir runner... -> prints per run; echoes "median-seconds growth-KiB"
    local label=$1 fresh=$2 dir=$3; shift 3
    local times=() grow=0 before t
    for _ in $(seq 1 "$RUNS"); do
        $fresh
        sync
        before=$(du_kib "$dir")
        t=$(secs "$@" run --rm "${KB[@]}" "${BB[@]}" "$IMAGE" /busybox true)
        grow=$(($(du_kib "$dir") - before))
        times+=("$t")
    done
    local m
    m=$(printf '%s\n' "${times[@]}" | median)
    printf '%-32s %s s (runs: %s), store grew by %d KiB\n' "$label" "$m" "${times[*]}" "$grow" >&2
    echo "$m"
}
hf=$(first "hutch" fresh_hutch "$H/data" hutch)
hc=$(first "hutch HUTCH_KEEPID_METHOD=copy" fresh_hutch "$H/data" hutch_with copy)
if ((HAVE_PODMAN)); then
    pf=$(first "podman --runtime runc" fresh_podman "$P" podman_)
    printf 'ratio podman/hutch (first keep-id run): %.1fx; hutch copy/hutch: %.1fx\n' \
        "$(echo "$pf / $hf" | bc -l)" "$(echo "$hc / $hf" | bc -l)"
fi
IFS=';' read -r -a maps <<<"${MAPS:---uidmap 0:1:65536;--uidmap 0:30001:30000;--userns keep-id:uid=1000,gid=1000}"
for flags in "${maps[@]}"; do
    read -r -a KB <<<"$flags"
    echo "first run --rm $flags $IMAGE true"
    hf=$(first "hutch" fresh_hutch "$H/data" hutch)
    hc=$(first "hutch HUTCH_KEEPID_METHOD=copy" fresh_hutch "$H/data" hutch_with copy)
    if ((HAVE_PODMAN)); then
        pf=$(first "podman --runtime runc" fresh_podman "$P" podman_)
        printf 'ratio podman/hutch (first %s run): %.1fx; hutch copy/hutch: %.1fx\n' "$flags" \
            "$(echo "$pf / $hf" | bc -l)" "$(echo "$hc / $hf" | bc -l)"
    fi
done
KB=(--userns keep-id)

fi
[ -n "${NO_IO:-}" ] && exit 0
echo
echo "I/O cost: same store, keep-id mapping made (one untimed run first), $RUNS runs each, medians"
READ='/busybox tar cf - /usr /opt /var | /busybox wc -c'
WRITE='/busybox mkdir /w && cd /w && /busybox seq 1 2000 | while read i; do echo $i > f$i; done && /busybox dd if=/dev/zero of=/w/big bs=1M count=64 2>/dev/null && /busybox cp -a /opt /w/opt'
io() { # label runner... ; prints read and write medians
    local label=$1; shift
    "$@" run --rm "${BB[@]}" "$IMAGE" /busybox true >/dev/null 2>&1 || true
    local r w
    r=$(for _ in $(seq 1 "$RUNS"); do secs "$@" run --rm "${BB[@]}" "$IMAGE" /busybox sh -c "$READ"; done | median)
    w=$(for _ in $(seq 1 "$RUNS"); do secs "$@" run --rm -u 0 "${BB[@]}" "$IMAGE" /busybox sh -c "$WRITE"; done | median)
    printf '%-40s read all files %6.2f s   write-heavy %6.2f s\n' "$label" "$r" "$w"
}
# Runners that add --userns keep-id to `run` (the first argument io passes).
hutch_copy() { shift; hutch_with copy run "${KB[@]}" "$@"; }
hutch_fuse() { shift; hutch_with fuse-overlayfs run "${KB[@]}" "$@"; }
podman_kid() { shift; podman_ run "${KB[@]}" "$@"; }
io "hutch (no keep-id, native overlay)" hutch
io "hutch keep-id fuse-overlayfs" hutch_fuse
io "hutch keep-id copy" hutch_copy
if ((HAVE_PODMAN)); then
    io "podman (no keep-id)" podman_
    io "podman keep-id" podman_kid
fi
