//! One nfnetlink_queue queue bound in-process: packets an `NFQUEUE` rule sends to it wait in
//! the kernel (only their metadata is copied here) until a verdict lets them go on, from the
//! hook after the one that queued them, or drops them.
//!
//! The shared network namespace uses it to hold its containers' outgoing packets while its
//! way out (pasta) is still starting, instead of holding the containers themselves.
//! (No crate: `nfq` and `netfilter-queue` wrap the whole protocol with payload parsing for the
//! ~100 lines below, which bind, read packet ids and send batch verdicts.)

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;

use super::route::{messages, Msg, NETLINK_NETFILTER, NLMSG_HDR};

const NFNL_SUBSYS_QUEUE: u16 = 3;
const NFQNL_MSG_PACKET: u16 = 0;
const NFQNL_MSG_CONFIG: u16 = 2;
const NFQNL_MSG_VERDICT_BATCH: u16 = 3;
const NFQA_PACKET_HDR: u16 = 1;
const NFQA_VERDICT_HDR: u16 = 2;
const NFQA_CFG_CMD: u16 = 1;
const NFQA_CFG_PARAMS: u16 = 2;
const NFQA_CFG_MASK: u16 = 4;
const NFQA_CFG_FLAGS: u16 = 5;
const NFQNL_CFG_CMD_BIND: u8 = 1;
const NFQNL_COPY_META: u8 = 1;
/// A full queue (or a listener that cannot take the packet's message) lets the packet go on
/// instead of dropping it.
const NFQA_CFG_F_FAIL_OPEN: u32 = 1;
const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;

/// A bound queue, in the network namespace of the thread that bound it.
pub struct Queue {
    fd: OwnedFd,
    num: u16,
    seq: u32,
    /// The highest packet id seen and not yet given a verdict.
    highest: Option<u32>,
    /// Packets seen since the last verdict.
    waiting: usize,
}

/// struct nfgenmsg: AF_UNSPEC, version 0, the queue's number (big-endian).
fn nfgen(num: u16) -> [u8; 4] {
    let n = num.to_be_bytes();
    [libc::AF_UNSPEC as u8, 0, n[0], n[1]]
}

impl Queue {
    /// Bind queue `num` (packet metadata only, failing open); refused when another socket
    /// holds it or the kernel has no nfnetlink_queue.
    pub fn bind(num: u16) -> nix::Result<Queue> {
        let fd = super::route::socket(NETLINK_NETFILTER, true)?;
        let mut q = Queue {
            fd,
            num,
            seq: 0,
            highest: None,
            waiting: 0,
        };
        let mut m = q.msg(NFQNL_MSG_CONFIG, libc::NLM_F_ACK);
        // struct nfqnl_msg_config_cmd: command, pad, protocol family (unused by BIND).
        m.attr(NFQA_CFG_CMD, &[NFQNL_CFG_CMD_BIND, 0, 0, 0]);
        // struct nfqnl_msg_config_params (packed): copy range (big-endian), copy mode.
        let mut params = 0u32.to_be_bytes().to_vec();
        params.push(NFQNL_COPY_META);
        m.attr(NFQA_CFG_PARAMS, &params);
        m.attr(NFQA_CFG_MASK, &NFQA_CFG_F_FAIL_OPEN.to_be_bytes());
        m.attr(NFQA_CFG_FLAGS, &NFQA_CFG_F_FAIL_OPEN.to_be_bytes());
        q.send(&mut m)?;
        q.acked()?;
        Ok(q)
    }

    fn msg(&mut self, kind: u16, flags: i32) -> Msg {
        self.seq += 1;
        let flags = (libc::NLM_F_REQUEST | flags) as u16;
        let mut m = Msg::raw((NFNL_SUBSYS_QUEUE << 8) | kind, flags, self.seq);
        m.header(&nfgen(self.num));
        m
    }

    fn send(&self, m: &mut Msg) -> nix::Result<()> {
        super::route::send(&self.fd, m.finish())
    }

    /// Wait (at most 2 s) for the acknowledgement of the last request.
    fn acked(&mut self) -> nix::Result<()> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut buf = vec![0u8; 8192];
        loop {
            let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(2000u16)) {
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
                Ok(0) => return Err(Errno::ETIMEDOUT),
                Ok(_) => {}
            }
            let n = match super::route::recv(&self.fd, &mut buf, false) {
                Err(Errno::EAGAIN) => continue,
                r => r?,
            };
            for m in messages(&buf[..n]) {
                let seq = u32::from_ne_bytes(m[8..12].try_into().expect("4 bytes"));
                match super::route::ack_code(m) {
                    Some(0) if seq == self.seq => return Ok(()),
                    Some(code) if code < 0 && seq == self.seq => return Err(Errno::from_raw(-code)),
                    _ => self.note(m),
                }
            }
        }
    }

    /// A queued packet's message: its id remembered.
    fn note(&mut self, m: &[u8]) {
        let kind = u16::from_ne_bytes([m[4], m[5]]);
        if kind != (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET {
            return;
        }
        // The attributes after netlink's header and nfgenmsg.
        let mut a = NLMSG_HDR + 4;
        while a + 4 <= m.len() {
            let alen = u16::from_ne_bytes([m[a], m[a + 1]]) as usize;
            let akind = u16::from_ne_bytes([m[a + 2], m[a + 3]]) & 0x3fff;
            if alen < 4 || a + alen > m.len() {
                return;
            }
            // struct nfqnl_msg_packet_hdr: packet id (big-endian), protocol, hook.
            if akind == NFQA_PACKET_HDR && alen >= 8 {
                let id = u32::from_be_bytes(m[a + 4..a + 8].try_into().expect("4 bytes"));
                self.highest = Some(self.highest.map_or(id, |h| h.max(id)));
                self.waiting += 1;
                return;
            }
            a += (alen + 3) & !3;
        }
    }

    /// Read every packet message queued on the socket (never blocks); how many packets are
    /// waiting for a verdict now.
    pub fn read(&mut self) -> usize {
        let mut buf = vec![0u8; 65536];
        loop {
            let n = match super::route::recv(&self.fd, &mut buf, true) {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            for m in messages(&buf[..n]) {
                self.note(m);
            }
        }
        self.waiting
    }

    /// Every packet seen so far let go on (`accept`) or dropped, in one batch verdict; how
    /// many that was.
    pub fn verdict(&mut self, accept: bool) -> nix::Result<usize> {
        let Some(id) = self.highest.take() else { return Ok(0) };
        let mut m = self.msg(NFQNL_MSG_VERDICT_BATCH, libc::NLM_F_ACK);
        // struct nfqnl_msg_verdict_hdr: verdict, id (both big-endian).
        let mut hdr = (if accept { NF_ACCEPT } else { NF_DROP }).to_be_bytes().to_vec();
        hdr.extend(id.to_be_bytes());
        m.attr(NFQA_VERDICT_HDR, &hdr);
        self.send(&mut m)?;
        let n = std::mem::take(&mut self.waiting);
        self.acked()?;
        Ok(n)
    }
}

impl AsFd for Queue {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_ids_are_read_from_whole_messages_only() {
        // Two NFQNL_MSG_PACKET messages (ids 7 and 9, 4-byte aligned) and a torn third.
        let packet = |id: u32| {
            let mut m = Msg::raw((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET, 0, 0);
            m.header(&nfgen(4711));
            let mut hdr = id.to_be_bytes().to_vec();
            hdr.extend([8, 0, 0]); // ETH_P_IP, hook
            m.attr(NFQA_PACKET_HDR, &hdr);
            m.finish().to_vec()
        };
        let mut buf = packet(7);
        buf.extend(packet(9));
        let whole = buf.len();
        buf.extend(&packet(11)[..20]);
        assert_eq!(messages(&buf).map(|m| m.len()).sum::<usize>(), whole);
        let mut q = Queue {
            fd: super::super::route::socket(libc::NETLINK_ROUTE, true).unwrap(),
            num: 4711,
            seq: 0,
            highest: None,
            waiting: 0,
        };
        for m in messages(&buf) {
            q.note(m);
        }
        assert_eq!((q.highest, q.waiting), (Some(9), 2));
    }
}
