# The test rig, sourced by tests/run and tests/rig-up (as root):
# packages, device modes, test users with and without subordinate ids, a CA, registries on
# loopback, the auth/fault proxies, and the fixture images pushed into them.
#
#   127.0.0.1:5000  docker-registry, plain HTTP, no auth (fixtures)
#   127.0.0.1:5001  docker-registry, HTTPS (rig CA) + htpasswd testuser:testpass (private/basic)
#   127.0.0.1:5002  authproxy.py bearer tokens in front of :5000
#   127.0.0.1:5003  authproxy.py faults (503/reset/429/corruption/trickle) in front of :5000

RIG=${HUTCH_TEST_RIG:-/var/tmp/hutch-rig}
TEST_USER=${HUTCH_TEST_USER:-hutchtest}
NOSUB_USER=${HUTCH_TEST_NOSUB_USER:-hutchnosub}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PACKAGES=(uidmap passt slirp4netns fuse-overlayfs docker-registry busybox-static apache2-utils zstd
          openssl python3 curl util-linux procps podman runc bc bsdutils libseccomp-dev pkg-config zsh man-db groff-base
          gcc libc6-dev tzdata iproute2 skopeo umoci python3-venv catatonit iptables strace git debootstrap)

log() { echo "rig: $*" >&2; }

rig_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
        # Debian's docker-registry may start its own service on :5000: stop it through its init
        # system (the rig starts its own registries).
        if command -v systemctl >/dev/null && systemctl is-active -q docker-registry 2>/dev/null; then
            systemctl stop docker-registry || true
        elif [ -x /etc/init.d/docker-registry ]; then
            /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
        fi
    fi
}

rig_devices() {
    # Distributions ship these 0666; this VM has them 0600.
    for d in /dev/net/tun /dev/fuse; do [ -e "$d" ] && chmod 0666 "$d"; done
    return 0
}

set_subids() { # user start count
    # Written to a temp file and renamed, so no reader ever sees the user without its range.
    local f
    for f in /etc/subuid /etc/subgid; do
        touch "$f"
        { grep -v "^$1:" "$f" || true; [ -z "${2:-}" ] || echo "$1:$2:$3"; } > "$f.hutch-tmp"
        chmod 0644 "$f.hutch-tmp"
        mv "$f.hutch-tmp" "$f"
    done
    return 0
}

rig_users() {
    id "$TEST_USER" >/dev/null 2>&1 || useradd -m -u 4711 -s /bin/bash "$TEST_USER"
    id "$NOSUB_USER" >/dev/null 2>&1 || useradd -m -u 4712 -s /bin/bash "$NOSUB_USER"
    set_subids "$TEST_USER" 200000 65536
    set_subids "$NOSUB_USER"
    # runc gives every container a session keyring: the kernel's default quota (200 keys per
    # user) runs out when the suites and benches run podman many times at once ("unable to
    # create session key: disk quota exceeded").
    sysctl -q -w kernel.keys.maxkeys=20000 kernel.keys.maxbytes=2000000 2>/dev/null || true
    # A client address that is neither loopback nor the host's own interface address (which
    # pasta copies into its namespaces): tests/netfast.rs connects to published ports from it
    # and checks the container sees it. On lo, as the test machine has no dummy driver.
    ip addr replace 198.51.100.7/32 dev lo 2>/dev/null || true
}

rig_certs() {
    mkdir -p "$RIG"
    chmod 0755 "$RIG"
    if [ ! -s "$RIG/server.crt" ]; then
        log "making a CA and a certificate for 127.0.0.1"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=hutch test CA" \
            -keyout "$RIG/ca.key" -out "$RIG/ca.crt" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$RIG/server.key" -out "$RIG/server.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$RIG/server.ext"
        openssl x509 -req -in "$RIG/server.csr" -CA "$RIG/ca.crt" -CAkey "$RIG/ca.key" -CAcreateserial \
            -days 3650 -extfile "$RIG/server.ext" -out "$RIG/server.crt" 2>/dev/null
    fi
    htpasswd -Bbn testuser testpass > "$RIG/htpasswd" 2>/dev/null
    chmod 0644 "$RIG/ca.crt"
}

rig_stop() {
    # Only what the rig started, by pid (recorded by bg); never by name.
    if [ -f "$RIG/pids" ]; then
        local pid
        while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$RIG/pids"
        for _ in $(seq 1 30); do
            local alive=0
            while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$RIG/pids"
            ((alive)) || break
            sleep 0.1
        done
        rm -f "$RIG/pids"
    fi
    return 0
}

registry_config() { # name addr [tls]
    local dir="$RIG/reg-$1"
    mkdir -p "$dir/data"
    {
        echo "version: 0.1"
        echo "log: {level: error}"
        echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
        echo "http:"
        echo "  addr: $2"
        if [ "${3:-}" = tls ]; then
            echo "  tls: {certificate: $RIG/server.crt, key: $RIG/server.key}"
        fi
        if [ "${3:-}" = tls ]; then
            echo "auth: {htpasswd: {realm: hutch-test, path: $RIG/htpasswd}}"
        fi
    } > "$dir/config.yml"
    echo "$dir/config.yml"
}

wait_http() { # url
    for _ in $(seq 1 100); do
        curl -sk -o /dev/null "$1" && return 0
        sleep 0.1
    done
    log "$1 did not come up"
    return 1
}

bg() { # log command...
    local logf=$1
    shift
    setsid "$@" >"$logf" 2>&1 < /dev/null &
    echo $! >> "$RIG/pids"
}

rig_start() {
    rig_stop
    bg "$RIG/reg-plain.log" docker-registry serve "$(registry_config plain 127.0.0.1:5000)"
    bg "$RIG/reg-auth.log" docker-registry serve "$(registry_config auth 127.0.0.1:5001 tls)"
    bg "$RIG/bearer.log" python3 "$HERE/fixtures/authproxy.py" --mode bearer --port 5002
    bg "$RIG/flaky.log" python3 "$HERE/fixtures/authproxy.py" --mode flaky --port 5003
    wait_http http://127.0.0.1:5000/v2/
    wait_http https://127.0.0.1:5001/v2/
    wait_http http://127.0.0.1:5002/v2/
    wait_http http://127.0.0.1:5003/v2/
}

rig_fixtures() {
    log "pushing fixture images"
    python3 "$HERE/fixtures/mkimages.py" --registry 127.0.0.1:5000 > "$RIG/fixtures.txt"
    python3 "$HERE/fixtures/mkimages.py" --registry 127.0.0.1:5001 --scheme https --cafile "$RIG/ca.crt" \
        --user testuser --password testpass --private >> "$RIG/fixtures.txt"
}

# kubernetes-validate (PyPI) checks `kube generate`'s YAML against Kubernetes' OpenAPI schemas
# (tests/kube.rs runs $RIG/kubeval/bin/kubernetes-validate).
rig_kubeval() {
    [ -x "$RIG/kubeval/bin/kubernetes-validate" ] && return
    log "installing kubernetes-validate in $RIG/kubeval"
    mkdir -p "$RIG"
    python3 -m venv "$RIG/kubeval"
    "$RIG/kubeval/bin/pip" install -q kubernetes-validate
}

# A Debian base image for the build corpus (tests/build_corpus.rs): debootstrap --variant=minbase
# bookworm from the Debian mirror apt uses, made once and cached as $RIG/debian-bookworm/rootfs.tar
# (a re-run only pushes it again), imported with umoci and pushed with skopeo as
# 127.0.0.1:5000/fixtures/debian:bookworm.
rig_debian() {
    local d=$RIG/debian-bookworm mirror
    mkdir -p "$d"
    if [ ! -s "$d/rootfs.tar" ]; then
        # Either file may be missing (deb822-only machines have no sources.list): grep then
        # exits 2 even when the other one matched, so its status must not end the rig.
        mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null | head -1 | tr -d ' ' || true)
        log "debootstrap bookworm (minbase) from ${mirror:-http://deb.debian.org/debian}"
        rm -rf "$d/rootfs.tmp"
        debootstrap --variant=minbase bookworm "$d/rootfs.tmp" "${mirror:-http://deb.debian.org/debian}" >"$d/debootstrap.log" 2>&1
        rm -rf "$d/rootfs.tmp"/var/cache/apt/archives/*.deb "$d/rootfs.tmp"/var/lib/apt/lists/* "$d/rootfs.tmp"/var/log/* \
            "$d/rootfs.tmp"/var/cache/ldconfig/aux-cache
        tar --numeric-owner --xattrs --sort=name -C "$d/rootfs.tmp" -cf "$d/rootfs.tar.tmp" .
        mv "$d/rootfs.tar.tmp" "$d/rootfs.tar"
        rm -rf "$d/rootfs.tmp"
    fi
    if [ ! -s "$d/layout/index.json" ]; then
        rm -rf "$d/layout"
        umoci init --layout "$d/layout"
        umoci new --image "$d/layout:bookworm"
        umoci raw add-layer --image "$d/layout:bookworm" "$d/rootfs.tar"
        umoci config --image "$d/layout:bookworm" --config.cmd bash \
            --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    fi
    skopeo copy -q --dest-tls-verify=false "oci:$d/layout:bookworm" docker://127.0.0.1:5000/fixtures/debian:bookworm
}

rig_up() {
    rig_packages
    rig_kubeval
    rig_devices
    rig_users
    rig_certs
    rig_start
    rig_fixtures
    rig_debian
    export HUTCH_TEST_USER=$TEST_USER HUTCH_TEST_NOSUB_USER=$NOSUB_USER HUTCH_TEST_RIG=$RIG
    log "up: registries on 127.0.0.1:5000-5003, users $TEST_USER and $NOSUB_USER"
}
