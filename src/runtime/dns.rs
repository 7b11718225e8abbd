//! The DNS wire format the shared network's responder needs (RFC 1035): read a query's
//! header and question, and write an answer with A records (or none, or NXDOMAIN). Everything
//! else (other names, other types) is forwarded to the host's resolver byte for byte, so
//! nothing more of the format is needed here. Pure; unit-tested.

use std::net::Ipv4Addr;

pub const TYPE_A: u16 = 1;
pub const TYPE_ANY: u16 = 255;

/// A standard query with one question.
#[derive(Debug, PartialEq, Eq)]
pub struct Query {
    pub id: u16,
    /// Lower case, without the trailing dot.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
    /// Where the question ends in the packet.
    pub end: usize,
}

/// The query in `b`, when it is a standard query (opcode 0, QR 0) with exactly one question
/// whose name is written without compression.
pub fn parse_query(b: &[u8]) -> Option<Query> {
    if b.len() < 12 {
        return None;
    }
    let id = u16::from_be_bytes([b[0], b[1]]);
    let flags = u16::from_be_bytes([b[2], b[3]]);
    if flags & 0x8000 != 0 || (flags >> 11) & 0xf != 0 {
        return None;
    }
    if u16::from_be_bytes([b[4], b[5]]) != 1 {
        return None;
    }
    let mut i = 12;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let len = *b.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        let l = b.get(i..i + len)?;
        labels.push(String::from_utf8_lossy(l).to_ascii_lowercase());
        i += len;
    }
    let t = b.get(i..i + 4)?;
    Some(Query {
        id,
        name: labels.join("."),
        qtype: u16::from_be_bytes([t[0], t[1]]),
        qclass: u16::from_be_bytes([t[2], t[3]]),
        end: i + 4,
    })
}

/// An authoritative answer to `q` (read from `query`): A records for `ips` (when the query
/// asks for A or ANY), or NXDOMAIN with `nxdomain`. TTL 60 s, as short-lived as containers.
pub fn answer(query: &[u8], q: &Query, ips: &[Ipv4Addr], nxdomain: bool) -> Vec<u8> {
    let rd = u16::from_be_bytes([query[2], query[3]]) & 0x0100;
    let rcode = if nxdomain { 3 } else { 0 };
    let flags: u16 = 0x8000 | 0x0400 | rd | 0x0080 | rcode;
    let answers: &[Ipv4Addr] = if nxdomain || !(q.qtype == TYPE_A || q.qtype == TYPE_ANY) {
        &[]
    } else {
        ips
    };
    let mut out = Vec::with_capacity(q.end + answers.len() * 16);
    out.extend_from_slice(&q.id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&query[12..q.end]);
    for ip in answers {
        // The name: a pointer to the question's (offset 12).
        out.extend_from_slice(&[0xc0, 12]);
        out.extend_from_slice(&TYPE_A.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&ip.octets());
    }
    out
}

/// A SERVFAIL for `query` (the upstream resolver is unreachable): its header and question.
pub fn servfail(query: &[u8], q: &Query) -> Vec<u8> {
    let mut out = answer(query, q, &[], false);
    out[3] = (out[3] & 0xf0) | 2;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    const TYPE_AAAA: u16 = 28;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut b = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for l in name.split('.') {
            b.push(l.len() as u8);
            b.extend_from_slice(l.as_bytes());
        }
        b.push(0);
        b.extend_from_slice(&qtype.to_be_bytes());
        b.extend_from_slice(&1u16.to_be_bytes());
        b
    }

    #[test]
    fn parse_and_answer() {
        let b = query("Web.dns.podman", TYPE_A);
        let q = parse_query(&b).unwrap();
        assert_eq!(q.name, "web.dns.podman");
        assert_eq!((q.id, q.qtype, q.end), (0x1234, TYPE_A, b.len()));
        let a = answer(&b, &q, &["10.89.0.2".parse().unwrap()], false);
        assert_eq!(&a[0..4], &[0x12, 0x34, 0x85, 0x80]);
        assert_eq!(&a[6..8], &[0, 1]);
        assert_eq!(&a[a.len() - 4..], &[10, 89, 0, 2]);
        let aaaa = query("web", TYPE_AAAA);
        let q6 = parse_query(&aaaa).unwrap();
        let a = answer(&aaaa, &q6, &["10.89.0.2".parse().unwrap()], false);
        assert_eq!(a.len(), aaaa.len());
        assert_eq!(&a[6..8], &[0, 0]);
        let nx = answer(&b, &q, &[], true);
        assert_eq!(nx[3] & 0xf, 3);
        assert_eq!(servfail(&b, &q)[3] & 0xf, 2);
        // Responses and truncated packets are not queries.
        assert!(parse_query(&a).is_none());
        assert!(parse_query(&b[..b.len() - 2]).is_none());
    }
}
