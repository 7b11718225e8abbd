//! `hutch run`, `hutch create`, `hutch start`.

use crate::cli::{RunArgs, StartArgs};
use crate::container;
use crate::error::{Context, Result};
use crate::output::{error, out};
use crate::spec::RunOptions;
use crate::store::Store;

fn options(a: &RunArgs) -> Result<RunOptions> {
    let conf = crate::config::ContainersConf::load()?;
    let mut env_file_lines = Vec::new();
    for f in &a.env_file {
        let text = std::fs::read_to_string(f).ctx(|| format!("--env-file {}", f.display()))?;
        env_file_lines.extend(text.lines().map(String::from));
    }
    let log_driver = match a.compat.log_driver.as_deref() {
        None | Some("k8s-file") => None,
        Some(d @ ("none" | "passthrough")) => {
            if d == "passthrough" && a.detach {
                crate::bail!("--log-driver passthrough: a detached container has no caller's stdio to pass through (use k8s-file or none)");
            }
            Some(d.to_string())
        }
        Some("journald") => {
            crate::bail!("--log-driver journald: hutch has no journald log driver (use k8s-file, none or passthrough)")
        }
        Some(d) => crate::bail!("--log-driver {d}: invalid log driver (k8s-file, none, passthrough)"),
    };
    resource_limits(&a.more)?;
    let oci_runtime = crate::runtime::choice::resolve()?;
    let network = network_mode(a.network.as_deref(), &conf, crate::spec::network::default_mode, false)?;
    // Ports on a network the container does not have of its own (the host's, another
    // container's, none) are dropped with Podman's warning, as Podman does.
    let discard_ports = (!a.publish.is_empty() || a.publish_all)
        && matches!(
            crate::spec::network::Mode::parse(&network),
            Ok(crate::spec::network::Mode::Host
                | crate::spec::network::Mode::None
                | crate::spec::network::Mode::Container(_))
        );
    if discard_ports {
        crate::output::warn(
            "Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use",
        );
    }
    Ok(RunOptions {
        log_driver,
        preserve_fds: a.more.preserve_fds.unwrap_or(0),
        group_add: a.more.group_add.clone(),
        secrets: a.more.secret.clone(),
        attach: a.more.attach.clone(),
        entrypoint: a.entrypoint.clone(),
        command: super::utf8_args(&a.command)?,
        env: a.env.clone(),
        env_file_lines,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        hostname: a.hostname.clone(),
        tty: a.tty,
        interactive: a.interactive,
        volumes: a.volume.clone(),
        mounts: a.mount.clone(),
        tmpfs: a.tmpfs.clone(),
        volumes_from: a.volumes_from.clone(),
        image_volume: a.image_volume.clone().or(conf.image_volume_mode.clone()),
        monitor_pidfile: match &a.conmon_pidfile {
            Some(p) => Some(
                std::path::absolute(p)
                    .ctx(|| format!("--conmon-pidfile {}", p.display()))?
                    .display()
                    .to_string(),
            ),
            None => None,
        },
        create_command: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
        read_only: a.read_only,
        cap_add: a.cap_add.clone(),
        cap_drop: a.cap_drop.clone(),
        privileged: a.privileged,
        security_opt: a.security_opt.clone(),
        network,
        publish: if discard_ports { Vec::new() } else { a.publish.clone() },
        publish_all: a.publish_all && !discard_ports,
        dns: crate::spec::network::Dns {
            servers: if a.dns.is_empty() {
                conf.dns_servers.clone()
            } else {
                a.dns.clone()
            },
            search: if a.dns_search.is_empty() {
                conf.dns_searches.clone()
            } else {
                a.dns_search.clone()
            },
            options: if a.dns_option.is_empty() {
                conf.dns_options.clone()
            } else {
                a.dns_option.clone()
            },
        },
        add_hosts: a.add_host.clone(),
        network_aliases: a.network_alias.clone(),
        ip: a.ip.clone(),
        base_hosts_file: conf.base_hosts_file.clone(),
        host_containers_internal_ip: conf.host_containers_internal_ip.clone(),
        userns: a.userns.clone().or_else(|| {
            if a.uidmap.is_empty() && a.gidmap.is_empty() {
                conf.userns.clone()
            } else {
                None
            }
        }),
        uidmap: a.uidmap.clone(),
        gidmap: a.gidmap.clone(),
        host_ids: Some((nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw())),
        auto_remove: a.rm || a.compat.rmi,
        stop_signal: a.stop_signal.clone(),
        stop_timeout: a.stop_timeout,
        labels: a.label.clone(),
        annotations: a.annotation.clone(),
        default_caps: conf.default_capabilities.clone(),
        default_env: conf.env.clone(),
        // As Podman's: --env-host's whole environment, or else --http-proxy's variables, over
        // the image's env; --env-file's and -e's win over them.
        caller_env: if a.compat.env_host {
            std::env::vars_os()
                .filter_map(|(k, v)| Some(format!("{}={}", k.into_string().ok()?, v.into_string().ok()?)))
                .collect()
        } else {
            proxy_env(a.compat.http_proxy.or(conf.http_proxy).unwrap_or(true), &|k| {
                std::env::var(k).ok()
            })
        },
        log_size_max: match log_opt_max_size(&a.compat.log_opt)? {
            Some(n) => Some(n),
            None => u64::try_from(conf.log_size_max).ok(),
        },
        tz: match a.compat.tz.as_ref().or(conf.tz.as_ref()) {
            Some(tz) if a.compat.tz.is_some() => {
                let (file, zone) = crate::config::zoneinfo(tz)
                    .map_err(|e| crate::err!("--tz {}", e.message.trim_start_matches("tz = ")))?;
                Some((zone, file.display().to_string()))
            }
            Some(tz) => {
                let (file, zone) = crate::config::zoneinfo(tz)?;
                Some((zone, file.display().to_string()))
            }
            None => None,
        },
        pod: None,
        restart: a.restart.clone(),
        host_users: a.compat.hostuser.clone(),
        timeout: a.compat.timeout.unwrap_or(0),
        ulimits: a.compat.ulimit.clone(),
        oci_runtime,
        build_step: false,
    })
}

/// The image's pull policy and the flags `run`/`create` pass on to `hutch pull`.
fn implicit_pull(a: &RunArgs) -> Result<crate::image::ImplicitPull> {
    let asked = a.platform.is_some() || a.arch.is_some() || a.os.is_some() || a.variant.is_some();
    let platform = if asked {
        let mut p = match &a.platform {
            Some(p) => crate::registry::Platform::parse(p)?,
            None => crate::registry::Platform::host(),
        };
        if let Some(arch) = &a.arch {
            p.arch = arch.clone();
        }
        if let Some(os) = &a.os {
            p.os = os.clone();
        }
        if a.variant.is_some() {
            p.variant = a.variant.clone();
        }
        Some(p)
    } else {
        None
    };
    // Checked here, before anything is written; `hutch pull` gets them as given.
    super::pull::registry_options(&a.registry)?;
    let r = &a.registry;
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    if let Some(t) = r.tls_verify {
        args.push(format!("--tls-verify={t}").into());
    }
    if let Some(f) = &r.authfile {
        args.push("--authfile".into());
        args.push(f.into());
    }
    if let Some(c) = &r.creds {
        args.push("--creds".into());
        args.push(c.into());
    }
    Ok(crate::image::ImplicitPull {
        policy: crate::spec::PullPolicy::parse(&a.pull)?,
        quiet: a.quiet,
        platform,
        args,
    })
}

/// `hutch create ARGS…` parsed as the CLI would (infra containers, `kube play`).
pub(crate) fn parse_create(args: &[String]) -> Result<RunArgs> {
    use clap::Parser;
    let argv = ["hutch", "create"]
        .iter()
        .map(|s| s.to_string())
        .chain(args.iter().cloned());
    match crate::cli::Cli::try_parse_from(argv) {
        Ok(crate::cli::Cli {
            command: crate::cli::Command::Create(a),
            ..
        }) => Ok(a),
        Ok(_) => crate::bail!("internal error: not a create command"),
        Err(e) => {
            let text = e.render().to_string();
            crate::bail!(
                "{}",
                text.lines()
                    .next()
                    .unwrap_or("invalid arguments")
                    .trim_start_matches("error: ")
            )
        }
    }
}

/// Create a container from `hutch create` arguments (`kube play`): options, pull, create.
pub(crate) fn create_from(store: &Store, a: &RunArgs) -> Result<crate::store::containers::ContainerRecord> {
    let mut opts = options(a)?;
    let pull = implicit_pull(a)?;
    replace(store, a)?;
    let new_pod = join_pod(store, a, &mut opts)?;
    container::create(store, &a.image, &opts, a.name.as_deref(), &pull).inspect_err(|_| {
        if let Some(p) = &new_pod {
            let _ = crate::pod::remove(store, p, true);
        }
    })
}

/// The options of a pod's infra container: the pod's network mode and published ports.
pub(crate) fn infra_options(network: Option<&str>, publish: &[String]) -> Result<RunOptions> {
    infra_options_with(network, publish, &[])
}

/// `infra_options` with more `create` flags (`--add-host=…`, `--dns=…`: the pod's, which its
/// containers inherit).
pub(crate) fn infra_options_with(network: Option<&str>, publish: &[String], extra: &[String]) -> Result<RunOptions> {
    let mut args = extra.to_vec();
    if let Some(n) = network {
        args.push(format!("--network={n}"));
    }
    for p in publish {
        args.push(format!("--publish={p}"));
    }
    args.push(crate::pod::pause_image());
    options(&parse_create(&args)?)
}

/// The network mode of a new container: `given` (--network; `private` is a namespace of its
/// own, `spec::network::private_mode`), else containers.conf's, else `fallback`'s choice
/// (`default_mode` for containers: the default network; `private_mode` for build steps). The
/// notice of a missing helper is said unless `quiet`.
pub(crate) fn network_mode(
    given: Option<&str>,
    conf: &crate::config::ContainersConf,
    fallback: fn(&dyn Fn(&str) -> bool) -> (crate::spec::network::Mode, Option<&'static str>),
    quiet: bool,
) -> Result<String> {
    use crate::spec::network;
    let found = |b: &str| crate::paths::find_tool(b).is_some();
    let choose = |f: fn(&dyn Fn(&str) -> bool) -> (network::Mode, Option<&'static str>)| {
        let (mode, notice) = f(&found);
        if let Some(n) = notice.filter(|_| !quiet) {
            crate::output::note(n);
        }
        mode.name()
    };
    let mode = match (given, conf.network()) {
        (Some("private"), _) | (None, Some(("private", _))) => choose(network::private_mode),
        (Some(n), _) => n.to_string(),
        (None, Some((mode, file))) => {
            // Said by a containers.conf: name that file if the helper is missing.
            if let Some((bin, package)) = network::Mode::parse(mode)?.binary() {
                if crate::paths::find_in_path(bin).is_none() {
                    crate::bail!("{}: network mode {mode}: {bin} is not installed (install the {package} package, or pass --network)", file.display());
                }
            }
            mode.to_string()
        }
        (None, None) => choose(fallback),
    };
    Ok(with_cmd_options(mode, &conf.network_cmd_options))
}

/// slirp4netns's mode `mode` with containers.conf's `network_cmd_options` before its own
/// options (a later option wins); any other mode as it is.
fn with_cmd_options(mode: String, conf: &[String]) -> String {
    let own = match mode.strip_prefix("slirp4netns") {
        Some("") => "",
        Some(o) if o.starts_with(':') => &o[1..],
        _ => return mode,
    };
    if conf.is_empty() {
        return mode;
    }
    let mut opts = conf.join(",");
    if !own.is_empty() {
        opts = format!("{opts},{own}");
    }
    format!("slirp4netns:{opts}")
}

/// The variables --http-proxy passes, as Podman's.
const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "ftp_proxy",
    "FTP_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// --http-proxy: the caller's proxy variables (`get` reads one), over containers.conf's env and
/// the image's, under --env-file's and -e's (as Podman's).
fn proxy_env(on: bool, get: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    if !on {
        return Vec::new();
    }
    PROXY_VARS
        .iter()
        .filter_map(|k| Some(format!("{k}={}", get(k)?)))
        .collect()
}

/// --pod NAME|new:NAME: the container joins the pod's namespaces (the pod made first with
/// new:, taking -p and --network). Returns the pod made here, to remove if the create fails.
fn join_pod(store: &Store, a: &RunArgs, opts: &mut RunOptions) -> Result<Option<crate::store::pods::PodRecord>> {
    let Some(want) = &a.pod else { return Ok(None) };
    let (pod, made) = if let Some(name) = want.strip_prefix("new:") {
        if a.publish_all {
            crate::bail!("--pod {want} -P: publish the pod's ports with -p");
        }
        let infra = infra_options(a.network.as_deref(), &a.publish)?;
        let o = crate::pod::PodOptions {
            name: Some(name.to_string()),
            hostname: a.hostname.clone(),
            infra: true,
            ..Default::default()
        };
        let p = crate::pod::create(store, &o, Some(infra))?;
        opts.publish.clear();
        (p.clone(), Some(p))
    } else {
        let idx = store.load_pods()?;
        let p = idx.pods[idx.resolve(want)?].clone();
        if p.shares("net") && (!a.publish.is_empty() || a.publish_all) {
            crate::bail!(
                "-p: a container in pod {} publishes no ports of its own: publish them on the pod (hutch pod create -p)",
                p.name
            );
        }
        (p, None)
    };
    if let Some(infra) = &pod.infra {
        // The infra's record, read once for the network and the hosts and DNS it passes on.
        let infra_rec = store.load_containers()?.containers.into_iter().find(|c| &c.id == infra);
        let infra_net = infra_rec.as_ref().map(|c| &c.spec.network);
        if pod.shares("net") {
            if a.network.is_some() && made.is_none() {
                crate::bail!("--network: a container in pod {} uses the pod's network", pod.name);
            }
            let host = infra_net == Some(&crate::spec::network::Mode::Host);
            // A pod on the host's network: its containers are on it too (a namespace of the
            // host's user namespace cannot be joined rootless).
            opts.network = if host {
                "host".to_string()
            } else {
                format!("container:{infra}")
            };
            // The pod's --add-host lines come first, and its --dns* unless the container has
            // its own.
            if let Some(ic) = &infra_rec {
                let mut hosts = ic.spec.add_hosts.clone();
                hosts.append(&mut opts.add_hosts);
                opts.add_hosts = hosts;
                if a.dns.is_empty() && !ic.spec.dns.servers.is_empty() {
                    opts.dns.servers = ic.spec.dns.servers.clone();
                }
                if a.dns_search.is_empty() && !ic.spec.dns.search.is_empty() {
                    opts.dns.search = ic.spec.dns.search.clone();
                }
                if a.dns_option.is_empty() && !ic.spec.dns.options.is_empty() {
                    opts.dns.options = ic.spec.dns.options.clone();
                }
            }
        }
        if !pod.shares("net") && a.network.is_none() {
            // A member with a network of its own: the default network only when the infra is
            // on a shared one (whose user namespace the member must share); else a pasta of
            // its own, as Podman's rootless pod members get.
            let on_shared = matches!(infra_net, Some(crate::spec::network::Mode::Bridge(_)));
            if !on_shared
                && matches!(
                    crate::spec::network::Mode::parse(&opts.network),
                    Ok(crate::spec::network::Mode::Bridge(_))
                )
            {
                let found = |b: &str| crate::paths::find_tool(b).is_some();
                opts.network = crate::spec::network::private_mode(&found).0.name();
            }
        }
        if pod.shares("uts") {
            // (new:POD takes --hostname as the pod's.)
            if a.hostname.is_some() && made.is_none() {
                crate::bail!(
                    "--hostname: cannot set hostname when joining the pod UTS namespace: a container in pod {} has the pod's host name ({})",
                    pod.name,
                    pod.hostname
                );
            }
            opts.hostname = Some(pod.hostname.clone());
        }
    }
    opts.pod = Some(pod.id.clone());
    Ok(made)
}

/// --replace: the container of that name goes first (stopped if it runs).
fn replace(store: &Store, a: &RunArgs) -> Result<()> {
    if !a.replace {
        return Ok(());
    }
    let Some(name) = &a.name else {
        crate::bail!("--replace needs --name");
    };
    let idx = store.load_containers()?;
    if let Some(old) = idx.containers.iter().find(|c| &c.name == name) {
        container::ensure_stopped(store, old, true)?;
        container::remove(store, old, false)?;
    }
    Ok(())
}

/// `--log-opt max-size=SIZE` in bytes (`7.5m`, `10k`, `100`; decimal units, k = 1000, as
/// Podman reads them); other options are refused.
fn log_opt_max_size(opts: &[String]) -> Result<Option<u64>> {
    let mut max = None;
    for o in opts {
        let Some(v) = o.strip_prefix("max-size=") else {
            crate::bail!("--log-opt {o}: unknown option (hutch's k8s-file log takes max-size=SIZE)");
        };
        let t = v.trim().to_ascii_lowercase();
        let t = t.strip_suffix('b').unwrap_or(&t);
        let (num, mult) = match t.chars().last() {
            Some('k') => (&t[..t.len() - 1], 1e3),
            Some('m') => (&t[..t.len() - 1], 1e6),
            Some('g') => (&t[..t.len() - 1], 1e9),
            _ => (t, 1f64),
        };
        match num.parse::<f64>() {
            Ok(n) if n > 0.0 && n.is_finite() => max = Some((n * mult).round() as u64),
            _ => crate::bail!("--log-opt {o}: not a size (e.g. 10m, 512k)"),
        }
    }
    Ok(max)
}

/// `--cidfile` must not exist yet (as Podman: it may be another container's).
fn check_cidfile(a: &RunArgs) -> Result<()> {
    if let Some(f) = &a.compat.cidfile {
        if f.symlink_metadata().is_ok() {
            // Podman's words.
            crate::bail!(
                "container id file exists. Ensure another container is not using it or delete {}",
                f.display()
            );
        }
    }
    Ok(())
}

/// Create the container (after --replace and the --cidfile check) and write its --cidfile.
fn create_for(a: &RunArgs) -> Result<(Store, crate::store::containers::ContainerRecord)> {
    check_cidfile(a)?;
    let store = Store::open()?;
    let rec = create_from(&store, a)?;
    if let Some(f) = &a.compat.cidfile {
        let w = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(f)
            .and_then(|mut h| std::io::Write::write_all(&mut h, rec.id.as_bytes()));
        if let Err(e) = w {
            let _ = container::remove(&store, &rec, true);
            crate::bail!("writing container id file {}: {e}", f.display());
        }
    }
    Ok((store, rec))
}

/// Whether the container surely starts here in a user namespace of its own: in the foreground,
/// `--network none` (another network may mean joining its namespace's user namespace), none of
/// --pod, --userns, --uidmap, --gidmap. (The maps are checked again when it starts.)
fn seedable(a: &RunArgs) -> bool {
    !a.detach
        && a.network.as_deref() == Some("none")
        && a.pod.is_none()
        && a.userns.is_none()
        && a.uidmap.is_empty()
        && a.gidmap.is_empty()
}

/// Before the arguments are parsed: start the seed (`runtime::seed`) if `args` (argv after the
/// program's name) look like a seedable `run`: `run` first, `--network none` (or `--net`), and
/// nothing that looks like -d, --pod, --userns, --uidmap or --gidmap. A guess only, made so
/// that newuidmap and newgidmap run while clap parses (about 1 ms): `run` checks the parsed
/// arguments and ends a seed it should not have.
pub fn early_seed(args: &[std::ffi::OsString]) {
    let Some((verb, rest)) = args.split_first() else { return };
    if verb != "run" {
        return;
    }
    let rest: Vec<&str> = rest.iter().map_while(|a| a.to_str()).collect();
    let none = rest
        .windows(2)
        .any(|w| matches!(w[0], "--network" | "--net") && w[1] == "none")
        || rest.iter().any(|a| matches!(*a, "--network=none" | "--net=none"));
    let other = |a: &&str| {
        ["--detach", "--pod", "--userns", "--uidmap", "--gidmap"]
            .iter()
            .any(|f| a.starts_with(f))
            || (a.starts_with('-') && !a.starts_with("--") && a.contains('d'))
    };
    if rest.iter().any(other) {
        return;
    }
    if none {
        crate::runtime::seed::start(&crate::runtime::userns::plan());
    } else if looks_shared(&rest) && !crate::runtime::sharednet::running() {
        crate::runtime::seed::start_for_shared(&crate::runtime::userns::plan());
    }
}

/// A guess before the parse (`early_seed`): whether `rest` (a `run`'s arguments) put the
/// container on the shared network namespace: no `--network`, or one naming networks (a
/// `Mode::Bridge`, as the parse will read it).
fn looks_shared(rest: &[&str]) -> bool {
    let given = rest
        .windows(2)
        .find_map(|w| matches!(w[0], "--network" | "--net").then_some(w[1]))
        .or_else(|| {
            rest.iter()
                .find_map(|a| a.strip_prefix("--network=").or_else(|| a.strip_prefix("--net=")))
        });
    given.is_none_or(|n| {
        matches!(
            crate::spec::network::Mode::parse(n),
            Ok(crate::spec::network::Mode::Bridge(_))
        )
    })
}

/// Whether the container surely starts here on the shared network namespace (`--network`
/// naming a network, or the default one), in the foreground and not in a pod: that namespace
/// is then brought up (or connected to) while the container is created.
fn on_shared_network(a: &RunArgs) -> bool {
    use crate::spec::network::Mode;
    if a.detach || a.pod.is_some() {
        return false;
    }
    let net = match a.network.as_deref() {
        Some(n) => n.to_string(),
        None => match crate::config::ContainersConf::load()
            .and_then(|conf| network_mode(None, &conf, crate::spec::network::default_mode, true))
        {
            Ok(n) => n,
            Err(_) => return false,
        },
    };
    matches!(Mode::parse(&net), Ok(Mode::Bridge(_)))
}

pub fn run(a: RunArgs) -> Result<i32> {
    // The container's user namespace first: its maps are written while it is created. (It
    // may have been started before the parse, `early_seed`.) A container on the shared network
    // joins that namespace's user namespace instead, which is brought up meanwhile.
    // A seed guessed for the shared network namespace's cold start (`early_seed`) is kept for
    // it (`sharednet` ends it if the namespace turns out to be up).
    let shared = on_shared_network(&a);
    let for_shared = crate::runtime::seed::started_for_shared();
    match (seedable(&a), crate::runtime::seed::started()) {
        (true, false) => crate::runtime::seed::start(&crate::runtime::userns::plan()),
        (true, true) if for_shared => {
            crate::runtime::seed::discard();
            crate::runtime::seed::start(&crate::runtime::userns::plan())
        }
        (false, true) if !(shared && for_shared) => crate::runtime::seed::discard(),
        _ => {}
    }
    // (A seedable run is on `--network none`, never on the shared network.)
    if shared {
        crate::runtime::sharednet::prestart();
    }
    let code = run_created(a);
    crate::runtime::seed::discard();
    crate::runtime::sharednet::discard_early();
    code
}

fn run_created(a: RunArgs) -> Result<i32> {
    let (store, rec) = create_for(&a)?;
    if a.compat.rmi {
        let code = container::run_foreground(&store, &rec);
        // The container went with --rm; its image goes too unless another container uses it.
        if let Ok(idx) = store.load_containers() {
            if !idx.containers.iter().any(|c| c.image == rec.image) {
                let _ = crate::image::remove::remove(&store, std::slice::from_ref(&rec.image), false, true);
            }
        }
        return code;
    }
    // A container that could not start stays (created), as Podman's `run` leaves it, unless
    // it was to be removed anyway (--rm).
    let discard = |e: crate::error::Error| {
        if rec.spec.auto_remove {
            let _ = container::remove(&store, &rec, true);
        }
        e
    };
    if a.detach {
        container::start_detached(&store, &rec).map_err(discard)?;
        out(&format!("{}\n", rec.id));
        return Ok(0);
    }
    // --attach with neither stdout nor stderr: the id is all the caller sees, as Podman prints it.
    if !a.more.attach.is_empty() && !a.more.attach.iter().any(|s| s == "stdout" || s == "stderr") {
        out(&format!("{}\n", rec.id));
    }
    container::run_foreground(&store, &rec).map_err(discard)
}

pub fn create(a: RunArgs) -> Result<i32> {
    let (_store, rec) = create_for(&a)?;
    out(&format!("{}\n", rec.id));
    Ok(0)
}

pub fn start(a: StartArgs) -> Result<i32> {
    let store = Store::open()?;
    let idx = store.load_containers()?;
    if a.attach {
        if a.containers.len() != 1 {
            crate::bail!("start --attach takes exactly one container");
        }
        let rec = idx.containers[idx.resolve(&a.containers[0])?].clone();
        if let crate::container::Status::Running { .. } = crate::container::status(&store, &rec).0 {
            crate::bail!("container {} is already running", rec.name);
        }
        let mut rec = rec;
        rec.spec.interactive = a.interactive;
        return container::run_foreground(&store, &rec);
    }
    let mut failed = false;
    if a.all && !a.containers.is_empty() {
        crate::bail!("either start all containers or the container(s) provided in the arguments");
    }
    let filters = super::ps::container_filters(&a.filter)?;
    // --all: every container not running; --filter: only those that match (as Podman: the
    // named ones, or all of them with --all).
    let names: Vec<String> = if a.all {
        idx.containers
            .iter()
            .filter(|c| {
                !matches!(
                    crate::container::status(&store, c).0,
                    crate::container::Status::Running { .. }
                )
            })
            .map(|c| c.id.clone())
            .collect()
    } else {
        a.containers.clone()
    };
    for what in &names {
        if !filters.is_empty() {
            if let Ok(n) = idx.resolve(what) {
                let st = crate::container::status(&store, &idx.containers[n]).0;
                if !super::ps::container_matches(&filters, &idx.containers[n], &st) {
                    continue;
                }
            }
        }
        let r = idx.resolve(what).and_then(|n| {
            let rec = &idx.containers[n];
            match crate::container::status(&store, rec).0 {
                crate::container::Status::Running { .. } => Ok(()),
                _ => container::start_detached(&store, rec),
            }
        });
        match r {
            Ok(()) => out(&format!("{what}\n")),
            Err(e) => {
                error(&e.message);
                failed = true;
            }
        }
    }
    Ok(if failed { 125 } else { 0 })
}

/// Resource limits need cgroup controllers delegated to the user: where there are none (cgroups
/// v1, or v2 without delegation) they are ignored with Podman's warning, never silently; where
/// there are, hutch refuses them, as it does not set cgroup limits.
fn resource_limits(m: &crate::cli::RunMoreArgs) -> Result<()> {
    let given = m.limits();
    let Some(first) = given.first() else { return Ok(()) };
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    if !v2 {
        crate::output::warn("Resource limits are not supported and ignored on cgroups V1 rootless systems");
        return Ok(());
    }
    if crate::system::resource_limits() != "available" {
        crate::output::warn(&format!(
            "Resource limits are not supported and ignored: no memory/cpu/pids controllers are delegated to this user ({})",
            given.join(", ")
        ));
        return Ok(());
    }
    crate::bail!("{first}: hutch does not set cgroup limits (the controllers are delegated here, but hutch does not use them yet)")
}
