//! The image builder (`hutch build`): a Containerfile/Dockerfile (`parse`) and a context
//! (`context`) become an image. Each stage starts from an image, `scratch` or an earlier stage;
//! metadata instructions change the config (a history entry each), RUN runs in a step container
//! with hutch's own runtime (`container::create` + `run_foreground`, so the same namespaces,
//! seccomp and capabilities as `hutch run`), COPY/ADD stream files into a step container's root
//! (`worker`), and each such step's upper directory becomes a layer. Every step's result (its
//! config blob) is cached under a key made of the parent config's digest, the instruction as
//! expanded, the build args in effect and the content digest of what COPY/ADD read, so an
//! unchanged rebuild runs nothing. Stages the target does not need are not built.

pub mod context;
pub mod parse;
mod remote;
mod worker;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::error::{Context as _, Result};
use crate::image::ImplicitPull;
use crate::spec::{PullPolicy, RunOptions};
use crate::store::containers::ContainerRecord;
use crate::store::{ImageRecord, Store};
use parse::{Instruction, Lookup};

/// What `hutch build` was asked.
#[derive(Debug, Default)]
pub struct BuildOptions {
    /// The context directory; None: a tar on stdin.
    pub context: Option<PathBuf>,
    /// -f: a path, or `-` for stdin.
    pub file: Option<String>,
    /// Full names (normalised).
    pub tags: Vec<String>,
    /// --build-arg K=V (or K alone: from the environment).
    pub build_args: Vec<(String, String)>,
    pub target: Option<String>,
    pub no_cache: bool,
    pub pull: Option<PullPolicy>,
    /// Network mode for RUN (a `--network` name).
    pub network: String,
    pub iidfile: Option<PathBuf>,
    pub labels: Vec<(String, String)>,
    pub docker: bool,
    /// --squash: the new layers merged into one.
    pub squash: bool,
    /// --squash-all: every layer merged into one.
    pub squash_all: bool,
    /// --jobs: independent stages built at once (None: one per core; 0: no limit).
    pub jobs: Option<usize>,
    /// --ignorefile.
    pub ignorefile: Option<PathBuf>,
    /// Flags for implicit pulls (--authfile, --tls-verify).
    pub pull_args: Vec<std::ffi::OsString>,
    pub layers: bool,
    pub secrets: Vec<(String, PathBuf)>,
    pub quiet: bool,
    pub default_caps: Option<Vec<String>>,
    pub default_env: Vec<String>,
    /// The first -t as the user wrote it (Podman's `COMMIT NAME` line).
    pub commit_name: Option<String>,
    /// --ulimit values for RUN steps (as `run --ulimit`).
    pub ulimits: Vec<String>,
    /// --security-opt values for RUN steps (seccomp=…, no-new-privileges).
    pub security_opt: Vec<String>,
}

/// A stage's state between instructions: the image config so far and its digest.
#[derive(Debug, Clone)]
struct State {
    config: Value,
    /// Config digest hex (the image id once recorded); "scratch" for an empty start.
    digest: String,
    /// CMD was set in this stage (ENTRYPOINT then keeps it).
    cmd_set: bool,
    shell: Vec<String>,
    /// The config blob as stored, when it is not `config` serialized again (an image's from a
    /// registry): so the build can record it even after its blob went with the image.
    raw: Option<std::sync::Arc<Vec<u8>>>,
}

struct Stage {
    name: Option<String>,
    from: Instruction,
    body: Vec<Instruction>,
}

fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        a => a,
    }
}

fn rfc3339(secs: i64) -> String {
    let t = crate::output::format_time(secs);
    format!("{}Z", t[..19].replace(' ', "T"))
}

fn platform_args() -> Vec<(String, String)> {
    let p = format!("linux/{}", arch());
    [
        ("TARGETPLATFORM", p.as_str()),
        ("TARGETOS", "linux"),
        ("TARGETARCH", arch()),
        ("TARGETVARIANT", ""),
        ("BUILDPLATFORM", p.as_str()),
        ("BUILDOS", "linux"),
        ("BUILDARCH", arch()),
        ("BUILDVARIANT", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Durations such as `30s`, `1m30s`, `500ms` in nanoseconds (Go's time.ParseDuration).
fn duration_ns(s: &str) -> std::result::Result<i64, String> {
    let mut total: f64 = 0.0;
    let mut rest = s;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let v: f64 = rest[..n].parse().map_err(|_| format!("invalid duration {s:?}"))?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let mult = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(format!("invalid duration {s:?}")),
        };
        total += v * mult;
        rest = &rest[u..];
    }
    Ok(total as i64)
}

fn env_get(cfg: &Value, k: &str) -> Option<String> {
    cfg["config"]["Env"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find_map(|e| {
            let (a, b) = e.split_once('=').unwrap_or((e, ""));
            (a == k).then(|| b.to_string())
        })
}

fn config_obj(cfg: &mut Value) -> &mut Map<String, Value> {
    if !cfg["config"].is_object() {
        cfg["config"] = json!({});
    }
    cfg["config"].as_object_mut().expect("object")
}

fn set_env(cfg: &mut Value, k: &str, v: &str) {
    let c = config_obj(cfg);
    let env = c.entry("Env").or_insert_with(|| json!([]));
    if !env.is_array() {
        *env = json!([]);
    }
    let arr = env.as_array_mut().expect("array");
    let item = json!(format!("{k}={v}"));
    match arr.iter().position(|e| {
        e.as_str()
            .is_some_and(|s| s.split_once('=').map(|x| x.0).unwrap_or(s) == k)
    }) {
        Some(i) => arr[i] = item,
        None => arr.push(item),
    }
}

fn map_insert(cfg: &mut Value, field: &str, k: &str, v: Value) {
    let c = config_obj(cfg);
    let m = c.entry(field).or_insert_with(|| json!({}));
    if !m.is_object() {
        *m = json!({});
    }
    m.as_object_mut().expect("object").insert(k.to_string(), v);
}

struct Builder<'a> {
    store: Store,
    opts: &'a BuildOptions,
    ctx: context::Ctx,
    escape: char,
    recorded: HashSet<String>,
    /// Images this build recorded that were not in the store.
    created_here: HashSet<String>,
    /// The layers the build uses, held against garbage collection until an image records
    /// them (`Store::hold_layers`), and the ids added to it so far.
    hold: crate::store::TempEntry,
    held: HashSet<String>,
    /// Config blobs this build wrote (that were not in the store).
    sealed: HashSet<String>,
    say: &'a mut dyn FnMut(&str),
    cache_dir: PathBuf,
    pull: ImplicitPull,
    /// Per stage: how many of its layers come from the image its FROM chain starts with.
    base_layers: HashMap<usize, usize>,
    /// Held (with the forked stage builders, who share it) while the build runs; its name
    /// labels the step containers (`Store::BUILD_STEP_LABEL`), which a killed build leaves
    /// for the next build or `system check --repair` to remove.
    owner: crate::store::TempEntry,
}

/// Build; returns the image id.
pub fn build(opts: &BuildOptions, say: &mut dyn FnMut(&str)) -> Result<String> {
    let store = Store::open()?;
    // The Containerfile, read before anything else: a syntax error stops the build at once.
    let mut stdin_used = false;
    let mut stdin_file: Option<String> = None;
    let ctx_tmp;
    let ctx_dir = match &opts.context {
        Some(d) => {
            let m = std::fs::metadata(d).ctx(|| format!("context {}", d.display()))?;
            if !m.is_dir() {
                crate::bail!("context {}: not a directory", d.display());
            }
            std::fs::canonicalize(d).ctx(|| format!("context {}", d.display()))?
        }
        None => {
            stdin_used = true;
            ctx_tmp = store.temp("build-context")?;
            std::fs::create_dir(&ctx_tmp.path).ctx(|| format!("creating {}", ctx_tmp.path.display()))?;
            stdin_file = context::unpack_stdin(&ctx_tmp.path)?;
            ctx_tmp.path.clone()
        }
    };
    let (file_name, text) = match opts.file.as_deref() {
        // `-` with a Containerfile rather than a tar on stdin: an empty context, as Podman.
        None if stdin_file.is_some() => ("stdin".to_string(), stdin_file.take().unwrap_or_default()),
        Some("-") => {
            if stdin_used {
                crate::bail!("-f - and a context on stdin cannot both be read from stdin");
            }
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .ctx(|| "reading the Containerfile from stdin")?;
            ("stdin".to_string(), s)
        }
        Some(f) => {
            let p = Path::new(f);
            let p = if p.is_absolute() || p.exists() {
                p.to_path_buf()
            } else {
                ctx_dir.join(p)
            };
            let t = match std::fs::read_to_string(&p) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    crate::bail!("{f}: no such file or directory")
                }
                Err(e) => crate::bail!("reading {f}: {e}"),
            };
            (f.to_string(), t)
        }
        None => {
            let mut found = None;
            for n in ["Containerfile", "Dockerfile"] {
                let p = ctx_dir.join(n);
                if p.is_file() {
                    found = Some((
                        n.to_string(),
                        std::fs::read_to_string(&p).ctx(|| format!("reading {}", p.display()))?,
                    ));
                    break;
                }
            }
            // The last file looked for named as Podman's error names it (scripts match it).
            found.ok_or_else(|| {
                crate::err!(
                    "no Containerfile or Dockerfile in the context {}: {}: no such file or directory",
                    ctx_dir.display(),
                    ctx_dir.join("Dockerfile").display()
                )
            })?
        }
    };
    let df = parse::parse(&text).map_err(|e| crate::err!("{file_name}:{}:{}: {}", e.line, e.col, e.msg))?;
    let escape = df.escape;

    // Global ARGs and stages.
    let mut global: Vec<Instruction> = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for ins in df.instructions {
        if ins.cmd == "FROM" {
            let w: Vec<&str> = ins.args.split_whitespace().collect();
            let name = (w.len() == 3).then(|| w[2].to_ascii_lowercase());
            stages.push(Stage {
                name,
                from: ins,
                body: vec![],
            });
        } else if let Some(s) = stages.last_mut() {
            s.body.push(ins);
        } else if ins.cmd == "ARG" {
            global.push(ins);
        } else {
            crate::bail!(
                "{file_name}:{}:1: {} before the first FROM (only ARG may come first)",
                ins.line,
                ins.cmd
            );
        }
    }
    if stages.is_empty() {
        crate::bail!("{file_name}: no FROM instruction");
    }
    let user_args: HashMap<String, String> = opts.build_args.iter().cloned().collect();
    let mut gargs: Vec<(String, String)> = platform_args();
    for g in &global {
        for (k, v) in parse::pairs(&g.args, escape, &|k| lookup_list(&gargs, k), false)
            .map_err(|e| crate::err!("{file_name}:{}:1: ARG: {e}", g.line))?
        {
            let v = user_args.get(&k).cloned().unwrap_or(v);
            gargs.retain(|(a, _)| a != &k);
            gargs.push((k, v));
        }
    }
    // The target and the stages it needs.
    let target = match &opts.target {
        Some(t) => stages
            .iter()
            .position(|s| s.name.as_deref() == Some(t.to_ascii_lowercase().as_str()))
            .ok_or_else(|| crate::err!("--target {t}: no stage named {t} in {file_name}"))?,
        None => stages.len() - 1,
    };
    let stage_index = |name: &str, before: usize| -> Option<usize> {
        let l = name.to_ascii_lowercase();
        if let Some(i) = stages[..before]
            .iter()
            .position(|s| s.name.as_deref() == Some(l.as_str()))
        {
            return Some(i);
        }
        name.parse::<usize>().ok().filter(|n| *n < before)
    };
    let glookup = |k: &str| lookup_list(&gargs, k);
    let mut deps: Vec<Vec<usize>> = Vec::new();
    for (i, s) in stages.iter().enumerate() {
        let mut d = Vec::new();
        let base = parse::word(s.from.args.split_whitespace().next().unwrap_or(""), escape, &glookup)
            .map_err(|e| crate::err!("{file_name}:{}:1: FROM: {e}", s.from.line))?;
        if let Some(j) = stage_index(&base, i) {
            d.push(j);
        }
        for ins in &s.body {
            let mut froms: Vec<String> = Vec::new();
            if let ("COPY" | "ADD", Some(f)) = (ins.cmd.as_str(), ins.flag("from")) {
                froms.push(f.to_string());
            }
            if ins.cmd == "RUN" {
                for (k, v) in &ins.flags {
                    if k == "mount" {
                        for kv in v.split(',') {
                            if let Some(f) = kv.strip_prefix("from=") {
                                froms.push(f.to_string());
                            }
                        }
                    }
                }
            }
            for f in froms {
                let f = parse::word(&f, escape, &glookup).unwrap_or(f);
                match stage_index(&f, i) {
                    Some(j) => d.push(j),
                    None if f.parse::<usize>().is_ok() => crate::bail!(
                        "{file_name}:{}:1: {} --from={f}: no stage {f} before this one",
                        ins.line,
                        ins.cmd
                    ),
                    None if stages
                        .iter()
                        .any(|s| s.name.as_deref() == Some(f.to_ascii_lowercase().as_str())) =>
                    {
                        crate::bail!(
                            "{file_name}:{}:1: {} --from={f}: stage {f} is defined after this one",
                            ins.line,
                            ins.cmd
                        )
                    }
                    None => {}
                }
            }
        }
        deps.push(d);
    }
    let mut needed = vec![false; stages.len()];
    let mut todo = vec![target];
    while let Some(i) = todo.pop() {
        if !needed[i] {
            needed[i] = true;
            todo.extend(deps[i].iter().copied());
        }
    }

    let cache_dir = store.base().join("build-cache");
    let mut b = Builder {
        ctx: context::Ctx {
            root: ctx_dir.clone(),
            ignore: match &opts.ignorefile {
                Some(f) => {
                    context::Ignore::parse(&std::fs::read_to_string(f).ctx(|| format!("--ignorefile {}", f.display()))?)
                }
                None => context::Ignore::load(&ctx_dir)?,
            },
            hashes: std::cell::RefCell::new(if stdin_used {
                context::HashCache::default()
            } else {
                context::HashCache::open(&cache_dir.join("context-hashes"), &ctx_dir)
            }),
        },
        opts,
        escape,
        recorded: HashSet::new(),
        created_here: HashSet::new(),
        hold: store.hold_layers()?,
        held: HashSet::new(),
        sealed: HashSet::new(),
        say,
        cache_dir,
        pull: ImplicitPull {
            policy: opts.pull.unwrap_or(PullPolicy::Missing),
            quiet: opts.quiet,
            platform: None,
            args: opts.pull_args.clone(),
        },
        owner: store.temp("build-owner")?,
        store,
        base_layers: HashMap::new(),
    };
    b.store.sweep()?;
    remove_orphan_steps(&b.store);
    let r = b.run_all(&stages, &needed, target, &gargs, &user_args, &file_name, &deps);
    b.ctx.hashes.borrow_mut().save();
    b.forget_intermediates(r.as_ref().ok().map(String::as_str));
    r
}

impl Builder<'_> {
    fn run_all(
        &mut self,
        stages: &[Stage],
        needed: &[bool],
        target: usize,
        gargs: &[(String, String)],
        user_args: &HashMap<String, String>,
        file_name: &str,
        deps: &[Vec<usize>],
    ) -> Result<String> {
        let b = self;
        let opts = b.opts;
        let order: Vec<usize> = (0..stages.len()).filter(|i| needed[*i]).collect();
        let nstages = order.len();
        let prefix = |i: usize| {
            if nstages > 1 {
                let shown = order.iter().position(|x| *x == i).unwrap_or(0) + 1;
                format!("[{shown}/{nstages}] ")
            } else {
                String::new()
            }
        };
        let mut results: HashMap<usize, State> = HashMap::new();
        // Stages whose dependencies are all built are ready; when several are, all but the
        // first are built at the same time in forked builders (as many as there are cores),
        // the first here.
        let jobs = match opts.jobs {
            Some(0) => usize::MAX,
            Some(n) => n,
            None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        };
        while results.len() < nstages {
            let ready: Vec<usize> = order
                .iter()
                .copied()
                .filter(|i| !results.contains_key(i) && deps[*i].iter().all(|d| results.contains_key(d)))
                .collect();
            let Some(&first) = ready.first() else {
                crate::bail!("the stages depend on each other in a cycle");
            };
            let others: Vec<usize> = if jobs > 1 {
                ready[1..].iter().copied().take(jobs - 1).collect()
            } else {
                vec![]
            };
            let mut children = Vec::new();
            for &i in &others {
                match b.fork_stage(stages, i, gargs, user_args, &results, &prefix(i), file_name) {
                    Ok(c) => children.push((i, c)),
                    Err(e) => {
                        b.reap_stages(children);
                        return Err(e);
                    }
                }
            }
            let mine = b.stage(stages, first, gargs, user_args, &results, &prefix(first), file_name);
            let theirs = b.reap_stages(children);
            let st = mine?;
            results.insert(first, st);
            for (i, r) in theirs {
                results.insert(i, r?);
            }
        }
        let mut fin = results.remove(&target).expect("built");
        if !opts.labels.is_empty() {
            let key = format!("--label {:?}", opts.labels);
            fin = b.cached_step(&fin, &key, |_, st| {
                let mut st = st.clone();
                for (k, v) in &opts.labels {
                    map_insert(&mut st.config, "Labels", k, json!(v));
                }
                Ok(st)
            })?;
        }
        if opts.squash_all {
            fin = b.squash(&fin)?;
        } else if opts.squash {
            let n = b.base_layers.get(&target).copied().unwrap_or(0);
            fin = b.squash_new(&fin, n)?;
        }
        let id = b.record(&fin, &opts.tags)?;
        if let Some(f) = &opts.iidfile {
            std::fs::write(f, format!("sha256:{id}")).ctx(|| format!("--iidfile {}", f.display()))?;
        }
        match opts.commit_name.as_deref().or(opts.tags.first().map(String::as_str)) {
            Some(t) => (b.say)(&format!("COMMIT {t}\n")),
            None => (b.say)("COMMIT\n"),
        }
        (b.say)(&format!("--> {}\n", &id[..11]));
        for t in &opts.tags {
            (b.say)(&format!("Successfully tagged {t}\n"));
        }
        Ok(id)
    }

    /// Build stage `i` in a forked builder (this process has no thread, so a fork is as safe
    /// as the builder's own forks); its result comes back through a pipe (`reap_stages`).
    #[allow(clippy::too_many_arguments)]
    fn fork_stage(
        &mut self,
        stages: &[Stage],
        i: usize,
        gargs: &[(String, String)],
        user_args: &HashMap<String, String>,
        results: &HashMap<usize, State>,
        prefix: &str,
        file_name: &str,
    ) -> Result<(i32, std::os::fd::OwnedFd)> {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| crate::err!("pipe: {e}"))?;
        match crate::sys::process::fork_tied().map_err(|e| crate::err!("fork: {e}"))? {
            None => {
                drop(r);
                let res = self.stage(stages, i, gargs, user_args, results, prefix, file_name);
                let msg = match res {
                    Ok(st) => json!({
                        "base_layers": self.base_layers.get(&i).copied().unwrap_or(0),
                        // The config itself: its blob may go with a concurrent rmi before the
                        // parent reads it (the stage's layers are held in the shared hold).
                        "config": String::from_utf8_lossy(&st.raw.as_deref().cloned().unwrap_or_else(|| serde_json::to_vec(&st.config).expect("json"))),
                        "digest": st.digest,
                        "cmd_set": st.cmd_set,
                        "shell": st.shell,
                        "created": self.created_here.iter().collect::<Vec<_>>(),
                        "sealed": self.sealed.iter().collect::<Vec<_>>(),
                    }),
                    Err(e) => json!({
                        "error": e.message,
                        "code": e.exit_code(),
                        "created": self.created_here.iter().collect::<Vec<_>>(),
                        "sealed": self.sealed.iter().collect::<Vec<_>>(),
                    }),
                };
                let _ = std::io::Write::write_all(&mut std::fs::File::from(w), msg.to_string().as_bytes());
                crate::sys::process::exit_now(0)
            }
            Some(pid) => Ok((pid, r)),
        }
    }

    /// Wait for the forked stage builders; their results in order.
    fn reap_stages(&mut self, children: Vec<(usize, (i32, std::os::fd::OwnedFd))>) -> Vec<(usize, Result<State>)> {
        let mut out = Vec::new();
        for (i, (pid, r)) in children {
            let raw = crate::sys::fd::read_to_eof(&r);
            let st = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
            let v: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
            for c in v["created"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                self.created_here.insert(c.to_string());
            }
            for c in v["sealed"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                self.sealed.insert(c.to_string());
            }
            let res = if let Some(e) = v["error"].as_str() {
                Err(crate::error::Error::with_code(
                    v["code"].as_i64().unwrap_or(125) as i32,
                    e,
                ))
            } else if let Some(d) = v["digest"].as_str() {
                self.base_layers
                    .insert(i, v["base_layers"].as_u64().unwrap_or(0) as usize);
                let raw = v["config"].as_str().unwrap_or_default().as_bytes().to_vec();
                serde_json::from_slice(&raw)
                    .map_err(|e| crate::err!("stage result: {e}"))
                    .map(|config| State {
                        config,
                        digest: d.to_string(),
                        cmd_set: v["cmd_set"].as_bool().unwrap_or(false),
                        shell: v["shell"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect(),
                        raw: Some(std::sync::Arc::new(raw)),
                    })
            } else {
                Err(crate::err!("the builder of a stage failed ({st:?})"))
            };
            out.push((i, res));
        }
        out
    }

    /// Drop the records of the images this build made only to start step containers from
    /// (their layers and config blobs stay, for the cache, until a prune). With
    /// `--layers=false` there is no cache to keep them for: the config and manifest blobs this
    /// build wrote and the layers only they used go too, unless an image (the result, or any
    /// other) or the build cache still refers to them.
    fn forget_intermediates(&self, keep: Option<&str>) {
        if self.created_here.is_empty() && (self.opts.layers || self.sealed.is_empty()) {
            return;
        }
        let Ok(lock) = self.store.lock_images() else { return };
        let Ok(mut idx) = self.store.load_images() else { return };
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut idx.images)
            .into_iter()
            .partition(|i| self.created_here.contains(&i.id) && Some(i.id.as_str()) != keep && i.names.is_empty());
        idx.images = kept;
        if !gone.is_empty() && self.store.save_images(&idx, &lock).is_err() {
            return;
        }
        if self.opts.layers {
            return;
        }
        let mut blobs: HashSet<String> = self.sealed.clone();
        let mut layers: HashSet<String> = HashSet::new();
        for i in &gone {
            blobs.insert(i.id.clone());
            blobs.insert(i.manifest_digest.trim_start_matches("sha256:").to_string());
            layers.extend(i.layers.iter().cloned());
        }
        for d in &self.sealed {
            if let Ok(raw) = self.store.read_blob(&format!("sha256:{d}")) {
                if let Ok(cfg) = serde_json::from_slice::<Value>(&raw) {
                    layers.extend(diff_ids(&cfg));
                }
            }
        }
        // The build is over (its result, if any, is recorded): its own layer hold must not
        // keep what it is now dropping.
        let _ = std::fs::write(&self.hold.path, "");
        let _ = self.store.drop_unreferenced(&idx, &lock, &blobs, &layers);
    }
}

fn lookup_list(l: &[(String, String)], k: &str) -> Option<String> {
    l.iter().rev().find(|(a, _)| a == k).map(|(_, v)| v.clone())
}

fn history(st: &mut State, created_by: String, empty: bool, now: &str) {
    let obj = st.config.as_object_mut().expect("object");
    obj.insert("created".into(), json!(now));
    let h = obj.entry("history").or_insert_with(|| json!([]));
    if !h.is_array() {
        *h = json!([]);
    }
    let mut e = json!({ "created": now, "created_by": created_by });
    if empty {
        e["empty_layer"] = json!(true);
    }
    h.as_array_mut().expect("array").push(e);
}

fn add_layer(st: &mut State, diff_id: &str) {
    let obj = st.config.as_object_mut().expect("object");
    let r = obj
        .entry("rootfs")
        .or_insert_with(|| json!({ "type": "layers", "diff_ids": [] }));
    if !r["diff_ids"].is_array() {
        r["diff_ids"] = json!([]);
    }
    r["type"] = json!("layers");
    r["diff_ids"].as_array_mut().expect("array").push(json!(diff_id));
}

fn diff_ids(cfg: &Value) -> Vec<String> {
    cfg["rootfs"]["diff_ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str())
                .map(|d| d.trim_start_matches("sha256:").to_string())
                .collect()
        })
        .unwrap_or_default()
}

impl Builder<'_> {
    fn say(&mut self, s: &str) {
        (self.say)(s);
    }

    fn caching(&self) -> bool {
        !self.opts.no_cache && self.opts.layers
    }

    /// The state a cache entry points to, when its config and layers are all still there.
    fn cache_get(&mut self, key: &str) -> Option<State> {
        let digest = std::fs::read_to_string(self.cache_dir.join(key)).ok()?;
        let digest = digest.trim();
        let raw = self.store.read_blob(&format!("sha256:{digest}")).ok()?;
        let entry: Value = serde_json::from_slice(&raw).ok()?;
        // Its layers still stored, and now held for this build: else a miss.
        if !self.hold_layers_of(&entry).ok()? {
            return None;
        }
        let meta = std::fs::read_to_string(self.cache_dir.join(format!("{key}.state"))).ok()?;
        let meta: Value = serde_json::from_str(&meta).ok()?;
        Some(State {
            config: entry,
            digest: digest.to_string(),
            cmd_set: meta["cmd_set"].as_bool().unwrap_or(false),
            shell: meta["shell"]
                .as_array()?
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            raw: Some(std::sync::Arc::new(raw)),
        })
    }

    /// Hold the layers of config `cfg` for this build (see `Store::hold_layers`); false when
    /// one of them is not stored any more.
    fn hold_layers_of(&mut self, cfg: &Value) -> Result<bool> {
        let ids: Vec<String> = diff_ids(cfg).into_iter().filter(|d| !self.held.contains(d)).collect();
        if ids.is_empty() {
            return Ok(true);
        }
        if !self.store.hold(&self.hold.path, &ids)? {
            return Ok(false);
        }
        self.held.extend(ids);
        Ok(true)
    }

    fn cache_put(&self, key: &str, st: &State) -> Result<()> {
        if !self.opts.layers {
            return Ok(());
        }
        std::fs::create_dir_all(&self.cache_dir).ctx(|| format!("creating {}", self.cache_dir.display()))?;
        // What the entry named before (a --no-cache build, or one after a killed build, redoes
        // the step): nothing may be left that only it kept.
        let replaced = std::fs::read_to_string(self.cache_dir.join(key))
            .ok()
            .map(|d| d.trim().to_string())
            .filter(|d| *d != st.digest);
        let meta = json!({ "cmd_set": st.cmd_set, "shell": st.shell });
        crate::sys::fs::replace_atomic(
            &self.cache_dir.join(format!("{key}.state")),
            meta.to_string().as_bytes(),
            0o600,
        )
        .ctx(|| "writing the build cache")?;
        crate::sys::fs::replace_atomic(&self.cache_dir.join(key), st.digest.as_bytes(), 0o600)
            .ctx(|| "writing the build cache")?;
        if let Some(old) = replaced {
            self.drop_if_unreferenced(&old);
        }
        Ok(())
    }

    /// Remove config blob `digest` and its layers when no image and no cache entry refers to
    /// them any more.
    fn drop_if_unreferenced(&self, digest: &str) {
        let Ok(raw) = self.store.read_blob(&format!("sha256:{digest}")) else {
            return;
        };
        let layers: HashSet<String> = serde_json::from_slice::<Value>(&raw)
            .map(|cfg| diff_ids(&cfg).into_iter().collect())
            .unwrap_or_default();
        let Ok(lock) = self.store.lock_images() else { return };
        let Ok(idx) = self.store.load_images() else { return };
        let _ = self
            .store
            .drop_unreferenced(&idx, &lock, &HashSet::from([digest.to_string()]), &layers);
    }

    /// Store `st`'s config blob and give it its digest.
    fn seal(&mut self, mut st: State) -> Result<State> {
        let bytes = serde_json::to_vec(&st.config).expect("json");
        st.digest = crate::digest::sha256_hex(&bytes);
        st.raw = None;
        let d = format!("sha256:{}", st.digest);
        if !self.store.blob_path(&d)?.exists() {
            self.sealed.insert(st.digest.clone());
            self.store.write_blob(&d, &bytes)?;
        }
        Ok(st)
    }

    /// Run `step` unless the cache has its result; `key_text` is what identifies the step
    /// (with the parent's digest).
    fn cached_step(
        &mut self,
        parent: &State,
        key_text: &str,
        step: impl FnOnce(&mut Self, &State) -> Result<State>,
    ) -> Result<State> {
        let key = crate::digest::sha256_hex(format!("{}\n{}", parent.digest, key_text).as_bytes());
        if self.caching() {
            if let Some(st) = self.cache_get(&key) {
                if !key_text.starts_with("WORKDIR-mkdir") {
                    self.say(&format!("--> Using cache {}\n", st.digest));
                }
                return Ok(st);
            }
        }
        let st = step(self, parent)?;
        let st = self.seal(st)?;
        self.cache_put(&key, &st)?;
        Ok(st)
    }

    /// Record `st` as an image (dangling unless `names`); returns its id.
    fn record(&mut self, st: &State, names: &[String]) -> Result<String> {
        let st = if st.digest == "scratch" || st.digest.is_empty() {
            self.seal(st.clone())?
        } else {
            st.clone()
        };
        let id = st.digest.clone();
        if names.is_empty() && self.recorded.contains(&id) {
            return Ok(id);
        }
        let idx = self.store.load_images()?;
        match idx.images.iter().find(|i| i.id == id) {
            Some(img) if names.iter().all(|n| img.names.contains(n)) => {
                self.recorded.insert(id.clone());
                return Ok(id);
            }
            Some(_) => {}
            None => {
                self.created_here.insert(id.clone());
            }
        }
        // The config's bytes: as serialized (a state this build made), else as stored. Not
        // read back from the store, where a concurrent rmi may have just removed the blob.
        let config = match serde_json::to_vec(&st.config).expect("json") {
            b if crate::digest::sha256_hex(&b) == id => b,
            _ => match &st.raw {
                Some(r) if crate::digest::sha256_hex(r) == id => r.to_vec(),
                _ => self.store.read_blob(&format!("sha256:{id}"))?,
            },
        };
        let layers = diff_ids(&st.config);
        let lidx = self.store.load_layers()?;
        let sized: Vec<(String, u64)> = layers
            .iter()
            .map(|l| (l.clone(), lidx.get(l).map(|r| r.size).unwrap_or(0)))
            .collect();
        let (mt, cmt, lmt) = if self.opts.docker {
            (
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar",
            )
        } else {
            (
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar",
            )
        };
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": mt,
            "config": { "mediaType": cmt, "digest": format!("sha256:{id}"), "size": config.len() },
            "layers": sized.iter().map(|(l, s)| json!({ "mediaType": lmt, "digest": format!("sha256:{l}"), "size": s })).collect::<Vec<_>>(),
        }))
        .expect("json");
        let manifest_digest = format!("sha256:{}", crate::digest::sha256_hex(&manifest));
        // Written again under the images lock by record_image, so a concurrent `system check
        // --repair` cannot take them as unreferenced in between.
        let blobs = [(format!("sha256:{id}"), config), (manifest_digest.clone(), manifest)];
        let s = |k: &str| st.config[k].as_str().unwrap_or_default().to_string();
        crate::image::pull::record_image(
            &self.store,
            ImageRecord {
                names_history: Vec::new(),
                id: id.clone(),
                names: names.to_vec(),
                digests: vec![],
                manifest_digest,
                layers,
                created: st.config["created"].as_str().map(String::from),
                size: sized.iter().map(|(_, s)| s).sum(),
                architecture: s("architecture"),
                os: s("os"),
                pulled: crate::output::now_secs().max(0) as u64,
            },
            &blobs,
        )?;
        self.recorded.insert(id.clone());
        Ok(id)
    }

    /// The starting state of a stage.
    fn from(&mut self, base: &str, earlier: Option<&State>) -> Result<State> {
        if let Some(st) = earlier {
            return Ok(st.clone());
        }
        if base == "scratch" {
            // Docker and Podman give an image from scratch the default PATH.
            return Ok(State {
                config: json!({
                    "architecture": arch(),
                    "os": "linux",
                    "config": { "Env": [crate::spec::DEFAULT_PATH] },
                    "rootfs": { "type": "layers", "diff_ids": [] },
                    "history": [],
                }),
                digest: "scratch".into(),
                cmd_set: false,
                shell: vec!["/bin/sh".into(), "-c".into()],
                raw: None,
            });
        }
        // The image, its config read and its layers held for this build: a concurrent rmi may
        // remove it between the look-up and the hold (then it is looked up, or pulled, again),
        // not after.
        let mut attempts = 0;
        let (img, raw, config) = loop {
            attempts += 1;
            // Podman's words: the base is what its build container is made from.
            let img = crate::image::find_or_pull(&self.store, base, &self.pull)
                // (An empty message: the child pull already printed its error.)
                .map_err(|e| {
                    if e.message.is_empty() {
                        e
                    } else {
                        crate::err!("creating build container: {e}")
                    }
                })?;
            let raw = self.store.read_blob(&format!("sha256:{}", img.id));
            let config: Option<Value> = match &raw {
                Ok(r) => Some(
                    serde_json::from_slice(r)
                        .map_err(|e| crate::err!("image {base}: stored config is not valid JSON: {e}"))?,
                ),
                Err(_) => None,
            };
            if let (Ok(raw), Some(config)) = (raw, config) {
                if self.hold_layers_of(&config)? {
                    break (img, raw, config);
                }
            }
            if attempts == 3 {
                crate::bail!(
                    "creating build container: {base}: the image was removed while the build was starting from it"
                );
            }
        };
        self.recorded.insert(img.id.clone());
        let shell = config["config"]["Shell"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
        Ok(State {
            config,
            digest: img.id,
            cmd_set: false,
            shell,
            raw: Some(std::sync::Arc::new(raw)),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn stage(
        &mut self,
        stages: &[Stage],
        i: usize,
        gargs: &[(String, String)],
        user_args: &HashMap<String, String>,
        results: &HashMap<usize, State>,
        prefix: &str,
        file_name: &str,
    ) -> Result<State> {
        let s = &stages[i];
        let escape = self.escape;
        let total = s.body.len() + 1;
        self.say(&format!("{prefix}STEP 1/{total}: FROM {}\n", s.from.args));
        let glookup = |k: &str| lookup_list(gargs, k);
        let at = |ins: &Instruction, e: String| crate::err!("{file_name}:{}: {}: {e}", ins.line, ins.cmd);
        let base = parse::word(s.from.args.split_whitespace().next().unwrap_or(""), escape, &glookup)
            .map_err(|e| at(&s.from, e))?;
        if let Some(p) = s.from.flag("platform") {
            let p = parse::word(p, escape, &glookup).map_err(|e| at(&s.from, e))?;
            let native = format!("linux/{}", arch());
            if p != native && p != "linux" {
                crate::bail!(
                    "{file_name}:{}: FROM --platform={p}: only the native platform ({native}) can be built",
                    s.from.line
                );
            }
        }
        let earlier_i = {
            let l = base.to_ascii_lowercase();
            stages[..i].iter().position(|x| x.name.as_deref() == Some(l.as_str()))
        };
        let earlier = earlier_i.and_then(|j| results.get(&j));
        let mut st = self.from(&base, earlier)?;
        let nbase = match earlier_i {
            Some(j) => self.base_layers.get(&j).copied().unwrap_or(0),
            None => diff_ids(&st.config).len(),
        };
        self.base_layers.insert(i, nbase);
        // ONBUILD triggers of the base image run first.
        let mut body: Vec<Instruction> = Vec::new();
        if earlier.is_none() {
            if let Some(triggers) = st.config["config"]["OnBuild"].as_array().cloned() {
                for t in triggers.iter().filter_map(|t| t.as_str()) {
                    let d = parse::parse(t).map_err(|e| crate::err!("{base}: ONBUILD trigger {t:?}: {}", e.msg))?;
                    body.extend(d.instructions.into_iter().map(|mut x| {
                        x.line = s.from.line;
                        x
                    }));
                }
                if !triggers.is_empty() {
                    config_obj(&mut st.config).remove("OnBuild");
                }
            }
        }
        let ntrig = body.len();
        body.extend(s.body.iter().cloned());
        let mut args: Vec<(String, String)> = Vec::new();
        for (n, ins) in body.iter().enumerate() {
            if n >= ntrig {
                self.say(&format!("{prefix}STEP {}/{total}: {}\n", n - ntrig + 2, ins.text()));
            }
            let cfg_snapshot = st.config.clone();
            let args_snapshot = args.clone();
            let lookup = move |k: &str| env_get(&cfg_snapshot, k).or_else(|| lookup_list(&args_snapshot, k));
            st = self
                .instruction(ins, st, &mut args, gargs, user_args, &lookup, stages, i, results)
                .map_err(|e| {
                    if e.message.starts_with("building at STEP") || e.message.starts_with(file_name) {
                        e
                    } else {
                        // Podman's words first, then where in the file.
                        crate::err!(
                            "building at STEP \"{}\": {file_name}:{}: {}: {}",
                            ins.text(),
                            ins.line,
                            ins.cmd,
                            e.message
                        )
                    }
                })?;
        }
        Ok(st)
    }

    #[allow(clippy::too_many_arguments)]
    fn instruction(
        &mut self,
        ins: &Instruction,
        st: State,
        args: &mut Vec<(String, String)>,
        gargs: &[(String, String)],
        user_args: &HashMap<String, String>,
        lookup: Lookup,
        stages: &[Stage],
        stage_i: usize,
        results: &HashMap<usize, State>,
    ) -> Result<State> {
        let escape = self.escape;
        let e = |m: String| crate::err!("{m}");
        let now = rfc3339(crate::output::now_secs());
        let a = ins.args.trim().to_string();
        let nop = |s: &str| format!("/bin/sh -c #(nop) {s}");
        match ins.cmd.as_str() {
            "ARG" => {
                for (k, v) in parse::pairs(&a, escape, lookup, false).map_err(e)? {
                    let has_default = a
                        .split_whitespace()
                        .any(|w| w.split_once('=').is_some_and(|x| x.0 == k));
                    let v = match user_args.get(&k) {
                        Some(u) => u.clone(),
                        None if has_default => v,
                        None => lookup_list(gargs, &k).unwrap_or_default(),
                    };
                    args.retain(|(x, _)| x != &k);
                    args.push((k, v));
                }
                Ok(st)
            }
            "ENV" => {
                let pairs = parse::pairs(&a, escape, lookup, true).map_err(e)?;
                let text = pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", quote_if(v)))
                    .collect::<Vec<_>>()
                    .join(" ");
                self.cached_step(&st, &format!("ENV {text}"), |_, p| {
                    let mut s = p.clone();
                    for (k, v) in &pairs {
                        set_env(&mut s.config, k, v);
                    }
                    history(&mut s, nop(&format!("ENV {text}")), true, &now);
                    Ok(s)
                })
            }
            "LABEL" => {
                let pairs = parse::pairs(&a, escape, lookup, true).map_err(e)?;
                let text = pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", quote_if(v)))
                    .collect::<Vec<_>>()
                    .join(" ");
                self.cached_step(&st, &format!("LABEL {text}"), |_, p| {
                    let mut s = p.clone();
                    for (k, v) in &pairs {
                        map_insert(&mut s.config, "Labels", k, json!(v));
                    }
                    history(&mut s, nop(&format!("LABEL {text}")), true, &now);
                    Ok(s)
                })
            }
            "MAINTAINER" => {
                let m = parse::word(&a, escape, lookup).map_err(e)?;
                self.cached_step(&st, &format!("MAINTAINER {m}"), |_, p| {
                    let mut s = p.clone();
                    s.config["author"] = json!(m);
                    history(&mut s, nop(&format!("MAINTAINER {m}")), true, &now);
                    Ok(s)
                })
            }
            "EXPOSE" => {
                let ports = parse::words(&a, escape, lookup).map_err(e)?;
                let mut norm = Vec::new();
                for p in &ports {
                    let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
                    let proto = proto.to_ascii_lowercase();
                    let ok = |x: &str| x.parse::<u16>().is_ok_and(|v| v > 0);
                    let valid = match num.split_once('-') {
                        Some((lo, hi)) => ok(lo) && ok(hi),
                        None => ok(num),
                    };
                    if !valid || !["tcp", "udp", "sctp"].contains(&proto.as_str()) {
                        return Err(crate::err!("invalid port {p:?}"));
                    }
                    norm.push(format!("{num}/{proto}"));
                }
                self.cached_step(&st, &format!("EXPOSE {}", norm.join(" ")), |_, p| {
                    let mut s = p.clone();
                    for x in &norm {
                        map_insert(&mut s.config, "ExposedPorts", x, json!({}));
                    }
                    history(&mut s, nop(&format!("EXPOSE {}", ports.join(" "))), true, &now);
                    Ok(s)
                })
            }
            "VOLUME" => {
                let vols = match &ins.json {
                    Some(v) => v
                        .iter()
                        .map(|x| parse::word(x, escape, lookup))
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(e)?,
                    None => parse::words(&a, escape, lookup).map_err(e)?,
                };
                self.cached_step(&st, &format!("VOLUME {vols:?}"), |_, p| {
                    let mut s = p.clone();
                    for v in &vols {
                        map_insert(&mut s.config, "Volumes", v, json!({}));
                    }
                    history(&mut s, nop(&format!("VOLUME {vols:?}")), true, &now);
                    Ok(s)
                })
            }
            "USER" => {
                let u = parse::word(&a, escape, lookup).map_err(e)?;
                self.cached_step(&st, &format!("USER {u}"), |_, p| {
                    let mut s = p.clone();
                    config_obj(&mut s.config).insert("User".into(), json!(u));
                    history(&mut s, nop(&format!("USER {u}")), true, &now);
                    Ok(s)
                })
            }
            "STOPSIGNAL" => {
                let sig = parse::word(&a, escape, lookup).map_err(e)?;
                crate::spec::signal::parse_signal(&sig).map_err(|x| crate::err!("{x}"))?;
                self.cached_step(&st, &format!("STOPSIGNAL {sig}"), |_, p| {
                    let mut s = p.clone();
                    config_obj(&mut s.config).insert("StopSignal".into(), json!(sig));
                    history(&mut s, nop(&format!("STOPSIGNAL {sig}")), true, &now);
                    Ok(s)
                })
            }
            "WORKDIR" => {
                let w = parse::word(&a, escape, lookup).map_err(e)?;
                let cur = st.config["config"]["WorkingDir"].as_str().unwrap_or("/").to_string();
                let joined = if w.starts_with('/') {
                    w.clone()
                } else {
                    format!("{}/{w}", if cur.is_empty() { "/" } else { &cur })
                };
                let dir = format!("/{}", context::clean_rel(&joined));
                let st2 = self.cached_step(&st, &format!("WORKDIR {dir}"), |_, p| {
                    let mut s = p.clone();
                    config_obj(&mut s.config).insert("WorkingDir".into(), json!(dir));
                    history(&mut s, nop(&format!("WORKDIR {w}")), true, &now);
                    Ok(s)
                })?;
                // The directory itself, when the image does not have it yet: a layer.
                if self.path_in_image(&st2, &dir) {
                    return Ok(st2);
                }
                let d2 = dir.clone();
                self.cached_step(&st2, &format!("WORKDIR-mkdir {dir}"), move |b, p| {
                    let dest = worker::Dest {
                        path: d2.clone(),
                        dir: true,
                        chown: None,
                        keep_owners: false,
                    };
                    let (diff, _) =
                        match worker::copy_direct(&b.store, &diff_ids(&p.config), &dest, &[], None, &b.hold.path)? {
                            Some(d) => d,
                            None => b.layer_step(p, &[], |store, rec| worker::mkdir(store, rec, &d2))?,
                        };
                    let mut s = p.clone();
                    add_layer(&mut s, &diff);
                    let hist = s.config["history"].as_array_mut();
                    // The WORKDIR entry just added now describes this layer.
                    if let Some(h) = hist.and_then(|h| h.last_mut()) {
                        h.as_object_mut().map(|o| o.remove("empty_layer"));
                    }
                    Ok(s)
                })
            }
            "CMD" | "ENTRYPOINT" => {
                let v: Vec<String> = match &ins.json {
                    Some(v) => v.clone(),
                    None => {
                        let mut x = st.shell.clone();
                        x.push(a.clone());
                        x
                    }
                };
                let cmd = ins.cmd.clone();
                let field = if cmd == "CMD" { "Cmd" } else { "Entrypoint" };
                let shown = match &ins.json {
                    Some(v) => serde_json::to_string(v).expect("json"),
                    None => a.clone(),
                };
                self.cached_step(&st, &format!("{cmd} {v:?} {}", st.cmd_set), |_, p| {
                    let mut s = p.clone();
                    let c = config_obj(&mut s.config);
                    c.insert(field.into(), json!(v));
                    if cmd == "CMD" {
                        s.cmd_set = true;
                    } else if !s.cmd_set {
                        c.remove("Cmd");
                    }
                    history(&mut s, nop(&format!("{cmd} {shown}")), true, &now);
                    Ok(s)
                })
            }
            "SHELL" => {
                let v = ins.json.clone().unwrap_or_default();
                let docker = self.opts.docker;
                self.cached_step(&st, &format!("SHELL {v:?}"), |_, p| {
                    let mut s = p.clone();
                    s.shell = v.clone();
                    if docker {
                        config_obj(&mut s.config).insert("Shell".into(), json!(v));
                    }
                    history(&mut s, nop(&format!("SHELL {v:?}")), true, &now);
                    Ok(s)
                })
            }
            "HEALTHCHECK" => {
                let mut words = a.splitn(2, char::is_whitespace);
                let kind = words.next().unwrap_or("").to_ascii_uppercase();
                let rest = words.next().unwrap_or("").trim().to_string();
                let mut hc = Map::new();
                match kind.as_str() {
                    "NONE" => {
                        if !ins.flags.is_empty() || !rest.is_empty() {
                            return Err(crate::err!("HEALTHCHECK NONE takes no options or arguments"));
                        }
                        hc.insert("Test".into(), json!(["NONE"]));
                    }
                    "CMD" => {
                        if rest.is_empty() {
                            return Err(crate::err!("HEALTHCHECK CMD needs a command"));
                        }
                        let test = match serde_json::from_str::<Vec<String>>(&rest) {
                            Ok(v) if rest.starts_with('[') => {
                                let mut t = vec!["CMD".to_string()];
                                t.extend(v);
                                t
                            }
                            _ => vec!["CMD-SHELL".to_string(), rest.clone()],
                        };
                        hc.insert("Test".into(), json!(test));
                        for (k, v) in &ins.flags {
                            let (field, val) = match k.as_str() {
                                "interval" => ("Interval", json!(duration_ns(v).map_err(e)?)),
                                "timeout" => ("Timeout", json!(duration_ns(v).map_err(e)?)),
                                "start-period" => ("StartPeriod", json!(duration_ns(v).map_err(e)?)),
                                "start-interval" => ("StartInterval", json!(duration_ns(v).map_err(e)?)),
                                "retries" => (
                                    "Retries",
                                    json!(v
                                        .parse::<i64>()
                                        .map_err(|_| crate::err!("--retries={v}: not a number"))?),
                                ),
                                other => return Err(crate::err!("unknown flag --{other}")),
                            };
                            hc.insert(field.into(), val);
                        }
                    }
                    _ => return Err(crate::err!("HEALTHCHECK takes NONE or CMD, not {kind:?}")),
                }
                if !self.opts.docker {
                    crate::output::note("HEALTHCHECK is not supported for OCI image format and will be ignored. Must use `docker` format");
                }
                let docker = self.opts.docker;
                self.cached_step(&st, &format!("HEALTHCHECK {hc:?} {docker}"), |_, p| {
                    let mut s = p.clone();
                    if docker {
                        config_obj(&mut s.config).insert("Healthcheck".into(), Value::Object(hc.clone()));
                    }
                    history(&mut s, nop(&format!("HEALTHCHECK {a}")), true, &now);
                    Ok(s)
                })
            }
            "ONBUILD" => {
                if !self.opts.docker {
                    crate::output::note("ONBUILD is not supported for OCI image format, ONBUILD will be ignored. Must use `docker` format");
                }
                let docker = self.opts.docker;
                self.cached_step(&st, &format!("ONBUILD {a} {docker}"), |_, p| {
                    let mut s = p.clone();
                    if docker {
                        let c = config_obj(&mut s.config);
                        let l = c.entry("OnBuild").or_insert_with(|| json!([]));
                        if !l.is_array() {
                            *l = json!([]);
                        }
                        l.as_array_mut().expect("array").push(json!(a));
                    }
                    history(&mut s, nop(&format!("ONBUILD {a}")), true, &now);
                    Ok(s)
                })
            }
            "RUN" => self.run(ins, st, args, lookup, stages, stage_i, results, &now),
            "COPY" | "ADD" => self.copy(ins, st, lookup, stages, stage_i, results, &now),
            other => Err(crate::err!("unknown instruction {other}")),
        }
    }

    /// Whether directory `path` exists in the state's layers (looked up in the stored layers,
    /// top down; a whiteout hides it).
    fn path_in_image(&self, st: &State, path: &str) -> bool {
        let rel = context::clean_rel(path);
        if rel.is_empty() {
            return true;
        }
        for l in diff_ids(&st.config).iter().rev() {
            let base = self.store.base().join(Store::layer_rel(l));
            let mut p = base.clone();
            let parts: Vec<&str> = rel.split('/').collect();
            for (k, c) in parts.iter().enumerate() {
                if crate::sys::fs::get_xattr(&p, "user.overlay.opaque").is_ok_and(|v| v == b"y") && k > 0 {
                    return false;
                }
                let wh = p.join(c);
                if let Ok(m) = std::fs::symlink_metadata(&wh) {
                    use std::os::unix::fs::FileTypeExt;
                    if m.file_type().is_char_device() {
                        return false;
                    }
                    if m.file_type().is_symlink() {
                        // A symlink on the way: let the step create what is needed.
                        return false;
                    }
                }
                p.push(c);
            }
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => return true,
                Ok(_) => return false,
                Err(_) => {}
            }
        }
        false
    }

    /// Make `st` an image, create a step container of it, do `act`, and store its upper
    /// directory as a layer; the container is removed whatever happens. Returns
    /// (diff_id, size).
    fn layer_step(
        &mut self,
        st: &State,
        stubs: &[String],
        act: impl FnOnce(&Store, &ContainerRecord) -> Result<()>,
    ) -> Result<(String, u64)> {
        let rec = self.step_container(st, vec!["/bin/true".into()], vec![], vec![], None)?;
        let r = act(&self.store, &rec).and_then(|_| worker::commit_upper(&self.store, &rec, stubs, &self.hold.path));
        let _ = remove_step(&self.store, &rec);
        r
    }

    fn step_container(
        &mut self,
        st: &State,
        command: Vec<String>,
        env: Vec<String>,
        volumes: Vec<String>,
        network: Option<String>,
    ) -> Result<ContainerRecord> {
        self.step_container_with(st, command, env, volumes, vec![], network)
    }

    /// `step_container`, with tmpfs mounts (`--tmpfs` values).
    fn step_container_with(
        &mut self,
        st: &State,
        command: Vec<String>,
        env: Vec<String>,
        volumes: Vec<String>,
        tmpfs: Vec<String>,
        network: Option<String>,
    ) -> Result<ContainerRecord> {
        let owner = self.owner.path.file_name().unwrap_or_default().to_string_lossy();
        let opts = RunOptions {
            labels: vec![format!("{}={owner}", Store::BUILD_STEP_LABEL)],
            entrypoint: Some(String::new()),
            command,
            env,
            volumes,
            tmpfs,
            network: network.unwrap_or_else(|| self.opts.network.clone()),
            host_ids: Some((nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw())),
            default_caps: self.opts.default_caps.clone(),
            default_env: self.opts.default_env.clone(),
            ulimits: self.opts.ulimits.clone(),
            security_opt: self.opts.security_opt.clone(),
            build_step: true,
            ..Default::default()
        };
        let never = ImplicitPull {
            policy: PullPolicy::Never,
            quiet: true,
            platform: None,
            args: vec![],
        };
        // The image recorded for the step container may be removed before the container is
        // made (a concurrent rmi of the base the step starts from): record it again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let id = self.record(st, &[])?;
            match crate::container::create(&self.store, &id, &opts, None, &never) {
                Err(e) if attempts < 3 && e.message.contains("was removed while the container was being created") => {
                    self.recorded.remove(&id);
                }
                r => return r,
            }
        }
    }

    /// A state of another stage or an image, for `--from`.
    fn from_state(
        &mut self,
        f: &str,
        stages: &[Stage],
        stage_i: usize,
        results: &HashMap<usize, State>,
    ) -> Result<State> {
        let l = f.to_ascii_lowercase();
        let j = stages[..stage_i]
            .iter()
            .position(|s| s.name.as_deref() == Some(l.as_str()))
            .or_else(|| f.parse::<usize>().ok().filter(|n| *n < stage_i));
        if let Some(j) = j {
            return results
                .get(&j)
                .cloned()
                .ok_or_else(|| crate::err!("--from={f}: stage {f} was not built"));
        }
        self.from(f, None)
            .map_err(|e| crate::err!("--from={f}: no stage named {f}, and no such image: {}", e.message))
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        ins: &Instruction,
        st: State,
        args: &[(String, String)],
        lookup: Lookup,
        stages: &[Stage],
        stage_i: usize,
        results: &HashMap<usize, State>,
        now: &str,
    ) -> Result<State> {
        // The command.
        let only_heredoc = ins.heredocs.len() == 1
            && ins
                .args
                .trim()
                .trim_start_matches("<<")
                .trim_start_matches('-')
                .trim_matches(['"', '\''])
                == ins.heredocs[0].name;
        let command: Vec<String> = match (&ins.json, only_heredoc) {
            (Some(v), _) => v.clone(),
            (None, true) => {
                let mut c = st.shell.clone();
                c.push(ins.heredocs[0].content.clone());
                c
            }
            (None, false) => {
                let mut script = ins.args.clone();
                for h in &ins.heredocs {
                    script.push('\n');
                    script.push_str(&h.content);
                    script.push_str(&h.name);
                }
                let mut c = st.shell.clone();
                c.push(script);
                c
            }
        };
        // Build args in effect that ENV does not override.
        let env: Vec<String> = args
            .iter()
            .filter(|(k, _)| env_get(&st.config, k).is_none())
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        // Mounts.
        let mut volumes = Vec::new();
        let mut stubs: Vec<String> = [
            "etc/hosts",
            "etc/hostname",
            "etc/resolv.conf",
            "run/.containerenv",
            "proc",
            "sys",
            "dev",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut tmp_dirs = Vec::new();
        let mut cache_locks = Vec::new();
        let mut tmpfs: Vec<String> = Vec::new();
        let mut mount_key = Vec::new();
        let mut network = None;
        for (k, v) in &ins.flags {
            match k.as_str() {
                "network" => {
                    network = Some(match v.as_str() {
                        "default" => self.opts.network.clone(),
                        "none" | "host" => v.clone(),
                        other => crate::bail!("RUN --network={other}: use default, none or host"),
                    })
                }
                "security" => {
                    if v != "sandbox" {
                        crate::bail!("RUN --security={v}: only sandbox is supported rootless")
                    }
                }
                "mount" => {
                    let mut kv: BTreeMap<String, String> = BTreeMap::new();
                    for part in v.split(',') {
                        let (a, b) = part.split_once('=').unwrap_or((part, "true"));
                        let b = parse::word(b, self.escape, lookup).map_err(|e| crate::err!("--mount: {e}"))?;
                        kv.insert(a.to_ascii_lowercase(), b);
                    }
                    let ty = kv.get("type").cloned().unwrap_or_else(|| "bind".into());
                    let target = kv
                        .get("target")
                        .or_else(|| kv.get("dst"))
                        .or_else(|| kv.get("destination"))
                        .cloned();
                    let target = match (ty.as_str(), target) {
                        ("secret", None) => format!("/run/secrets/{}", kv.get("id").cloned().unwrap_or_default()),
                        (_, Some(t)) => t,
                        (_, None) => crate::bail!("--mount={v}: no target"),
                    };
                    let target = if target.starts_with('/') {
                        target
                    } else {
                        let wd = st.config["config"]["WorkingDir"].as_str().unwrap_or("/");
                        format!("{}/{target}", wd.trim_end_matches('/'))
                    };
                    let ro = kv
                        .get("ro")
                        .or_else(|| kv.get("readonly"))
                        .is_some_and(|x| x != "false");
                    match ty.as_str() {
                        "bind" => {
                            let src = kv
                                .get("source")
                                .or_else(|| kv.get("src"))
                                .cloned()
                                .unwrap_or_else(|| ".".into());
                            let host = if let Some(f) = kv.get("from") {
                                let fst = self.from_state(f, stages, stage_i, results)?;
                                let rec = self.step_container(
                                    &fst,
                                    vec!["/bin/true".into()],
                                    vec![],
                                    vec![],
                                    Some("none".into()),
                                )?;
                                let out = self.store.temp("build-from")?;
                                std::fs::create_dir(&out.path).ctx(|| format!("creating {}", out.path.display()))?;
                                let tarp = out.path.join("x.tar");
                                let r = worker::copy_out(&self.store, &rec, &[src.clone()], &tarp);
                                let _ = remove_step(&self.store, &rec);
                                r?;
                                let dir = out.path.join("root");
                                std::fs::create_dir(&dir).ctx(|| format!("creating {}", dir.display()))?;
                                let mut ar =
                                    tar::Archive::new(std::fs::File::open(&tarp).ctx(|| "reading the --from files")?);
                                ar.unpack(&dir).map_err(|e| crate::err!("--mount from={f}: {e}"))?;
                                mount_key.push(format!("from:{}", fst.digest));
                                let p = dir.clone();
                                tmp_dirs.push(out);
                                p
                            } else {
                                let real = self.ctx.resolve(&src).ok_or_else(|| {
                                    crate::err!("--mount={v}: {src}: no such file or directory in the build context")
                                })?;
                                let p = self.ctx.root.join(real);
                                let (entries, _) = self.ctx.sources(&[src.clone()])?;
                                mount_key.push(self.ctx.digest(&entries)?);
                                p
                            };
                            let rw = kv
                                .get("rw")
                                .or_else(|| kv.get("readwrite"))
                                .is_some_and(|x| x != "false");
                            if rw {
                                // Writes are discarded: the step gets a copy.
                                let t = self.store.temp("build-bind")?;
                                let status = std::process::Command::new("cp")
                                    .arg("-a")
                                    .arg(&host)
                                    .arg(&t.path)
                                    .status()
                                    .ctx(|| "copying the bind mount source")?;
                                if !status.success() {
                                    crate::bail!("--mount={v}: copying the source failed");
                                }
                                volumes.push(format!("{}:{target}", t.path.display()));
                                tmp_dirs.push(t);
                            } else {
                                volumes.push(format!("{}:{target}:ro", host.display()));
                            }
                        }
                        "cache" => {
                            let id = kv.get("id").cloned().unwrap_or_else(|| target.clone());
                            let num = |k: &str, radix: u32| -> Result<Option<u32>> {
                                kv.get(k)
                                    .map(|v| {
                                        u32::from_str_radix(v, radix)
                                            .map_err(|_| crate::err!("--mount: {k}={v}: not a number"))
                                    })
                                    .transpose()
                            };
                            let (uid, gid, mode) = (num("uid", 10)?, num("gid", 10)?, num("mode", 8)?);
                            let sharing = kv.get("sharing").map(String::as_str).unwrap_or("shared");
                            if !["shared", "private", "locked"].contains(&sharing) {
                                crate::bail!("--mount={v}: sharing={sharing}: use shared, private or locked");
                            }
                            let mounts = self.cache_dir.join("mounts");
                            std::fs::create_dir_all(&mounts).ctx(|| format!("creating {}", mounts.display()))?;
                            let name = crate::digest::sha256_hex(id.as_bytes());
                            let mut dir = mounts.join(&name);
                            // locked: one RUN at a time uses it (others wait); private: a RUN
                            // that finds it in use gets a new, empty one of its own.
                            let lock_path = mounts.join(format!("{name}.lock"));
                            match sharing {
                                "locked" => cache_locks
                                    .push(crate::sys::lock::FileLock::exclusive_or(&lock_path, || {
                                        crate::output::note(&format!("waiting for the cache mount {id}"))
                                    })?),
                                "private" => match crate::sys::lock::FileLock::try_exclusive(&lock_path)? {
                                    Some(l) => cache_locks.push(l),
                                    None => {
                                        let t = self.store.temp("build-cache-private")?;
                                        dir = t.path.clone();
                                        tmp_dirs.push(t);
                                    }
                                },
                                _ => {}
                            }
                            if !dir.exists() {
                                // Made in tmp/ with its owner and mode, then moved into place.
                                let t = self.store.temp("build-cache-new")?;
                                std::fs::create_dir(&t.path).ctx(|| format!("creating {}", t.path.display()))?;
                                let (p, m) = (t.path.clone(), mode.unwrap_or(0o755));
                                let (u, g) = (uid.unwrap_or(0), gid.unwrap_or(0));
                                let d = dir.clone();
                                // Moved as root of the store's namespace: a directory of
                                // another owner needs that to be renamed.
                                crate::runtime::userns::in_store_namespace("creating the cache mount", || {
                                    std::os::unix::fs::chown(&p, Some(u), Some(g))
                                        .ctx(|| format!("setting the owner of the cache mount {id}"))?;
                                    use std::os::unix::fs::PermissionsExt;
                                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m))
                                        .ctx(|| format!("setting the mode of the cache mount {id}"))?;
                                    match std::fs::rename(&p, &d) {
                                        Ok(()) => Ok(()),
                                        Err(_) if d.exists() => Ok(()), // made meanwhile by another build
                                        Err(e) => Err(crate::err!("creating the cache mount {id}: {e}")),
                                    }
                                })?;
                            }
                            volumes.push(format!("{}:{target}{}", dir.display(), if ro { ":ro" } else { "" }));
                        }
                        "tmpfs" => {
                            let mut o = Vec::new();
                            if let Some(sz) = kv.get("size").or_else(|| kv.get("tmpfs-size")) {
                                o.push(format!("size={sz}"));
                            }
                            if let Some(m) = kv.get("mode").or_else(|| kv.get("tmpfs-mode")) {
                                o.push(format!("mode={m}"));
                            }
                            tmpfs.push(if o.is_empty() {
                                target.clone()
                            } else {
                                format!("{target}:{}", o.join(","))
                            });
                        }
                        "secret" => {
                            let id = kv.get("id").cloned().unwrap_or_else(|| {
                                Path::new(&target)
                                    .file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default()
                            });
                            match self.opts.secrets.iter().find(|(i, _)| *i == id) {
                                Some((_, src)) => volumes.push(format!("{}:{target}:ro", src.display())),
                                None if kv.get("required").is_some_and(|x| x != "false") => {
                                    crate::bail!("--mount=type=secret,id={id}: no --secret id={id} given")
                                }
                                None => continue,
                            }
                        }
                        other => crate::bail!("--mount type={other}: use bind, cache, tmpfs or secret"),
                    }
                    // The mount point and its parents, when the step created them.
                    let mut p = target.trim_start_matches('/').to_string();
                    while !p.is_empty() {
                        stubs.insert(0, p.clone());
                        p = p.rsplit_once('/').map(|x| x.0.to_string()).unwrap_or_default();
                    }
                }
                other => crate::bail!("unknown flag --{other}"),
            }
        }
        stubs.sort_by_key(|s| std::cmp::Reverse(s.matches('/').count()));
        let mut shown = command.join(" ");
        if command.len() >= 2 && command[..command.len() - 1] == st.shell[..] {
            shown = format!("{} {}", st.shell.join(" "), command.last().cloned().unwrap_or_default());
        }
        let created_by = if env.is_empty() {
            shown.clone()
        } else {
            format!("|{} {} {shown}", env.len(), env.join(" "))
        };
        let mut key = format!("RUN {command:?} env={env:?} mounts={mount_key:?} net={network:?}");
        // Limits and the seccomp filter can change what a step does: a step run under other
        // ones is not the same step (keys without them stay as they were).
        if !self.opts.ulimits.is_empty() || !self.opts.security_opt.is_empty() {
            key.push_str(&format!(
                " ulimits={:?} security={:?}",
                self.opts.ulimits, self.opts.security_opt
            ));
        }
        let text = ins.text();
        let quiet = self.opts.quiet;
        let r = self.cached_step(&st, &key, |b, p| {
            let rec = b.step_container_with(
                p,
                command.clone(),
                env.clone(),
                volumes.clone(),
                tmpfs.clone(),
                network.clone(),
            )?;
            let code = {
                let _mute = quiet.then(Mute::new);
                crate::container::run_foreground(&b.store, &rec)
            };
            let code = match code {
                Ok(c) => c,
                Err(e) => {
                    let _ = remove_step(&b.store, &rec);
                    return Err(e);
                }
            };
            if code != 0 {
                if quiet {
                    if let Ok(log) = std::fs::read(b.store.container_dir(&rec.id).join("ctr.log")) {
                        let _ = std::io::Write::write_all(&mut std::io::stderr(), &log);
                    }
                }
                let _ = remove_step(&b.store, &rec);
                return Err(
                    crate::err!("building at STEP \"{text}\": while running runtime: exit status {code}")
                        .classed(crate::error::Class::Tool),
                );
            }
            let r = worker::commit_upper(&b.store, &rec, &stubs, &b.hold.path);
            let _ = remove_step(&b.store, &rec);
            let (diff, _) = r?;
            let mut s = p.clone();
            add_layer(&mut s, &diff);
            history(&mut s, created_by.clone(), false, now);
            Ok(s)
        });
        drop(cache_locks);
        drop(tmp_dirs);
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn copy(
        &mut self,
        ins: &Instruction,
        st: State,
        lookup: Lookup,
        stages: &[Stage],
        stage_i: usize,
        results: &HashMap<usize, State>,
        now: &str,
    ) -> Result<State> {
        let escape = self.escape;
        let mut words: Vec<String> = match &ins.json {
            Some(v) => v
                .iter()
                .map(|x| parse::word(x, escape, lookup))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| crate::err!("{e}"))?,
            None => parse::words(&ins.args, escape, lookup).map_err(|e| crate::err!("{e}"))?,
        };
        for (k, _) in &ins.flags {
            if ![
                "from",
                "chown",
                "chmod",
                "link",
                "parents",
                "exclude",
                "keep-git-dir",
                "checksum",
            ]
            .contains(&k.as_str())
                || (ins.cmd == "COPY" && ["keep-git-dir", "checksum"].contains(&k.as_str()))
            {
                crate::bail!("unknown flag --{k}");
            }
            // Not done yet: refused rather than ignored, which would copy other files than
            // Docker does (Podman 4 refuses them too).
            if ["parents", "exclude"].contains(&k.as_str()) {
                crate::bail!("--{k} is not supported yet");
            }
        }
        let dest_raw = words.pop().unwrap_or_default();
        let wd = st.config["config"]["WorkingDir"].as_str().unwrap_or("").to_string();
        let dest_abs = if dest_raw.starts_with('/') {
            dest_raw.clone()
        } else {
            format!(
                "{}/{dest_raw}",
                if wd.is_empty() { "" } else { wd.trim_end_matches('/') }
            )
        };
        let dest_dir_slash = dest_raw.ends_with('/') || dest_raw == "." || dest_raw.ends_with("/.");
        let chown = ins
            .flag("chown")
            .map(|c| parse::word(c, escape, lookup))
            .transpose()
            .map_err(|e| crate::err!("{e}"))?;
        let chmod = match ins.flag("chmod") {
            Some(m) => Some(u32::from_str_radix(m, 8).map_err(|_| crate::err!("--chmod={m}: not an octal mode"))?),
            None => None,
        };
        // Heredoc sources: COPY <<EOF /file.
        let mut here_files: Vec<(String, String)> = Vec::new();
        words.retain(|w| {
            let name = w
                .trim_start_matches("<<")
                .trim_start_matches('-')
                .trim_matches(['"', '\'']);
            if w.starts_with("<<") {
                if let Some(h) = ins.heredocs.iter().find(|h| h.name == name) {
                    let content = if h.expand {
                        parse::word(&h.content, escape, lookup).unwrap_or_else(|_| h.content.clone())
                    } else {
                        h.content.clone()
                    };
                    here_files.push((name.to_string(), content));
                    return false;
                }
            }
            true
        });
        let text = ins.text();
        let cmd = ins.cmd.clone();
        let from = ins
            .flag("from")
            .map(|f| parse::word(f, escape, lookup).unwrap_or_else(|_| f.to_string()));
        if let Some(f) = from {
            let fst = self.from_state(&f, stages, stage_i, results)?;
            let key = format!(
                "{cmd} from={} {words:?} {dest_abs} chown={chown:?} chmod={chmod:?} dirdest={dest_dir_slash}",
                fst.digest
            );
            let srcs = words.clone();
            return self.cached_step(&st, &key, |b, p| {
                let src_rec = b.step_container(&fst, vec!["/bin/true".into()], vec![], vec![], Some("none".into()))?;
                let tmp = b.store.temp("build-from")?;
                let r = worker::copy_out(&b.store, &src_rec, &srcs, &tmp.path);
                let _ = remove_step(&b.store, &src_rec);
                let many = r?;
                let dest = worker::Dest {
                    path: dest_abs.clone(),
                    dir: many || dest_dir_slash,
                    chown: chown.clone(),
                    keep_owners: true,
                };
                let tarp = tmp.path.clone();
                let (diff, _) = b.layer_step(p, &[], |store, rec| {
                    worker::copy_in(store, rec, &dest, |mut w| {
                        let mut f = std::fs::File::open(&tarp).ctx(|| format!("reading {}", tarp.display()))?;
                        if let Some(m) = chmod {
                            return rewrite_modes(f, m, w);
                        }
                        std::io::copy(&mut f, &mut w)
                            .map(drop)
                            .map_err(|e| crate::err!("sending the files: {e}"))
                    })
                })?;
                let mut s = p.clone();
                add_layer(&mut s, &diff);
                history(&mut s, format!("/bin/sh -c #(nop) {text}"), false, now);
                Ok(s)
            });
        }
        // Remote sources (ADD only): URLs downloaded, git repositories cloned, into tmp/.
        let nwords = words.len();
        let mut fetched: Vec<context::Entry> = Vec::new();
        let mut remote_many = false;
        let mut downloads = Vec::new();
        let checksum = ins
            .flag("checksum")
            .map(|c| parse::word(c, escape, lookup).unwrap_or_else(|_| c.to_string()));
        let keep_git = ins.flag("keep-git-dir").is_some_and(|v| v != "false");
        let mut local_words = Vec::new();
        for w in std::mem::take(&mut words) {
            if !remote::is_remote(&w) {
                local_words.push(w);
                continue;
            }
            if cmd == "COPY" {
                crate::bail!("COPY {w}: a URL is not a COPY source: use ADD");
            }
            let tmp = self.store.temp("build-remote")?;
            std::fs::create_dir(&tmp.path).ctx(|| format!("creating {}", tmp.path.display()))?;
            if remote::is_git(&w) {
                let dir = remote::clone_git(&w, &tmp.path, keep_git)?;
                let sub = context::Ctx {
                    root: dir,
                    ignore: context::Ignore::default(),
                    hashes: Default::default(),
                };
                let (e, _) = sub.sources(&[".".to_string()])?;
                fetched.extend(e);
                remote_many = true;
            } else {
                let f = remote::download(&w, &tmp.path, checksum.as_deref())?;
                let md = std::fs::symlink_metadata(&f).ctx(|| format!("reading {}", f.display()))?;
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                fetched.push(context::Entry::new(name, f, md));
            }
            downloads.push(tmp);
        }
        if checksum.is_some() && (nwords != 1 || fetched.len() != 1 || !local_words.is_empty()) {
            crate::bail!("ADD --checksum needs a single URL source");
        }
        words = local_words;
        let (mut entries, many) = if words.is_empty() {
            (vec![], false)
        } else {
            self.ctx.sources(&words)?
        };
        let many = many || remote_many || nwords + here_files.len() > 1;
        // ADD of a local archive extracts it.
        let mut archives: Vec<PathBuf> = Vec::new();
        if cmd == "ADD" {
            entries.retain(|e| {
                if e.md.is_file()
                    && !e.dest.contains('/')
                    && is_archive(&e.src)
                    && words.iter().all(|w| !w.ends_with('/'))
                {
                    archives.push(e.src.clone());
                    return false;
                }
                true
            });
        }
        // Downloads are never extracted.
        entries.extend(fetched);
        let mut h = self.ctx.digest(&entries)?;
        for a in &archives {
            h.push_str(&self.ctx.digest(&[context::Entry::new(
                String::new(),
                a.clone(),
                std::fs::metadata(a).ctx(|| format!("reading {}", a.display()))?,
            )])?);
        }
        for (n, c) in &here_files {
            h.push_str(&crate::digest::sha256_hex(format!("{n}\0{c}").as_bytes()));
        }
        let key =
            format!("{cmd} {words:?} {dest_abs} chown={chown:?} chmod={chmod:?} dirdest={dest_dir_slash} content={h}");
        self.cached_step(&st, &key, |b, p| {
            let dir = many || dest_dir_slash || !archives.is_empty() && entries.is_empty();
            let mut diff_last = None;
            let mut cur = p.clone();
            let dest = worker::Dest {
                path: dest_abs.clone(),
                dir,
                chown: chown.clone(),
                keep_owners: false,
            };
            let feed = |w: std::fs::File| -> Result<()> {
                let bw = std::io::BufWriter::with_capacity(1 << 20, w);
                if here_files.is_empty() {
                    return context::write_tar(&entries, context::Attrs { chmod }, bw);
                }
                let mut tb = tar::Builder::new(bw);
                for (n, c) in &here_files {
                    let mut hd = tar::Header::new_gnu();
                    hd.set_size(c.len() as u64);
                    hd.set_mode(chmod.unwrap_or(0o644));
                    hd.set_mtime(crate::output::now_secs().max(0) as u64);
                    hd.set_entry_type(tar::EntryType::Regular);
                    tb.append_data(&mut hd, n, c.as_bytes())
                        .map_err(|e| crate::err!("sending {n}: {e}"))?;
                }
                tb.finish().map_err(|e| crate::err!("sending the files: {e}"))?;
                Ok(())
            };
            let has_files = !entries.is_empty() || !here_files.is_empty();
            // The files written straight into the new layer's directory when nothing in the
            // image stands in the way; else through a step container.
            let direct = if archives.is_empty() && has_files {
                {
                    let now_s = crate::output::now_secs();
                    let mut items: Vec<worker::Item> = entries.iter().map(worker::Item::Ctx).collect();
                    for (n, c) in &here_files {
                        items.push(worker::Item::Data(n, c.as_bytes(), chmod.unwrap_or(0o644), now_s));
                    }
                    worker::copy_direct(&b.store, &diff_ids(&cur.config), &dest, &items, chmod, &b.hold.path)?
                }
            } else {
                None
            };
            let res = if let Some(d) = direct {
                Ok(d)
            } else {
                // One layer for all sources: the files first, then extracted archives in the same
                // container (so a single COPY/ADD is a single layer).
                let rec = b.step_container(&cur, vec!["/bin/true".into()], vec![], vec![], Some("none".into()))?;
                let res = (|| -> Result<()> {
                    if has_files {
                        worker::copy_in(&b.store, &rec, &dest, &feed)?;
                    }
                    for a in &archives {
                        let dest = worker::Dest {
                            path: dest_abs.clone(),
                            dir: true,
                            chown: chown.clone(),
                            keep_owners: chown.is_none(),
                        };
                        let a = a.clone();
                        worker::copy_in(&b.store, &rec, &dest, move |mut w| {
                            if let Some(tool) = external_decompressor(&a) {
                                return decompress_with(tool, &a, &mut w);
                            }
                            let f = std::fs::File::open(&a).ctx(|| format!("reading {}", a.display()))?;
                            let mut r = crate::archive::decompress(std::io::BufReader::new(f))
                                .map_err(|e| crate::err!("{}: {e}", a.display()))?;
                            std::io::copy(&mut r, &mut w)
                                .map(drop)
                                .map_err(|e| crate::err!("{}: {e}", a.display()))
                        })?;
                    }
                    Ok(())
                })()
                .and_then(|_| worker::commit_upper(&b.store, &rec, &[], &b.hold.path));
                let _ = remove_step(&b.store, &rec);
                res
            };
            let (diff, _) = res?;
            diff_last.get_or_insert(diff.clone());
            add_layer(&mut cur, &diff);
            let shown = if entries.len() == 1 && !many { "file" } else { "dir" };
            history(
                &mut cur,
                format!(
                    "/bin/sh -c #(nop) {cmd} {shown}:{} in {dest_raw} ",
                    &h[..64.min(h.len())]
                ),
                false,
                now,
            );
            Ok(cur)
        })
    }

    /// `--squash`: the layers after the first `n` (the base image's) merged into one.
    fn squash_new(&mut self, st: &State, n: usize) -> Result<State> {
        let key = format!("--squash {n}");
        self.cached_step(st, &key, |b, p| {
            let ids = diff_ids(&p.config);
            if ids.len() <= n + 1 {
                return Ok(p.clone());
            }
            let (diff, _) = worker::squash_layers(&b.store, &ids[n..], &b.hold.path)?;
            let mut s = p.clone();
            let mut layers: Vec<Value> = ids[..n].iter().map(|d| json!(format!("sha256:{d}"))).collect();
            layers.push(json!(diff));
            s.config["rootfs"] = json!({ "type": "layers", "diff_ids": layers });
            // The base image's history, then one entry for the squashed layer.
            let mut hist = Vec::new();
            let mut seen = 0;
            for h in p.config["history"].as_array().into_iter().flatten() {
                if seen >= n {
                    break;
                }
                if !h["empty_layer"].as_bool().unwrap_or(false) {
                    seen += 1;
                }
                hist.push(h.clone());
            }
            let now = rfc3339(crate::output::now_secs());
            hist.push(json!({ "created": now, "created_by": "/bin/sh -c #(nop) squashed" }));
            s.config["history"] = json!(hist);
            s.config["created"] = json!(now);
            Ok(s)
        })
    }

    /// `--squash-all`: every layer merged into one (a container of the image exported as one tar).
    fn squash(&mut self, st: &State) -> Result<State> {
        let key = "--squash".to_string();
        self.cached_step(st, &key, |b, p| {
            let id = b.record(p, &[])?;
            let _ = id;
            let base = State {
                config: {
                    let mut c = p.config.clone();
                    c["rootfs"] = json!({ "type": "layers", "diff_ids": [] });
                    c
                },
                digest: String::new(),
                cmd_set: p.cmd_set,
                shell: p.shell.clone(),
                raw: None,
            };
            let base = b.seal(base)?;
            let tmp = b.store.temp("build-squash")?;
            let src = b.step_container(p, vec!["/bin/true".into()], vec![], vec![], Some("none".into()))?;
            let (sid, out) = (src.id.clone(), tmp.path.clone());
            let r = crate::runtime::userns::in_store_namespace("squashing", move || {
                crate::container::export::export(&sid, Some(&out))
            });
            let _ = remove_step(&b.store, &src);
            r?;
            let tarp = tmp.path.clone();
            let (diff, _) = b.layer_step(&base, &[], |store, rec| {
                let dest = worker::Dest {
                    path: "/".into(),
                    dir: true,
                    chown: None,
                    keep_owners: true,
                };
                worker::copy_in(store, rec, &dest, |mut w| {
                    let mut f = std::fs::File::open(&tarp).ctx(|| format!("reading {}", tarp.display()))?;
                    std::io::copy(&mut f, &mut w)
                        .map(drop)
                        .map_err(|e| crate::err!("squashing: {e}"))
                })
            })?;
            let mut s = base.clone();
            add_layer(&mut s, &diff);
            let now = rfc3339(crate::output::now_secs());
            s.config["created"] = json!(now);
            s.config["history"] = json!([{ "created": now, "created_by": "/bin/sh -c #(nop) squashed" }]);
            Ok(s)
        })
    }
}

/// Remove the step containers of builds that were killed (their owner's lock is free).
fn remove_orphan_steps(store: &Store) {
    for c in store.container_files() {
        if store.is_orphan_build_step(&c) {
            let _ = remove_step(store, &c);
        }
    }
}

/// Remove a step container. Files it made as other ids need the store's user namespace to go:
/// entered in a forked child then, never in this process (which starts more containers).
fn remove_step(store: &Store, rec: &ContainerRecord) -> Result<()> {
    // Its live state first: its process has ended (or was killed with a killed build), and the
    // record goes with the directory below, after which `remove` finds nothing left to do.
    crate::runtime::state::remove_live(&rec.id);
    let d = store.container_dir(&rec.id);
    let gone = !d.exists() || std::fs::remove_dir_all(&d).is_ok() || {
        crate::store::make_writable(&d);
        std::fs::remove_dir_all(&d).is_ok()
    };
    if gone {
        crate::container::remove(store, rec, true)
    } else {
        crate::runtime::userns::in_store_namespace("removing a step container", || {
            crate::container::remove(store, rec, true)
        })
    }
}

fn quote_if(v: &str) -> String {
    if v.is_empty() || v.contains(char::is_whitespace) || v.contains('"') {
        format!("{v:?}")
    } else {
        v.to_string()
    }
}

/// A local tar (plain, gzip, bzip2? no: plain, gzip, zstd) that ADD extracts.
fn is_archive(p: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    let mut head = [0u8; 512];
    let n = std::io::Read::read(&mut f, &mut head).unwrap_or(0);
    if n >= 4 && (head[..2] == [0x1f, 0x8b] || head[..4] == [0x28, 0xb5, 0x2f, 0xfd]) {
        return true;
    }
    if external_decompressor(p).is_some() {
        return true;
    }
    n >= 262 && &head[257..262] == b"ustar"
}

/// The program that decompresses `p` when it is xz or bzip2 (which ADD extracts as Docker
/// does; hutch links no decoder for them): `xz` or `bzip2`.
fn external_decompressor(p: &Path) -> Option<&'static str> {
    let mut f = std::fs::File::open(p).ok()?;
    let mut head = [0u8; 6];
    let n = std::io::Read::read(&mut f, &mut head).ok()?;
    if n >= 6 && head == [0xfd, b'7', b'z', b'X', b'Z', 0] {
        Some("xz")
    } else if n >= 4 && &head[..3] == b"BZh" && (b'1'..=b'9').contains(&head[3]) {
        Some("bzip2")
    } else {
        None
    }
}

/// `tool -dc FILE` into `out`; its failure (or absence) is the error.
fn decompress_with(tool: &str, file: &Path, out: &mut dyn std::io::Write) -> Result<()> {
    let bin = crate::paths::find_in_path(tool).ok_or_else(|| {
        crate::err!(
            "{}: extracting it needs the {tool} program, which is not installed",
            file.display()
        )
    })?;
    let mut child = std::process::Command::new(bin)
        .arg("-dc")
        .arg(file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ctx(|| format!("running {tool}"))?;
    let mut so = child.stdout.take().expect("piped");
    let copied = std::io::copy(&mut so, out);
    drop(so);
    let res = child.wait_with_output().ctx(|| format!("running {tool}"))?;
    if !res.status.success() {
        crate::bail!(
            "{}: {tool} failed: {}",
            file.display(),
            String::from_utf8_lossy(&res.stderr).trim()
        );
    }
    copied.map(drop).map_err(|e| crate::err!("{}: {e}", file.display()))
}

/// Copy a tar stream with every entry's mode set to `mode` (symlinks excepted).
fn rewrite_modes(input: impl std::io::Read, mode: u32, out: impl std::io::Write) -> Result<()> {
    let mut ar = tar::Archive::new(input);
    let mut b = tar::Builder::new(out);
    for e in ar.entries().map_err(|e| crate::err!("reading the files: {e}"))? {
        let mut e = e.map_err(|e| crate::err!("reading the files: {e}"))?;
        let mut h = e.header().clone();
        if !h.entry_type().is_symlink() {
            h.set_mode(mode);
        }
        let path = e.path().map_err(|x| crate::err!("{x}"))?.into_owned();
        if h.entry_type().is_symlink() || h.entry_type().is_hard_link() {
            let l = e
                .link_name()
                .map_err(|x| crate::err!("{x}"))?
                .map(|l| l.into_owned())
                .unwrap_or_default();
            b.append_link(&mut h, &path, &l).map_err(|x| crate::err!("{x}"))?;
        } else {
            b.append_data(&mut h, &path, &mut e).map_err(|x| crate::err!("{x}"))?;
        }
    }
    b.finish().map_err(|e| crate::err!("{e}"))?;
    Ok(())
}

/// stdout and stderr sent to /dev/null while alive (`-q`: RUN output is not shown).
struct Mute {
    saved: Option<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)>,
}

impl Mute {
    fn new() -> Mute {
        use std::os::fd::{AsFd, AsRawFd};
        let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
            return Mute { saved: None };
        };
        let (Ok(o), Ok(e)) = (
            nix::unistd::dup(std::io::stdout().as_fd()),
            nix::unistd::dup(std::io::stderr().as_fd()),
        ) else {
            return Mute { saved: None };
        };
        let _ = crate::sys::fd::dup_onto(null.as_raw_fd(), 1);
        let _ = crate::sys::fd::dup_onto(null.as_raw_fd(), 2);
        Mute { saved: Some((o, e)) }
    }
}

impl Drop for Mute {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        if let Some((o, e)) = self.saved.take() {
            let _ = crate::sys::fd::dup_onto(o.as_raw_fd(), 1);
            let _ = crate::sys::fd::dup_onto(e.as_raw_fd(), 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ns("30s").unwrap(), 30_000_000_000);
        assert_eq!(duration_ns("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(duration_ns("500ms").unwrap(), 500_000_000);
        assert!(duration_ns("5x").is_err());
    }

    #[test]
    fn env_replaces_in_place() {
        let mut c = json!({ "config": { "Env": ["PATH=/bin", "A=1"] } });
        set_env(&mut c, "A", "2");
        set_env(&mut c, "B", "3");
        assert_eq!(c["config"]["Env"], json!(["PATH=/bin", "A=2", "B=3"]));
        assert_eq!(env_get(&c, "B").as_deref(), Some("3"));
    }
}
