//! Firewall rules over nf_tables' netlink, in-process: the shared network namespace's
//! `filter` FORWARD, `nat` POSTROUTING and `nat` PREROUTING rules, encoded exactly as Debian's iptables-nft
//! (1.8.9) encodes them, so that `iptables -S` lists them and `iptables-restore --noflush`
//! (`network reload`) changes them as its own.
//!
//! Running iptables-restore instead costs an exec, its libraries and extensions, and, worst,
//! a close of a netfilter socket right after its commit, which waits for the commit's
//! transactions to be freed (an RCU grace period: 13-16 ms measured here). hutch-netns keeps
//! one socket open for its lifetime, so a batch costs its send and the kernel's acks.
//! (Evaluated: the `rustables` crate covers these expressions but brings a proc-macro and
//! several crates for the ~150 lines below; the `nftables` crate runs the `nft` binary, which
//! is the cost this avoids and is not installed here.)

use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;

use super::route::{Msg, NETLINK_NETFILTER};

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 16;
const NFNL_MSG_BATCH_END: u16 = 17;
const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_DELTABLE: u16 = 2;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_NEWRULE: u16 = 6;
const NFT_MSG_DELRULE: u16 = 8;

const NFTA_TABLE_NAME: u16 = 1;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_RULE_COMPAT: u16 = 5;
const NFTA_RULE_COMPAT_PROTO: u16 = 1;
const NFTA_RULE_COMPAT_FLAGS: u16 = 2;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;
const NFTA_DATA_VERDICT: u16 = 2;
const NFTA_VERDICT_CODE: u16 = 1;

/// Register 1 (iptables-nft's), and the verdict register.
const REG_1: u32 = 1;
const REG_VERDICT: u32 = 0;
const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;

/// A hook of the IPv4 family.
#[derive(Debug, Clone, Copy)]
pub enum Hook {
    /// `filter` FORWARD: hook 2, priority 0.
    Forward,
    /// `nat` POSTROUTING: hook 4, priority 100 (source NAT).
    PostRouting,
    /// `nat` PREROUTING: hook 0, priority -100 (destination NAT).
    PreRouting,
    /// `raw` PREROUTING: hook 0, priority -300 (before connection tracking and routing).
    Raw,
}

/// A rule's match, as iptables writes it: `-i`/`-o` NAME (NAME+ a prefix), negated or not,
/// `-s`/`-d` ADDR/PREFIX (`! -d`: NotDest) and `-p` PROTOCOL (its number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    InIf(String, bool),
    OutIf(String, bool),
    Source(Ipv4Addr, u8),
    Dest(Ipv4Addr, u8),
    NotDest(Ipv4Addr, u8),
    Proto(u8),
    /// The transport header's source port (`-p udp --sport N`; after `Proto`).
    SPort(u16),
}

/// What a rule does: `-j ACCEPT`, `-j MASQUERADE`, `-j REDIRECT --to-ports PORT` or
/// `-j NFQUEUE --queue-num NUM --queue-bypass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Accept,
    Masquerade,
    Redirect(u16),
    Queue(u16),
}

/// One transaction: tables, base chains and appended rules, applied all or nothing.
pub struct Batch {
    b: Vec<u8>,
    seq: u32,
    /// The sequence numbers whose acknowledgements `Nft::commit` waits for.
    acked: Vec<u32>,
}

/// struct nfgenmsg: family, version 0, resource id (big-endian).
fn nfgen(family: u8, res: u16) -> [u8; 4] {
    let r = res.to_be_bytes();
    [family, 0, r[0], r[1]]
}

fn be32(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

impl Default for Batch {
    fn default() -> Self {
        Self::new()
    }
}

impl Batch {
    pub fn new() -> Batch {
        let mut b = Batch {
            b: Vec::with_capacity(2048),
            seq: 0,
            acked: Vec::new(),
        };
        b.push_plain(NFNL_MSG_BATCH_BEGIN);
        b
    }

    /// A batch delimiter (not acknowledged).
    fn push_plain(&mut self, kind: u16) {
        self.seq += 1;
        let mut m = Msg::raw(kind, libc::NLM_F_REQUEST as u16, self.seq);
        m.header(&nfgen(libc::AF_UNSPEC as u8, NFNL_SUBSYS_NFTABLES));
        self.b.extend(m.finish());
    }

    /// An acknowledged nf_tables message of the IPv4 family, built by `f`.
    fn push(&mut self, kind: u16, flags: i32, f: impl FnOnce(&mut Msg)) {
        self.seq += 1;
        let flags = (libc::NLM_F_REQUEST | libc::NLM_F_ACK | flags) as u16;
        let mut m = Msg::raw((NFNL_SUBSYS_NFTABLES << 8) | kind, flags, self.seq);
        m.header(&nfgen(libc::AF_INET as u8, 0));
        f(&mut m);
        self.b.extend(m.finish());
        self.acked.push(self.seq);
    }

    /// Table `name` (made if missing).
    pub fn table(&mut self, name: &str) -> &mut Batch {
        self.push(NFT_MSG_NEWTABLE, libc::NLM_F_CREATE, |m| {
            m.name(NFTA_TABLE_NAME, name);
        });
        self
    }

    /// Table `name` deleted, with its chains and rules.
    pub fn del_table(&mut self, name: &str) -> &mut Batch {
        self.push(NFT_MSG_DELTABLE, 0, |m| {
            m.name(NFTA_TABLE_NAME, name);
        });
        self
    }

    /// Every rule of `chain` in `table` deleted (the chain stays: deleting a base chain
    /// unregisters its hook, which drops every packet queued in the namespace's nfnetlink
    /// queues).
    pub fn flush_chain(&mut self, table: &str, chain: &str) -> &mut Batch {
        self.push(NFT_MSG_DELRULE, 0, |m| {
            m.name(NFTA_RULE_TABLE, table).name(NFTA_RULE_CHAIN, chain);
        });
        self
    }

    /// The base chain `name` of `table` on `hook`, iptables' built-in chain of that name, with
    /// its policy (made if missing, its policy set if not).
    pub fn base_chain(&mut self, table: &str, name: &str, hook: Hook, accept: bool) -> &mut Batch {
        let (num, prio, kind) = match hook {
            Hook::Forward => (2u32, 0i32, "filter"),
            Hook::PostRouting => (4, 100, "nat"),
            Hook::PreRouting => (0, -100, "nat"),
            Hook::Raw => (0, -300, "filter"),
        };
        self.push(NFT_MSG_NEWCHAIN, libc::NLM_F_CREATE, |m| {
            m.name(NFTA_CHAIN_TABLE, table)
                .name(NFTA_CHAIN_NAME, name)
                .begin(NFTA_CHAIN_HOOK)
                .attr(NFTA_HOOK_HOOKNUM, &be32(num))
                .attr(NFTA_HOOK_PRIORITY, &prio.to_be_bytes())
                .end()
                .attr(NFTA_CHAIN_POLICY, &be32(if accept { NF_ACCEPT } else { NF_DROP }))
                .name(NFTA_CHAIN_TYPE, kind);
        });
        self
    }

    /// A rule appended to `chain` of `table`: the matches, a counter, the target.
    pub fn rule(&mut self, table: &str, chain: &str, matches: &[Match], target: Target) -> &mut Batch {
        self.rule_at(table, chain, matches, target, true)
    }

    /// A rule put first in its chain (`iptables -I`).
    pub fn insert_rule(&mut self, table: &str, chain: &str, matches: &[Match], target: Target) -> &mut Batch {
        self.rule_at(table, chain, matches, target, false)
    }

    fn rule_at(&mut self, table: &str, chain: &str, matches: &[Match], target: Target, append: bool) -> &mut Batch {
        let flags = if append {
            libc::NLM_F_CREATE | libc::NLM_F_APPEND
        } else {
            libc::NLM_F_CREATE
        };
        self.push(NFT_MSG_NEWRULE, flags, |m| {
            m.name(NFTA_RULE_TABLE, table)
                .name(NFTA_RULE_CHAIN, chain)
                .begin(NFTA_RULE_EXPRESSIONS);
            for x in matches {
                match x {
                    Match::InIf(n, neg) | Match::OutIf(n, neg) => {
                        // meta iifname/oifname into reg 1, compared with the name and its NUL
                        // (a whole name) or with the prefix before `+`.
                        let key = if matches!(x, Match::InIf(..)) { 6 } else { 7 };
                        expr(m, "meta", |m| {
                            m.attr(2, &be32(key)).attr(1, &be32(REG_1));
                        });
                        let mut data = n.trim_end_matches('+').as_bytes().to_vec();
                        if !n.ends_with('+') {
                            data.push(0);
                        }
                        cmp(m, *neg, &data);
                    }
                    Match::Proto(p) => {
                        // meta l4proto into reg 1, compared with the protocol's number.
                        expr(m, "meta", |m| {
                            m.attr(2, &be32(16)).attr(1, &be32(REG_1));
                        });
                        cmp(m, false, &[*p]);
                    }
                    Match::SPort(port) => {
                        // The transport header's first two bytes into reg 1.
                        expr(m, "payload", |m| {
                            m.attr(1, &be32(REG_1))
                                .attr(2, &be32(2)) // the transport header
                                .attr(3, &be32(0))
                                .attr(4, &be32(2));
                        });
                        cmp(m, false, &port.to_be_bytes());
                    }
                    Match::Source(addr, prefix) | Match::Dest(addr, prefix) | Match::NotDest(addr, prefix) => {
                        // iptables-nft's: the prefix's bytes loaded and compared, or, for a
                        // prefix that ends inside a byte, the whole address masked.
                        let len = if *prefix % 8 == 0 { *prefix as usize / 8 } else { 4 };
                        let offset = if matches!(x, Match::Source(..)) { 12 } else { 16 }; // saddr, daddr
                        let neg = matches!(x, Match::NotDest(..));
                        let addr = addr.octets();
                        expr(m, "payload", |m| {
                            m.attr(1, &be32(REG_1))
                                .attr(2, &be32(1)) // the network header
                                .attr(3, &be32(offset))
                                .attr(4, &be32(len as u32));
                        });
                        let mask = u32::MAX.checked_shl(32 - *prefix as u32).unwrap_or(0).to_be_bytes();
                        if *prefix % 8 != 0 {
                            expr(m, "bitwise", |m| {
                                m.attr(1, &be32(REG_1)).attr(2, &be32(REG_1)).attr(3, &be32(len as u32));
                                m.begin(4).attr(NFTA_DATA_VALUE, &mask[..len]).end();
                                m.begin(5).attr(NFTA_DATA_VALUE, &vec![0u8; len]).end();
                            });
                        }
                        let net: Vec<u8> = addr.iter().zip(mask.iter()).map(|(a, k)| a & k).collect();
                        cmp(m, neg, &net[..len]);
                    }
                }
            }
            expr(m, "counter", |m| {
                m.attr(1, &0u64.to_be_bytes()).attr(2, &0u64.to_be_bytes());
            });
            match target {
                Target::Accept => expr(m, "immediate", |m| {
                    m.attr(1, &be32(REG_VERDICT))
                        .begin(2)
                        .begin(NFTA_DATA_VERDICT)
                        .attr(NFTA_VERDICT_CODE, &be32(NF_ACCEPT))
                        .end()
                        .end();
                }),
                Target::Masquerade => expr(m, "target", |m| {
                    // xt's MASQUERADE, revision 0, and its struct
                    // nf_nat_ipv4_multi_range_compat: one empty range.
                    let mut info = vec![0u8; 24];
                    info[..4].copy_from_slice(&1u32.to_ne_bytes());
                    m.name(1, "MASQUERADE").attr(2, &be32(0)).attr(3, &info);
                }),
                Target::Redirect(port) => expr(m, "target", |m| {
                    // xt's REDIRECT, revision 0: one range whose protocol part (flag
                    // NF_NAT_RANGE_PROTO_SPECIFIED) is the port, min and max, big-endian.
                    let mut info = vec![0u8; 24];
                    info[..4].copy_from_slice(&1u32.to_ne_bytes());
                    info[4..8].copy_from_slice(&2u32.to_ne_bytes());
                    info[16..18].copy_from_slice(&port.to_be_bytes());
                    info[18..20].copy_from_slice(&port.to_be_bytes());
                    m.name(1, "REDIRECT").attr(2, &be32(0)).attr(3, &info);
                }),
                Target::Queue(num) => expr(m, "target", |m| {
                    // xt's NFQUEUE, revision 3: struct xt_NFQ_info_v3 (queue number, queues
                    // in all: 1, flags: NFQ_FLAG_BYPASS), padded to 8 bytes as iptables does.
                    let mut info = vec![0u8; 8];
                    info[..2].copy_from_slice(&num.to_ne_bytes());
                    info[2..4].copy_from_slice(&1u16.to_ne_bytes());
                    info[4..6].copy_from_slice(&1u16.to_ne_bytes());
                    m.name(1, "NFQUEUE").attr(2, &be32(3)).attr(3, &info);
                }),
            }
            m.end();
            // The protocol `-p` named (iptables-nft's compat attribute), else 0.
            let proto = matches
                .iter()
                .find_map(|x| match x {
                    Match::Proto(p) => Some(u32::from(*p)),
                    _ => None,
                })
                .unwrap_or(0);
            m.begin(NFTA_RULE_COMPAT)
                .attr(NFTA_RULE_COMPAT_PROTO, &be32(proto))
                .attr(NFTA_RULE_COMPAT_FLAGS, &be32(0))
                .end();
        });
        self
    }
}

/// One expression of a rule: its name and its data (`f`).
fn expr(m: &mut Msg, name: &str, f: impl FnOnce(&mut Msg)) {
    m.begin(NFTA_LIST_ELEM).name(NFTA_EXPR_NAME, name).begin(NFTA_EXPR_DATA);
    f(m);
    m.end().end();
}

/// Register 1 compared (equal, or not when `neg`) with `data`.
fn cmp(m: &mut Msg, neg: bool, data: &[u8]) {
    expr(m, "cmp", |m| {
        m.attr(1, &be32(REG_1))
            .attr(2, &be32(neg as u32))
            .begin(3)
            .attr(NFTA_DATA_VALUE, data)
            .end();
    });
}

/// A NETLINK_NETFILTER socket in the network namespace of the thread that opened it, kept open
/// (its close after a commit waits for the kernel to free the commit's transactions).
pub struct Nft {
    fd: OwnedFd,
}

impl Nft {
    pub fn open() -> nix::Result<Nft> {
        let fd = super::route::socket(NETLINK_NETFILTER, false)?;
        let tv = libc::timeval { tv_sec: 10, tv_usec: 0 };
        // SAFETY: setting a timeval option on our socket.
        Errno::result(unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        })?;
        Ok(Nft { fd })
    }

    /// Apply the batch and wait for every message's acknowledgement; the first error the
    /// kernel reports fails it (and the kernel applied none of it).
    pub fn commit(&self, mut batch: Batch) -> nix::Result<()> {
        batch.push_plain(NFNL_MSG_BATCH_END);
        super::route::send(&self.fd, &batch.b)?;
        let mut waiting = batch.acked;
        let mut buf = vec![0u8; 16384];
        while !waiting.is_empty() {
            let n = super::route::recv(&self.fd, &mut buf, false)?;
            for m in super::route::messages(&buf[..n]) {
                let seq = u32::from_ne_bytes([m[8], m[9], m[10], m[11]]);
                if let Some(code) = super::route::ack_code(m) {
                    if code != 0 {
                        return Err(Errno::from_raw(-code));
                    }
                    waiting.retain(|s| *s != seq);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_framed_and_acknowledged_per_message() {
        let mut b = Batch::new();
        b.table("filter")
            .base_chain("filter", "FORWARD", Hook::Forward, false)
            .rule(
                "filter",
                "FORWARD",
                &[
                    Match::InIf("podman0".into(), false),
                    Match::OutIf("podman+".into(), true),
                    Match::Source(Ipv4Addr::new(10, 89, 3, 0), 20),
                ],
                Target::Accept,
            );
        assert_eq!(b.acked, vec![2, 3, 4]);
        // Every message is whole and 4-aligned; the rule's prefix match has no NUL.
        let mut off = 0;
        let mut kinds = Vec::new();
        while off < b.b.len() {
            let len = u32::from_ne_bytes(b.b[off..off + 4].try_into().unwrap()) as usize;
            assert_eq!(len % 4, 0);
            kinds.push(u16::from_ne_bytes([b.b[off + 4], b.b[off + 5]]));
            off += len;
        }
        assert_eq!(off, b.b.len());
        assert_eq!(kinds, vec![16, 10 << 8, (10 << 8) | 3, (10 << 8) | 6]);
        let rule = &b.b;
        assert!(rule.windows(8).any(|w| w == b"podman0\0"));
        assert!(rule.windows(6).any(|w| w == b"podman") && !rule.windows(7).any(|w| w == b"podman+"));
        // 10.89.3.0/20: the whole address masked with 255.255.240.0, compared with 10.89.0.0.
        assert!(rule.windows(4).any(|w| w == [255, 255, 240, 0]));
        assert!(rule.windows(4).any(|w| w == [10, 89, 0, 0]));
    }
}
