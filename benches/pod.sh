#!/usr/bin/env bash
# What a pod's infra costs, hutch against Debian's podman (--runtime runc), as the unprivileged
# test user, in one run. Run as root:
#   benches/pod.sh
# Prints, for one started pod with a published port (slirp4netns for both: the same helper;
# pasta alone is ~29 MB PSS, whoever starts it): the PSS of
# each process that holds the pod (hutch: the pause program, its monitor, the network helper;
# podman: catatonit, conmon, the network helper and rootlessport), their total and the ratio,
# and the time `pod create` + `pod start` took.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/rig.sh
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
rig_users
IMAGE=127.0.0.1:5000/fixtures/basic:latest
. benches/lib.sh
WORK=/var/tmp/hutch-bench-pod
two_tools

pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
comm() { cat "/proc/$1/comm" 2>/dev/null; }
children() { # pid -> its children's pids
    cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}
report() { # label pids... -> prints each process and the total; echoes the total
    local label=$1 total=0 p v; shift
    for p in "$@"; do
        v=$(pss "$p"); total=$((total + v))
        printf '  %-8s %-16s pid %-7s PSS %5d KiB\n' "$label" "$(comm "$p")" "$p" "$v" >&2
    done
    printf '  %-8s total PSS %d KiB\n' "$label" "$total" >&2
    echo "$total"
}

t0=$(date +%s%N)
hutch pod create --name bench --network slirp4netns -p 18931:80 >/dev/null
hutch pod start bench >/dev/null
t1=$(date +%s%N)
infra=$(hutch pod inspect --format '{{.InfraContainerID}}' bench)
pid=$(hutch inspect --format '{{.State.Pid}}' "$infra")
mon=$(awk '{print $4}' "/proc/$pid/stat")
sleep 1
echo "hutch: pod create + start $(( (t1 - t0) / 1000000 )) ms; the processes that hold the pod:"
h=$(report hutch "$pid" "$mon" $(children "$mon" | grep -v "^$pid\$"))
hutch pod rm -f bench >/dev/null
if ((HAVE_PODMAN)) && command -v catatonit >/dev/null; then
    t0=$(date +%s%N)
    podman_ pod create --name bench --network slirp4netns -p 18931:80 >/dev/null
    podman_ pod start bench >/dev/null
    t1=$(date +%s%N)
    infra=$(podman_ pod inspect --format '{{.InfraContainerID}}' bench)
    pid=$(podman_ inspect --format '{{.State.Pid}}' "$infra")
    conmon=$(awk '{print $4}' "/proc/$pid/stat")
    sleep 1
    # The network helper and rootlessport are the pod's too (found by their command lines).
    helpers=$(pgrep -u "$U" -f "slirp4netns|pasta|rootlessport" | while read -r p; do
        grep -qz "$P" "/proc/$p/environ" 2>/dev/null && echo "$p"; done || true)
    echo "podman: pod create + start $(( (t1 - t0) / 1000000 )) ms; the processes that hold the pod:"
    p=$(report podman "$pid" "$conmon" $helpers)
    printf 'infra PSS: hutch %d KiB, podman %d KiB (ratio %.2f)\n' "$h" "$p" "$(echo "$h / $p" | bc -l)"
    podman_ pod rm -f bench >/dev/null 2>&1 || true
    podman_ system reset -f >/dev/null 2>&1 || true
else
    echo "podman (with catatonit) not available: no comparison"
fi
hutch rmi -af >/dev/null 2>&1 || true
rm -rf "$WORK" 2>/dev/null || true
