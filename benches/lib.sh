# Shared by the benchmarks (sourced after tests/rig.sh and rig_users, in the repository root).

# The release hutch the test user runs: $HUTCH_BIN, or built in $CARGO_TARGET_DIR if missing.
HUTCH=${HUTCH_BIN:-${CARGO_TARGET_DIR:-/var/tmp/hutch-target}/release/hutch}
if [ ! -x "$HUTCH" ]; then
    CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/hutch-target} cargo build --release --locked
fi
chmod -R a+rX "$(dirname "$HUTCH")" 2>/dev/null || true
U=$TEST_USER

as_user() { # dir command... : as the test user, with dir's HOME and XDG directories
    local d=$1; shift
    setpriv --reuid="$U" --regid="$U" --init-groups -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        HOME="$d/home" XDG_DATA_HOME="$d/data" XDG_CONFIG_HOME="$d/config" XDG_RUNTIME_DIR="$d/run" "$@"
}

# Each tool's XDG_RUNTIME_DIR is a tmpfs of its own, as a user's /run/user/UID is (logind):
# the runtime files of both (hutch's live state and locks, podman's runroot) are not written to
# the disk under $WORK. Unmounted when the bench exits (release_runtime_dirs).
release_runtime_dirs() {
    local m
    for m in "$WORK"/hutch/run "$WORK"/podman/run; do
        if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
    done
}

# hutch and podman side by side under $WORK, both trusting the loopback registry over plain
# HTTP; sets H, P, hutch(), podman_() and HAVE_PODMAN, with $IMAGE pulled by each.
two_tools() {
    release_runtime_dirs
    rm -rf "$WORK"; mkdir -p "$WORK"/{hutch,podman}
    for d in "$WORK"/hutch "$WORK"/podman; do
        mkdir -p "$d"/{home,data,config/containers,run}
        mount -t tmpfs -o mode=700,size=256m tmpfs "$d/run"
        printf '[[registry]]\nlocation = "127.0.0.1:5000"\ninsecure = true\n' > "$d/config/containers/registries.conf"
    done
    trap release_runtime_dirs EXIT
    chown -R "$U" "$WORK"
    H=$WORK/hutch
    P=$WORK/podman
    hutch pull -q "$IMAGE" >/dev/null
    HAVE_PODMAN=0
    if command -v podman >/dev/null && podman_ pull -q --tls-verify=false "$IMAGE" >/dev/null 2>&1; then HAVE_PODMAN=1; fi
}
hutch() { as_user "$H" "$HUTCH" "$@"; }
podman_() { as_user "$P" podman --runtime runc --root "$P/storage" --runroot "$P/run/storage" --storage-driver overlay "$@"; }

# Start-latency timing.
ms_of() { # command... -> milliseconds of one run
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@" >&2 || true; exit 1; }
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}
stats() { # -> "median p90" in ms from microseconds on stdin
    sort -n | awk '{a[NR]=$1} END {m=(NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); p=a[int(NR*0.9+0.5)]; printf "%.1f %.1f", m/1000, p/1000}'
}
netns_gone() { # until hutch's shared network namespace of the last run has closed (its socket gone)
    # and the kernel has torn it down: deleting its bridge waits for an RCU barrier while holding
    # the kernel's rtnl lock (br_multicast_dev_del), 20-80 ms here, and the next run's first
    # network namespace waits for that lock. A run started within that time pays the previous
    # one's teardown, not its own start (a cold start here is a start with nothing else going on).
    local i
    for i in $(seq 1 200); do [ -e "$H/run/hutch/net/shared.sock" ] || break; sleep 0.05; done
    sleep 0.2
}

series() { # label command... -> prints the line (stderr), echoes the median; $RUNS runs
    # ($BETWEEN, when set, is a command run untimed before each run)
    local label=$1; shift
    "$@" >/dev/null 2>&1 || true # warm-up
    local out
    out=$(for _ in $(seq 1 "$RUNS"); do ${BETWEEN:-true}; ms_of "$@"; done | stats)
    printf '%-36s median %7.1f ms   p90 %7.1f ms\n' "$label" ${out% *} ${out#* } >&2
    echo "${out% *}"
}

# Two series run alternately, run for run (run_a, then run_b, each after $BETWEEN), after one
# untimed run of each: on this noisy machine two medians taken minutes apart drift by more than
# the few milliseconds between them. Prints both lines (stderr), echoes "median_a median_b".
pair_series() { # label_a label_b (the caller defines run_a and run_b)
    local la=$1 lb=$2 ta tb a b
    run_a >/dev/null 2>&1 || true
    run_b >/dev/null 2>&1 || true
    ta=$(mktemp)
    tb=$(mktemp)
    for _ in $(seq 1 "$RUNS"); do
        ${BETWEEN:-true}
        ms_of run_a >>"$ta"
        ${BETWEEN:-true}
        ms_of run_b >>"$tb"
    done
    a=$(stats <"$ta")
    b=$(stats <"$tb")
    rm -f "$ta" "$tb"
    printf '%-36s median %7.1f ms   p90 %7.1f ms\n' "$la" ${a% *} ${a#* } >&2
    printf '%-36s median %7.1f ms   p90 %7.1f ms\n' "$lb" ${b% *} ${b#* } >&2
    echo "${a% *} ${b% *}"
}
