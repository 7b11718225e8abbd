#!/usr/bin/env bash
# Build benchmark: a 10-step Containerfile (FROM, ENV, WORKDIR, COPY of a 5,000-file source
# tree, RUNs, ENV, LABEL, CMD) built by hutch and by Debian's podman, as the unprivileged test
# user, side by side in one run: a cold build in a fresh store (the base image pulled untimed),
# then a fully cached rebuild, then a rebuild after one source file changed (only the steps
# from the COPY on may run: checked). Prints seconds per run, the medians and the ratios.
# Run as root:   benches/build.sh [runs]          (default 3 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
. tests/rig.sh
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
rig_users
. benches/lib.sh
IMAGE=127.0.0.1:5000/fixtures/basic:latest
WORK=/var/tmp/hutch-bench-build
rm -rf "$WORK"; mkdir -p "$WORK/ctx/src"; chown "$U" "$WORK"

# The context: 5,000 small files in 50 directories, and the Containerfile.
for d in $(seq 1 50); do
    mkdir -p "$WORK/ctx/src/dir$d"
    for f in $(seq 1 100); do printf 'file %d/%d\n%0200d\n' "$d" "$f" 0 > "$WORK/ctx/src/dir$d/f$f.txt"; done
done
cat > "$WORK/ctx/Containerfile" <<EOF
FROM $IMAGE
ENV APP=/app
WORKDIR /app
COPY src/ /app/src/
RUN find /app/src -type f | wc -l > /app/count
RUN cat /app/src/dir1/f1.txt > /app/first
ENV MODE=release
RUN echo built > /app/status
LABEL bench=build
CMD ["cat", "/app/count"]
EOF
chown -R "$U" "$WORK"

fresh() { # name -> dir
    local d=$WORK/$1
    rm -rf "$d"; mkdir -p "$d"/{home,data,config,run}; chmod 700 "$d/run"; chown -R "$U" "$d"
    echo "$d"
}
secs() { # dir command... -> seconds (output kept in dir/out)
    local d=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    as_user "$d" "$@" >"$d/out" 2>&1 || { cat "$d/out" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
restore() { printf 'file %d/%d\n%0200d\n' 7 7 0 > "$WORK/ctx/src/dir7/f7.txt"; chown "$U" "$WORK/ctx/src/dir7/f7.txt"; }
change() { echo "changed $1" >> "$WORK/ctx/src/dir7/f7.txt"; }

declare -a HC HR HT PC PR PT
run_tool() { # name build-command-prefix... ; sets arrays through the caller's names
    local name=$1; shift
    local i d c r t cached
    for i in $(seq 1 "$RUNS"); do
        restore
        d=$(fresh "$name-$i")
        if [ "$name" = hutch ]; then
            as_user "$d" "$HUTCH" pull -q --tls-verify=false "$IMAGE" >/dev/null
            set -- "$HUTCH" build
        else
            as_user "$d" podman --runtime runc --root "$d/storage" --runroot "$d/run/storage" --storage-driver overlay \
                pull -q --tls-verify=false "$IMAGE" >/dev/null
            set -- podman --runtime runc --root "$d/storage" --runroot "$d/run/storage" --storage-driver overlay build --tls-verify=false
        fi
        sync
        c=$(secs "$d" "$@" -t localhost/bench "$WORK/ctx")
        r=$(secs "$d" "$@" -t localhost/bench "$WORK/ctx")
        cached=$(grep -c 'Using cache' "$d/out" || true)
        [ "$cached" -ge 9 ] || { echo "$name: the rebuild was not fully cached ($cached steps)" >&2; cat "$d/out" >&2; exit 1; }
        change "$i"
        t=$(secs "$d" "$@" -t localhost/bench "$WORK/ctx")
        # Steps before the COPY come from the cache, none from it on.
        awk '/STEP 4\/10/ {after = 1} after && /Using cache/ {bad = 1} !after && /Using cache/ {n++} END {exit (bad || n < 2)}' "$d/out" \
            || { echo "$name: after a change, the steps did not run from the COPY on" >&2; cat "$d/out" >&2; exit 1; }
        printf '%-6s run %d: cold %6.2f s   cached rebuild %6.3f s   one file changed %6.2f s\n' "$name" "$i" "$c" "$r" "$t"
        if [ "$name" = hutch ]; then HC+=("$c"); HR+=("$r"); HT+=("$t"); else PC+=("$c"); PR+=("$r"); PT+=("$t"); fi
    done
}

printf 'build of a 10-step Containerfile with a 5,000-file COPY, fresh store per run, %d runs each\n' "$RUNS"
run_tool hutch
command -v podman >/dev/null && run_tool podman
restore
hc=$(printf '%s\n' "${HC[@]}" | median); hr=$(printf '%s\n' "${HR[@]}" | median); ht=$(printf '%s\n' "${HT[@]}" | median)
printf 'hutch  median: cold %.2f s   cached rebuild %.3f s   one file changed %.2f s\n' "$hc" "$hr" "$ht"
if ((${#PC[@]})); then
    pc=$(printf '%s\n' "${PC[@]}" | median); pr=$(printf '%s\n' "${PR[@]}" | median); pt=$(printf '%s\n' "${PT[@]}" | median)
    printf 'podman median: cold %.2f s   cached rebuild %.3f s   one file changed %.2f s\n' "$pc" "$pr" "$pt"
    printf 'speed-up (podman / hutch): cold %.2fx, cached rebuild %.2fx, one file changed %.2fx\n' \
        "$(echo "$pc / $hc" | bc -l)" "$(echo "$pr / $hr" | bc -l)" "$(echo "$pt / $ht" | bc -l)"
fi
for d in "$WORK"/hutch-*; do as_user "$d" "$HUTCH" rmi -a >/dev/null 2>&1 || true; done
for d in "$WORK"/podman-*; do as_user "$d" podman --root "$d/storage" --runroot "$d/run/storage" unshare rm -rf "$d/storage" >/dev/null 2>&1 || true; done
rm -rf "$WORK"
