//! A container's network helper (pasta or slirp4netns): started by whoever starts the container
//! (the CLI, or the monitor for -d) once the id maps are written, attached to the container's
//! namespaces by pid, watched until it is ready (its status and stderr checked), and killed and
//! reaped when the container is gone. It is tied to its parent with PR_SET_PDEATHSIG, so a
//! crash of hutch or of the monitor never leaves it behind either.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags};

use super::Plan;
use crate::error::{Context, Result};
use crate::spec::network::{self, Mode, PortMapping, Protocol};
use crate::sys::process;

/// A running helper; dropping it stops it.
pub struct Helper {
    name: &'static str,
    child: std::process::Child,
    pidfd: OwnedFd,
    cleanup: Vec<PathBuf>,
    /// Our end of the ready pipe, kept open while the helper may still write to it.
    hold: Option<OwnedFd>,
    log: PathBuf,
    /// slirp4netns's TCP ports: hutch's own forwarder (see portfwd).
    forwarder: Option<std::process::Child>,
}

impl Helper {
    /// Send SIGKILL: neither helper keeps state worth a graceful exit (and pasta is slow to
    /// honour SIGTERM).
    pub fn kill(&mut self) {
        let _ = process::pidfd_send_signal(&self.pidfd, nix::sys::signal::Signal::SIGKILL);
        if let Some(f) = &mut self.forwarder {
            let _ = f.kill();
        }
    }

    /// Kill and wait until it is gone.
    pub fn stop(mut self) {
        self.kill();
        let _ = self.child.wait();
        if let Some(f) = &mut self.forwarder {
            let _ = f.wait();
        }
    }
}

impl Drop for Helper {
    /// Kill, and reap if it is already gone. Its exit takes the kernel a while (pasta: 15-40
    /// ms, tearing down the tap device), which a foreground `run` does not wait for: the
    /// killed helper is reaped by whoever inherits it once hutch exits.
    fn drop(&mut self) {
        // It died on its own while the container ran: say so (our SIGKILL leaves no code).
        if let Ok(Some(status)) = self.child.try_wait() {
            if status.code().is_some() {
                crate::output::note(&format!(
                    "warning: {} exited early ({status}){}",
                    self.name,
                    said(&self.log)
                ));
            }
        }
        self.kill();
        let _ = self.child.try_wait();
        if let Some(f) = &mut self.forwarder {
            let _ = f.try_wait();
        }
        let _ = self.hold.take();
        for p in &self.cleanup {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A helper that was started and is not known to be ready yet.
pub struct Starting {
    helper: Helper,
    mode: Mode,
    ready: OwnedFd,
    api: Option<PathBuf>,
    ports: Vec<PortMapping>,
}

/// Bind the published host ports, refusing ones already taken before anything is started
/// (the helpers themselves only warn, pasta, or fail late, slirp4netns). With `keep_tcp` the
/// TCP sockets are kept, each with the container port it leads to (hutch's own forwarder
/// serves them); otherwise all are closed again for the helper to bind.
pub fn bind_ports(ports: &[PortMapping], keep_tcp: bool) -> Result<Vec<(std::net::TcpListener, u16)>> {
    use std::net::{SocketAddr, TcpListener, UdpSocket};
    let mut kept = Vec::new();
    for p in ports {
        let ip = bind_ip(&p.host_ip).ctx(|| format!("-p {}: bad address", p.display()))?;
        for (host, ctr) in p.pairs() {
            let addr = SocketAddr::new(ip, host);
            let r = if p.protocol == Protocol::Udp {
                UdpSocket::bind(addr).map(drop)
            } else {
                TcpListener::bind(addr).map(|l| {
                    if keep_tcp {
                        kept.push((l, ctr));
                    }
                })
            };
            if let Err(e) = r {
                let why = if e.kind() == std::io::ErrorKind::AddrInUse {
                    "is already in use".to_string()
                } else {
                    format!("cannot be bound: {e}")
                };
                let low = if host < 1024 && e.kind() == std::io::ErrorKind::PermissionDenied {
                    " (ports below 1024 need `sysctl net.ipv4.ip_unprivileged_port_start`)"
                } else {
                    ""
                };
                // The container exists but cannot start: Podman's exit status for that, 126
                // (`run -d` without --rm leaves it created, as Podman's does).
                return Err(crate::err!(
                    "-p {}: host port {}:{host}/{} {why}{low}",
                    p.display(),
                    if p.host_ip.is_empty() { "0.0.0.0" } else { &p.host_ip },
                    p.protocol
                )
                .classed(crate::error::Class::CannotInvoke));
            }
        }
    }
    Ok(kept)
}

/// The address a `-p` binds on the host: every IPv4 address when none was given.
fn bind_ip(host_ip: &str) -> std::result::Result<std::net::IpAddr, std::net::AddrParseError> {
    if host_ip.is_empty() {
        Ok(std::net::Ipv4Addr::UNSPECIFIED.into())
    } else {
        host_ip.parse()
    }
}

/// A free host port for `-p CONTAINER_PORT` / -P (the kernel's pick of an ephemeral port).
pub fn free_port(host_ip: &str, protocol: Protocol) -> Result<u16> {
    use std::net::{SocketAddr, TcpListener, UdpSocket};
    let what = || {
        format!(
            "finding a free {protocol} port on {}",
            if host_ip.is_empty() { "0.0.0.0" } else { host_ip }
        )
    };
    let addr = SocketAddr::new(bind_ip(host_ip).ctx(what)?, 0);
    let port = if protocol == Protocol::Udp {
        UdpSocket::bind(addr).and_then(|s| s.local_addr())
    } else {
        TcpListener::bind(addr).and_then(|s| s.local_addr())
    }
    .ctx(what)?
    .port();
    Ok(port)
}

/// Whether hutch forwards the container's published TCP ports itself (slirp4netns, unless
/// its `port_handler=slirp4netns` publishes them).
pub fn forwards_tcp(plan: &Plan) -> bool {
    matches!(&plan.spec.network, Mode::Slirp4netns(o) if !o.slirp_port_handler)
}

/// The container's own address and the address that reaches the host's loopback services,
/// as /etc/hosts should name them.
pub fn addresses(mode: &Mode) -> (Option<String>, Option<String>) {
    match mode {
        // The host's loopback through slirp4netns's host address only when allowed; else the
        // host's own address (as Podman's host.containers.internal).
        Mode::Slirp4netns(o) => (
            Some(o.guest().to_string()),
            if o.allow_host_loopback {
                Some(o.host().to_string())
            } else {
                host_ipv4()
            },
        ),
        Mode::Pasta => {
            // pasta copies the host's address and default route; connections to the gateway
            // address are handed to the host's loopback.
            let Some((gw, iface)) = default_route() else {
                return (None, None);
            };
            (iface_ipv4(&iface), Some(gw))
        }
        _ => (None, None),
    }
}

/// The IPv4 default route of the host: (gateway, interface), from /proc/net/route.
fn default_route() -> Option<(String, String)> {
    let text = std::fs::read_to_string("/proc/net/route").ok()?;
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 3 || f[1] != "00000000" {
            return None;
        }
        let gw = u32::from_str_radix(f[2], 16).ok()?;
        Some((std::net::Ipv4Addr::from(gw.to_le_bytes()).to_string(), f[0].to_string()))
    })
}

/// The host's first IPv4 address on an interface that is not a loopback one (`hostname -I`'s
/// first).
fn host_ipv4() -> Option<String> {
    nix::ifaddrs::getifaddrs().ok()?.find_map(|a| {
        if a.flags.contains(nix::net::if_::InterfaceFlags::IFF_LOOPBACK) {
            return None;
        }
        let sin = a.address?.as_sockaddr_in().copied()?;
        let ip = std::net::Ipv4Addr::from(sin.ip());
        (!ip.is_loopback()).then(|| ip.to_string())
    })
}

fn iface_ipv4(name: &str) -> Option<String> {
    nix::ifaddrs::getifaddrs().ok()?.find_map(|a| {
        if a.interface_name != name {
            return None;
        }
        let sin = a.address?.as_sockaddr_in().copied()?;
        Some(std::net::Ipv4Addr::from(sin.ip()).to_string())
    })
}

/// The helper binary `mode` needs (None: it needs none); an error naming the package when it
/// is not installed.
pub fn helper_path(mode: &Mode) -> Result<Option<PathBuf>> {
    let Some((bin, package)) = mode.binary() else {
        return Ok(None);
    };
    match crate::paths::find_in_path(bin) {
        Some(p) => Ok(Some(p)),
        None => crate::bail!(
            "--network {}: {bin} is not installed (install the {package} package, or use --network none)",
            mode.name()
        ),
    }
}

/// Start the helper for the container whose first process is `pid` (its id maps written);
/// `listeners`: the TCP ports `bind_ports` kept for hutch's forwarder.
pub fn start(plan: &Plan, pid: i32, listeners: Vec<(std::net::TcpListener, u16)>) -> Result<Option<Starting>> {
    if helper_path(&plan.spec.network)?.is_none() {
        return Ok(None);
    }
    // The child is still dumpable until it gets "go": open its namespaces now and hand them
    // over as /proc/self/fd paths (afterwards /proc/PID/ns is root's).
    let ns =
        |n: &str| crate::sys::ns::open(pid, n).map_err(|e| crate::err!("opening the container's {n} namespace: {e}"));
    let (userns, netns) = (ns("user")?, ns("net")?);
    start_with(plan, userns, netns, listeners)
}

/// `start` for the network namespace `netns` (a pod member's, made by the helper that joined
/// the pod's namespaces), its owner the user namespace to enter.
pub fn start_in(plan: &Plan, netns: OwnedFd, listeners: Vec<(std::net::TcpListener, u16)>) -> Result<Option<Starting>> {
    if helper_path(&plan.spec.network)?.is_none() {
        return Ok(None);
    }
    let userns = crate::sys::ns::ns_owner(&netns)
        .map_err(|e| crate::err!("finding the user namespace of the container's network namespace: {e}"))?;
    start_with(plan, userns, netns, listeners)
}

fn start_with(
    plan: &Plan,
    userns: OwnedFd,
    netns: OwnedFd,
    listeners: Vec<(std::net::TcpListener, u16)>,
) -> Result<Option<Starting>> {
    let mode = &plan.spec.network;
    let Some(path) = helper_path(mode)? else {
        return Ok(None);
    };
    let log = plan.container_dir.join("network.log");
    let logf = std::fs::File::create(&log).ctx(|| format!("creating {}", log.display()))?;
    let rundir = crate::paths::net_dir();
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&rundir)
            .ctx(|| format!("creating {}", rundir.display()))?;
    }
    let short = &plan.id[..12];
    let fdpath = |f: &OwnedFd| format!("/proc/self/fd/{}", f.as_raw_fd());
    let ns_fds = vec![userns.as_raw_fd(), netns.as_raw_fd()];
    let mut cmd = std::process::Command::new(&path);
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(logf);
    // Both write to a pipe once ready: slirp4netns through --ready-fd, pasta its pid through
    // --pid /proc/self/fd/N (no file to clean up after a crash).
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
    let mut cleanup = Vec::new();
    let mut api = None;
    match mode {
        Mode::Pasta => {
            let resolv = std::fs::read_to_string(plan.container_dir.join("userdata/resolv.conf")).unwrap_or_default();
            cmd.args(pasta_args(
                &plan.spec.ports,
                &network::pasta_dns_forwards(&resolv),
                &fdpath(&w),
            ))
            .args(["--userns", &fdpath(&userns), "--netns", &fdpath(&netns)]);
        }
        _ => {
            // TCP ports go through hutch's forwarder; slirp4netns's API publishes UDP ones (and
            // TCP ones with port_handler=slirp4netns).
            let udp = plan
                .spec
                .ports
                .iter()
                .any(|p| p.protocol == Protocol::Udp || mode.slirp().slirp_port_handler);
            let sock = udp.then(|| rundir.join(format!("{short}.sock")));
            if let Some(s) = &sock {
                let _ = std::fs::remove_file(s);
                cleanup.push(s.clone());
            }
            cmd.args(slirp_args(
                w.as_raw_fd(),
                sock.as_ref().map(|s| s.to_string_lossy()).as_deref(),
                &slirp_outbound(&mode.slirp())?,
                &mode.slirp(),
            ))
            .args([
                "--netns-type=path",
                &format!("--userns-path={}", fdpath(&userns)),
                &fdpath(&netns),
                "tap0",
            ]);
            api = sock;
        }
    }
    process::pre_exec_tie(&mut cmd, [ns_fds, vec![w.as_raw_fd()]].concat());
    let child = cmd
        .spawn()
        .map_err(|e| crate::err!("running {}: {e}", path.display()))?;
    // Only the helper holds the write end now.
    drop(w);
    let mut s = starting(mode.clone(), child, r, log, api, cleanup, &plan.spec.ports)?;
    if !listeners.is_empty() {
        s.helper.forwarder = Some(super::portfwd::start(
            &listeners,
            &userns,
            &netns,
            &mode.slirp().guest().to_string(),
        )?);
    }
    Ok(Some(s))
}

fn starting(
    mode: Mode,
    child: std::process::Child,
    ready: OwnedFd,
    log: PathBuf,
    api: Option<PathBuf>,
    cleanup: Vec<PathBuf>,
    ports: &[PortMapping],
) -> Result<Starting> {
    let name = if mode == Mode::Pasta { "pasta" } else { "slirp4netns" };
    // The child is ours and not yet reaped, so its pid cannot be reused before this.
    let pidfd = process::pidfd_open(nix::unistd::Pid::from_raw(child.id() as i32))
        .map_err(|e| crate::err!("pidfd_open: {e}"))?;
    Ok(Starting {
        helper: Helper {
            name,
            child,
            pidfd,
            cleanup,
            hold: None,
            log,
            forwarder: None,
        },
        mode,
        ready,
        api,
        ports: ports.to_vec(),
    })
}

impl Starting {
    /// What to poll for: the ready signal and the helper's exit.
    pub fn poll_fds(&self) -> [PollFd<'_>; 2] {
        [
            PollFd::new(self.ready.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.helper.pidfd.as_fd(), PollFlags::POLLIN),
        ]
    }

    /// Whether the helper is ready, without blocking; an error (with the helper's own words
    /// from its stderr) when it exited.
    pub fn check(&mut self) -> Result<bool> {
        let mut b = [0u8; 32];
        let eof = match nix::unistd::read(&self.ready, &mut b) {
            Ok(n) if n > 0 => return Ok(true),
            Ok(_) => true,
            Err(_) => false,
        };
        if let Ok(Some(status)) = self.helper.child.try_wait() {
            crate::bail!("{} failed ({status}){}", self.helper.name, self.said());
        }
        if eof {
            // Hung up without a word: its exit, about to come, says why.
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(false)
    }

    /// The helper is ready: publish slirp4netns's ports.
    pub fn ready(self) -> Result<Helper> {
        if let Mode::Slirp4netns(o) = &self.mode {
            if let Some(sock) = &self.api {
                for p in self
                    .ports
                    .iter()
                    .filter(|p| p.protocol == Protocol::Udp || o.slirp_port_handler)
                {
                    for (h, c) in p.pairs() {
                        slirp_request(sock, &slirp_hostfwd(p, h, c, o))
                            .map_err(|e| crate::err!("-p {}: slirp4netns: {}", p.display(), e.message))?;
                    }
                }
            }
        }
        Ok(self.helper)
    }

    /// The container runs before the helper said it is ready (its interface is configured;
    /// what the helper still sets up only delays the first packets). The ready pipe
    /// stays open for the helper to write to (a closed one would kill it with SIGPIPE).
    pub fn detach(mut self) -> Helper {
        self.helper.hold = Some(self.ready);
        self.helper
    }

    pub fn name(&self) -> &'static str {
        self.helper.name
    }

    /// ": <the helper's stderr>" when it said anything.
    fn said(&self) -> String {
        said(&self.helper.log)
    }
}

/// ": <a helper's stderr>" when it said anything.
fn said(log: &Path) -> String {
    let text = log_lines(log);
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// A helper's log on one line ("; " between its lines), without blank lines, pasta's
/// complaints that it has no syslog and hutch's own trace lines.
pub(super) fn log_lines(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("syslog") && !l.starts_with("debug "))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether the container may exec before the helper is ready, and which default routes show
/// that its interface is configured: not when ports are published (they must be listening
/// when `run` returns).
pub fn early_routes(plan: &Plan) -> Option<crate::sys::route::Want> {
    if !plan.spec.ports.is_empty() {
        return None;
    }
    match &plan.spec.network {
        Mode::Pasta => Some(crate::sys::route::Want {
            v4: default_route().is_some(),
            v6: crate::sys::route::host_has_ipv6_default(),
        }),
        Mode::Slirp4netns(_) => Some(crate::sys::route::Want { v4: true, v6: false }),
        _ => None,
    }
}

/// One request on slirp4netns's API socket (one connection each).
fn slirp_request(sock: &Path, req: &str) -> Result<()> {
    let mut s = std::os::unix::net::UnixStream::connect(sock).ctx(|| format!("connecting to {}", sock.display()))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    s.write_all(req.as_bytes()).ctx(|| "sending the request")?;
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut reply = String::new();
    s.read_to_string(&mut reply).ctx(|| "reading the reply")?;
    let v: serde_json::Value = serde_json::from_str(&reply).map_err(|_| crate::err!("unexpected reply {reply:?}"))?;
    if let Some(e) = v.get("error") {
        crate::bail!("{}", e.get("desc").and_then(|d| d.as_str()).unwrap_or(&e.to_string()));
    }
    Ok(())
}

/// pasta's arguments (before the target pid): configure the namespace, forward DNS sent to
/// `dns_forwards` (see `network::pasta_dns_forwards`), publish the ports, and nothing else (no
/// automatic forwarding in either direction).
pub fn pasta_args(ports: &[PortMapping], dns_forwards: &[&str], ready_file: &str) -> Vec<String> {
    let mut a: Vec<String> = ["--config-net", "--foreground", "--quiet", "--pid", ready_file]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for f in dns_forwards {
        a.extend(["--dns-forward".to_string(), f.to_string()]);
    }
    for proto in ["tcp", "udp"] {
        let flag = if proto == "tcp" { "-t" } else { "-u" };
        let mine: Vec<&PortMapping> = ports.iter().filter(|p| p.protocol.name() == proto).collect();
        if mine.is_empty() {
            a.extend([flag.to_string(), "none".into()]);
        }
        for p in mine {
            let span = |x: u16| {
                if p.range > 1 {
                    format!("{x}-{}", x + (p.range - 1))
                } else {
                    x.to_string()
                }
            };
            let addr = if p.host_ip.is_empty() {
                String::new()
            } else {
                format!("{}/", p.host_ip)
            };
            a.extend([
                flag.to_string(),
                format!("{addr}{}:{}", span(p.host_port), span(p.container_port)),
            ]);
        }
    }
    a.extend(["-T", "none", "-U", "none"].map(String::from));
    a
}

/// slirp4netns's arguments (before the target pid and the interface name); `outbound`: the
/// `--outbound-addr*` arguments (`slirp_outbound`).
pub fn slirp_args(ready_fd: i32, api_socket: Option<&str>, outbound: &[String], o: &network::SlirpOpts) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "--configure".into(),
        format!("--mtu={}", o.mtu.unwrap_or(65520)),
        "--enable-seccomp".into(),
        format!("--ready-fd={ready_fd}"),
    ];
    if !o.allow_host_loopback {
        a.push("--disable-host-loopback".into());
    }
    if let Some(c) = &o.cidr {
        a.push(format!("--cidr={c}"));
    }
    if o.enable_ipv6 {
        a.push("--enable-ipv6".into());
    }
    a.extend(outbound.iter().cloned());
    if let Some(s) = api_socket {
        a.push(format!("--api-socket={s}"));
    }
    a
}

/// slirp4netns's `--outbound-addr=`/`--outbound-addr6=` for the options' addresses, an
/// interface name resolved to its first address of the family (as Podman does).
pub fn slirp_outbound(o: &network::SlirpOpts) -> Result<Vec<String>> {
    let mut a = Vec::new();
    for (want, flag, v6) in [
        (&o.outbound_addr, "outbound_addr", false),
        (&o.outbound_addr6, "outbound_addr6", true),
    ] {
        let Some(v) = want else { continue };
        let addr = if v.parse::<std::net::IpAddr>().is_ok() {
            v.clone()
        } else {
            iface_addr(v, v6).ok_or_else(|| {
                crate::err!(
                    "--network slirp4netns:{flag}={v}: no interface {v} with an {} address",
                    if v6 { "IPv6" } else { "IPv4" }
                )
            })?
        };
        a.push(format!("--{}={addr}", flag.replace('_', "-")));
    }
    Ok(a)
}

/// An interface's first address of the family.
fn iface_addr(name: &str, v6: bool) -> Option<String> {
    if !v6 {
        return iface_ipv4(name);
    }
    nix::ifaddrs::getifaddrs().ok()?.find_map(|a| {
        if a.interface_name != name {
            return None;
        }
        let sin6 = a.address?.as_sockaddr_in6().copied()?;
        Some(sin6.ip().to_string())
    })
}

/// One slirp4netns API request that publishes a port.
pub fn slirp_hostfwd(p: &PortMapping, host_port: u16, container_port: u16, o: &network::SlirpOpts) -> String {
    let ip = if p.host_ip.is_empty() { "0.0.0.0" } else { &p.host_ip };
    serde_json::json!({"execute": "add_hostfwd", "arguments": {
        "proto": p.protocol, "host_addr": ip, "host_port": host_port, "guest_addr": o.guest().to_string(), "guest_port": container_port}})
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::network::tests::pm;

    #[test]
    fn helper_args() {
        let ports = vec![
            pm("", 8080, 80, 1, "tcp"),
            pm("127.0.0.1", 9000, 90, 2, "tcp"),
            pm("", 5353, 53, 1, "udp"),
        ];
        let a = pasta_args(&ports, &[], "/run/x").join(" ");
        assert!(!a.contains("--dns-forward"), "{a}");
        let f = pasta_args(&[], &[network::PASTA_DNS], "/run/x").join(" ");
        assert!(f.contains("--dns-forward 169.254.1.1 "), "{f}");
        assert!(
            a.contains("-t 8080:80 -t 127.0.0.1/9000-9001:90-91 -u 5353:53 -T none -U none"),
            "{a}"
        );
        assert!(pasta_args(&[], &[], "/run/x")
            .join(" ")
            .contains("-t none -u none -T none -U none"));
        let j: serde_json::Value =
            serde_json::from_str(&slirp_hostfwd(&ports[0], 8080, 80, &Default::default())).unwrap();
        assert_eq!(j["arguments"]["host_addr"], "0.0.0.0");
        assert_eq!(j["arguments"]["guest_port"], 80);
    }
}
