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
const NLMSG_HDR: usize = 16;

/// A NETLINK_ROUTE socket subscribed to route changes, with a dump of the current table asked
/// for (subscribed first, so nothing added in between is missed).
pub struct RouteWatch {
    fd: OwnedFd,
    want: Want,
    seen: Want,
}

impl RouteWatch {
    pub fn open(want: Want) -> nix::Result<RouteWatch> {
        // SAFETY: a plain socket; owned below.
        let s = Errno::result(unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                libc::NETLINK_ROUTE,
            )
        })?;
        // SAFETY: fresh fd.
        let fd = unsafe { OwnedFd::from_raw_fd(s) };
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
        Errno::result(unsafe { libc::send(fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) })?;
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
            // SAFETY: receiving into our own buffer.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            match Errno::result(n) {
                Ok(0) | Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => continue,
                // The kernel dropped notifications for us: the table is re-read next time.
                Err(Errno::ENOBUFS) => {
                    let req = dump_request();
                    // SAFETY: as in open.
                    Errno::result(unsafe { libc::send(self.fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) })?;
                    continue;
                }
                Err(e) => return Err(e),
                Ok(n) => {
                    for (v4, v6) in default_routes(&buf[..n as usize]) {
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
fn default_routes(mut b: &[u8]) -> Vec<(bool, bool)> {
    let mut out = Vec::new();
    while b.len() >= NLMSG_HDR {
        let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len < NLMSG_HDR || len > b.len() {
            break;
        }
        let kind = u16::from_ne_bytes([b[4], b[5]]);
        if kind == RTM_NEWROUTE && len >= NLMSG_HDR + 12 {
            // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
            let r = &b[NLMSG_HDR..];
            let (family, dst_len, table, rtype) = (r[0] as i32, r[1], r[4], r[7]);
            if dst_len == 0 && table == RT_TABLE_MAIN && rtype == RTN_UNICAST {
                out.push((family == libc::AF_INET, family == libc::AF_INET6));
            }
        }
        // Messages are 4-byte aligned.
        let next = (len + 3) & !3;
        b = &b[next.min(b.len())..];
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
