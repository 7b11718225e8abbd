#!/usr/bin/env bash
# Networks benchmark (issue 17), hutch against Debian's podman (--runtime runc) side by side, as
# the unprivileged test user, same image (bench/iperf3), same machine. Run as root:
#   [N=100] [PN=N] [PAR=4] [RUNS=20] [SECS=5] [TRIALS=3] [PARTS='density latency throughput'] benches/netdense.sh
# (PN: podman's number of containers for the density line, when N is too many for its time;
# PAR: how many of those starts run at once, as a user or a script would start many: PAR
# parallel streams of `run -d`, each started when the last of its stream returned)
# Prints:
#   - density: N idle `run -d IMG sleep` containers on a user network (hutch: `podman`, its
#     default network; podman: `--network bridge`, its rootless CNI network): how long the N
#     starts took (PAR at a time; failed starts counted), and the summed PSS of each tool's own processes (everything the tool left
#     running except the containers' `sleep`: hutch's monitors, hutch-netns and its pasta;
#     podman's conmons, its rootless network namespace's slirp4netns, rootlessport, the pause
#     process) divided by N;
#   - start latency of `run --rm IMG true` on the network against --network none: each run
#     alone (the shared namespace and its helper start and stop with it), and with the
#     namespace up (one idle container kept on the network: the cost of one more container);
#   - TCP throughput (iperf3 -t SECS, median of TRIALS, Gbit/s): container -> container on one
#     network, container -> the host's loopback (host.containers.internal), host -> a port
#     published from a container on the network, from the host's loopback and from
#     198.51.100.7 (tests/rig.sh puts it on lo: a client that is not loopback, whose address
#     the container sees with hutch); and each ratio hutch/podman. TNET=default measures on
#     each tool's default network instead of a created one (hutch `podman`, podman
#     `--network bridge`; their DNS is off, so container -> container goes to the server's
#     address), C2H_BIND=0.0.0.0
#     C2H_TARGET=ADDR: container -> host to a server on every address, podman's through ADDR
#     (the host's own address: podman's rootless network reaches no loopback service), hutch's
#     through host.containers.internal. HNET/PNET: the --network of hutch/podman instead
#     (e.g. HNET=pasta PNET=slirp4netns:allow_host_loopback=true C2H_TARGET=10.0.2.2), DIRS:
#     only those of c2c c2h h2c h2cx.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
PN=${PN:-$N}
PAR=${PAR:-4}
RUNS=${RUNS:-20}
SECS=${SECS:-5}
TRIALS=${TRIALS:-3}
PARTS=${PARTS:-density latency throughput}
part() { [[ " $PARTS " == *" $1 "* ]]; }
. tests/rig.sh
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ || rig_up
rig_users
command -v iperf3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null
python3 tests/fixtures/mkimages.py --registry 127.0.0.1:5000 --only bench/iperf3 >/dev/null
IMAGE=127.0.0.1:5000/bench/iperf3:latest
. benches/lib.sh
WORK=${WORK:-/var/tmp/hbd}
two_tools
# PCONF: containers.conf text for podman alone, e.g. PCONF='[engine]
# network_cmd_options = ["allow_host_loopback=true"]' (its rootless network namespace's
# slirp4netns then reaches the host's loopback at 10.0.2.2, as Podman 4.3 reads it).
[ -n "${PCONF:-}" ] && printf '%s\n' "$PCONF" >"$P/config/containers/containers.conf" && chown "$U" "$P/config/containers/containers.conf"
TOOLS=(hutch)
((HAVE_PODMAN)) && TOOLS+=(podman_)
declare -A NETOF=([hutch]=podman [podman_]=bridge)

pss_kib() { # dir -> summed PSS (KiB) of the processes started with dir's XDG_RUNTIME_DIR, but the containers' sleep
    local marker="XDG_RUNTIME_DIR=$1/run" total=0 pid comm p
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        comm=$(cat /proc/$pid/comm 2>/dev/null) || continue
        [ "$comm" = sleep ] && continue
        tr '\0' '\n' 2>/dev/null < /proc/$pid/environ | grep -qx "$marker" || continue
        p=$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup 2>/dev/null || echo 0)
        total=$((total + ${p:-0}))
    done
    echo $total
}
procs_of() { # dir -> "comm count" lines
    local marker="XDG_RUNTIME_DIR=$1/run" pid
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        comm=$(cat /proc/$pid/comm 2>/dev/null) || continue
        [ "$comm" = sleep ] && continue
        tr '\0' '\n' 2>/dev/null < /proc/$pid/environ | grep -qx "$marker" && echo "$comm"
    done | sort | uniq -c | tr '\n' ' '
}

declare -A PSS
part density && echo "density: $N idle run -d containers on the default network"
part density && for t in "${TOOLS[@]}"; do
    name=${t%_}
    d=$H; n=$N; [ $name = podman ] && d=$P && n=$PN
    rm -f "$WORK"/stream.*
    t0=$(date +%s%N)
    for s in $(seq 1 "$PAR"); do
        (for i in $(seq "$s" "$PAR" "$n"); do
            $t run -d --network "${NETOF[$t]}" "$IMAGE" sleep 1d >/dev/null 2>>"$WORK/starts.err" || echo fail
        done) >"$WORK/stream.$s" &
    done
    wait
    t1=$(date +%s%N)
    fails=$(cat "$WORK"/stream.* | grep -c fail || true)
    sleep 2
    kib=$(pss_kib "$d")
    PSS[$name]=$((kib / n))
    printf '  %-7s %d starts (%d at a time, %d failed) in %.1f s; PSS of its processes %d KiB = %d KiB per container (%s)\n' \
        "$name" "$n" "$PAR" "$fails" "$(echo "($t1 - $t0) / 1000000000" | bc -l)" "$kib" "$((kib / n))" "$(procs_of "$d")"
    if [ $name = hutch ]; then hutch rm -af >/dev/null 2>&1; else podman_ rm -af -t 0 >/dev/null 2>&1; fi
done
if part density && ((HAVE_PODMAN)); then
    printf '  ratio hutch/podman PSS per container: %.2f\n' "$(echo "${PSS[hutch]} / ${PSS[podman]}" | bc -l)"
fi

part latency && echo "start latency: run --rm $IMAGE true, $RUNS runs each"
part latency && for t in "${TOOLS[@]}"; do
    name=${t%_}
    none=$(series "$name --network none" $t run --rm --network none "$IMAGE" true)
    # Each run cold: the hutch-netns of the one before has gone (it closes shortly after).
    between=true; [ $name = hutch ] && between=netns_gone
    m=$(BETWEEN=$between series "$name --network ${NETOF[$t]}" $t run --rm --network "${NETOF[$t]}" "$IMAGE" true)
    printf '  %s --network %s adds %.1f ms over --network none\n' "$name" "${NETOF[$t]}" "$(echo "$m - $none" | bc -l)"
    $t run -d --name idle --network "${NETOF[$t]}" "$IMAGE" sleep 1d >/dev/null
    none=$(series "$name --network none (one idle)" $t run --rm --network none "$IMAGE" true)
    m=$(series "$name --network ${NETOF[$t]} (namespace up)" $t run --rm --network "${NETOF[$t]}" "$IMAGE" true)
    printf '  %s --network %s with its namespace up adds %.1f ms over --network none\n' "$name" "${NETOF[$t]}" "$(echo "$m - $none" | bc -l)"
    if [ $name = hutch ]; then hutch rm -f idle >/dev/null 2>&1; else podman_ rm -f -t 0 idle >/dev/null 2>&1; fi
done

gbits() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))'; }
c2c() { # tool network -> Gbit/s container -> container on the network
    local out srv=iperf-srv
    $1 run -d --name iperf-srv --network "$2" "$IMAGE" iperf3 -s -p 5201 >/dev/null
    sleep 1
    # The default networks have no DNS: the server's address.
    local key=$2
    [ "$2" = bridge ] && key=podman # podman's inspect names its default network podman
    [ "${TNET:-}" = default ] && srv=$($1 inspect --format "{{(index .NetworkSettings.Networks \"$key\").IPAddress}}" iperf-srv)
    out=$($1 run --rm --network "$2" "$IMAGE" sh -c "sleep 1; exec iperf3 -J -t $SECS -c $srv -p 5201" 2>/dev/null || true)
    $1 rm -f iperf-srv >/dev/null 2>&1 || true
    echo "$out" | gbits 2>/dev/null || echo n/a
}
c2h() { # tool network -> Gbit/s container -> a server on the host's loopback
    local port=$((20000 + RANDOM % 10000)) srv out
    as_user "$H" iperf3 -s -1 -B "${C2H_BIND:-127.0.0.1}" -p "$port" >/dev/null 2>&1 &
    srv=$!
    sleep 0.3
    # hutch's namespaces reach the host's services through host.containers.internal (pasta's
    # gateway address, which it maps to the host's loopback; the host's own address is the
    # namespace's own under pasta).
    local target=host.containers.internal
    [ "$1" = podman_ ] && target=${C2H_TARGET:-host.containers.internal}
    out=$($1 run --rm --network "$2" "$IMAGE" sh -c "sleep 1; exec iperf3 -J -t $SECS -c $target -p $port" 2>/dev/null || true)
    kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true
    echo "$out" | gbits 2>/dev/null || echo n/a
}
h2c() { # tool network -> Gbit/s host -> a server in a container through -p
    local hp=$((30000 + RANDOM % 10000)) g
    $1 run -d --name iperf-srv --network "$2" -p "$hp:5201" "$IMAGE" iperf3 -s -p 5201 >/dev/null
    sleep 1
    g=$(iperf3 -J -t "$SECS" -c 127.0.0.1 -p "$hp" ${FROM:+-B "$FROM"} 2>/dev/null | gbits 2>/dev/null || echo n/a)
    $1 rm -f iperf-srv >/dev/null 2>&1 || true
    echo "$g"
}
h2cx() { FROM=198.51.100.7 h2c "$@"; } # the same from a non-loopback client address
median_of() {
    local v=() i
    for i in $(seq 1 "$TRIALS"); do v+=("$("$@")"); done
    if printf '%s\n' "${v[@]}" | grep -q n/a; then echo n/a; return; fi
    printf '%s\n' "${v[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
part throughput || TOOLS=()
declare -A R
if [ "${TNET:-}" = default ]; then
    part throughput && echo "TCP throughput on each tool's default network (hutch podman, podman bridge), iperf3 -t $SECS, median of $TRIALS (Gbit/s)"
else
    part throughput && echo "TCP throughput on a user network, iperf3 -t $SECS, median of $TRIALS (Gbit/s)"
    part throughput && hutch network create benchnet >/dev/null
    part throughput && ((HAVE_PODMAN)) && podman_ network create benchnet >/dev/null
fi
for t in "${TOOLS[@]}"; do
    name=${t%_}
    net=benchnet
    [ "${TNET:-}" = default ] && net=${NETOF[$t]}
    # HNET/PNET: another --network for hutch/podman (DIRS: which measures, e.g. DIRS=c2h).
    [ $name = hutch ] && net=${HNET:-$net}
    [ $name = podman ] && net=${PNET:-$net}
    for dir in c2c c2h h2c h2cx; do
        R[$name-$dir]=n/a
        [[ " ${DIRS:-c2c c2h h2c h2cx} " == *" $dir "* ]] && R[$name-$dir]=$(median_of $dir "$t" "$net")
    done
    printf '  %-7s container->container %6s   container->host %6s   host->published port %6s (from 198.51.100.7: %s)\n' \
        "$name" "${R[$name-c2c]}" "${R[$name-c2h]}" "${R[$name-h2c]}" "${R[$name-h2cx]}"
done
if part throughput && ((HAVE_PODMAN)); then
    for dir in c2c c2h h2c h2cx; do
        a=${R[hutch-$dir]}; b=${R[podman-$dir]}
        if [[ $a != n/a && $b != n/a ]]; then
            printf '  ratio hutch/podman %s: %.2f\n' "$dir" "$(echo "$a / $b" | bc -l)"
        fi
    done
fi
hutch rm -af >/dev/null 2>&1 || true
podman_ rm -af -t 0 >/dev/null 2>&1 || true
podman_ system reset -f >/dev/null 2>&1 || true
rm -rf "$WORK" 2>/dev/null || true
