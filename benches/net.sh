#!/usr/bin/env bash
# Network benchmark, hutch against Debian's podman (--runtime runc) with the same helper, as the
# unprivileged test user, same image (bench/iperf3: the host's iperf3 and its libraries), same
# machine. Run as root:
#   [TRIALS=3] [NETS='pasta slirp4netns'] benches/net.sh [runs] [seconds]
#   (default 20 start runs, 5 s per iperf3 test, median of 3 throughput runs)
# Prints:
#   - start latency of `run --rm IMG true` (median, p90) with --network none, pasta and
#     slirp4netns, and what each helper adds over none;
#   - TCP throughput (iperf3, Gbit/s) container -> a server on the host's loopback (through
#     host.containers.internal) and host -> a server in the container through -p, per helper
#     and tool, and the ratio hutch/podman.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
SECS=${2:-5}
TRIALS=${TRIALS:-3}      # throughput runs per figure (the median is printed)
NETS=${NETS:-pasta slirp4netns}
. tests/rig.sh
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
rig_users
command -v iperf3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null
python3 tests/fixtures/mkimages.py --registry 127.0.0.1:5000 --only bench/iperf3 >/dev/null
IMAGE=127.0.0.1:5000/bench/iperf3:latest
. benches/lib.sh
# Short: podman's slirp4netns API socket path under it must stay under 108 bytes.
WORK=/var/tmp/hbn
two_tools
TOOLS=(hutch)
((HAVE_PODMAN)) && TOOLS+=(podman_)
# Which helpers each tool has (Debian 12's podman 4.3 predates its pasta support).
has_net() { # tool net
    [ "$1" = hutch ] && return 0
    $1 run --rm --network "$2" "$IMAGE" true >/dev/null 2>&1
}
declare -A HAS
for t in "${TOOLS[@]}"; do
    for net in pasta slirp4netns; do
        if has_net "$t" "$net"; then HAS[$t-$net]=1; else HAS[$t-$net]=0; echo "${t%_} has no --network $net: skipped" >&2; fi
    done
done


echo "start latency: run --rm $IMAGE true, $RUNS runs each"
for t in "${TOOLS[@]}"; do
    name=${t%_}
    none=$(series "$name --network none" $t run --rm --network none "$IMAGE" true)
    for net in $NETS; do
        ((HAS[$t-$net])) || continue
        m=$(series "$name --network $net" $t run --rm --network "$net" "$IMAGE" true)
        printf '  %s %s adds %.1f ms over --network none\n' "$name" "$net" "$(echo "$m - $none" | bc -l)"
    done
done

gbits() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))'; }
declare -A R
h2c() { # tool network -> Gbit/s host -> a server in the container through -p
    local hp=$((30000 + RANDOM % 10000)) g
    $1 run -d --name iperf-srv --network "$2" -p "$hp:5201" "$IMAGE" iperf3 -s -p 5201 >/dev/null
    sleep 1
    g=$(iperf3 -J -t "$SECS" -c 127.0.0.1 -p "$hp" 2>/dev/null | gbits 2>/dev/null || echo "n/a")
    $1 rm -f iperf-srv >/dev/null 2>&1 || true
    echo "$g"
}
c2h() { # tool network target -> Gbit/s container -> a server on the host's loopback
    local port=$((20000 + RANDOM % 10000)) srv out
    as_user "$H" iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
    srv=$!
    sleep 0.3
    # After a second: with Debian 12's pasta a connection opened in its first moments can
    # stay slow for its whole life (whether or not the container waited for pasta).
    out=$($1 run --rm --network "$2" "$IMAGE" sh -c "sleep 1; exec iperf3 -J -t $SECS -c $3 -p $port" 2>/dev/null || true)
    kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
    echo "$out" | gbits 2>/dev/null || echo "n/a"
}
median_of() { # function args... -> the median of $TRIALS runs (n/a if any failed)
    local v=() i
    for i in $(seq 1 "$TRIALS"); do v+=("$("$@")"); done
    if printf '%s\n' "${v[@]}" | grep -q n/a; then echo n/a; return; fi
    printf '%s\n' "${v[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
echo "TCP throughput, iperf3 -t $SECS, median of $TRIALS (Gbit/s)"
for net in $NETS; do
    for t in "${TOOLS[@]}"; do
        name=${t%_}
        ((HAS[$t-$net])) || continue
        # The same helper doing the same job: slirp4netns reaches the host's loopback only with
        # allow_host_loopback (at 10.0.2.2), for both tools (podman's host.containers.internal
        # is then the host's own address; hutch's is 10.0.2.2). Its default port publishing,
        # rootlesskit's forwarder, is what hutch's own forwarder does too; podman publishing
        # through slirp4netns itself is measured separately below.
        netarg=$net target=host.containers.internal
        if [[ $net == slirp4netns ]]; then
            netarg=slirp4netns:allow_host_loopback=true target=10.0.2.2
        fi
        c2h=$(median_of c2h "$t" "$netarg" "$target")
        h2c=$(median_of h2c "$t" "$netarg")
        R[$name-$net-c2h]=$c2h
        R[$name-$net-h2c]=$h2c
        printf '  %-7s %-12s container->host %6s   host->published port %6s\n' "$name" "$net" "$c2h" "$h2c"
        if [[ $name == podman && $net == slirp4netns ]]; then
            printf '  %-7s %-12s (ports through slirp4netns itself)   host->published port %6s\n' "$name" "$net" "$(h2c "$t" slirp4netns:port_handler=slirp4netns)"
        fi
    done
    if ((HAVE_PODMAN)); then
        for dir in c2h h2c; do
            a=${R[hutch-$net-$dir]:-n/a}; b=${R[podman-$net-$dir]:-n/a}
            if [[ $a != n/a && $b != n/a ]]; then
                printf '  ratio hutch/podman %s %s: %.2f\n' "$net" "$dir" "$(echo "$a / $b" | bc -l)"
            fi
        done
    fi
done
hutch rm -af >/dev/null 2>&1 || true
podman_ rm -af -t 0 >/dev/null 2>&1 || true
podman_ system reset -f >/dev/null 2>&1 || true
rm -rf "$WORK" 2>/dev/null || true
