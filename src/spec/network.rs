//! Container networking as data (*what*): the modes, published ports, /etc/resolv.conf and
//! /etc/hosts. Pure (the host's facts come in as arguments), so every rule is unit-tested;
//! runtime/net.rs (*how*) builds the helpers' command lines and starts and stops them.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The address pasta answers DNS on (forwarded to the host's first IPv4 resolver), as in Podman.
pub const PASTA_DNS: &str = "169.254.1.1";
/// Its IPv6 twin (forwarded to the host's first IPv6 resolver), used only when the host has no
/// IPv4 resolver: a unique local address no network uses (RFC 4193, random global id).
pub const PASTA_DNS6: &str = "fd3a:5c1e:94d7::53";

/// The stored mode of a container disconnected from its last network.
pub const NO_NETWORK: &str = "bridge:";

/// How a container is networked. Stored as its name (`pasta`, `ns:/path`, `container:ID`…).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Mode {
    /// Its own network namespace with only `lo`.
    #[default]
    None,
    /// The user's own network namespace.
    Host,
    /// Its own namespace, connected by pasta (passt package).
    Pasta,
    /// Its own namespace, connected by slirp4netns (with Podman's `slirp4netns:OPT=V,…` options).
    Slirp4netns(SlirpOpts),
    /// An existing network namespace (a path like /proc/PID/ns/net or a bind mount of one).
    Ns(String),
    /// Another container's network namespace (`container:NAME`; the id once created).
    Container(String),
    /// User-defined networks (`--network NAME[,NAME2]`, `podman` being the default one): a veth
    /// into each network's bridge in the user's shared network namespace.
    Bridge(Vec<String>),
}

impl Mode {
    pub fn parse(s: &str) -> Result<Mode> {
        Ok(match s {
            "none" => Mode::None,
            "host" => Mode::Host,
            "pasta" => Mode::Pasta,
            "slirp4netns" => Mode::Slirp4netns(SlirpOpts::default()),
            s if s.starts_with("slirp4netns:") => Mode::Slirp4netns(SlirpOpts::parse(&s["slirp4netns:".len()..])?),
            s if s.starts_with("ns:") => {
                let path = &s[3..];
                if !path.starts_with('/') {
                    crate::bail!("--network {s}: expected ns:PATH with an absolute path to a network namespace");
                }
                Mode::Ns(path.to_string())
            }
            s if s.starts_with("container:") => {
                if s.len() == "container:".len() {
                    crate::bail!("--network {s}: expected container:NAME");
                }
                Mode::Container(s["container:".len()..].to_string())
            }
            // Podman's name for its default network.
            "bridge" => Mode::Bridge(vec![DEFAULT_NETWORK.to_string()]),
            // A container of the networks on none of them (`network disconnect` of its last):
            // stored so, refused at create.
            NO_NETWORK => Mode::Bridge(vec![]),
            // Resolved by the caller (`private_mode`): pasta where it is installed.
            "private" => {
                crate::bail!("--network {s}: not a stored network mode (pasta, slirp4netns or none)")
            }
            names if names.split(',').all(valid_network_name) => {
                let mut v: Vec<String> = Vec::new();
                for n in names.split(',') {
                    if !v.iter().any(|x| x == n) {
                        v.push(n.to_string());
                    }
                }
                Mode::Bridge(v)
            }
            other => crate::bail!("--network {other}: unknown network mode (use pasta, slirp4netns, none, host, ns:PATH, container:NAME or the name of a network)"),
        })
    }

    pub fn name(&self) -> String {
        match self {
            Mode::None => "none".into(),
            Mode::Host => "host".into(),
            Mode::Pasta => "pasta".into(),
            Mode::Slirp4netns(o) if *o == SlirpOpts::default() => "slirp4netns".into(),
            Mode::Slirp4netns(o) => format!("slirp4netns:{}", o.name()),
            Mode::Ns(p) => format!("ns:{p}"),
            Mode::Container(c) => format!("container:{c}"),
            Mode::Bridge(v) if v.is_empty() => NO_NETWORK.into(),
            Mode::Bridge(v) => v.join(","),
        }
    }

    /// A helper process connects the container's namespace to the outside.
    pub fn has_helper(&self) -> bool {
        matches!(self, Mode::Pasta | Mode::Slirp4netns(_))
    }

    /// The mode's kind without its options (`slirp4netns` for `slirp4netns:cidr=…`), as
    /// Podman's `inspect` names it.
    pub fn kind(&self) -> String {
        match self {
            Mode::Slirp4netns(_) => "slirp4netns".into(),
            m => m.name(),
        }
    }

    /// slirp4netns's options (the defaults for other modes).
    pub fn slirp(&self) -> SlirpOpts {
        match self {
            Mode::Slirp4netns(o) => o.clone(),
            _ => SlirpOpts::default(),
        }
    }

    /// The binary the mode needs, and the Debian package that has it.
    pub fn binary(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Mode::Pasta => Some(("pasta", "passt")),
            Mode::Slirp4netns(_) => Some(("slirp4netns", "slirp4netns")),
            _ => None,
        }
    }
}

impl TryFrom<String> for Mode {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Mode, String> {
        Mode::parse(&s).map_err(|e| e.message)
    }
}

impl From<Mode> for String {
    fn from(m: Mode) -> String {
        m.name()
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// slirp4netns's options, Podman's `--network slirp4netns:OPT=V,…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlirpOpts {
    /// `allow_host_loopback=true`: the host's address in the subnet (.2) reaches the host's
    /// loopback (off by default, as in Podman: the host's loopback services stay private).
    pub allow_host_loopback: bool,
    /// `cidr=`: the subnet (10.0.2.0/24 by default): .2 the host, .3 the DNS forwarder, .100
    /// the container.
    pub cidr: Option<Cidr>,
    /// `enable_ipv6=true`.
    pub enable_ipv6: bool,
    /// `mtu=` (65520 by default).
    pub mtu: Option<u32>,
    /// `outbound_addr=`/`outbound_addr6=`: the host address (or interface) outgoing
    /// connections are bound to.
    pub outbound_addr: Option<String>,
    pub outbound_addr6: Option<String>,
    /// `port_handler=slirp4netns`: published TCP ports through slirp4netns's own API (the
    /// container sees connections from the host's address in the subnet) instead of hutch's
    /// forwarder (`rootlesskit`, the default: the container sees its own address).
    pub slirp_port_handler: bool,
}

/// The default subnet of slirp4netns.
const SLIRP_CIDR: Cidr = Cidr {
    addr: std::net::Ipv4Addr::new(10, 0, 2, 0),
    prefix: 24,
};

impl SlirpOpts {
    /// `OPT=V,OPT=V…` (what follows `slirp4netns:`).
    pub fn parse(s: &str) -> Result<SlirpOpts> {
        SlirpOpts::parse_as(s, &format!("--network slirp4netns:{s}: "))
    }

    /// `parse`, its errors said after `what` (which names where the options came from).
    pub fn parse_as(s: &str, what: &str) -> Result<SlirpOpts> {
        let mut o = SlirpOpts::default();
        let bad = |why: &str| crate::err!("{what}{why}");
        let boolean = |k: &str, v: &str| match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(bad(&format!("{k}={v}: expected true or false"))),
        };
        for kv in s.split(',') {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(bad(&format!("{kv:?}: expected OPTION=VALUE")));
            };
            match k {
                "allow_host_loopback" => o.allow_host_loopback = boolean(k, v)?,
                "enable_ipv6" => o.enable_ipv6 = boolean(k, v)?,
                "cidr" => {
                    let c = Cidr::parse(v)
                        .filter(|c| c.prefix <= 25)
                        .ok_or_else(|| bad(&format!("cidr={v}: expected an IPv4 subnet A.B.C.D/N with N from 8 to 25")))?;
                    o.cidr = Some(c);
                }
                "mtu" => {
                    let m: u32 = v
                        .parse()
                        .ok()
                        .filter(|m| (68..=65521).contains(m))
                        .ok_or_else(|| bad(&format!("mtu={v}: expected a number from 68 to 65521")))?;
                    o.mtu = Some(m);
                }
                "outbound_addr" | "outbound_addr6" => {
                    let v6 = k == "outbound_addr6";
                    let ok = match v.parse::<IpAddr>() {
                        Ok(a) => a.is_ipv6() == v6,
                        Err(_) => valid_interface_name(v),
                    };
                    if !ok {
                        return Err(bad(&format!(
                            "{k}={v}: expected an {} address or an interface name",
                            if v6 { "IPv6" } else { "IPv4" }
                        )));
                    }
                    if v6 {
                        o.outbound_addr6 = Some(v.into());
                    } else {
                        o.outbound_addr = Some(v.into());
                    }
                }
                "port_handler" => {
                    o.slirp_port_handler = match v {
                        "slirp4netns" => true,
                        "rootlesskit" => false,
                        _ => return Err(bad(&format!("port_handler={v}: expected rootlesskit or slirp4netns"))),
                    }
                }
                _ => return Err(bad(&format!("unknown option {k:?} (allow_host_loopback, cidr, enable_ipv6, mtu, outbound_addr, outbound_addr6, port_handler)"))),
            }
        }
        Ok(o)
    }

    /// The options as `parse` reads them back.
    pub fn name(&self) -> String {
        let mut v = Vec::new();
        if self.allow_host_loopback {
            v.push("allow_host_loopback=true".to_string());
        }
        if let Some(c) = &self.cidr {
            v.push(format!("cidr={c}"));
        }
        if self.enable_ipv6 {
            v.push("enable_ipv6=true".into());
        }
        if let Some(m) = self.mtu {
            v.push(format!("mtu={m}"));
        }
        if let Some(a) = &self.outbound_addr {
            v.push(format!("outbound_addr={a}"));
        }
        if let Some(a) = &self.outbound_addr6 {
            v.push(format!("outbound_addr6={a}"));
        }
        if self.slirp_port_handler {
            v.push("port_handler=slirp4netns".into());
        }
        v.join(",")
    }

    pub fn cidr(&self) -> Cidr {
        self.cidr.unwrap_or(SLIRP_CIDR)
    }

    /// The container's address (.100).
    pub fn guest(&self) -> std::net::Ipv4Addr {
        self.cidr().nth(100)
    }

    /// The host's address in the subnet (.2; the host's loopback with allow_host_loopback).
    pub fn host(&self) -> std::net::Ipv4Addr {
        self.cidr().nth(2)
    }

    /// slirp4netns's DNS forwarder (.3).
    pub fn dns(&self) -> std::net::Ipv4Addr {
        self.cidr().nth(3)
    }
}

/// A network interface's name as the kernel allows it.
fn valid_interface_name(n: &str) -> bool {
    !n.is_empty() && n.len() < 16 && n.bytes().all(|c| c.is_ascii_graphic() && c != b'/' && c != b':')
}

/// A published port's protocol. Stored as "tcp" or "udp".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    /// `tcp`/`udp` in any case; None for anything else.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The mode when --network is not given: the default network (`podman`: a veth into the
/// user's shared network namespace, one pasta for every container, as Docker's `bridge` and
/// rootful Podman's `podman` network) when pasta and iptables-restore are installed, else a
/// namespace of the container's own (`private_mode`).
pub fn default_mode(found: &dyn Fn(&str) -> bool) -> (Mode, Option<&'static str>) {
    if found("pasta") && found("iptables-restore") {
        (Mode::Bridge(vec![DEFAULT_NETWORK.to_string()]), None)
    } else {
        private_mode(found)
    }
}

/// `--network private` (and containers.conf `netns = "private"`): a network namespace of the
/// container's own, connected by pasta, else slirp4netns, else none with a notice.
pub fn private_mode(found: &dyn Fn(&str) -> bool) -> (Mode, Option<&'static str>) {
    if found("pasta") {
        (Mode::Pasta, None)
    } else if found("slirp4netns") {
        (Mode::Slirp4netns(SlirpOpts::default()), None)
    } else {
        (
            Mode::None,
            Some(
                "neither pasta nor slirp4netns is installed: the container has no network (install the passt package)",
            ),
        )
    }
}

/// One `-p` rule: `range` consecutive ports from `host_port` to `container_port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// Empty: every host address.
    pub host_ip: String,
    /// 0 until a free port is picked (at create).
    pub host_port: u16,
    pub container_port: u16,
    pub range: u16,
    pub protocol: Protocol,
}

impl PortMapping {
    /// `0.0.0.0:8080->80/tcp` (ranges as `8080-8081->80-81/tcp`), as in `podman ps`.
    pub fn display(&self) -> String {
        let ip = if self.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &self.host_ip
        };
        let span = |p: u16| {
            if self.range > 1 {
                format!("{p}-{}", p + (self.range - 1))
            } else {
                p.to_string()
            }
        };
        format!(
            "{}:{}->{}/{}",
            bracket(ip),
            span(self.host_port),
            span(self.container_port),
            self.protocol
        )
    }

    /// Each single port: (host port, container port).
    pub fn pairs(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        (0..self.range).map(move |i| (self.host_port + i, self.container_port + i))
    }
}

fn bracket(ip: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    }
}

fn port_range(s: &str, what: &str, spec: &str) -> Result<(u16, u16)> {
    let one = |p: &str| -> Result<u16> {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => crate::bail!("-p {spec}: {what} port {p:?} is not a number from 1 to 65535"),
        }
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (one(a)?, one(b)?);
            if b < a {
                crate::bail!("-p {spec}: {what} port range {s} ends before it starts");
            }
            Ok((a, b - a + 1))
        }
        None => Ok((one(s)?, 1)),
    }
}

/// Parse `-p [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|/udp]` (ports may be ranges `A-B`; an IPv6
/// address goes in brackets). A missing host port is 0: a free one is picked at create.
pub fn parse_publish(spec: &str) -> Result<PortMapping> {
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) => match Protocol::parse(p) {
            Some(proto) => (r, proto),
            None => crate::bail!(
                "-p {spec}: protocol {:?} is not supported (use tcp or udp)",
                p.to_ascii_lowercase()
            ),
        },
        None => (spec, Protocol::Tcp),
    };
    // Split off an IP: "[v6]:..." or "a.b.c.d:...:..." (three fields).
    let (host_ip, ports) = if let Some(r) = rest.strip_prefix('[') {
        let (ip, after) = r
            .split_once("]:")
            .ok_or_else(|| crate::err!("-p {spec}: an IPv6 address must be written [ADDR]:HOST_PORT:CONTAINER_PORT"))?;
        (ip.to_string(), after)
    } else if rest.matches(':').count() == 2 {
        let (ip, after) = rest.split_once(':').expect("two colons");
        (ip.to_string(), after)
    } else if rest.matches(':').count() > 2 {
        crate::bail!("-p {spec}: write an IPv6 address in brackets: [ADDR]:HOST_PORT:CONTAINER_PORT");
    } else {
        (String::new(), rest)
    };
    if !host_ip.is_empty() && host_ip.parse::<IpAddr>().is_err() {
        crate::bail!("-p {spec}: {host_ip:?} is not an IP address");
    }
    let (host, ctr) = match ports.split_once(':') {
        Some((h, c)) => (h, c),
        None => ("", ports),
    };
    let (container_port, range) = port_range(ctr, "container", spec)?;
    let host_port = if host.is_empty() {
        if range > 1 {
            crate::bail!("-p {spec}: a container port range needs a host port range of the same size");
        }
        0
    } else {
        let (h, hr) = port_range(host, "host", spec)?;
        if hr != range {
            crate::bail!("-p {spec}: the host range has {hr} ports but the container range has {range}");
        }
        h
    };
    if (container_port as u32 + range as u32 - 1) > 65535 || (host_port as u32 + range as u32 - 1) > 65535 {
        crate::bail!("-p {spec}: the range goes past port 65535");
    }
    Ok(PortMapping {
        host_ip,
        host_port,
        container_port,
        range,
        protocol,
    })
}

/// The image's ExposedPorts (`{"80/tcp": {}}`) as (port, protocol), for -P; other protocols
/// (sctp) are left out.
pub fn exposed_ports(config: &serde_json::Value) -> Vec<(u16, Protocol)> {
    let Some(map) = config
        .get("config")
        .and_then(|c| c.get("ExposedPorts"))
        .and_then(|e| e.as_object())
    else {
        return vec![];
    };
    map.keys()
        .filter_map(|k| {
            let (p, proto) = k.split_once('/').unwrap_or((k, "tcp"));
            Some((p.parse().ok()?, Protocol::parse(proto)?))
        })
        .collect()
}

/// DNS settings from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dns {
    pub servers: Vec<String>,
    pub search: Vec<String>,
    pub options: Vec<String>,
}

fn is_loopback(ns: &str) -> bool {
    ns.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
}

/// The container's /etc/resolv.conf from the host's and the options (`--dns` and
/// containers.conf `dns_servers` replace the servers, `--dns-search` the search list…).
///
/// With pasta the container asks pasta's forwarder, which asks the host's first resolver from
/// the host's side, so any resolver the host can use works: a loopback stub (127.0.0.53), an
/// address on a host interface (which is the container's own address under pasta), or a LAN or
/// remote one. The host's other resolvers follow, as fallbacks, unless they are loopback ones;
/// the first is never listed directly: Debian 12's pasta (2023-03) gives every reply from it the
/// forwarder's address, so a query sent to it straight gets an answer the client drops (what
/// made lookups time out on hosts with a non-loopback resolver). Hosts with only IPv6 resolvers
/// get the IPv6 forwarder. slirp4netns and the other modes: the host's resolvers minus the
/// loopback ones, which are unreachable from a namespace of their own; when none is left the
/// helper's forwarder (slirp4netns: 10.0.2.3) takes their place.
pub fn resolv_conf(host: &str, mode: &Mode, dns: &Dns) -> String {
    let mut servers = Vec::new();
    let mut search = Vec::new();
    let mut options = Vec::new();
    for line in host.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("nameserver") => servers.extend(w.next().map(String::from)),
            Some("search") | Some("domain") => search = w.map(String::from).collect(),
            Some("options") => options.extend(w.map(String::from)),
            _ => {}
        }
    }
    if *mode == Mode::Pasta {
        let family = |s: &String, v6: bool| s.parse::<IpAddr>().is_ok_and(|a| a.is_ipv6() == v6);
        let (fwd, upstream) = match servers.iter().find(|s| family(s, false)) {
            Some(first) => (PASTA_DNS, Some(first.clone())),
            None => match servers.iter().find(|s| family(s, true)) {
                Some(first) => (PASTA_DNS6, Some(first.clone())),
                None => (PASTA_DNS, None),
            },
        };
        let mut list = vec![fwd.to_string()];
        for s in servers {
            if Some(&s) != upstream.as_ref() && !is_loopback(&s) && !list.contains(&s) {
                list.push(s);
            }
        }
        servers = list;
    } else if *mode != Mode::Host {
        servers.retain(|s| !is_loopback(s));
        // slirp4netns's forwarder comes last, as in Podman (it reaches loopback resolvers too).
        if let Mode::Slirp4netns(o) = mode {
            let fwd = o.dns().to_string();
            if !servers.contains(&fwd) {
                servers.push(fwd);
            }
        }
    }
    if !dns.servers.is_empty() {
        servers = dns.servers.clone();
    }
    if !dns.search.is_empty() {
        search = dns.search.iter().filter(|s| *s != ".").cloned().collect();
    }
    if !dns.options.is_empty() {
        options = dns.options.clone();
    }
    let mut out = String::new();
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    for s in &servers {
        out.push_str(&format!("nameserver {s}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    out
}

/// The pasta forwarders a container's resolv.conf names, for pasta's `--dns-forward`: only
/// those, so that with the same old pasta a resolver given with `--dns` that is also the host's
/// first one is not answered from the forwarder's address.
pub fn pasta_dns_forwards(resolv: &str) -> Vec<&'static str> {
    let named = |a: &str| resolv.lines().any(|l| l.split_whitespace().eq(["nameserver", a]));
    [PASTA_DNS, PASTA_DNS6].into_iter().filter(|a| named(a)).collect()
}

/// Parse `--add-host NAME:IP` (`host-gateway` for the host's address); returns (name, ip).
pub fn parse_add_host(s: &str, host_addr: Option<&str>) -> Result<(String, String)> {
    let (name, ip) = s
        .split_once(':')
        .ok_or_else(|| crate::err!("--add-host {s}: expected NAME:IP"))?;
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || b".-_".contains(&c)) {
        crate::bail!("--add-host {s}: {name:?} is not a host name");
    }
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if ip == "host-gateway" {
        let Some(h) = host_addr else {
            crate::bail!("--add-host {s}: host-gateway needs a network helper (pasta or slirp4netns)");
        };
        return Ok((name.into(), h.into()));
    }
    if ip.parse::<IpAddr>().is_err() {
        crate::bail!("--add-host {s}: {ip:?} is not an IP address");
    }
    Ok((name.into(), ip.into()))
}

/// What /etc/hosts says about the container and the host.
pub struct HostsInput<'a> {
    pub mode: &'a Mode,
    pub hostname: &'a str,
    pub name: &'a str,
    /// The container's own address (pasta: the host's; slirp4netns: 10.0.2.100).
    pub own_addr: Option<&'a str>,
    /// The address that reaches the host's loopback services.
    pub host_addr: Option<&'a str>,
    pub extra: &'a [(String, String)],
    /// The host's /etc/hosts (used as the base with --network host).
    pub host_hosts: &'a str,
    /// containers.conf base_hosts_file's content: the base instead of the host's (with
    /// --network host), or before the container's own lines.
    pub base: Option<&'a str>,
    /// The hosts file of the container whose network namespace this one shares
    /// (`container:NAME`, a pod's members), which this one's starts from.
    pub shared: Option<&'a str>,
}

/// The container's /etc/hosts.
pub fn hosts(i: &HostsInput) -> String {
    let with_newline = |t: &str| {
        let mut h = t.to_string();
        if !h.is_empty() && !h.ends_with('\n') {
            h.push('\n');
        }
        h
    };
    // The container's names (both, even when they are the same, as Podman writes them) that
    // `text` does not name yet: Podman adds no name twice.
    let own_names = |text: &str| {
        let present = hosts_names(text);
        [i.hostname, i.name]
            .into_iter()
            .filter(|n| !n.is_empty() && !present.contains(n))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if let Some(shared) = i.shared {
        // The file of the container whose network this one shares (as Podman's, which adds
        // the joiner's names at 127.0.0.1 to that file), then its own --add-host lines.
        let mut out = with_newline(shared);
        let names = own_names(&out);
        if !names.is_empty() {
            out.push_str(&format!("127.0.0.1\t{names}\n"));
        }
        let present: Vec<String> = hosts_names(&out).into_iter().map(String::from).collect();
        for (name, ip) in i.extra {
            if !present.contains(name) {
                out.push_str(&format!("{ip}\t{name}\n"));
            }
        }
        return out;
    }
    let mut out = if *i.mode == Mode::Host {
        with_newline(i.base.unwrap_or(i.host_hosts))
    } else {
        let base = with_newline(i.base.unwrap_or(""));
        // Names the base file has already are left out (no line when none is left).
        let names = own_names(&base);
        let own = if names.is_empty() {
            String::new()
        } else {
            format!("{}\t{names}\n", i.own_addr.unwrap_or("127.0.1.1"))
        };
        format!("{base}127.0.0.1\tlocalhost localhost.localdomain\n::1\tlocalhost ip6-localhost ip6-loopback\n{own}")
    };
    if let Some(h) = i.host_addr {
        out.push_str(&format!("{h}\thost.containers.internal host.docker.internal\n"));
    }
    for (name, ip) in i.extra {
        out.push_str(&format!("{ip}\t{name}\n"));
    }
    out
}

/// The names a hosts file gives addresses (comments left out).
fn hosts_names(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split('#').next().unwrap_or("").split_whitespace().skip(1))
        .collect()
}

/// The network every `--network podman` (or `bridge` in Podman) container joins; it exists
/// without being created, as in Podman.
pub const DEFAULT_NETWORK: &str = "podman";
/// Podman's id for its default network.
pub const DEFAULT_NETWORK_ID: &str = "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9";
/// The search domain the networks' DNS answers in, as aardvark-dns's.
pub const DNS_DOMAIN: &str = "dns.podman";

/// A network name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, as Podman's.
pub fn valid_network_name(n: &str) -> bool {
    n.len() <= 128
        && n.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
        && !matches!(n, "none" | "host" | "pasta" | "slirp4netns" | "bridge" | "private")
}

/// An IPv4 subnet: the network address and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: std::net::Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    /// `A.B.C.D/N` (host bits are cleared: `10.89.0.5/24` is 10.89.0.0/24).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = s.split_once('/')?;
        let addr: std::net::Ipv4Addr = a.parse().ok()?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = p.parse().ok()?;
        if prefix > 30 || prefix < 8 {
            return None;
        }
        Some(Cidr {
            addr: (u32::from(addr) & Self::mask_of(prefix)).into(),
            prefix,
        })
    }

    fn mask_of(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        }
    }

    pub fn mask(&self) -> u32 {
        Self::mask_of(self.prefix)
    }

    pub fn contains(&self, ip: std::net::Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.addr)
    }

    pub fn overlaps(&self, o: &Cidr) -> bool {
        self.contains(o.addr) || o.contains(self.addr)
    }

    /// The n-th address (0 = the network address).
    pub fn nth(&self, n: u32) -> std::net::Ipv4Addr {
        (u32::from(self.addr) + n).into()
    }

    /// How many addresses the subnet has.
    pub fn size(&self) -> u32 {
        1u32 << (32 - self.prefix)
    }

    /// Usable for hosts: not the network or broadcast address.
    pub fn is_host(&self, ip: std::net::Ipv4Addr) -> bool {
        self.contains(ip) && ip != self.addr && u32::from(ip) != u32::from(self.addr) + self.size() - 1
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// One subnet of a network (Podman's JSON field names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub subnet: String,
    pub gateway: String,
}

/// A network, stored and printed in the shape of Podman's (netavark's) network JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub name: String,
    pub id: String,
    pub driver: String,
    pub network_interface: String,
    pub created: String,
    pub subnets: Vec<Subnet>,
    pub ipv6_enabled: bool,
    pub internal: bool,
    pub dns_enabled: bool,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub ipam_options: std::collections::BTreeMap<String, String>,
}

impl Network {
    /// The network's subnet (hutch's networks have exactly one).
    pub fn cidr(&self) -> Cidr {
        self.subnets
            .first()
            .and_then(|s| Cidr::parse(&s.subnet))
            .unwrap_or(Cidr {
                addr: [10, 88, 0, 0].into(),
                prefix: 16,
            })
    }

    pub fn gateway(&self) -> std::net::Ipv4Addr {
        self.subnets
            .first()
            .and_then(|s| s.gateway.parse().ok())
            .unwrap_or_else(|| self.cidr().nth(1))
    }
}

/// Podman's default network, `podman`: 10.88.0.0/16 on bridge podman0, no DNS.
pub fn default_network(created: &str) -> Network {
    Network {
        name: DEFAULT_NETWORK.into(),
        id: DEFAULT_NETWORK_ID.into(),
        driver: "bridge".into(),
        network_interface: "podman0".into(),
        created: created.into(),
        subnets: vec![Subnet {
            subnet: "10.88.0.0/16".into(),
            gateway: "10.88.0.1".into(),
        }],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
        labels: Default::default(),
        ipam_options: [("driver".to_string(), "host-local".to_string())].into(),
    }
}

/// What `network create` was asked for.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    pub name: Option<String>,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub internal: bool,
    pub disable_dns: bool,
    pub labels: Vec<String>,
}

/// A new network from `req`, checked against the `existing` ones (the default one included):
/// its name, subnet (given, or the first free 10.89.N.0/24), gateway and bridge name. `name`
/// is used when the request has none; `id` and `created` come from the caller.
pub fn new_network(req: &CreateRequest, existing: &[Network], name: &str, id: &str, created: &str) -> Result<Network> {
    let name = req.name.clone().unwrap_or_else(|| name.to_string());
    if !valid_network_name(&name) {
        crate::bail!(
            "network name {name:?} is not valid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]* and not be a network mode"
        );
    }
    if existing.iter().any(|n| n.name == name) {
        crate::bail!("network name {name} already used: network already exists");
    }
    let taken: Vec<Cidr> = existing.iter().map(|n| n.cidr()).collect();
    let cidr = match &req.subnet {
        Some(s) => {
            let Some(c) = Cidr::parse(s) else {
                crate::bail!("--subnet {s}: not a valid IPv4 subnet (A.B.C.D/N, N from 8 to 30)");
            };
            if let Some(o) = existing.iter().find(|n| n.cidr().overlaps(&c)) {
                crate::bail!("--subnet {s}: subnet {c} overlaps {} of network {}", o.cidr(), o.name);
            }
            c
        }
        None => (0..=255u8)
            .map(|n| Cidr {
                addr: [10, 89, n, 0].into(),
                prefix: 24,
            })
            .find(|c| !taken.iter().any(|t| t.overlaps(c)))
            .ok_or_else(|| crate::err!("no free subnet left in 10.89.0.0/16: pass --subnet"))?,
    };
    let gateway = match &req.gateway {
        Some(g) => {
            if req.subnet.is_none() {
                crate::bail!("--gateway {g}: needs --subnet");
            }
            let Ok(ip) = g.parse::<std::net::Ipv4Addr>() else {
                crate::bail!("--gateway {g}: not an IPv4 address");
            };
            if !cidr.is_host(ip) {
                crate::bail!("--gateway {g}: not a host address of subnet {cidr}");
            }
            ip
        }
        None => cidr.nth(1),
    };
    let mut labels = std::collections::BTreeMap::new();
    for l in &req.labels {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        if k.is_empty() {
            crate::bail!("--label {l}: empty key");
        }
        labels.insert(k.to_string(), v.to_string());
    }
    let index = (1..)
        .find(|i| !existing.iter().any(|n| n.network_interface == format!("podman{i}")))
        .expect("a free index");
    Ok(Network {
        name,
        id: id.to_string(),
        driver: "bridge".into(),
        network_interface: format!("podman{index}"),
        created: created.to_string(),
        subnets: vec![Subnet {
            subnet: cidr.to_string(),
            gateway: gateway.to_string(),
        }],
        ipv6_enabled: false,
        internal: req.internal,
        dns_enabled: !req.disable_dns,
        labels,
        ipam_options: [("driver".to_string(), "host-local".to_string())].into(),
    })
}

/// resolv.conf for a container on user networks: the first DNS-enabled network's gateway
/// (hutch's responder there answers the networks' names and forwards the rest), else pasta's
/// forwarder as for `--network pasta`.
pub fn bridge_resolv_conf(host: &str, nets: &[Network], dns: &Dns) -> String {
    let mut r = resolv_conf(host, &Mode::Pasta, dns);
    if dns.servers.is_empty() {
        if let Some(n) = nets.iter().find(|n| n.dns_enabled) {
            let mut out = String::new();
            let mut search = vec![DNS_DOMAIN.to_string()];
            for l in r.lines() {
                if let Some(rest) = l.strip_prefix("search ") {
                    search.extend(rest.split_whitespace().map(String::from));
                } else if !l.starts_with("nameserver ") {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            r = format!("search {}\nnameserver {}\n{out}", search.join(" "), n.gateway());
        }
    }
    r
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A mapping for tests: (host ip, host port, container port, range, protocol).
    pub(crate) fn pm(ip: &str, h: u16, c: u16, r: u16, proto: &str) -> PortMapping {
        PortMapping {
            host_ip: ip.into(),
            host_port: h,
            container_port: c,
            range: r,
            protocol: Protocol::parse(proto).unwrap(),
        }
    }

    #[test]
    fn publish_specs() {
        assert_eq!(parse_publish("8080:80").unwrap(), pm("", 8080, 80, 1, "tcp"));
        assert_eq!(parse_publish("80").unwrap(), pm("", 0, 80, 1, "tcp"));
        assert_eq!(
            parse_publish("127.0.0.1:8080:80/udp").unwrap(),
            pm("127.0.0.1", 8080, 80, 1, "udp")
        );
        assert_eq!(
            parse_publish("127.0.0.1::80").unwrap(),
            pm("127.0.0.1", 0, 80, 1, "tcp")
        );
        assert_eq!(parse_publish("[::1]:8080:80").unwrap(), pm("::1", 8080, 80, 1, "tcp"));
        assert_eq!(
            parse_publish("8000-8002:9000-9002/TCP").unwrap(),
            pm("", 8000, 9000, 3, "tcp")
        );
        for (bad, says) in [
            ("8080:0", "container port \"0\""),
            ("99999:80", "host port \"99999\""),
            ("8080:80/sctp", "protocol \"sctp\""),
            ("1.2.3:8080:80", "not an IP address"),
            ("8000-8001:9000-9002", "host range has 2 ports"),
            ("9000-9002", "needs a host port range"),
            ("::1:8080:80", "brackets"),
            ("8081-8080:80-81", "ends before"),
            ("65535-65536:1-2", "\"65536\""),
        ] {
            let e = parse_publish(bad).unwrap_err().message;
            assert!(e.contains(says) && e.starts_with(&format!("-p {bad}: ")), "{bad}: {e}");
        }
        assert_eq!(pm("", 8080, 80, 1, "tcp").display(), "0.0.0.0:8080->80/tcp");
        assert_eq!(
            pm("::1", 8000, 9000, 3, "udp").display(),
            "[::1]:8000-8002->9000-9002/udp"
        );
    }

    #[test]
    fn modes_and_default() {
        assert_eq!(Mode::parse("pasta").unwrap(), Mode::Pasta);
        assert_eq!(
            Mode::parse("bridge").unwrap(),
            Mode::Bridge(vec![DEFAULT_NETWORK.into()])
        );
        assert!(Mode::parse("private").is_err());
        assert!(Mode::parse("foo!").unwrap_err().message.starts_with("--network foo!:"));
        assert_eq!(
            Mode::parse("a,b,a").unwrap(),
            Mode::Bridge(vec!["a".into(), "b".into()])
        );
        assert_eq!(Mode::parse("a,b").unwrap().name(), "a,b");
        assert_eq!(Mode::parse("ns:/run/netns/x").unwrap(), Mode::Ns("/run/netns/x".into()));
        assert!(Mode::parse("ns:x").unwrap_err().message.contains("absolute path"));
        assert_eq!(Mode::parse("container:web").unwrap().name(), "container:web");
        assert!(Mode::parse("container:").is_err());
        assert_eq!(
            default_mode(&|b| b == "pasta" || b == "iptables-restore").0,
            Mode::Bridge(vec![DEFAULT_NETWORK.to_string()])
        );
        assert_eq!(default_mode(&|b| b == "pasta" || b == "slirp4netns").0, Mode::Pasta);
        assert_eq!(private_mode(&|_| true).0, Mode::Pasta);
        assert_eq!(
            default_mode(&|b| b == "slirp4netns").0,
            Mode::Slirp4netns(SlirpOpts::default())
        );
        let (m, notice) = default_mode(&|_| false);
        assert_eq!(m, Mode::None);
        assert!(notice.unwrap().contains("passt"));
    }

    #[test]
    fn resolv_conf_rules() {
        let host = "# generated\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan corp\n";
        let d = Dns::default();
        // pasta: the forwarder, whatever the host's resolver.
        assert_eq!(
            resolv_conf(host, &Mode::Pasta, &d),
            "search lan corp\nnameserver 169.254.1.1\noptions edns0 trust-ad\n"
        );
        assert_eq!(
            resolv_conf("nameserver 10.255.255.53\n", &Mode::Pasta, &d),
            "nameserver 169.254.1.1\n"
        );
        // The others follow (never the forwarder's upstream, nor loopback ones).
        let several = "nameserver 10.0.0.1\nnameserver 127.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.1\nnameserver 2001:db8::1\nnameserver ::1\n";
        assert_eq!(
            resolv_conf(several, &Mode::Pasta, &d),
            "nameserver 169.254.1.1\nnameserver 10.0.0.2\nnameserver 2001:db8::1\n"
        );
        // IPv6 resolvers only: the IPv6 forwarder.
        assert_eq!(
            resolv_conf("nameserver ::1\nnameserver 2001:db8::53\n", &Mode::Pasta, &d),
            format!("nameserver {PASTA_DNS6}\nnameserver 2001:db8::53\n")
        );
        assert_eq!(resolv_conf("", &Mode::Pasta, &d), "nameserver 169.254.1.1\n");
        // slirp4netns: reachable resolvers as they are, else its forwarder.
        assert!(resolv_conf(host, &Mode::Slirp4netns(SlirpOpts::default()), &d).contains("nameserver 10.0.2.3\n"));
        assert_eq!(
            resolv_conf(
                "nameserver 10.255.255.53\nnameserver ::1\n",
                &Mode::Slirp4netns(SlirpOpts::default()),
                &d
            ),
            "nameserver 10.255.255.53\nnameserver 10.0.2.3\n"
        );
        assert!(!resolv_conf(host, &Mode::None, &d).contains("nameserver"));
        assert!(resolv_conf(host, &Mode::Host, &d).contains("nameserver 127.0.0.53\n"));
        // --dns wins.
        let d = Dns {
            servers: vec!["1.1.1.1".into()],
            search: vec![".".into()],
            options: vec!["ndots:2".into()],
        };
        assert_eq!(
            resolv_conf(host, &Mode::Pasta, &d),
            "nameserver 1.1.1.1\noptions ndots:2\n"
        );
    }

    #[test]
    fn pasta_forwards_only_what_the_container_uses() {
        assert_eq!(
            pasta_dns_forwards("search x\nnameserver 169.254.1.1\nnameserver 10.0.0.2\n"),
            [PASTA_DNS]
        );
        assert_eq!(pasta_dns_forwards(&format!("nameserver {PASTA_DNS6}\n")), [PASTA_DNS6]);
        assert!(pasta_dns_forwards("nameserver 10.255.255.53\n# nameserver 169.254.1.1\n").is_empty());
    }

    #[test]
    fn hosts_file() {
        let extra = vec![("db".to_string(), "10.1.2.3".to_string())];
        let h = hosts(&HostsInput {
            mode: &Mode::Pasta,
            hostname: "abc",
            name: "web",
            own_addr: Some("192.0.2.2"),
            host_addr: Some("192.0.2.1"),
            extra: &extra,
            host_hosts: "",
            base: None,
            shared: None,
        });
        assert!(h.contains("192.0.2.2\tabc web\n"), "{h}");
        assert!(h.contains("192.0.2.1\thost.containers.internal host.docker.internal\n"));
        assert!(h.ends_with("10.1.2.3\tdb\n"));
        // Names a base file has are not added again; a shared file gets the joiner's other
        // names at 127.0.0.1 and its --add-host lines it lacks.
        let base = "10.9.9.9 abc # comment web\n";
        let h = hosts(&HostsInput {
            mode: &Mode::Pasta,
            hostname: "abc",
            name: "web",
            own_addr: None,
            host_addr: None,
            extra: &[],
            host_hosts: "",
            base: Some(base),
            shared: None,
        });
        assert!(h.starts_with(base) && h.ends_with("127.0.1.1\tweb\n"), "{h}");
        let infra = "127.0.0.1\tlocalhost\n10.88.0.2\tpod infra\n10.1.2.3\tdb\n";
        let h = hosts(&HostsInput {
            mode: &Mode::Container("x".into()),
            hostname: "pod",
            name: "c1",
            own_addr: None,
            host_addr: Some("192.0.2.1"),
            extra: &[
                ("db".to_string(), "10.1.2.3".to_string()),
                ("own".to_string(), "10.1.2.4".to_string()),
            ],
            host_hosts: "",
            base: None,
            shared: Some(infra),
        });
        assert_eq!(h, format!("{infra}127.0.0.1\tc1\n10.1.2.4\town\n"));
        assert_eq!(
            parse_add_host("gw:host-gateway", Some("10.0.2.2")).unwrap(),
            ("gw".into(), "10.0.2.2".into())
        );
        assert!(parse_add_host("gw:host-gateway", None)
            .unwrap_err()
            .message
            .contains("needs a network helper"));
        assert!(parse_add_host("x:1.2.3", None)
            .unwrap_err()
            .message
            .contains("not an IP"));
        assert!(parse_add_host("x", None).unwrap_err().message.contains("NAME:IP"));
    }

    #[test]
    fn exposed() {
        let c =
            serde_json::json!({"config": {"ExposedPorts": {"80/tcp": {}, "53/udp": {}, "x/tcp": {}, "9/sctp": {}}}});
        let mut e = exposed_ports(&c);
        e.sort();
        assert_eq!(e, vec![(53, Protocol::Udp), (80, Protocol::Tcp)]);
    }

    #[test]
    fn networks_and_subnets() {
        let c = Cidr::parse("10.89.0.5/24").unwrap();
        assert_eq!(c.to_string(), "10.89.0.0/24");
        assert!(Cidr::parse("10.89.0.0/33").is_none());
        assert!(Cidr::parse("10.89.0/24").is_none());
        assert!(Cidr::parse("fd00::/64").is_none());
        assert!(c.overlaps(&Cidr::parse("10.89.0.128/25").unwrap()));
        assert!(!c.overlaps(&Cidr::parse("10.89.1.0/24").unwrap()));
        let def = default_network("2026-01-01T00:00:00Z");
        let req = CreateRequest::default();
        let a = new_network(&req, &[def.clone()], "n1", "id1", "t").unwrap();
        assert_eq!(a.subnets[0].subnet, "10.89.0.0/24");
        assert_eq!(a.subnets[0].gateway, "10.89.0.1");
        assert_eq!(a.network_interface, "podman1");
        assert!(a.dns_enabled);
        let b = new_network(&req, &[def.clone(), a.clone()], "n2", "id2", "t").unwrap();
        assert_eq!(b.subnets[0].subnet, "10.89.1.0/24");
        assert_eq!(b.network_interface, "podman2");
        let bad = |r: CreateRequest, says: &str| {
            let e = new_network(&r, &[def.clone(), a.clone()], "x", "i", "t")
                .unwrap_err()
                .message;
            assert!(e.contains(says), "{e}");
        };
        bad(
            CreateRequest {
                subnet: Some("10.88.5.0/24".into()),
                ..Default::default()
            },
            "overlaps 10.88.0.0/16 of network podman",
        );
        bad(
            CreateRequest {
                subnet: Some("300.1.0.0/24".into()),
                ..Default::default()
            },
            "not a valid IPv4 subnet",
        );
        bad(
            CreateRequest {
                name: Some("n1".into()),
                ..Default::default()
            },
            "already exists",
        );
        bad(
            CreateRequest {
                name: Some("host".into()),
                ..Default::default()
            },
            "not valid",
        );
        bad(
            CreateRequest {
                subnet: Some("10.1.0.0/24".into()),
                gateway: Some("10.2.0.1".into()),
                ..Default::default()
            },
            "not a host address",
        );
        let r = bridge_resolv_conf(
            "nameserver 127.0.0.53\nsearch lan\n",
            &[def.clone(), a.clone()],
            &Dns::default(),
        );
        assert_eq!(r, "search dns.podman lan\nnameserver 10.89.0.1\n");
        let r = bridge_resolv_conf("nameserver 127.0.0.53\n", &[def], &Dns::default());
        assert_eq!(r, "nameserver 169.254.1.1\n");
    }
}
