//! Watching a network namespace's routing table over rtnetlink: the container's first process
//! uses it to see the default routes its network helper configures, so it can exec as soon as
//! its interface is usable instead of waiting for the helper's whole start-up.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

/// Which default routes to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    pub v4: bool,
    pub v6: bool,
}

const RTMGRP_IPV4_ROUTE: u32 = 0x40;
const RTMGRP_IPV6_ROUTE: u32 = 0x400;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const RT_TABLE_MAIN: u8 = 254;
const RTN_UNICAST: u8 = 1;
pub(crate) const NLMSG_HDR: usize = 16;
pub(crate) const NETLINK_NETFILTER: libc::c_int = 12;

/// A NETLINK_ROUTE socket subscribed to route changes, with a dump of the current table asked
/// for (subscribed first, so nothing added in between is missed).
pub struct RouteWatch {
    fd: OwnedFd,
    want: Want,
    seen: Want,
}

impl RouteWatch {
    pub fn open(want: Want) -> nix::Result<RouteWatch> {
        let fd = socket(libc::NETLINK_ROUTE, true)?;
        // SAFETY: sockaddr_nl is plain old data; zeroed is valid.
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        sa.nl_groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
        // SAFETY: a valid sockaddr_nl of the given size.
        Errno::result(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &sa as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        })?;
        let req = dump_request();
        // SAFETY: sending our own buffer on our socket (the kernel is the default peer).
        send(&fd, &req)?;
        Ok(RouteWatch {
            fd,
            want,
            seen: Want { v4: false, v6: false },
        })
    }

    /// Read whatever is queued; true once every wanted default route has been seen.
    pub fn read(&mut self) -> nix::Result<bool> {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match recv(&self.fd, &mut buf, true) {
                Ok(0) | Err(Errno::EAGAIN) => break,
                // The kernel dropped notifications for us: the table is re-read next time.
                Err(Errno::ENOBUFS) => send(&self.fd, &dump_request())?,
                Err(e) => return Err(e),
                Ok(n) => {
                    for (v4, v6) in default_routes(&buf[..n]) {
                        self.seen.v4 |= v4;
                        self.seen.v6 |= v6;
                    }
                }
            }
        }
        Ok(self.done())
    }

    fn done(&self) -> bool {
        (!self.want.v4 || self.seen.v4) && (!self.want.v6 || self.seen.v6)
    }
}

impl AsFd for RouteWatch {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// RTM_GETROUTE, NLM_F_DUMP, every family.
fn dump_request() -> Vec<u8> {
    let len = NLMSG_HDR + 12; // nlmsghdr + struct rtmsg
    let mut m = Vec::with_capacity(len);
    m.extend((len as u32).to_ne_bytes());
    m.extend(RTM_GETROUTE.to_ne_bytes());
    m.extend(((libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16).to_ne_bytes());
    m.extend(1u32.to_ne_bytes()); // seq
    m.extend(0u32.to_ne_bytes()); // port id: the kernel
    m.extend([0u8; 12]); // rtmsg, rtm_family AF_UNSPEC
    m
}

/// For each RTM_NEWROUTE in a netlink datagram that is a unicast default route of the main
/// table: (is IPv4, is IPv6).
fn default_routes(b: &[u8]) -> Vec<(bool, bool)> {
    let mut out = Vec::new();
    for m in messages(b) {
        let kind = u16::from_ne_bytes([m[4], m[5]]);
        if kind == RTM_NEWROUTE && m.len() >= NLMSG_HDR + 12 {
            // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
            let r = &m[NLMSG_HDR..];
            let (family, dst_len, table, rtype) = (r[0] as i32, r[1], r[4], r[7]);
            if dst_len == 0 && table == RT_TABLE_MAIN && rtype == RTN_UNICAST {
                out.push((family == libc::AF_INET, family == libc::AF_INET6));
            }
        }
    }
    out
}

/// Whether the host has an IPv6 default route on a real interface (pasta copies it into the
/// container, after the IPv4 one).
pub fn host_has_ipv6_default() -> bool {
    let Ok(text) = std::fs::read_to_string("/proc/net/ipv6_route") else {
        return false;
    };
    text.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        // dest, dest prefix len, …, flags (RTF_REJECT = 0x200), device
        f.len() == 10
            && f[0].bytes().all(|c| c == b'0')
            && f[1] == "00"
            && f[9] != "lo"
            && u32::from_str_radix(f[8], 16).is_ok_and(|x| x & 0x200 == 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(family: u8, dst_len: u8, table: u8, rtype: u8) -> Vec<u8> {
        let len = NLMSG_HDR + 12 + 8;
        let mut m = Vec::new();
        m.extend((len as u32).to_ne_bytes());
        m.extend(RTM_NEWROUTE.to_ne_bytes());
        m.extend(0u16.to_ne_bytes());
        m.extend([0u8; 8]);
        m.extend([family, dst_len, 0, 0, table, 4, 0, rtype, 0, 0, 0, 0]);
        m.extend([8, 0, 15, 0, 254, 0, 0, 0]); // an RTA_TABLE attribute
        m
    }

    #[test]
    fn finds_unicast_default_routes_of_the_main_table() {
        let mut b = route(libc::AF_INET as u8, 0, RT_TABLE_MAIN, RTN_UNICAST);
        b.extend(route(libc::AF_INET6 as u8, 64, RT_TABLE_MAIN, RTN_UNICAST));
        b.extend(route(libc::AF_INET6 as u8, 0, RT_TABLE_MAIN, 7)); // unreachable
        b.extend(route(libc::AF_INET6 as u8, 0, 255, RTN_UNICAST)); // local table
        b.extend(route(libc::AF_INET6 as u8, 0, RT_TABLE_MAIN, RTN_UNICAST));
        assert_eq!(default_routes(&b), vec![(true, false), (false, true)]);
        assert_eq!(default_routes(&b[..10]), vec![]);
        assert_eq!(dump_request().len(), 28);
    }
}

/// Bring the loopback interface of the current network namespace up.
pub fn loopback_up() -> nix::Result<()> {
    // SAFETY: a plain socket; closed by OwnedFd.
    let s = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    let s = Errno::result(s)?;
    // SAFETY: fresh fd.
    let sock = unsafe { OwnedFd::from_raw_fd(s) };
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (i, b) in b"lo".iter().enumerate() {
        ifr.ifr_name[i] = *b as libc::c_char;
    }
    // SAFETY: ioctl on our socket with a valid ifreq.
    Errno::result(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut ifr) })?;
    // SAFETY: the union member written by SIOCGIFFLAGS.
    unsafe { ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short };
    // SAFETY: as above.
    Errno::result(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &ifr) }).map(drop)
}

// ---- configuring links, addresses and routes (the shared network namespace's veths) ----

const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_NEWADDR: u16 = 20;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_BROADCAST: u16 = 4;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const NLA_F_NESTED: u16 = 0x8000;
const RTPROT_BOOT: u8 = 3;

/// One netlink request being built: the header, the family's struct, attributes (nested
/// ones closed by `end`). Also nf_tables' (`sys::nft`).
pub(crate) struct Msg {
    b: Vec<u8>,
    open: Vec<usize>,
}

impl Msg {
    /// An acknowledged request (sequence number 1).
    fn new(kind: u16, flags: u16) -> Msg {
        Msg::raw(kind, flags | (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16, 1)
    }

    /// A message with exactly these flags and sequence number.
    pub(crate) fn raw(kind: u16, flags: u16, seq: u32) -> Msg {
        let mut b = Vec::with_capacity(256);
        b.extend(0u32.to_ne_bytes()); // length, set by finish
        b.extend(kind.to_ne_bytes());
        b.extend(flags.to_ne_bytes());
        b.extend(seq.to_ne_bytes());
        b.extend(0u32.to_ne_bytes()); // port id: the kernel
        Msg { b, open: Vec::new() }
    }

    /// The family's own header (nf_tables' struct nfgenmsg), right after netlink's.
    pub(crate) fn header(&mut self, h: &[u8]) -> &mut Msg {
        self.b.extend(h);
        self
    }

    /// struct ifinfomsg (family, type, index, flags, change).
    fn ifinfo(&mut self, index: i32, flags: u32, change: u32) -> &mut Msg {
        self.b.extend([libc::AF_UNSPEC as u8, 0]);
        self.b.extend(0u16.to_ne_bytes());
        self.b.extend(index.to_ne_bytes());
        self.b.extend(flags.to_ne_bytes());
        self.b.extend(change.to_ne_bytes());
        self
    }

    fn pad(&mut self) {
        while self.b.len() % 4 != 0 {
            self.b.push(0);
        }
    }

    pub(crate) fn attr(&mut self, kind: u16, data: &[u8]) -> &mut Msg {
        self.b.extend(((4 + data.len()) as u16).to_ne_bytes());
        self.b.extend(kind.to_ne_bytes());
        self.b.extend(data);
        self.pad();
        self
    }

    pub(crate) fn name(&mut self, kind: u16, s: &str) -> &mut Msg {
        let mut d = s.as_bytes().to_vec();
        d.push(0);
        self.attr(kind, &d)
    }

    pub(crate) fn begin(&mut self, kind: u16) -> &mut Msg {
        self.open.push(self.b.len());
        self.b.extend(0u16.to_ne_bytes());
        self.b.extend((kind | NLA_F_NESTED).to_ne_bytes());
        self
    }

    pub(crate) fn end(&mut self) -> &mut Msg {
        let at = self.open.pop().expect("an open attribute");
        let len = (self.b.len() - at) as u16;
        self.b[at..at + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    pub(crate) fn finish(&mut self) -> &[u8] {
        let len = self.b.len() as u32;
        self.b[0..4].copy_from_slice(&len.to_ne_bytes());
        &self.b
    }
}

/// A NETLINK_ROUTE socket for requests, in the network namespace of the thread that opened it
/// (it stays there when the thread moves).
pub struct Netlink {
    fd: OwnedFd,
}

impl Netlink {
    pub fn open() -> nix::Result<Netlink> {
        Ok(Netlink {
            fd: socket(libc::NETLINK_ROUTE, false)?,
        })
    }

    /// Send one request and wait for its acknowledgement (the kernel's error code).
    fn call(&self, m: &mut Msg) -> nix::Result<()> {
        send(&self.fd, m.finish())?;
        let mut buf = [0u8; 4096];
        loop {
            let n = recv(&self.fd, &mut buf, false)?;
            if let Some(code) = ack_code(&buf[..n]) {
                return if code == 0 { Ok(()) } else { Err(Errno::from_raw(-code)) };
            }
        }
    }

    /// A veth pair: `name` here, up and enslaved to the bridge `master` (an ifindex), its peer
    /// `peer` in the network namespace `peer_ns` (a fd), down (the kernel cannot bring a veth
    /// up before its peer exists: ENOTCONN; `link_up` it there).
    /// The peer gets the hardware address `peer_mac` (reported as the container's MacAddress);
    /// both ends the MTU `mtu`.
    pub fn add_veth(
        &self,
        name: &str,
        master: u32,
        peer: &str,
        peer_mac: [u8; 6],
        peer_ns: BorrowedFd,
        mtu: u32,
    ) -> nix::Result<()> {
        let up = libc::IFF_UP as u32;
        let mut m = Msg::new(RTM_NEWLINK, (libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16);
        m.ifinfo(0, up, up)
            .name(IFLA_IFNAME, name)
            .attr(IFLA_MTU, &mtu.to_ne_bytes())
            .attr(IFLA_MASTER, &master.to_ne_bytes())
            .begin(IFLA_LINKINFO)
            .name(IFLA_INFO_KIND, "veth")
            .begin(IFLA_INFO_DATA)
            .begin(VETH_INFO_PEER)
            .ifinfo(0, 0, 0)
            .name(IFLA_IFNAME, peer)
            .attr(IFLA_MTU, &mtu.to_ne_bytes())
            .attr(IFLA_ADDRESS, &peer_mac)
            .attr(IFLA_NET_NS_FD, &peer_ns.as_raw_fd().to_ne_bytes())
            .end()
            .end()
            .end();
        self.call(&mut m)
    }

    /// A bridge named `name` with the MTU `mtu`, up.
    pub fn add_bridge(&self, name: &str, mtu: u32) -> nix::Result<()> {
        let up = libc::IFF_UP as u32;
        let mut m = Msg::new(RTM_NEWLINK, (libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16);
        m.ifinfo(0, up, up)
            .name(IFLA_IFNAME, name)
            .attr(IFLA_MTU, &mtu.to_ne_bytes())
            .begin(IFLA_LINKINFO)
            .name(IFLA_INFO_KIND, "bridge")
            .end();
        self.call(&mut m)
    }

    /// Bring the interface `index` up.
    pub fn link_up(&self, index: u32) -> nix::Result<()> {
        let up = libc::IFF_UP as u32;
        let mut m = Msg::new(RTM_NEWLINK, 0);
        m.ifinfo(index as i32, up, up);
        self.call(&mut m)
    }

    /// Delete the interface named `name` (a veth takes its peer along).
    pub fn del_link(&self, name: &str) -> nix::Result<()> {
        let mut m = Msg::new(RTM_DELLINK, 0);
        m.ifinfo(0, 0, 0).name(IFLA_IFNAME, name);
        self.call(&mut m)
    }

    /// `ip addr add ADDR/PREFIX broadcast + dev INDEX` (the subnet's broadcast address, as
    /// Podman's netavark sets it, for prefixes up to /30).
    pub fn add_addr4(&self, index: u32, addr: std::net::Ipv4Addr, prefix: u8) -> nix::Result<()> {
        let mut m = Msg::new(RTM_NEWADDR, (libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16);
        m.b.extend([libc::AF_INET as u8, prefix, 0, 0]); // family, prefixlen, flags, scope universe
        m.b.extend(index.to_ne_bytes());
        m.attr(IFA_LOCAL, &addr.octets()).attr(IFA_ADDRESS, &addr.octets());
        if prefix <= 30 {
            let host_bits = u32::MAX.checked_shr(prefix as u32).unwrap_or(0);
            let brd = std::net::Ipv4Addr::from(u32::from(addr) | host_bits);
            m.attr(IFA_BROADCAST, &brd.octets());
        }
        self.call(&mut m)
    }

    /// `ip route add default via GATEWAY dev INDEX`.
    pub fn add_default_route4(&self, index: u32, gateway: std::net::Ipv4Addr) -> nix::Result<()> {
        let mut m = Msg::new(RTM_NEWROUTE, (libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16);
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
        m.b.extend([libc::AF_INET as u8, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST]);
        m.b.extend(0u32.to_ne_bytes());
        m.attr(RTA_GATEWAY, &gateway.octets())
            .attr(RTA_OIF, &index.to_ne_bytes());
        self.call(&mut m)
    }
}

/// Policy routing for published ports that keep the client's address: the table whose default
/// route is local, and the rules sending a container's replies (from its address and port) there.
const RTM_NEWRULE: u16 = 32;
const RTM_DELRULE: u16 = 33;
const FRA_SRC: u16 = 2;
const FRA_IIFNAME: u16 = 3;
const FRA_PRIORITY: u16 = 6;
const FRA_TABLE: u16 = 15;
const FRA_IP_PROTO: u16 = 22;
const FRA_SPORT_RANGE: u16 = 23;
const FR_ACT_TO_TBL: u8 = 1;
const RTN_LOCAL: u8 = 2;
const RT_SCOPE_HOST: u8 = 254;
const RTA_DST_TABLE: u16 = 15; // RTA_TABLE

impl Netlink {
    /// `ip route add local default dev INDEX table TABLE`: everything routed by `table` is
    /// delivered to this namespace's own sockets.
    pub fn add_local_default4(&self, index: u32, table: u32) -> nix::Result<()> {
        let mut m = Msg::new(RTM_NEWROUTE, (libc::NLM_F_CREATE | libc::NLM_F_REPLACE) as u16);
        // struct rtmsg: family, dst_len, src_len, tos, table (RTA_TABLE below), protocol,
        // scope, type, flags
        m.b.extend([libc::AF_INET as u8, 0, 0, 0, 0, RTPROT_BOOT, RT_SCOPE_HOST, RTN_LOCAL]);
        m.b.extend(0u32.to_ne_bytes());
        m.attr(RTA_DST_TABLE, &table.to_ne_bytes())
            .attr(RTA_OIF, &index.to_ne_bytes());
        self.call(&mut m)
    }

    /// `ip rule add|del iif IIF from SRC ipproto PROTO sport SPORT lookup TABLE priority PRIO`.
    pub fn sport_rule4(
        &self,
        add: bool,
        iif: &str,
        src: std::net::Ipv4Addr,
        proto: u8,
        sport: u16,
        table: u32,
        prio: u32,
    ) -> nix::Result<()> {
        let (kind, flags) = if add {
            (RTM_NEWRULE, (libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16)
        } else {
            (RTM_DELRULE, 0)
        };
        let mut m = Msg::new(kind, flags);
        // struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action, flags
        m.b.extend([libc::AF_INET as u8, 0, 32, 0, 0, 0, 0, FR_ACT_TO_TBL]);
        m.b.extend(0u32.to_ne_bytes());
        let mut range = sport.to_ne_bytes().to_vec();
        range.extend(sport.to_ne_bytes());
        m.name(FRA_IIFNAME, iif)
            .attr(FRA_SRC, &src.octets())
            .attr(FRA_IP_PROTO, &[proto])
            .attr(FRA_SPORT_RANGE, &range)
            .attr(FRA_TABLE, &table.to_ne_bytes())
            .attr(FRA_PRIORITY, &prio.to_ne_bytes());
        self.call(&mut m)
    }
}

/// A netlink socket of `protocol` (NETLINK_ROUTE, `NETLINK_NETFILTER`), close-on-exec, and
/// non-blocking when `nonblocking`.
pub(crate) fn socket(protocol: libc::c_int, nonblocking: bool) -> nix::Result<OwnedFd> {
    let flags = libc::SOCK_RAW | libc::SOCK_CLOEXEC | if nonblocking { libc::SOCK_NONBLOCK } else { 0 };
    // SAFETY: a plain socket; owned below.
    let s = Errno::result(unsafe { libc::socket(libc::AF_NETLINK, flags, protocol) })?;
    // SAFETY: fresh fd.
    Ok(unsafe { OwnedFd::from_raw_fd(s) })
}

/// Send `b` on netlink socket `fd` (to the kernel, its default peer).
pub(crate) fn send(fd: &OwnedFd, b: &[u8]) -> nix::Result<()> {
    nix::sys::socket::send(fd.as_raw_fd(), b, nix::sys::socket::MsgFlags::empty()).map(drop)
}

/// One datagram from netlink socket `fd` into `buf`, an interrupted call tried again;
/// `dontwait`: without blocking (EAGAIN when nothing is queued).
pub(crate) fn recv(fd: &OwnedFd, buf: &mut [u8], dontwait: bool) -> nix::Result<usize> {
    use nix::sys::socket::MsgFlags;
    let flags = if dontwait {
        MsgFlags::MSG_DONTWAIT
    } else {
        MsgFlags::empty()
    };
    loop {
        match nix::sys::socket::recv(fd.as_raw_fd(), buf, flags) {
            Err(Errno::EINTR) => continue,
            r => return r,
        }
    }
}

/// The netlink messages in a datagram, each whole (a torn last one is left out), as the
/// kernel packs them, 4-byte aligned.
pub(crate) fn messages(mut buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if buf.len() < NLMSG_HDR {
            return None;
        }
        let len = u32::from_ne_bytes(buf[..4].try_into().expect("4 bytes")) as usize;
        if len < NLMSG_HDR || len > buf.len() {
            return None;
        }
        let m = &buf[..len];
        buf = &buf[((len + 3) & !3).min(buf.len())..];
        Some(m)
    })
}

/// The error code of an NLMSG_ERROR (0: an acknowledgement) in a netlink datagram.
pub(crate) fn ack_code(b: &[u8]) -> Option<i32> {
    if b.len() < NLMSG_HDR + 4 {
        return None;
    }
    let kind = u16::from_ne_bytes([b[4], b[5]]);
    if kind != libc::NLMSG_ERROR as u16 {
        return None;
    }
    Some(i32::from_ne_bytes([b[16], b[17], b[18], b[19]]))
}

/// The index of the interface `name` in the calling thread's network namespace.
pub fn if_index(name: &str) -> nix::Result<u32> {
    let c = std::ffi::CString::new(name).map_err(|_| Errno::EINVAL)?;
    // SAFETY: a valid C string.
    match unsafe { libc::if_nametoindex(c.as_ptr()) } {
        0 => Err(Errno::last()),
        i => Ok(i),
    }
}

/// Run `f` with the calling thread in the network namespace `target`, then back in `home`
/// (both namespace fds). Only this thread moves; a process with other threads may do this.
pub fn in_netns<T>(target: BorrowedFd, home: BorrowedFd, f: impl FnOnce() -> T) -> nix::Result<T> {
    nix::sched::setns(target, nix::sched::CloneFlags::CLONE_NEWNET)?;
    let r = f();
    // Going home cannot fail for a namespace we were in; if it did, this thread must not go on
    // configuring the wrong namespace: the process ends (its users see it gone and replace it).
    if nix::sched::setns(home, nix::sched::CloneFlags::CLONE_NEWNET).is_err() {
        super::process::exit_now(1);
    }
    Ok(r)
}

#[cfg(test)]
mod msg_tests {
    use super::*;

    #[test]
    fn nested_attributes_are_sized_and_aligned() {
        let mut m = Msg::new(RTM_NEWLINK, 0);
        m.ifinfo(0, 1, 1)
            .begin(IFLA_LINKINFO)
            .name(IFLA_INFO_KIND, "veth")
            .end();
        let b = m.finish().to_vec();
        assert_eq!(b.len(), 16 + 16 + 4 + 12);
        assert_eq!(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize, b.len());
        // the nest: 4 + "veth\0" attribute (4 + 5, padded to 12)
        assert_eq!(u16::from_ne_bytes([b[32], b[33]]), 16);
        assert_eq!(u16::from_ne_bytes([b[34], b[35]]), IFLA_LINKINFO | NLA_F_NESTED);
        assert_eq!(u16::from_ne_bytes([b[36], b[37]]), 9);
        let mut ack = vec![0u8; 36];
        ack[4..6].copy_from_slice(&(libc::NLMSG_ERROR as u16).to_ne_bytes());
        ack[16..20].copy_from_slice(&(-17i32).to_ne_bytes());
        assert_eq!(ack_code(&ack), Some(-17));
    }
}
