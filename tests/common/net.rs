//! Networking helpers shared by the network tests: the host's address, a free port, an HTTP GET
//! of a published port, and commands run inside the user's shared network namespace.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::{wait_until, Env};

/// The host's address on its default route (pasta gives the container the same one).
pub fn host_ip() -> String {
    let out = std::process::Command::new("ip")
        .args(["-4", "-o", "route", "get", "192.0.2.250"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        if w == "src" {
            return words.next().unwrap().to_string();
        }
    }
    panic!("no source address in {text:?}")
}

/// GET `path` from 127.0.0.1:`port` (busybox httpd) until it answers, within 10 s; the body.
pub fn http_get(port: u16, path: &str) -> String {
    let t = Instant::now();
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes()).unwrap();
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            if let Some((_, body)) = text.split_once("\r\n\r\n") {
                return body.to_string();
            }
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no HTTP answer on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A TCP port free on the host's loopback now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// hutch-netns's pid from the shared state file (written once its pasta runs, which a first
/// container does not wait for).
pub fn netns_pid(env: &Env) -> i32 {
    let path = env.run_dir().join("hutch/net/shared.json");
    wait_until("the shared namespace's state", || path.exists());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["pid"].as_i64().unwrap() as i32
}

/// A command run inside the shared namespace as its root (entered through hutch-netns's pid).
pub fn in_shared(pid: i32, cmd: &[&str]) -> String {
    let out = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-U", "-n"])
        .args(cmd)
        .output()
        .unwrap();
    assert!(out.status.success(), "{cmd:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// hutch-netns's and pasta's pids from the shared state file (pasta's 0 until it runs).
pub fn shared_state(env: &Env) -> Option<(i32, i32)> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.run_dir().join("hutch/net/shared.json")).ok()?).ok()?;
    Some((v["pid"].as_i64()? as i32, v["pasta_pid"].as_i64()? as i32))
}

/// A packet from container `ctr` to the outside (a TCP connection to 198.51.100.7, given up
/// after 1 s): the shared namespace's pasta starts with the first packet out.
pub fn send_out(env: &Env, ctr: &str) {
    let _ = env.hutch(["exec", ctr, "sh", "-c", "nc -w 1 198.51.100.7 1 </dev/null || true"]);
}

/// `send_out`, then wait until the state names the pasta it started; (hutch-netns, pasta).
pub fn want_the_way_out(env: &Env, ctr: &str) -> (i32, i32) {
    send_out(env, ctr);
    wait_until("the shared namespace's pasta to be recorded", || {
        shared_state(env).is_some_and(|(_, p)| p != 0)
    });
    shared_state(env).unwrap()
}
