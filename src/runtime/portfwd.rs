//! Published TCP ports for slirp4netns containers, the way rootlesskit's port driver does them
//! for Podman: hutch binds the host ports itself, and a small forwarder process (`hutch
//! __portfwd`, a child of whoever runs the network helper) accepts each connection, gets a
//! socket connected to the container's address from a process inside the container's network
//! namespace (handed over with SCM_RIGHTS), and splices bytes between the two in the kernel.
//! That is about twice slirp4netns's own port forwarding (which goes through its user-space
//! TCP stack). UDP ports stay with slirp4netns.
//!
//! Entering the network namespace needs its user namespace first, which only a
//! single-threaded process may do: the forwarder forks that "connector" before it starts any
//! thread. Both die with their parent (PR_SET_PDEATHSIG).

use std::net::TcpListener;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::sys::process;

/// Start the forwarder for `listeners` (host sockets, each with the container port it goes
/// to) into the namespaces behind `userns`/`netns`, connecting to `guest_ip`.
pub fn start(
    listeners: &[(TcpListener, u16)],
    userns: &OwnedFd,
    netns: &OwnedFd,
    guest_ip: &str,
) -> Result<std::process::Child> {
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg("__portfwd")
        .arg(userns.as_raw_fd().to_string())
        .arg(netns.as_raw_fd().to_string())
        .arg(guest_ip);
    let mut keep = vec![userns.as_raw_fd(), netns.as_raw_fd()];
    for (l, port) in listeners {
        cmd.arg(format!("{}:{port}", l.as_raw_fd()));
        keep.push(l.as_raw_fd());
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    process::pre_exec_tie(&mut cmd, keep);
    cmd.spawn().map_err(|e| crate::err!("starting the port forwarder: {e}"))
}

/// Entry of `hutch __portfwd USERNS_FD NETNS_FD GUEST_IP LISTEN_FD:PORT…`.
pub fn exec_main() -> i32 {
    process::set_name("hutch-portfwd");
    let args: Vec<String> = std::env::args().skip(2).collect();
    let fd = |s: &str| s.parse::<RawFd>().ok();
    let (Some(userns), Some(netns), Some(guest)) = (
        args.first().and_then(|s| fd(s)),
        args.get(1).and_then(|s| fd(s)),
        args.get(2),
    ) else {
        eprintln!("hutch __portfwd: bad arguments");
        return 125;
    };
    // adopt_fd: these fds were left open for us by `start` and nothing else owns them.
    let (userns, netns) = (crate::sys::fd::adopt_fd(userns), crate::sys::fd::adopt_fd(netns));
    let mut listeners = Vec::new();
    for a in &args[3..] {
        let Some((l, p)) = a
            .split_once(':')
            .and_then(|(l, p)| Some((fd(l)?, p.parse::<u16>().ok()?)))
        else {
            eprintln!("hutch __portfwd: bad listener {a}");
            return 125;
        };
        // Left open for us by `start` like the namespace fds (see adopt_fd).
        listeners.push((TcpListener::from(crate::sys::fd::adopt_fd(l)), p));
    }
    let (ours, theirs) = match super::Channel::pair() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("hutch __portfwd: {}", e.message);
            return 125;
        }
    };
    match process::fork() {
        Ok(None) => {
            drop(ours);
            drop(listeners);
            let _ = process::die_with_parent();
            connector(&theirs, &userns, &netns, guest)
        }
        Ok(Some(_)) => {}
        Err(e) => {
            eprintln!("hutch __portfwd: fork: {e}");
            return 125;
        }
    }
    drop((theirs, userns, netns));
    let conn = Arc::new(Mutex::new(ours));
    let threads: Vec<_> = listeners
        .into_iter()
        .map(|(l, port)| {
            let conn = conn.clone();
            std::thread::spawn(move || accept_loop(l, port, &conn))
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    0
}

fn accept_loop(l: TcpListener, port: u16, conn: &Mutex<super::Channel>) {
    loop {
        let client = match l.accept() {
            Ok((c, _)) => c,
            // Out of fds, say: give it a moment rather than spin.
            Err(_) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
        };
        let inside = {
            let c = conn.lock().unwrap_or_else(|e| e.into_inner());
            connect_inside(&c, port)
        };
        // Nothing listens in the container (yet): the client sees the connection close.
        let Some(inside) = inside else { continue };
        let client = OwnedFd::from(client);
        let (a, b) = match (client.try_clone(), inside.try_clone()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => continue,
        };
        std::thread::spawn(move || relay(&client, &inside));
        std::thread::spawn(move || relay(&b, &a));
    }
}

/// Ask the connector for a socket connected to the container's `port`.
fn connect_inside(conn: &super::Channel, port: u16) -> Option<OwnedFd> {
    nix::sys::socket::send(
        conn.fd.as_raw_fd(),
        &port.to_ne_bytes(),
        nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
    )
    .ok()?;
    match conn.recv() {
        super::Msg::Fd(fd) => Some(fd),
        _ => None,
    }
}

/// The connector, inside the container's namespaces: one connected socket per request.
fn connector(conn: &super::Channel, userns: &OwnedFd, netns: &OwnedFd, guest: &str) -> ! {
    use nix::sched::{setns, CloneFlags};
    // Nothing in the container may open this process's memory or binary (as for exec's helper).
    let _ = nix::sys::prctl::set_dumpable(false);
    if setns(userns, CloneFlags::CLONE_NEWUSER).is_err() || setns(netns, CloneFlags::CLONE_NEWNET).is_err() {
        process::exit_now(1);
    }
    let Ok(ip) = guest.parse::<std::net::Ipv4Addr>() else {
        process::exit_now(1)
    };
    loop {
        let mut b = [0u8; 2];
        match nix::sys::socket::recv(conn.fd.as_raw_fd(), &mut b, nix::sys::socket::MsgFlags::empty()) {
            Ok(2) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            _ => process::exit_now(0),
        }
        match std::net::TcpStream::connect((ip, u16::from_ne_bytes(b))) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                conn.send_fd(&OwnedFd::from(s));
            }
            Err(e) => conn.send_error(125, &e.to_string()),
        }
    }
}

/// Copy `from` to `to` through a pipe with splice(2) until EOF, then pass the EOF on.
pub(crate) fn relay(from: &OwnedFd, to: &OwnedFd) {
    use nix::fcntl::{splice, SpliceFFlags};
    let Ok((r, w)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return;
    };
    let _ = nix::fcntl::fcntl(&w, nix::fcntl::FcntlArg::F_SETPIPE_SZ(1 << 20));
    let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_MORE;
    'outer: loop {
        let n = match splice(from.as_fd(), None, w.as_fd(), None, 1 << 20, flags) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut left = n;
        while left > 0 {
            match splice(r.as_fd(), None, to.as_fd(), None, left, flags) {
                Ok(0) | Err(_) => break 'outer,
                Ok(m) => left -= m,
            }
        }
    }
    let _ = nix::sys::socket::shutdown(to.as_raw_fd(), nix::sys::socket::Shutdown::Write);
    let _ = nix::sys::socket::shutdown(from.as_raw_fd(), nix::sys::socket::Shutdown::Read);
}
