//! Test harness: runs the real hutch binary as an unprivileged user with its own XDG dirs,
//! against the registries tests/run (or tests/rig-up) starts on loopback.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod build_compare;
pub mod net;

pub const PLAIN: &str = "127.0.0.1:5000"; // HTTP, no auth
pub const AUTH: &str = "127.0.0.1:5001"; // HTTPS (test CA) + htpasswd testuser:testpass
pub const BEARER: &str = "127.0.0.1:5002"; // HTTP, bearer tokens for testuser:testpass
pub const FLAKY: &str = "127.0.0.1:5003"; // HTTP, 503s/resets/429s first, corrupts corrupt/*, slow/* trickles

pub fn rig_dir() -> PathBuf {
    PathBuf::from(std::env::var("HUTCH_TEST_RIG").unwrap_or_else(|_| "/var/tmp/hutch-rig".into()))
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The user hutch runs as: HUTCH_TEST_USER when the tests run as root, else ourselves.
pub fn test_user(nosub: bool) -> Option<nix::unistd::User> {
    if !is_root() {
        return None;
    }
    let var = if nosub {
        "HUTCH_TEST_NOSUB_USER"
    } else {
        "HUTCH_TEST_USER"
    };
    let name = std::env::var(var).unwrap_or_else(|_| if nosub { "hutchnosub".into() } else { "hutchtest".into() });
    let u = nix::unistd::User::from_name(&name)
        .unwrap()
        .unwrap_or_else(|| panic!("test user {name} does not exist: run tests/run or tests/rig-up"));
    Some(u)
}

pub fn hutch_bin() -> PathBuf {
    std::env::var_os("HUTCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_hutch")))
}

/// One isolated hutch environment: its own HOME and XDG dirs, owned by the test user.
pub struct Env {
    pub root: PathBuf,
    pub user: Option<nix::unistd::User>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success: {self:?}");
        self
    }

    /// Failure with exit code `code` and an `Error:` line containing `needle`.
    #[track_caller]
    pub fn exits(self, code: i32, needle: &str) -> Run {
        assert_eq!(self.code, code, "expected exit {code}: {self:?}");
        assert!(
            self.stderr
                .lines()
                .any(|l| l.starts_with("Error: ") && l.contains(needle)),
            "expected {needle:?} in an error: {self:?}"
        );
        self
    }

    /// Failure with exit code 125 and exactly one `Error:` line containing `needle`.
    #[track_caller]
    pub fn fails_with(self, needle: &str) -> Run {
        assert_eq!(self.code, 125, "expected exit 125: {self:?}");
        let errs: Vec<&str> = self.stderr.lines().filter(|l| l.starts_with("Error: ")).collect();
        assert_eq!(errs.len(), 1, "expected one Error: line: {self:?}");
        assert!(errs[0].contains(needle), "expected {needle:?} in the error: {self:?}");
        self
    }
}

impl Env {
    pub fn new() -> Env {
        Self::for_user(false)
    }

    pub fn nosub() -> Env {
        Self::for_user(true)
    }

    fn for_user(nosub: bool) -> Env {
        let user = test_user(nosub);
        let base = PathBuf::from(std::env::var("HUTCH_TEST_TMP").unwrap_or_else(|_| "/var/tmp/hutch-tests".into()));
        std::fs::create_dir_all(&base).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o1777));
        let root = base.join(format!("t-{}-{}", std::process::id(), rand_hex()));
        for d in ["home", "data", "run", "config"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let env = Env { root, user };
        env.chown_tree(&env.root);
        std::fs::set_permissions(env.root.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
        env
    }

    pub fn chown_tree(&self, p: &Path) {
        if let Some(u) = &self.user {
            let st = Command::new("chown")
                .arg("-R")
                .arg(format!("{}:{}", u.uid, u.gid))
                .arg(p)
                .status()
                .unwrap();
            assert!(st.success());
        }
    }

    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn store(&self) -> PathBuf {
        self.root.join("data/hutch")
    }
    pub fn run_dir(&self) -> PathBuf {
        self.root.join("run")
    }
    pub fn config(&self) -> PathBuf {
        self.root.join("config")
    }
    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// Write a file (as the test user) below the env root.
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        self.chown_tree(&self.root.join(rel.split('/').next().unwrap()));
        p
    }

    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.as_user(hutch_bin().as_os_str());
        c.args(args);
        self.isolate(&mut c);
        c.env("LANG", "C.UTF-8").stdin(Stdio::null());
        c
    }

    /// `program`, run as the test user when there is one.
    fn as_user(&self, program: &OsStr) -> Command {
        match &self.user {
            Some(u) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={}", u.uid))
                    .arg(format!("--regid={}", u.gid))
                    .arg("--init-groups")
                    .arg("--")
                    .arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    /// Run another program (a shell, say) as the test user with this Env's HOME and XDG dirs;
    /// the directory of the hutch under test comes first in its PATH.
    pub fn program<I, S>(&self, program: &str, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.as_user(OsStr::new(program));
        c.args(args);
        self.isolate(&mut c);
        let bin_dir = hutch_bin().parent().unwrap().to_path_buf();
        c.env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", bin_dir.display()),
        );
        c.env("LANG", "C.UTF-8").stdin(Stdio::null());
        to_run(c.output().expect("running a program as the test user"))
    }

    /// A clean environment with this Env's HOME and XDG dirs, run from its root.
    fn isolate(&self, c: &mut Command) {
        c.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.data())
            .env("XDG_RUNTIME_DIR", self.run_dir())
            .env("XDG_CONFIG_HOME", self.config())
            .current_dir(&self.root);
    }

    pub fn hutch<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.command(args).output().expect("running hutch");
        to_run(out)
    }

    /// Run hutch with a pseudo-terminal as its stdio (through script(1)); `input` is typed
    /// after a short pause.
    pub fn hutch_tty(&self, args: &[&str], input: &str) -> Run {
        let mut inner = vec![];
        if let Some(u) = &self.user {
            inner.extend([
                "setpriv".to_string(),
                format!("--reuid={}", u.uid),
                format!("--regid={}", u.gid),
                "--init-groups".into(),
                "--".into(),
            ]);
        }
        inner.push(hutch_bin().display().to_string());
        inner.extend(args.iter().map(|s| s.to_string()));
        let quoted: Vec<String> = inner
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect();
        let mut c = Command::new("script");
        c.args([
            "-qfec",
            &format!("stty cols 101 rows 31; {}", quoted.join(" ")),
            "/dev/null",
        ]);
        self.isolate(&mut c);
        c.env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("script");
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_string();
        let feeder = std::thread::spawn(move || {
            use std::io::Write;
            std::thread::sleep(std::time::Duration::from_millis(800));
            for line in input.split_inclusive('\r') {
                let _ = stdin.write_all(line.as_bytes());
                let _ = stdin.flush();
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        });
        let out = child.wait_with_output().unwrap();
        let _ = feeder.join();
        to_run(out)
    }

    /// Pull from the plain registry (HTTP, so --tls-verify=false); returns the image id.
    pub fn pull(&self, name: &str) -> String {
        let r = self
            .hutch(["pull", "--tls-verify=false", &format!("{PLAIN}/{name}")])
            .ok();
        let id = r.stdout.trim().to_string();
        assert_eq!(id.len(), 64, "pull prints the full id: {r:?}");
        id
    }

    pub fn inspect(&self, image: &str) -> serde_json::Value {
        let r = self.hutch(["image", "inspect", image]).ok();
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v[0].clone()
    }

    /// The extracted directories of an image's layers, bottom first.
    pub fn layer_dirs(&self, image: &str) -> Vec<PathBuf> {
        let v = self.inspect(image);
        v["RootFS"]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| self.store().join("layers").join(&l.as_str().unwrap()[7..]).join("diff"))
            .collect()
    }

    /// Host uid a container uid maps to for the test user (subuid 200000:65536 in tests/run).
    pub fn host_uid(&self, container_uid: u32) -> u32 {
        match &self.user {
            None => nix::unistd::getuid().as_raw(),
            Some(u) if container_uid == 0 => u.uid.as_raw(),
            Some(u) => {
                let subuid = std::fs::read_to_string("/etc/subuid").unwrap();
                let start: u32 = subuid
                    .lines()
                    .find_map(|l| {
                        let f: Vec<&str> = l.split(':').collect();
                        (f[0] == u.name).then(|| f[1].parse().unwrap())
                    })
                    .expect("subuid range for the test user");
                start + container_uid - 1
            }
        }
    }

    /// Names of the entries in a store directory (tmp, layers, …).
    pub fn entries(&self, rel: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.store().join(rel))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Live (not zombie) processes started by this Env's hutch whose name is one of `names`,
    /// with their parents' pids. They are told apart from other tests' by the XDG_RUNTIME_DIR
    /// they inherited.
    pub fn processes_and_parents(&self, names: &[&str]) -> Vec<(i32, i32)> {
        let marker = format!("XDG_RUNTIME_DIR={}", self.run_dir().display());
        let mut v = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            let Some((comm, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") ")) else {
                continue;
            };
            if !names.contains(&comm) || rest.starts_with('Z') {
                continue;
            }
            let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
            if environ.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()) {
                let ppid: i32 = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
                v.push((pid, ppid));
            }
        }
        v
    }

    /// `processes_and_parents`' pids.
    pub fn processes(&self, names: &[&str]) -> Vec<i32> {
        self.processes_and_parents(names).into_iter().map(|(p, _)| p).collect()
    }

    /// Layer directories in the store (64-hex names).
    pub fn layer_count(&self) -> usize {
        self.entries("layers").iter().filter(|n| n.len() == 64).count()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // No container outlives its test, passed or failed, nor a pause process of podman's.
        let _ = self.hutch(["stop", "-a", "-t", "0"]);
        stop_podman_pause(&self.run_dir().join("libpod/tmp/pause.pid"));
        if std::thread::panicking() {
            eprintln!("keeping {} for inspection", self.root.display());
            return;
        }
        // Files owned by subordinate ids need the user's namespace to go: let hutch remove them.
        let _ = self.hutch(["rmi", "-a", "-f"]);
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub fn to_run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn rand_hex() -> String {
    let mut b = [0u8; 6];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn owner(p: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.uid(), m.gid())
}

pub fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

pub fn get_xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let path = CString::new(p.as_os_str().as_bytes()).unwrap();
    let name = CString::new(name).unwrap();
    let mut buf = vec![0u8; 256];
    // SAFETY: valid C strings and a buffer of the given length.
    let n = unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (n >= 0).then(|| buf[..n as usize].to_vec())
}

// Podman beside hutch, for the round trips of the ship tests.

/// Podman as the test user with its own store under the Env's root (runc, as benches/lib.sh).
pub fn podman(env: &Env, args: &[&str]) -> Run {
    let root = env.root.join("podman-storage");
    // Podman refuses a runroot longer than 50 characters: a short one under /tmp, named
    // after the Env (removed with it, see PodmanRun).
    let runroot = podman_runroot(env);
    let mut v: Vec<String> = vec![
        "--runtime".into(),
        "runc".into(),
        "--root".into(),
        root.display().to_string(),
        "--runroot".into(),
        runroot.display().to_string(),
        "--storage-driver".into(),
        "overlay".into(),
    ];
    v.extend(args.iter().map(|s| s.to_string()));
    env.program("podman", &v)
}

pub fn podman_runroot(env: &Env) -> PathBuf {
    PathBuf::from(format!(
        "/tmp/hutch-p-{}",
        env.root
            .file_name()
            .unwrap()
            .to_string_lossy()
            .rsplit('-')
            .next()
            .unwrap()
    ))
}

/// When the test ends: stops the pause process rootless podman leaves behind for the Env (its
/// pid is in the Env's XDG_RUNTIME_DIR) and removes the Env's podman runroot.
pub struct PodmanRun(PathBuf, PathBuf);

impl PodmanRun {
    pub fn new(env: &Env) -> PodmanRun {
        PodmanRun(podman_runroot(env), env.run_dir().join("libpod/tmp/pause.pid"))
    }
}

impl Drop for PodmanRun {
    fn drop(&mut self) {
        stop_podman_pause(&self.1);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Stops the pause process rootless podman started for an Env, by the pid in `pid_file` (in the
/// Env's XDG_RUNTIME_DIR), once that pid is still podman's pause process (Debian's podman runs
/// catatonit -P for it, others "podman pause").
fn stop_podman_pause(pid_file: &Path) {
    let Some(pid) = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
    else {
        return;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if matches!(comm.trim(), "podman pause" | "catatonit") {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
}

pub fn sh(env: &Env, script: &str) -> Run {
    env.program("sh", ["-c", script])
}

pub fn path(env: &Env, rel: &str) -> String {
    env.root.join(rel).display().to_string()
}

/// The rig's small busybox image.
pub const BASIC: &str = "127.0.0.1:5000/fixtures/basic";

/// A fresh Env with the rig's basic image pulled.
pub fn env_with_basic() -> Env {
    env_with(&["fixtures/basic"])
}

/// `VERB… --format TEMPLATE NAME` (`what` = the verb's words, then the name), trimmed.
pub fn fmt(env: &Env, what: &[&str], template: &str) -> String {
    let mut args: Vec<&str> = what[..what.len() - 1].to_vec();
    args.extend(["--format", template, what[what.len() - 1]]);
    env.hutch(&args).ok().stdout.trim().to_string()
}

/// A fresh Env with these rig images pulled.
pub fn env_with(images: &[&str]) -> Env {
    let env = Env::new();
    for i in images {
        env.pull(i);
    }
    env
}

/// Poll `f` every 50 ms until it holds; fail the test after 20 s.
pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let t = std::time::Instant::now();
    while !f() {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Host tools (python3) inside a busybox container: the host's /usr and its loader, bound
/// read-only.
pub const PY: &[&str] = &[
    "-v",
    "/usr:/usr:ro",
    "-v",
    "/usr/lib64:/lib64:ro",
    "-v",
    "/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro",
];
