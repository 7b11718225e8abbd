//! Fuzzing on stable Rust, bounded in time (issue 12): a mutation fuzzer (no coverage feedback)
//! drives each parser of untrusted input with inputs derived from seeds and dictionaries:
//! bit flips, interesting bytes, dictionary tokens, deletions, duplications, splices,
//! truncations. Every input must be answered (Ok or Err) without a panic; a layer tar must
//! never write outside its target directory. Inputs that once failed live in
//! tests/fuzz-regressions/<target>/ and are replayed first.
//!
//! `HUTCH_FUZZ_SECS` (default 3) bounds each target; `HUTCH_FUZZ_SEED` replays a run. Each
//! target prints `FUZZ target=… execs=… panics=0` (RELIABILITY.md quotes them).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hutch::fuzz;

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = &[
    0, 0xff, 0x7f, 0x80, b'/', b'.', b':', b'@', b'{', b'}', b'"', b'\\', b'\n', b'[', b']', b'=', b'-', b'0', b'9',
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>], dict: &[&str]) {
    let n = 1 + rng.below(6);
    for _ in 0..n {
        let len = input.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 if !dict.is_empty() => {
                let t = dict[rng.below(dict.len())].as_bytes();
                let i = rng.below(len + 1);
                input.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                input.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                let chunk: Vec<u8> = input[a..b].to_vec();
                let i = rng.below(len + 1);
                input.splice(i..i, chunk);
            }
            5 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + 1 + rng.below(64)).min(other.len());
                    let i = rng.below(len + 1);
                    input.splice(i..i, other[a..b].iter().copied());
                }
            }
            6 if len > 0 => {
                input.truncate(rng.below(len));
            }
            7 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            _ if len > 1 => {
                // Overwrite a run with one byte (long names, runs of digits).
                let a = rng.below(len);
                let b = (a + 1 + rng.below(300)).min(len);
                let v = INTERESTING[rng.below(INTERESTING.len())];
                for x in &mut input[a..b] {
                    *x = v;
                }
            }
            _ => {}
        }
    }
    if input.len() > 1 << 20 {
        input.truncate(1 << 20);
    }
}

fn secs() -> Duration {
    Duration::from_secs_f64(
        std::env::var("HUTCH_FUZZ_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3.0),
    )
}

fn seed() -> u64 {
    std::env::var("HUTCH_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

fn regressions(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.into_iter().map(|(_, d)| d).collect()
}

fn crash_dir() -> PathBuf {
    let base = PathBuf::from(std::env::var("HUTCH_TEST_TMP").unwrap_or_else(|_| "/var/tmp/hutch-tests".into()));
    base.join("fuzz-crashes")
}

/// Run `f` over the regressions, the seeds, then mutations until the time is up. Panics (and
/// `f`'s own Err verdicts, for properties such as "no write outside") are collected and saved.
fn fuzz_target(target: &str, seeds: Vec<Vec<u8>>, dict: &[&str], f: &dyn Fn(&[u8]) -> Result<(), String>) {
    let seed = seed();
    let mut rng = Rng::new(seed);
    let deadline = Instant::now() + secs();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures: Vec<(Vec<u8>, String)> = Vec::new();
    let mut execs = 0u64;
    let mut check = |input: &[u8], failures: &mut Vec<(Vec<u8>, String)>| {
        execs += 1;
        let r = catch_unwind(AssertUnwindSafe(|| f(input)));
        let why = match r {
            Ok(Ok(())) => return,
            Ok(Err(why)) => why,
            Err(p) => format!(
                "panic: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        };
        if failures.len() < 20 {
            failures.push((input.to_vec(), why));
        }
    };
    for r in regressions(target) {
        check(&r, &mut failures);
    }
    for s in &seeds {
        check(s, &mut failures);
    }
    let mut corpus = seeds.clone();
    while Instant::now() < deadline {
        let mut input = corpus[rng.below(corpus.len())].clone();
        mutate(&mut rng, &mut input, &seeds, dict);
        check(&input, &mut failures);
        // Keep some mutants as parents, so mutations stack up over the run.
        if rng.below(16) == 0 && input.len() < 1 << 16 {
            if corpus.len() > 256 {
                let i = seeds.len() + rng.below(corpus.len() - seeds.len());
                corpus[i] = input;
            } else {
                corpus.push(input);
            }
        }
    }
    std::panic::set_hook(hook);
    println!(
        "FUZZ target={target} execs={execs} failures={} seed={seed}",
        failures.len()
    );
    if !failures.is_empty() {
        let dir = crash_dir().join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let mut msgs = Vec::new();
        for (input, why) in &failures {
            let mut h = DefaultHasher::new();
            input.hash(&mut h);
            let p = dir.join(format!("{:016x}", h.finish()));
            std::fs::File::create(&p).unwrap().write_all(input).unwrap();
            msgs.push(format!("{}: {why}", p.display()));
        }
        panic!(
            "{target}: {} failing inputs (copy them into tests/fuzz-regressions/{target}/ once fixed):\n{}",
            failures.len(),
            msgs.join("\n")
        );
    }
}

fn b(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn fuzz_image_reference() {
    let seeds = b(&[
        "alpine",
        "docker.io/library/alpine:3.19",
        "127.0.0.1:5000/fixtures/basic:latest",
        "quay.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "localhost/x:y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "[::1]:5000/a/b:c",
        "linux/arm64/v8",
        "UPPER/Case:tag",
    ]);
    fuzz_target(
        "reference",
        seeds,
        &[
            ":",
            "@",
            "/",
            "sha256:",
            "docker.io/",
            "library/",
            ":5000",
            "..",
            "[",
            "]",
        ],
        &|d| {
            fuzz::reference(d);
            Ok(())
        },
    );
}

#[test]
fn fuzz_manifest_index_config() {
    let seeds = b(&[
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","size":7},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","size":32}]}"#,
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","platform":{"os":"linux","architecture":"amd64"}},{"digest":"sha256:2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}"#,
        r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","A=b"],"Cmd":["/bin/sh"],"Entrypoint":null,"WorkingDir":"/srv","User":"1000:1000","ExposedPorts":{"80/tcp":{},"53/udp":{}},"StopSignal":"SIGUSR1","Labels":{"a":"b"},"Volumes":{"/data":{}}},"rootfs":{"type":"layers","diff_ids":["sha256:3123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]},"history":[{"created_by":"x"}]}"#,
        r#"{"schemaVersion":1}"#,
    ]);
    fuzz_target(
        "manifest",
        seeds,
        &[
            "\"digest\":",
            "\"layers\":",
            "\"manifests\":",
            "null",
            "[]",
            "{}",
            "\"sha256:",
            "-1",
            "1e999",
            "\"ExposedPorts\":{\"",
            "/tcp",
            "65536",
            "\"User\":\"",
        ],
        &|d| {
            fuzz::manifest(d);
            Ok(())
        },
    );
}

#[test]
fn fuzz_format_template() {
    let seeds = b(&[
        "{{.ID}} {{.Names}}\n{\"ID\":\"abc\",\"Names\":[\"a\",\"b\"]}",
        "table {{.Repository}}\t{{.Tag}}\n{\"Repository\":\"r\",\"Tag\":\"t\"}",
        "{{json .}}\n{\"a\":1}",
        "{{range .Names}}{{.}},{{end}}\n{\"Names\":[\"x\"]}",
        "{{if .A}}yes{{else}}no{{end}} {{index .M \"k\"}} {{printf \"%s-%d\" .S 3}} {{len .L}}\n{\"A\":true,\"M\":{\"k\":1},\"S\":\"s\",\"L\":[1]}",
        "{{.State.Status}} {{upper .X}} {{lower .X}} {{join .L \",\"}}\n{\"State\":{\"Status\":\"up\"},\"X\":\"Ab\",\"L\":[\"a\"]}",
        "json",
    ]);
    fuzz_target(
        "format",
        seeds,
        &[
            "{{", "}}", "{{.", "range", "end", "if", "else", "with", "json", "index", "printf", "len", "$x :=", "|",
            "(", ")", "table ",
        ],
        &|d| {
            fuzz::format_template(d);
            Ok(())
        },
    );
}

#[test]
fn fuzz_containers_conf() {
    let seeds = b(&[
        "[containers]\ndefault_capabilities = [\"CHOWN\", \"NET_RAW\"]\nenv = [\"A=b\"]\ndns_servers = [\"1.1.1.1\"]\nuserns = \"keep-id\"\nlog_size_max = 1024\ntz = \"local\"\nnetns = \"pasta\"\nbase_hosts_file = \"none\"\n[network]\ndefault_rootless_network_cmd = \"slirp4netns\"\n",
        "[engine]\nruntime = \"crun\"\n[containers]\ndns_searches = [\"example.com\"]\ndns_options = [\"ndots:2\"]\n",
    ]);
    fuzz_target(
        "containers.conf",
        seeds,
        &[
            "[containers]",
            "[network]",
            " = ",
            "\"",
            "[",
            "]",
            "\n",
            "-1",
            "ALL",
            "CAP_",
            "keep-id",
            "host",
            "true",
            "0x",
        ],
        &|d| {
            fuzz::containers_conf(d);
            Ok(())
        },
    );
}

#[test]
fn fuzz_registries_conf() {
    let seeds = b(&[
        "[[registry]]\nprefix = \"example.com/ns\"\nlocation = \"mirror.lan/ns\"\ninsecure = true\nmirror-by-digest-only = false\n[[registry.mirror]]\nlocation = \"m1.lan\"\npull-from-mirror = \"digest-only\"\n",
        "unqualified-search-registries = [\"docker.io\"]\n[[registry]]\nprefix = \"*.example.com\"\nblocked = true\n",
        "[registries.insecure]\nregistries = [\"example.com\"]\n",
        "[aliases]\n\"x\" = \"docker.io/library/x\"\n",
    ]);
    fuzz_target(
        "registries.conf",
        seeds,
        &[
            "[[registry]]",
            "[[registry.mirror]]",
            "prefix",
            "location",
            "*.",
            " = ",
            "\"",
            "true",
            "all",
            "tag-only",
            "/",
        ],
        &|d| {
            fuzz::registries_conf(d);
            Ok(())
        },
    );
}

#[test]
fn fuzz_auth_json() {
    let seeds = b(&[
        r#"{"auths":{"example.com":{"auth":"dXNlcjpwYXNz"},"example.com/ns":{"auth":"YTpi"},"https://index.docker.io/v1/":{"auth":"eDp5"}}}"#,
        r#"{"auths":{"example.com/ns/app":{"username":"u","password":"p","identitytoken":"t"}},"credHelpers":{"x":"y"}}"#,
    ]);
    fuzz_target(
        "auth.json",
        seeds,
        &["\"auths\"", "\"auth\":\"", "==", "=", ":", "https://", "/v1/", "null"],
        &|d| {
            fuzz::auth_json(d);
            Ok(())
        },
    );
}

#[test]
fn fuzz_run_flags() {
    let seeds = b(&[
        "8080:80",
        "127.0.0.1:8000-8009:80-89/udp",
        "[::1]:53:53/udp",
        "80",
        "/src:/dst:ro,z",
        "vol:/data",
        "/data",
        "host.example:10.0.0.1",
        "h:host-gateway",
        "v6:[fe80::1]",
        "ns:/proc/1/ns/net",
        "container:web",
        "slirp4netns",
    ]);
    fuzz_target(
        "run-flags",
        seeds,
        &[
            ":",
            "-",
            "/",
            "udp",
            "tcp",
            "65535",
            "65536",
            "0",
            "[",
            "]",
            "host-gateway",
            ",",
            "ro",
            "rw",
            "..",
            "::",
        ],
        &|d| {
            fuzz::run_flags(d);
            Ok(())
        },
    );
}

// ---------- layer tars ----------

/// A tar entry with any name and link name, even ones the tar crate refuses to write.
fn entry(out: &mut Vec<u8>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(0o755);
    h.set_uid(1000);
    h.set_gid(1000);
    h.set_mtime(1);
    h.set_size(data.len() as u64);
    {
        let g = h.as_gnu_mut().unwrap();
        let n = name.as_bytes();
        g.name[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
        let l = link.as_bytes();
        g.linkname[..l.len().min(100)].copy_from_slice(&l[..l.len().min(100)]);
    }
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
}

fn finish(mut t: Vec<u8>) -> Vec<u8> {
    t.extend(std::iter::repeat_n(0u8, 1024));
    t
}

const ESCAPE: &str = "/tmp/hutch-fuzz-escape";

fn tar_seeds() -> Vec<Vec<u8>> {
    use tar::EntryType as E;
    let mut seeds = Vec::new();
    let mut t = Vec::new();
    entry(&mut t, "./", E::Directory, "", b"");
    entry(&mut t, "bin/", E::Directory, "", b"");
    entry(&mut t, "bin/busybox", E::Regular, "", b"#!/bin/sh\necho hi\n");
    entry(&mut t, "bin/sh", E::Symlink, "busybox", b"");
    entry(&mut t, "bin/ln", E::Link, "bin/busybox", b"");
    entry(&mut t, "etc/.wh.passwd", E::Regular, "", b"");
    entry(&mut t, "data/.wh..wh..opq", E::Regular, "", b"");
    entry(&mut t, "fifo", E::Fifo, "", b"");
    seeds.push(finish(t));
    for (name, kind, link) in [
        ("../../../../tmp/hutch-fuzz-escape-dotdot", E::Regular, ""),
        ("/tmp/hutch-fuzz-escape-abs", E::Regular, ""),
        ("up", E::Symlink, "../../../../../../../tmp"),
        ("abs", E::Symlink, "/tmp"),
        ("hl", E::Link, "../../../../../etc/passwd"),
        ("hla", E::Link, "/etc/shadow"),
    ] {
        let mut t = Vec::new();
        entry(&mut t, name, kind, link, b"x");
        entry(&mut t, "up/hutch-fuzz-escape-rel", E::Regular, "", b"x");
        entry(&mut t, "abs/hutch-fuzz-escape-sym", E::Regular, "", b"x");
        entry(&mut t, "up/hutch-fuzz-escape-dir/", E::Directory, "", b"");
        seeds.push(finish(t));
    }
    // A gzip one, for the decompressor.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&seeds[0]).unwrap();
    seeds.push(gz.finish().unwrap());
    seeds
}

/// Everything under /tmp whose name starts with hutch-fuzz-escape (there must be none).
fn escapes() -> Vec<PathBuf> {
    let prefix = &ESCAPE.as_bytes()[5..];
    std::fs::read_dir("/tmp")
        .map(|rd| {
            rd.flatten()
                .filter(|e| std::os::unix::ffi::OsStrExt::as_bytes(e.file_name().as_os_str()).starts_with(prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether /tmp may have changed since `stamp` (its modification time when last listed): its
/// mtime moved, or is too recent to tell (directory times have the kernel's coarse clock, so
/// two changes within one tick leave the same time). Listing /tmp (hundreds of entries) for
/// every input would be most of the fuzzer's time.
fn tmp_changed(stamp: &mut Option<std::time::SystemTime>) -> bool {
    let now = std::fs::metadata("/tmp").and_then(|m| m.modified()).ok();
    let recent = now.is_some_and(|t| t.elapsed().map_or(true, |e| e < Duration::from_millis(50)));
    let changed = recent || now.is_none() || now != *stamp;
    *stamp = now;
    changed
}

/// Empty `dir` (giving write access back to what was extracted read-only), keeping `dir`.
fn empty_dir(dir: &Path) {
    hutch::fuzz::make_writable(dir);
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&p).unwrap(),
            _ => std::fs::remove_file(&p).unwrap(),
        }
    }
}

#[test]
fn fuzz_layer_tar() {
    // One sandbox for the whole run, on a tmpfs when there is one (every input makes and
    // removes files: the disk's journal would be most of the time); sandbox/root is the target,
    // emptied after each input; anything else in sandbox/, or in /tmp, was written outside it.
    let tmp = PathBuf::from(std::env::var("HUTCH_TEST_TMP").unwrap_or_else(|_| "/var/tmp/hutch-tests".into()));
    let shm = Path::new("/dev/shm");
    let parent = if nix::unistd::access(shm, nix::unistd::AccessFlags::W_OK).is_ok() {
        shm.to_path_buf()
    } else {
        tmp
    };
    let sandbox = parent.join(format!("hutch-fuzz-tar-{}", std::process::id()));
    let root = sandbox.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let before = escapes();
    let keep = nix::unistd::geteuid().is_root();
    let stamp = std::cell::Cell::new(None);
    fuzz_target(
        "layer-tar",
        tar_seeds(),
        &["../", "/", ".wh.", ".wh..wh..opq", "\0"],
        &|d| {
            let _ = fuzz::layer_tar(d, &root, keep);
            let mut verdict = Ok(());
            {
                let others: Vec<_> = std::fs::read_dir(&sandbox)
                    .unwrap()
                    .flatten()
                    .filter(|e| e.file_name() != "root")
                    .collect();
                if let Some(o) = others.first() {
                    verdict = Err(format!("wrote outside the target: {:?}", o.path()));
                    hutch::fuzz::make_writable(&o.path());
                    let _ = std::fs::remove_dir_all(o.path()).or_else(|_| std::fs::remove_file(o.path()));
                }
            }
            let mut st = stamp.get();
            let changed = tmp_changed(&mut st);
            stamp.set(st);
            if changed {
                let now = escapes();
                if let Some(p) = now.iter().find(|p| !before.contains(p)) {
                    verdict = Err(format!("wrote outside the target: {}", p.display()));
                    let _ = std::fs::remove_dir_all(p).or_else(|_| std::fs::remove_file(p));
                }
            }
            if root.is_dir() && !root.is_symlink() {
                empty_dir(&root);
            } else {
                verdict = Err("the target directory itself was replaced".to_string());
                let _ = std::fs::remove_file(&root).or_else(|_| std::fs::remove_dir_all(&root));
                std::fs::create_dir(&root).unwrap();
            }
            verdict
        },
    );
    hutch::fuzz::make_writable(&sandbox);
    let _ = std::fs::remove_dir_all(&sandbox);
    let now = escapes();
    let new: Vec<_> = now.iter().filter(|p| !before.contains(p)).collect();
    assert!(new.is_empty(), "an input wrote outside the target: {new:?}");
}

/// `hutch run`'s fast parse (run's definitions alone) against the whole tree's, on argument
/// lists (one per line) mutated from real ones: same result, or both refuse.
#[test]
fn fuzz_cli_run_fast_parse() {
    let seeds = b(&[
        "--rm\n--network\nnone\nalpine\ntrue",
        "--rm\n--network=none\n-it\n--name\nweb\n-e\nA=1\n-e\nB\nalpine\nsh\n-c\necho -x",
        "-d\n--root\n/tmp/r\n-p\n8080:80\n-v\n/a:/b:ro\nbusybox\nhttpd\n-f",
        "--log-level\ndebug\n--rm\n--name=a\n--name=b\nalpine\n--\nls\n--rm",
        "--help",
        "--version",
        "-dit\nalpine",
        "--rm\n--bogus\nalpine",
        "",
    ]);
    fuzz_target(
        "cli_run",
        seeds,
        &[
            "\n--rm",
            "\n-d",
            "\n--network\nnone",
            "\n--root\n/x",
            "\n--runtime\nhutch",
            "\n--",
            "\n-e\nX=1",
            "\n--userns=keep-id",
            "\nhelp",
            "=",
            "\n-",
        ],
        &fuzz::cli_run,
    );
}
