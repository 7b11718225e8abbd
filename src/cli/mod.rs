//! Command-line definitions (clap types only: names, help, value parsers, and which completer
//! offers an argument's values). No file system, no syscalls: man pages and completions are
//! generated from these same definitions.

pub mod complete;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueHint};
use clap_complete::engine::ArgValueCompleter;

const AFTER_HELP: &str = "Environment:
  XDG_DATA_HOME       image store: $XDG_DATA_HOME/hutch (default ~/.local/share/hutch)
  XDG_RUNTIME_DIR     live state: $XDG_RUNTIME_DIR/hutch (fallback /tmp/hutch-$UID)
  XDG_CONFIG_HOME     hutch/containers.conf, containers/containers.conf, containers/registries.conf,
                      containers/auth.json, containers/certs.d (default ~/.config)
  CONTAINERS_CONF     the only containers.conf to read, instead of the files below
  CONTAINERS_CONF_OVERRIDE  a containers.conf read last, over all the others
  REGISTRY_AUTH_FILE  credentials file to use instead of the default auth.json locations
  CONTAINERS_REGISTRIES_CONF  registries.conf to use instead of the default ones
  HUTCH_OVERLAY       fuse-overlayfs: use it instead of the kernel's overlayfs
  HUTCH_ROOT, HUTCH_RUNROOT  the store and runtime directories, as --root and --runroot
                      (which set them for the hutch processes this one starts)
  HUTCH_LOG_LEVEL     as --log-level
  HUTCH_TRACE         set: as --log-level debug (every step, with timings, on stderr)

Files:
  containers.conf, Podman's format, read in this order (later files override earlier ones key
  by key; `hutch info` lists the ones it read): /usr/share/containers/containers.conf,
  /etc/containers/containers.conf, $XDG_CONFIG_HOME/containers/containers.conf (each followed
  by its containers.conf.d/*.conf), then hutch's own $XDG_CONFIG_HOME/hutch/containers.conf.
  hutch uses [containers] default_capabilities (the set --cap-add and --cap-drop apply to),
  env, dns_servers, dns_searches, dns_options (used without --dns, --dns-search, --dns-option),
  base_hosts_file (a host file, image or none: what /etc/hosts starts from), userns (keep-id
  without --userns), log_size_max (bytes a container's log may reach before it starts over;
  -1 = no limit), tz (a zone name or local: the container's /etc/localtime and TZ) and
  netns (the mode without --network: private, pasta, slirp4netns, bridge, host or none; unset:
  the default network podman), and [network] default_rootless_network_cmd (pasta or
  slirp4netns: a helper per container, used without --network); it ignores the other keys, which `hutch info` lists
  (containersConf.ignoredKeys). A malformed file is an error naming it.

Exit status:
  0 success, 125 hutch failed (bad input, unknown image, registry errors, bad configuration);
  `run`, `start -a` and `exec` exit with the container command's status, 126 if it cannot be
  invoked, 127 if it is not found; `rm` and `rmi` exit 1 when a container or image does not
  exist and 2 when it is running or in use, as Podman's do (see their pages).";

/// Rootless, daemonless containers.
#[derive(Debug, Parser)]
// args_override_self: a repeated single-value flag takes its last value, as in Podman.
#[command(name = "hutch", version, about = "Rootless, daemonless containers: pull OCI images and run them without root", after_help = AFTER_HELP, args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

impl Cli {
    /// `hutch run …` parsed with `run`'s definitions and the global options alone. Building the
    /// whole tree (every verb, each given a copy of the global options) is most of a parse's
    /// time and heap, and the heap is what the container's clone copies and its exec tears
    /// down. None unless `argv[1]` is `run` and the arguments parse that way: errors, `--help`
    /// and anything else are then parsed by `Cli::try_parse`, so every message stays as the
    /// whole tree gives it. On success the result is what `Cli::try_parse_from` gives.
    pub fn try_parse_run(argv: &[std::ffi::OsString]) -> Option<Cli> {
        use clap::FromArgMatches;
        if argv.get(1).is_none_or(|a| a != "run") {
            return None;
        }
        // The same settings as the derived tree's: the top's (`#[command(…)]` on `Cli`), the
        // global options, and `run` as `Command::Run` makes it (help texts left out: help is
        // an error here, shown by the whole tree).
        let top = GlobalArgs::augment_args(
            clap::Command::new("hutch")
                .version(env!("CARGO_PKG_VERSION"))
                .args_override_self(true),
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(RunArgs::augment_args(clap::Command::new("run")));
        let mut m = top.try_get_matches_from(argv).ok()?;
        let global = GlobalArgs::from_arg_matches_mut(&mut m).ok()?;
        let (name, mut sub) = m.remove_subcommand()?;
        if name != "run" {
            return None;
        }
        let run = RunArgs::from_arg_matches_mut(&mut sub).ok()?;
        Some(Cli {
            command: Command::Run(run),
            global,
        })
    }
}

/// Podman's global options that make sense for a per-user store.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Store directory (default $XDG_DATA_HOME/hutch); every hutch this one starts uses it too
    #[arg(long, global = true, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub root: Option<PathBuf>,
    /// Runtime directory for live state (default $XDG_RUNTIME_DIR/hutch)
    #[arg(long, global = true, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub runroot: Option<PathBuf>,
    /// What to print on stderr besides errors: warn (notes, the default), info, or debug and
    /// trace (every step of the command, with timings)
    #[arg(long, global = true, value_name = "LEVEL", value_parser = ["error", "warn", "info", "debug", "trace"])]
    pub log_level: Option<String>,
    /// Storage driver: only overlay (accepted for Podman compatibility)
    #[arg(long, global = true, value_name = "NAME")]
    pub storage_driver: Option<String>,
    /// Where events go (`hutch events`): file (the default: <runroot>/events/events.log, or
    /// containers.conf's events_logfile_path) or none; the hutch processes this one starts
    /// use it too
    #[arg(long, global = true, value_name = "BACKEND", value_parser = clap::builder::PossibleValuesParser::new([
        clap::builder::PossibleValue::new("file"),
        clap::builder::PossibleValue::new("none"),
        // Refused with a sentence of its own (hutch has no journald backend).
        clap::builder::PossibleValue::new("journald").hide(true),
    ]))]
    pub events_backend: Option<String>,
    /// Print nothing on stdout (ids, names, tables); errors and a foreground container's own
    /// output still show
    #[arg(long, global = true)]
    pub noout: bool,
    /// OCI runtime of the containers run or created: hutch is its own, so `hutch` or the path of
    /// a hutch binary of this version (which then runs detached containers' monitors; inspect's
    /// OCIRuntime names it); other runtimes (runc, crun) are refused
    #[arg(long, global = true, value_name = "PATH", value_hint = ValueHint::ExecutablePath)]
    pub runtime: Option<String>,
    /// A flag for the OCI runtime (Podman passes it to runc/crun): hutch's built-in runtime takes
    /// none, so running, creating or building with one fails (exit 126)
    #[arg(long, global = true, value_name = "FLAG")]
    pub runtime_flag: Vec<String>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Pull an image from a registry
    #[command(
        after_help = "Examples:\n  hutch pull alpine\n  hutch pull --platform linux/arm64 quay.io/org/app:1.2\n  hutch pull --tls-verify=false localhost:5000/app@sha256:…"
    )]
    Pull(PullArgs),
    /// Push an image to a registry, an OCI layout or an archive
    #[command(after_help = PUSH_HELP)]
    Push(PushArgs),
    /// List images in local storage
    #[command(
        visible_alias = "image-list",
        after_help = "Examples:\n  hutch images\n  hutch images -q\n  hutch images --format json\n  hutch images --format '{{.Repository}}:{{.Tag}} {{.ID}}'"
    )]
    Images(ImagesArgs),
    /// Remove one or more images
    #[command(after_help = RMI_HELP)]
    Rmi(RmiArgs),
    /// Add names to a local image
    #[command(after_help = "Examples:\n  hutch tag alpine myalpine:v1\n  hutch tag 3f57d9401f8d localhost/app:latest")]
    Tag(TagArgs),
    /// Save images to an archive (docker-archive, oci-archive) or an OCI layout directory
    #[command(
        after_help = "Examples:\n  hutch save -o app.tar localhost/app:1\n  hutch save --format oci-archive app | gzip > app.oci.tar.gz\n  hutch save -m -o both.tar alpine busybox\n  hutch save --format oci-dir -o app-layout app"
    )]
    Save(SaveArgs),
    /// Load images from a docker-archive or oci-archive (file or stdin) or an OCI layout directory
    #[command(
        after_help = "Examples:\n  hutch load -i app.tar\n  gunzip -c app.tar.gz | hutch load\n  podman save alpine | hutch load"
    )]
    Load(LoadArgs),
    /// Export a container's file system as a tar (owners as the container sees them)
    #[command(after_help = "Examples:\n  hutch export -o web.tar web\n  hutch export web | tar -tvf -")]
    Export(ExportArgs),
    /// Create an image from a tar of a file system (a file, or - for stdin)
    #[command(
        after_help = "Examples:\n  hutch import rootfs.tar localhost/base:1\n  hutch export web | hutch import -c 'CMD [\"/bin/sh\"]' -m snapshot - web-snap"
    )]
    Import(ImportArgs),
    /// Create a new image from a container's changes
    #[command(after_help = COMMIT_EXAMPLES)]
    Commit(CommitArgs),
    /// Build an image from a Containerfile or Dockerfile and a context directory (or a tar on stdin)
    #[command(after_help = BUILD_HELP)]
    Build(BuildArgs),
    /// Docker's buildx spelling, as Podman accepts it: `buildx build` is `build`
    #[command(subcommand)]
    Buildx(BuildxCommand),
    /// Copy files between a container and the host (CTR:PATH on one side; - for a tar stream)
    #[command(after_help = CP_EXAMPLES)]
    Cp(CpArgs),
    /// Show the files a container changed (against its image), or an image's top layer (against its parent)
    #[command(
        after_help = "Output: one line per path, A (added), C (changed) or D (deleted).\n\nExamples:\n  hutch diff web\n  hutch diff --format json web\n  hutch diff localhost/app:1"
    )]
    Diff(DiffArgs),
    /// Show details of containers or images as JSON
    #[command(after_help = "Examples:\n  hutch inspect alpine\n  hutch inspect --format '{{.State.Status}}' web")]
    Inspect(InspectArgs),
    /// Manage images
    #[command(subcommand)]
    Image(ImageCommand),
    /// Make manifest lists (image indexes) of images of several platforms and push them
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// Run a command in a new container
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Create a container without starting it
    #[command(after_help = "Examples:\n  hutch create --name web busybox httpd -f\n  hutch start web")]
    Create(RunArgs),
    /// Start one or more containers (detached)
    #[command(after_help = START_HELP)]
    Start(StartArgs),
    /// List containers
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  hutch ps\n  hutch ps -a --format json\n  hutch ps -a --format '{{.ID}} {{.Names}} {{.Status}}'"
    )]
    Ps(PsArgs),
    /// Show the output of a container
    #[command(after_help = "Examples:\n  hutch logs web\n  hutch logs -f --tail 10 -t web")]
    Logs(LogsArgs),
    /// Stop running containers (the stop signal, then SIGKILL after a timeout)
    #[command(after_help = STOP_HELP)]
    Stop(Adjusted<StopArgs, RunningCompleter>),
    /// Send a signal to running containers
    #[command(after_help = KILL_HELP)]
    Kill(KillArgs),
    /// Remove containers
    #[command(after_help = RM_HELP)]
    Rm(RmArgs),
    /// Run a command in a running container
    #[command(after_help = EXEC_HELP)]
    Exec(ExecArgs),
    /// Wait for containers to stop and print their exit codes
    #[command(after_help = WAIT_HELP)]
    Wait(WaitArgs),
    /// Restart containers
    #[command(after_help = RESTART_HELP)]
    Restart(StopArgs),
    /// List a container's published ports
    #[command(after_help = "Examples:\n  hutch port web\n  hutch port web 80/tcp\n  hutch port -a")]
    Port(PortArgs),
    /// Manage networks (containers on one reach each other by name)
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Manage containers
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Manage pods: containers that share namespaces (network by default) and published ports
    #[command(subcommand)]
    Pod(PodCommand),
    /// Play, take down and generate Kubernetes YAML (Pod, Deployment, ConfigMap, Secret, PersistentVolumeClaim)
    #[command(subcommand)]
    Kube(KubeCommand),
    /// Log in to a registry
    #[command(
        after_help = "Examples:\n  hutch login quay.io\n  echo \"$TOKEN\" | hutch login -u me --password-stdin registry.example.com:5000"
    )]
    Login(LoginArgs),
    /// Log out of a registry
    #[command(after_help = "Examples:\n  hutch logout quay.io\n  hutch logout --all")]
    Logout(LogoutArgs),
    /// Show version information
    Version(VersionArgs),
    /// Show what hutch found on this system: store, id mappings, helpers, cgroups
    #[command(
        after_help = "Examples:\n  hutch info\n  hutch info --format json\n  hutch info --format '{{.Store.GraphRoot}}'"
    )]
    Info(InfoArgs),
    /// Generate systemd units (and, hidden, man pages or shell completions)
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Manage volumes
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Manage secrets: data kept apart from images, given to containers with run --secret
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Manage the store: disk usage, prune, reset, info
    #[command(subcommand)]
    System(SystemCommand),
    /// Run a command (default: your shell) in the store's user namespace, as root there
    #[command(after_help = UNSHARE_HELP)]
    Unshare(UnshareArgs),
    /// Remove names from a local image (all of them without NAME)
    #[command(after_help = UNTAG_HELP)]
    Untag(UntagArgs),
    /// Show how an image was built, newest layer first (as image history)
    History(HistoryArgs),
    #[command(flatten)]
    CtrVerbs(CtrVerbs),
    /// Show events: what happened to containers and images (the event log), then follow it
    #[command(after_help = EVENTS_HELP)]
    Events(EventsArgs),
    #[command(flatten)]
    AppVerbs(AppVerbs),
    /// Play Kubernetes YAML (Podman's older spelling of `kube play`)
    #[command(subcommand)]
    Play(PlayCommand),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum PlayCommand {
    /// Create and start the pods of a Kubernetes YAML file, as `hutch kube play`
    #[command(after_help = KUBE_PLAY_HELP)]
    Kube(KubePlayArgs),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum GenerateCommand {
    /// Generate systemd user units that run a container under `systemctl --user`
    #[command(after_help = GENERATE_SYSTEMD_HELP)]
    Systemd(GenerateSystemdArgs),
    /// Man pages from these definitions
    #[command(hide = true)]
    Man(GenerateArgs),
    /// Shell completions from these definitions
    #[command(hide = true)]
    Completions(GenerateArgs),
}

const GENERATE_SYSTEMD_HELP: &str = "Without --new the unit starts and stops the existing container (`hutch start`,
`hutch stop`); with --new it creates a fresh one from the container's own create command
line each time (`hutch run -d --replace --rm …`) and removes it when stopped, so the unit
works on another machine too. Either way the unit is Type=forking with the PIDFile hutch's
monitor writes (its pid, in $XDG_RUNTIME_DIR/hutch/containers/ID.pid). Install with --files
in ~/.config/systemd/user, then `systemctl --user daemon-reload` and `systemctl --user enable
--now container-NAME.service`.

Examples:
  hutch generate systemd --new --name web
  cd ~/.config/systemd/user && hutch generate systemd --files --new --name web";

#[derive(Debug, Args)]
pub struct GenerateSystemdArgs {
    /// The container, or a pod (a unit for the pod and one for each of its containers)
    #[arg(value_name = "CONTAINER|POD", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
    /// A unit that creates a new container at each start and removes it at stop
    #[arg(long)]
    pub new: bool,
    /// Name the unit and the container by the container's name, not its id
    #[arg(short, long)]
    pub name: bool,
    /// Write the unit to ./PREFIX-NAME.service and print its path instead of the text
    #[arg(short, long)]
    pub files: bool,
    /// The unit's Restart= policy: no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always (default: with --new the container's --restart policy, else on-failure)
    #[arg(long, value_name = "POLICY", value_parser = ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"])]
    pub restart_policy: Option<String>,
    /// Seconds `hutch stop` waits before SIGKILL (default: the container's stop timeout)
    #[arg(short, long, value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Prefix of the unit's name
    #[arg(long, value_name = "PREFIX", default_value = "container")]
    pub container_prefix: String,
    /// Prefix of a pod's unit's name
    #[arg(long, value_name = "PREFIX", default_value = "pod")]
    pub pod_prefix: String,
    /// Separator between the prefix and the name
    #[arg(long, value_name = "SEP", default_value = "-")]
    pub separator: String,
    /// Leave out the header comment that says when and how the unit was made
    #[arg(long)]
    pub no_header: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum SecretCommand {
    /// Create a secret from a file (or - for stdin), or with --env from an environment variable
    #[command(
        after_help = "Examples:\n  printf s3cret | hutch secret create dbpass -\n  hutch secret create --label app=db dbkey ./key.pem\n  DB_PASS=s3cret hutch secret create --env dbpass DB_PASS\n  hutch run --rm --secret dbpass alpine cat /run/secrets/dbpass\n\nThe content (at most 512000 bytes) is kept in the store (secrets/data, 0600). Prints the secret's id."
    )]
    Create(SecretCreateArgs),
    /// List secrets
    #[command(visible_alias = "list")]
    Ls(SecretLsArgs),
    /// Show details of secrets as JSON (never their content)
    Inspect(SecretInspectArgs),
    /// Remove secrets (containers made with one keep their copy)
    Rm(SecretRmArgs),
}

#[derive(Debug, Args)]
pub struct SecretCreateArgs {
    /// Name of the secret
    #[arg(value_name = "NAME")]
    pub name: String,
    /// A file with the content, - for stdin; with --env, an environment variable's name
    #[arg(value_name = "FILE|-")]
    pub source: String,
    /// Secret driver (only file)
    #[arg(short, long, value_name = "DRIVER")]
    pub driver: Option<String>,
    /// The content is the value of the environment variable named by the second argument
    #[arg(long)]
    pub env: bool,
    /// Set a label KEY=VALUE
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Replace a secret of that name (containers made with the old one keep their copy)
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args)]
pub struct SecretLsArgs {
    /// Output format: json, or a Go template ('table {{.Name}}' gives a header)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Only the ids
    #[arg(short, long)]
    pub quiet: bool,
    /// No header row
    #[arg(short, long)]
    pub noheading: bool,
}

#[derive(Debug, Args)]
pub struct SecretInspectArgs {
    /// Secrets (names or ids)
    #[arg(value_name = "SECRET", required = true)]
    pub secrets: Vec<String>,
    /// Output format: json, or a Go template
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct SecretRmArgs {
    /// Secrets (names or ids)
    #[arg(value_name = "SECRET", required_unless_present = "all")]
    pub secrets: Vec<String>,
    /// All secrets
    #[arg(short, long)]
    pub all: bool,
    /// No error for a secret that does not exist
    #[arg(short, long)]
    pub ignore: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum VolumeCommand {
    /// Create a volume (a generated name when none is given)
    #[command(
        after_help = "Examples:\n  hutch volume create data\n  hutch volume create --label app=web --opt o=uid=1000,gid=1000 webdata\n  hutch run -v data:/var/lib/db alpine ls /var/lib/db"
    )]
    Create(VolumeCreateArgs),
    /// List volumes
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  hutch volume ls\n  hutch volume ls -q --filter dangling=true\n  hutch volume ls --format '{{.Name}} {{.Mountpoint}}'"
    )]
    Ls(VolumeLsArgs),
    /// Show details of volumes as JSON
    Inspect(VolumeInspectArgs),
    /// Remove volumes
    #[command(after_help = VOLUME_RM_HELP)]
    Rm(VolumeRmArgs),
    /// Remove the volumes no container uses
    #[command(after_help = "Examples:\n  hutch volume prune -f\n  hutch volume prune -f --filter label=tmp")]
    Prune(VolumePruneArgs),
    /// Exit 0 if the volume exists, 1 if not
    #[command(after_help = "Exit status:\n  0 the volume exists, 1 it does not, 125 the store could not be read.")]
    Exists(VolumeExistsArgs),
    /// Write a volume's content as a tar (to stdout, or -o FILE)
    #[command(after_help = "Examples:\n  hutch volume export data > data.tar\n  hutch volume export -o data.tar data")]
    Export(VolumeExportArgs),
    /// Unpack a tar (a file, or - for stdin) into a volume
    #[command(
        after_help = "Examples:\n  hutch volume import data data.tar\n  gzip -dc data.tar.gz | hutch volume import data -"
    )]
    Import(VolumeImportArgs),
    /// Print the directory of volumes (inside `hutch unshare`, as Podman's rootless mount)
    #[command(
        after_help = "hutch's volumes are directories of the store, so there is nothing to mount: this prints each volume's directory. As Podman's, it must run inside `hutch unshare`, where the volume's files have the owners containers see.\n\nExamples:\n  hutch unshare sh -c 'cp -r ./site \"$(hutch volume mount web)\"/'"
    )]
    Mount(VolumeMountArgs),
    /// Undo `volume mount` (nothing to undo for hutch's directories: prints the names)
    #[command(visible_alias = "umount")]
    Unmount(VolumeMountArgs),
}

#[derive(Debug, Args)]
pub struct VolumeMountArgs {
    /// Volumes
    #[arg(value_name = "VOLUME", required = true, add = ArgValueCompleter::new(complete::volumes))]
    pub volumes: Vec<String>,
}

const VOLUME_RM_HELP: &str = "Examples:
  hutch volume rm data
  hutch volume rm -f data   (also removes the containers that use it)
  hutch volume rm -a

Exit status:
  as podman-volume-rm(1): 0 all removed, 1 a volume did not exist (and nothing else failed),
  2 a volume is used by a container (without -f), 125 any other failure.";

#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// Name of the volume (default: 64 random hex digits)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Set a label KEY=VALUE
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Driver option: o=uid=N,gid=N (owner of the volume's root), nocopy
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub opt: Vec<String>,
    /// Volume driver (only local)
    #[arg(short, long, value_name = "DRIVER")]
    pub driver: Option<String>,
    /// No error when the volume exists already
    #[arg(long)]
    pub ignore: bool,
}

#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Output format: json, or a Go template ('table {{.Name}}' gives a header)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Only the names
    #[arg(short, long)]
    pub quiet: bool,
    /// Filter: name=NAME, label=KEY[=VALUE], dangling=true|false, driver=local, until=TIME
    #[arg(short, long, value_name = "FILTER")]
    pub filter: Vec<String>,
    /// No header row
    #[arg(short, long)]
    pub noheading: bool,
}

#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    /// Volumes
    #[arg(value_name = "VOLUME", required_unless_present = "all", add = ArgValueCompleter::new(complete::volumes))]
    pub volumes: Vec<String>,
    /// All volumes
    #[arg(short, long)]
    pub all: bool,
    /// Output format: json, or a Go template
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Volumes
    #[arg(value_name = "VOLUME", required_unless_present = "all", add = ArgValueCompleter::new(complete::volumes))]
    pub volumes: Vec<String>,
    /// Also remove the containers that use them (stopping running ones)
    #[arg(short, long)]
    pub force: bool,
    /// All volumes
    #[arg(short, long)]
    pub all: bool,
    /// With -f: seconds running containers get to stop before SIGKILL
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
}

#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Only volumes matching: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

const UNSHARE_HELP: &str = "The command runs as root in the user namespace hutch stores layers and runs containers in \
(your uid is root there, your subordinate ids the other users), so it can read, change or remove \
every file of the store, whoever owns it in a container. CONTAINERS_GRAPHROOT and \
CONTAINERS_RUNROOT name the store and runtime directories. The exit status is the command's \
(126 when it cannot run, 127 when it is not found).

Examples:
  hutch unshare
  hutch unshare ls -ln ~/.local/share/hutch/containers
  hutch unshare rm -rf ~/.local/share/hutch/volumes/old/_data/cache";

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum SystemCommand {
    /// Show disk usage of images, containers and volumes
    #[command(
        after_help = "Examples:\n  hutch system df\n  hutch system df -v\n  hutch system df --format json\n  hutch system df --format '{{.Type}} {{.Size}}'"
    )]
    Df(SystemDfArgs),
    /// Remove stopped containers, dangling (with -a: unused) images, unused layers and blobs
    #[command(after_help = SYSTEM_PRUNE_HELP)]
    Prune(SystemPruneArgs),
    /// Remove the whole store and runtime directory, from any state
    #[command(after_help = SYSTEM_RESET_HELP)]
    Reset(SystemResetArgs),
    /// Show what hutch found on this system (as `hutch info`)
    Info(InfoArgs),
    /// Check the store's consistency (and repair it): images, layers, blobs, containers, live state
    #[command(after_help = SYSTEM_CHECK_HELP)]
    Check(SystemCheckArgs),
}

const SYSTEM_PRUNE_HELP: &str = "Asks for confirmation on stdin unless -f is given. Prints the ids \
of what it removed and the space reclaimed.

Filters (--filter, repeatable): until=TIMESTAMP (RFC 3339, a date, seconds since the epoch, or a \
duration such as 24h: only what was created before), label=KEY[=VALUE] and label!=KEY[=VALUE] \
(containers by their labels, images by their config's).

Examples:
  hutch system prune -f
  hutch system prune -a --volumes -f
  hutch system prune -f --filter until=24h";

const SYSTEM_RESET_HELP: &str = "Stops every running container (SIGKILL), then removes the store \
(--root, default $XDG_DATA_HOME/hutch) and the runtime directory (--runroot) entirely, inside the \
store's user namespace so that files owned by subordinate ids go too. Works whatever state the \
store is in (indices that do not parse, stale locks, half-written entries). Asks for \
confirmation on stdin unless -f is given. Your configuration files are left alone.

Examples:
  hutch system reset
  hutch system reset -f";

#[derive(Debug, Args)]
pub struct SystemDfArgs {
    /// Show each image, container and volume
    #[arg(short, long)]
    pub verbose: bool,
    /// Output format: json or a Go template
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Remove all unused images, not only dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Also remove volumes no container uses
    #[arg(long)]
    pub volumes: bool,
    /// Only what matches: until=TIMESTAMP, label=KEY[=VALUE], label!=KEY[=VALUE]
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeExistsArgs {
    /// The volume
    #[arg(value_name = "VOLUME", add = ArgValueCompleter::new(complete::volumes))]
    pub volume: String,
}

#[derive(Debug, Args)]
pub struct VolumeExportArgs {
    /// The volume
    #[arg(value_name = "VOLUME", add = ArgValueCompleter::new(complete::volumes))]
    pub volume: String,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VolumeImportArgs {
    /// The volume
    #[arg(value_name = "VOLUME", add = ArgValueCompleter::new(complete::volumes))]
    pub volume: String,
    /// The tar (plain or compressed), or - for stdin
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct SystemResetArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// The command and its arguments (default: $SHELL, else /bin/sh)
    #[arg(value_name = "COMMAND", trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<std::ffi::OsString>,
}

const SYSTEM_CHECK_HELP: &str =
    "Checks, holding the store's locks: every index parses; every image's config and manifest \
blobs are present and hash to their digests; its layers are present, complete (a record per \
directory, a directory per record) and, without --quick, hash to their diff_ids (rebuilt from \
their tar-split records); no container refers to a missing image or layer; no half-written \
entry is left in tmp/ or beside an index; live state agrees with the processes; keep-id copies \
are complete; no step container of a killed build is left; no layer or blob is left \
unreferenced.

Prints one line per problem (what, what is wrong, what it affects). Exit status: 0 when the \
store is consistent (or --repair made it so), 1 when problems remain, 125 when the check \
itself failed.

--repair removes what cannot be trusted (half-written entries, unreferenced layers and blobs, \
damaged layers and the images and containers that use them, stale live state), moves a corrupt \
index aside and rebuilds it from what is on disk, and says what it removed. It never removes a \
volume or an image whose parts are all present and intact.

Examples:
  hutch system check
  hutch system check --quick
  hutch system check --repair";

#[derive(Debug, Args)]
pub struct SystemCheckArgs {
    /// Remove what cannot be trusted, and say what was removed
    #[arg(long)]
    pub repair: bool,
    /// Do not hash layer contents (much faster on big stores)
    #[arg(long)]
    pub quick: bool,
}

/// Container verbs that are both `hutch VERB` and `hutch container VERB` (issue 15).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum CtrVerbs {
    /// Give a container a new name
    #[command(after_help = "Examples:\n  hutch rename web frontend\n  hutch container rename 3f57d9401f8d db")]
    Rename(RenameArgs),
}

const UNTAG_HELP: &str = "Examples:
  hutch untag localhost/app:1
  hutch untag 3f57d9401f8d app:1 app:2

A name given without a registry is looked up as Podman does (localhost/NAME:latest, or a
repository ending in it). The image itself stays, as <none> when no name is left.";

#[derive(Debug, Args)]
pub struct UntagArgs {
    /// The image
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
    /// Names (or NAME@DIGEST references) to remove; all of the image's names when none is given
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
    /// Its new name
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ContainerExistsArgs {
    /// The container (name or id)
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ContainerCommand {
    /// Run a command in a new container
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Create a container without starting it
    Create(RunArgs),
    /// Start one or more containers
    #[command(after_help = START_HELP)]
    Start(StartArgs),
    /// List containers
    #[command(visible_alias = "ps", visible_alias = "list")]
    Ls(PsArgs),
    /// Show the output of a container
    Logs(LogsArgs),
    /// Stop running containers
    #[command(after_help = STOP_HELP)]
    Stop(Adjusted<StopArgs, RunningCompleter>),
    /// Send a signal to running containers
    #[command(after_help = KILL_HELP)]
    Kill(KillArgs),
    /// Remove containers
    #[command(after_help = RM_HELP)]
    Rm(RmArgs),
    /// Run a command in a running container
    #[command(after_help = EXEC_HELP)]
    Exec(ExecArgs),
    /// Wait for containers to stop
    #[command(after_help = WAIT_HELP)]
    Wait(WaitArgs),
    /// Restart containers
    #[command(after_help = RESTART_HELP)]
    Restart(StopArgs),
    /// Show details of containers as JSON
    Inspect(Adjusted<InspectArgs, ContainersCompleter>),
    /// List a container's published ports
    Port(PortArgs),
    /// Export a container's file system as a tar
    Export(ExportArgs),
    /// Create a new image from a container's changes
    #[command(after_help = COMMIT_EXAMPLES)]
    Commit(CommitArgs),
    /// Copy files between a container and the host
    #[command(after_help = CP_EXAMPLES)]
    Cp(CpArgs),
    /// Show the files a container changed
    Diff(DiffArgs),
    /// Exit 0 if the container exists, 1 if not
    #[command(
        after_help = "Examples:\n  hutch container exists web && echo present\n\nExit status:\n  as podman-container-exists(1): 0 the container exists, 1 it does not, 125 the store\n  could not be read."
    )]
    Exists(ContainerExistsArgs),
    #[command(flatten)]
    CtrVerbs(CtrVerbs),
    #[command(flatten)]
    AppVerbs(AppVerbs),
}

/// Verbs of multi-container apps, as `hutch VERB` and `hutch container VERB` (issue 13).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum AppVerbs {
    /// Show the processes of a running container
    #[command(after_help = TOP_HELP)]
    Top(TopArgs),
}

const TOP_HELP: &str = "Examples:
  hutch top web
  hutch top web pid,user,args
  hutch top web huser hpid comm

Descriptors (Podman's): args, capamb, capbnd, capeff, capinh, capprm, comm, etime, group,
groups, hgroup, hpid, huser, nice, pcpu, pgid, pid, ppid, rgroup, rss, ruser, seccomp, state,
stime, time, tty, user, vsz (default: user pid ppid pcpu etime tty time args); also ps(1)'s
AIX codes (%C, %p, %U, …). Other words are handed to ps(1) inside the container, as Podman
does (`hutch top web -ef`). Pids, users and groups are the container's; hpid, huser and hgroup
the host's.";

#[derive(Debug, Args)]
pub struct TopArgs {
    /// The container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::running_containers))]
    pub container: String,
    /// Descriptors, comma-separated or as separate words (default: user pid ppid pcpu etime tty time args)
    #[arg(value_name = "DESCRIPTORS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub descriptors: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PodTopArgs {
    /// The pod
    #[arg(value_name = "POD", add = ArgValueCompleter::new(complete::pods))]
    pub pod: String,
    /// Descriptors, as for `hutch top`
    #[arg(value_name = "DESCRIPTORS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub descriptors: Vec<String>,
}

/// Completion for `stop`: only running containers.
/// A subcommand's arguments `T` with some changed by `F` once they exist. The subcommands
/// are built only when used (`defer`: parsing `run` does not build the whole tree), so a
/// variant's `#[command(mut_arg(…))]`, applied before its deferred arguments are added, would
/// find nothing to change; `F` changes them right after `T` adds them.
#[derive(Debug)]
pub struct Adjusted<T, F>(pub T, std::marker::PhantomData<F>);

pub trait Adjust {
    fn adjust(c: clap::Command) -> clap::Command;
}

impl<T: Args, F: Adjust> Args for Adjusted<T, F> {
    fn augment_args(c: clap::Command) -> clap::Command {
        F::adjust(T::augment_args(c))
    }
    fn augment_args_for_update(c: clap::Command) -> clap::Command {
        F::adjust(T::augment_args_for_update(c))
    }
}

impl<T: clap::FromArgMatches, F> clap::FromArgMatches for Adjusted<T, F> {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(m).map(|t| Adjusted(t, std::marker::PhantomData))
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
}

/// `stop`: its containers are completed from the running ones.
#[derive(Debug)]
pub struct RunningCompleter;
impl Adjust for RunningCompleter {
    fn adjust(c: clap::Command) -> clap::Command {
        c.mut_arg("containers", |a| {
            a.add(ArgValueCompleter::new(complete::running_containers))
        })
    }
}

/// `container inspect`: its names are completed from the containers.
#[derive(Debug)]
pub struct ContainersCompleter;
impl Adjust for ContainersCompleter {
    fn adjust(c: clap::Command) -> clap::Command {
        c.mut_arg("images", |a| a.add(ArgValueCompleter::new(complete::containers)))
    }
}

/// `image inspect`: its names are completed from the images, and it has no `--latest`.
#[derive(Debug)]
pub struct ImagesCompleter;
impl Adjust for ImagesCompleter {
    fn adjust(c: clap::Command) -> clap::Command {
        c.mut_arg("images", |a| a.add(ArgValueCompleter::new(complete::images)))
            .mut_arg("latest", |a| a.hide(true))
    }
}

const RUN_EXAMPLES: &str = "Examples:
  hutch run --rm busybox echo hello
  hutch run -it --rm busybox sh
  hutch run -d --name web -v ./site:/www:ro busybox httpd -f -h /www
  hutch run --rm -u tester -w /tmp -e A=1 busybox env
  hutch run --rm --cap-drop all --security-opt no-new-privileges busybox id
  hutch run -d -p 8080:80 busybox httpd -f -p 80
  hutch run --rm busybox wget -qO- http://host.containers.internal:3000/

Exit status:
  the container's own, or 125 (hutch failed), 126 (command cannot be invoked), 127 (command
  not found).";

const START_HELP: &str = "Examples:
  hutch start web
  hutch start -a job

Exit status:
  0 when every container started (or was running already), 125 when one failed (the others are
  still started); with -a, the container's own exit status, as for run.";

const STOP_HELP: &str = "Examples:
  hutch stop web
  hutch stop -t 0 web db
  hutch stop --all

Output:
  each container as it was named; with --all, each one's full id (as Podman).

Exit status:
  0 when every container is stopped (one that was not running counts as stopped), 125 when one
  failed, e.g. does not exist (the others are still stopped).";

const KILL_HELP: &str = "Examples:
  hutch kill web
  hutch kill -s HUP web
  hutch kill -a

Output:
  each container as it was named; with --all, each one's full id (as Podman).

Exit status:
  0 when every container got the signal, 125 when one failed: it does not exist or is not
  running (the others still get it).";

const RESTART_HELP: &str = "Examples:
  hutch restart web

Output:
  each container as it was named; with --all, each one's full id (as Podman).

Exit status:
  0 when every container restarted, 125 when one failed (the others are still restarted).";

const RM_HELP: &str = "Examples:
  hutch rm web
  hutch rm -f $(hutch ps -aq)
  hutch rm -t 0 --all --force --ignore
  hutch rm --cidfile /tmp/web.cid

Output:
  each container as it was named; with --all, each one's full id (as Podman).

Exit status:
  as podman-rm(1): 0 all containers removed; 1 a container did not exist (the others are still
  removed); 2 a container is running and -f was not given; 125 any other failure. With -f or
  --ignore, a container that does not exist is no error.";

const RMI_HELP: &str = "Examples:
  hutch rmi alpine
  hutch rmi -f 3f57d9401f8d
  hutch rmi -a

Exit status:
  as podman-rmi(1): 0 all images removed; 1 an image did not exist, and nothing else failed;
  2 an image is used by a container and -f was not given; 125 any other failure. With -f or
  --ignore, an image that does not exist is no error.";

const EXEC_HELP: &str = "Examples:
  hutch exec web ps
  hutch exec -it -u tester -w /tmp web sh

Exit status:
  the command's own, or 125 (hutch failed, e.g. the container is not running), 126 (the command
  cannot be invoked), 127 (the command is not found).";

const WAIT_HELP: &str = "Examples:
  hutch wait job

Output:
  each container's exit code, in the order given; a container that was never started has
  nothing to wait for: 0 at once, as with Podman.

Exit status:
  0 when every container was waited for, 125 when one does not exist (the others are still
  waited for).";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Image to run
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
    /// Command and arguments (default: the image's Entrypoint and Cmd)
    #[arg(value_name = "COMMAND", trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<std::ffi::OsString>,
    /// Run in the background and print the container id
    #[arg(short, long)]
    pub detach: bool,
    /// Keep stdin open
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Name of the container
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Set an environment variable (KEY=VALUE, or KEY to copy it from hutch's environment)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read environment variables from a file (KEY=VALUE lines)
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub env_file: Vec<PathBuf>,
    /// Override the image's entrypoint (a command or a JSON array)
    #[arg(long, value_name = "COMMAND")]
    pub entrypoint: Option<String>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or uid) and optional group to run as: USER[:GROUP]
    #[arg(short, long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Host name of the container (default: its short id)
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Bind mount or volume: HOST-DIR:CONTAINER-DIR[:OPTS], NAME:CONTAINER-DIR[:OPTS] (created when missing), or CONTAINER-DIR (anonymous); OPTS: ro, rw, U, z, Z, nocopy
    #[arg(short, long, value_name = "SRC:DST[:OPTS]")]
    pub volume: Vec<String>,
    /// A mount in Docker's syntax: type=bind|volume|tmpfs,source=…,target=…[,ro][,tmpfs-size=…][,tmpfs-mode=…]
    #[arg(long, value_name = "type=TYPE,…")]
    pub mount: Vec<String>,
    /// Mount a new tmpfs: PATH[:OPTIONS] (default rw,noexec,nosuid,nodev, the image's content copied in)
    #[arg(long, value_name = "PATH[:OPTS]")]
    pub tmpfs: Vec<String>,
    /// Mount the volumes and bind mounts of another container: CTR[:ro|rw]
    #[arg(long, value_name = "CTR[:ro|rw]", add = ArgValueCompleter::new(complete::containers))]
    pub volumes_from: Vec<String>,
    /// What the image's VOLUMEs get: bind (a new anonymous volume each, the default), tmpfs, or ignore
    #[arg(long, value_name = "MODE", value_parser = ["bind", "tmpfs", "ignore"])]
    pub image_volume: Option<String>,
    /// Remove a container of the same --name first (stopping it), as a systemd unit's start does
    #[arg(long)]
    pub replace: bool,
    /// Write the pid of the detached container's monitor to this file (systemd's PIDFile=)
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub conmon_pidfile: Option<PathBuf>,
    /// Mount the root file system read-only (/tmp, /var/tmp and /run get tmpfs)
    #[arg(long)]
    pub read_only: bool,
    /// Add a capability (e.g. NET_ADMIN, or ALL)
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a capability (e.g. CHOWN, or ALL)
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// All capabilities, no seccomp filter, no masked paths
    #[arg(long)]
    pub privileged: bool,
    /// Security options: seccomp=unconfined, seccomp=PROFILE.json, no-new-privileges
    #[arg(long, value_name = "OPT")]
    pub security_opt: Vec<String>,
    /// Network mode: podman (the default network, shared with other containers through one pasta: the default when pasta is installed), a network's NAME[,NAME2], private or pasta (a namespace of its own, through its own pasta), slirp4netns, none (only lo), host, ns:PATH (join a network namespace) or container:NAME (share another container's)
    #[arg(long, visible_alias = "net", value_name = "MODE", add = ArgValueCompleter::new(complete::networks))]
    pub network: Option<String>,
    /// Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp] (ports may be ranges A-B)
    #[arg(short = 'p', long, value_name = "[[IP:][HOST_PORT]:]PORT[/PROTO]")]
    pub publish: Vec<String>,
    /// Publish every port the image exposes on a free host port
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    /// DNS server for the container's /etc/resolv.conf (default: the host's, or the helper's forwarder)
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// DNS search domain ('.' for none)
    #[arg(long, value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// DNS resolver option (e.g. ndots:2)
    #[arg(long, value_name = "OPTION", alias = "dns-opt")]
    pub dns_option: Vec<String>,
    /// Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the host's address)
    #[arg(long, value_name = "NAME:IP")]
    pub add_host: Vec<String>,
    /// Another name the container answers to on its networks (with --network NAME)
    #[arg(long, value_name = "ALIAS")]
    pub network_alias: Vec<String>,
    /// The container's IPv4 address on its (first) network
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// User namespace mode: keep-id runs as your own uid/gid, which map to themselves (keep-id:uid=N,gid=M: to N and M inside); nomap; auto[:size=N]
    #[arg(long, value_name = "MODE")]
    pub userns: Option<String>,
    /// Map container uids CONTAINER.. to HOST.. (SIZE ids; HOST counted in your user namespace: 0 is you, 1.. your subordinate ids; @HOST a host uid); repeatable
    #[arg(long, value_name = "CONTAINER:HOST:SIZE")]
    pub uidmap: Vec<String>,
    /// As --uidmap, for gids (either alone applies to both)
    #[arg(long, value_name = "CONTAINER:HOST:SIZE")]
    pub gidmap: Vec<String>,
    /// Signal that stops the container (default: the image's, else SIGTERM)
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Seconds to wait after the stop signal before SIGKILL
    #[arg(long, value_name = "SECONDS")]
    pub stop_timeout: Option<u32>,
    /// Set a label KEY=VALUE
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Add an annotation KEY=VALUE to the container (shown by inspect as Config.Annotations)
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// When to pull the image: missing (default), always, never
    #[arg(long, value_name = "POLICY", default_value = "missing", value_parser = ["missing", "always", "never"])]
    pub pull: String,
    /// Pull quietly
    #[arg(short, long)]
    pub quiet: bool,
    /// Platform to pull from a multi-platform image, OS/ARCH[/VARIANT] (a local image of another platform is pulled again)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Architecture to pull (instead of --platform)
    #[arg(long, value_name = "ARCH", conflicts_with = "platform")]
    pub arch: Option<String>,
    /// Operating system to pull (instead of --platform)
    #[arg(long, value_name = "OS", conflicts_with = "platform")]
    pub os: Option<String>,
    /// Variant to pull (instead of --platform)
    #[arg(long, value_name = "VARIANT", conflicts_with = "platform")]
    pub variant: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Run in a pod (its network, ipc, uts… namespaces and ports), or new:NAME to create one
    #[arg(long, value_name = "POD|new:NAME", add = ArgValueCompleter::new(complete::pods))]
    pub pod: Option<String>,
    /// Restart policy of a detached container: no, on-failure[:MAX_RETRIES], always, unless-stopped (enforced by its monitor; stop and kill end it)
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,
    #[command(flatten)]
    pub compat: RunCompatArgs,
    #[command(flatten)]
    pub more: RunMoreArgs,
}

// `run`/`create` flags Podman scripts use (issue 15).
#[derive(Debug, Args)]
pub struct RunCompatArgs {
    /// Write the container's id to this file (which must not exist)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Option<PathBuf>,
    /// The container's time zone: a zone name (Europe/Paris), or local for the host's
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Pass the host's whole environment to the container (over the image's env, under --env-file and -e)
    #[arg(long)]
    pub env_host: bool,
    /// Pass the caller's proxy variables (http_proxy, https_proxy, ftp_proxy, no_proxy and their upper-case forms) to the container, over the image's env and under --env-file and -e (default: containers.conf http_proxy, else true)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub http_proxy: Option<bool>,
    /// Where the container's output is logged: k8s-file (the default; `logs` reads it), none
    /// (nothing kept) or passthrough (a foreground container's stdio is the caller's, unlogged)
    #[arg(long, value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Logging option: max-size=SIZE (the log starts over at that size; b, k, m, g decimal units: 1k = 1000 bytes, as Podman)
    #[arg(long, value_name = "KEY=VALUE")]
    pub log_opt: Vec<String>,
    /// After the container exits, remove its image unless another container uses it (implies --rm)
    #[arg(long, conflicts_with = "detach")]
    pub rmi: bool,
    /// Add a host user's /etc/passwd entry (a name or uid on the host) to the container's
    /// /etc/passwd at each start; one the host does not have fails the start (exit 126)
    #[arg(long, value_name = "USER")]
    pub hostuser: Vec<String>,
    /// Kill the container (SIGKILL) once it has run SECONDS; its exit code is then -1 (run exits 255)
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u32>,
    /// Resource limit of the container's processes: TYPE=SOFT[:HARD] (nofile, nproc, core,
    /// stack, memlock, cpu, fsize, as…; -1 for no limit), repeatable. A rootless user can lower
    /// limits and raise a soft one up to its hard one, not raise a hard one (the start fails,
    /// exit 126)
    #[arg(long, value_name = "TYPE=SOFT[:HARD]")]
    pub ulimit: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Containers to start
    #[arg(value_name = "CONTAINER", required_unless_present = "all", add = ArgValueCompleter::new(complete::stopped_containers))]
    pub containers: Vec<String>,
    /// Attach to the container's output and wait for it
    #[arg(short, long)]
    pub attach: bool,
    /// Attach stdin (with --attach)
    #[arg(short, long)]
    pub interactive: bool,
    /// Start every container that is not running
    #[arg(long, conflicts_with = "attach")]
    pub all: bool,
    /// Only the containers matching KEY=VALUE (as ps --filter: id, name, status, label, ancestor, exited, restart-policy, pod)
    #[arg(short, long, value_name = "KEY=VALUE", conflicts_with = "attach")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers, not only running ones
    #[arg(short, long)]
    pub all: bool,
    /// Print only container ids
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not truncate ids and commands
    #[arg(long)]
    pub no_trunc: bool,
    /// Output format: table (default), json, or a Go template such as '{{.ID}} {{.Names}}'
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not print the header line
    #[arg(long)]
    pub noheading: bool,
    /// Show only the latest created container
    #[arg(short, long)]
    pub latest: bool,
    /// Also containers made by other tools (hutch's store holds only its own: the same list)
    #[arg(long)]
    pub external: bool,
    /// Show only containers matching KEY=VALUE: id, name (a regular expression), status
    /// (created, running, exited), label (KEY or KEY=VALUE), ancestor (image), exited (code),
    /// restart-policy (none, no, on-failure, always, unless-stopped), pod (name or id)
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Sort by command, created, id, image, names, runningfor or status
    #[arg(long, value_name = "FIELD", value_parser = ["command", "created", "id", "image", "names", "runningfor", "status"])]
    pub sort: Option<String>,
    /// Show the pod of each container (POD ID and PODNAME columns)
    #[arg(short, long)]
    pub pod: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
    /// More containers, shown one after the other (not with --follow)
    #[arg(value_name = "MORE", add = ArgValueCompleter::new(complete::containers))]
    pub more: Vec<String>,
    /// Keep following the output until the container stops
    #[arg(short, long)]
    pub follow: bool,
    /// Show only the last N lines
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    /// Only lines logged at or after this time: a unix time, an RFC 3339 time, or a duration back from now (10m, 1h30m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only lines logged before this time (same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Containers
    #[arg(value_name = "CONTAINER", required_unless_present = "all", add = ArgValueCompleter::new(complete::containers))]
    pub containers: Vec<String>,
    /// Seconds to wait before killing (default: the container's stop timeout, 10)
    #[arg(short = 't', long = "time", visible_alias = "timeout", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// All running containers
    #[arg(short, long)]
    pub all: bool,
    /// A container that does not exist is no error
    #[arg(short, long)]
    pub ignore: bool,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Containers
    #[arg(value_name = "CONTAINER", required_unless_present = "all", add = ArgValueCompleter::new(complete::running_containers))]
    pub containers: Vec<String>,
    /// Signal to send (name or number)
    #[arg(
        short,
        long,
        value_name = "SIGNAL",
        default_value = "KILL",
        allow_hyphen_values = true
    )]
    pub signal: String,
    /// All running containers
    #[arg(short, long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Containers
    #[arg(value_name = "CONTAINER", required_unless_present_any = ["all", "cidfile", "latest"], add = ArgValueCompleter::new(complete::containers))]
    pub containers: Vec<String>,
    /// Remove the latest created container (instead of naming it)
    #[arg(short, long)]
    pub latest: bool,
    /// Stop and remove running containers
    #[arg(short, long)]
    pub force: bool,
    /// All containers
    #[arg(short, long)]
    pub all: bool,
    /// Also remove anonymous volumes
    #[arg(short, long)]
    pub volumes: bool,
    /// With --force: seconds to wait after the stop signal before SIGKILL (default: kill at once)
    #[arg(short, long, value_name = "SECONDS")]
    pub time: Option<u32>,
    /// A container that does not exist is no error
    #[arg(short, long)]
    pub ignore: bool,
    /// Read container ids from these files (as written by --cidfile)
    #[arg(long, value_name = "FILE")]
    pub cidfile: Vec<std::path::PathBuf>,
    /// Also remove the containers that depend on these (--network container:THIS), first;
    /// without it such a container is refused. A pod's infra container takes its whole pod
    #[arg(long)]
    pub depend: bool,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::running_containers))]
    pub container: String,
    /// Command and arguments
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<std::ffi::OsString>,
    /// Keep stdin open
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Set an environment variable
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// User to run as: USER[:GROUP]
    #[arg(short, long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Working directory
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Run detached
    #[arg(short, long)]
    pub detach: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Containers
    #[arg(value_name = "CONTAINER", required = true, add = ArgValueCompleter::new(complete::containers))]
    pub containers: Vec<String>,
    /// What to wait for: stopped or exited (the default: prints the exit code), running,
    /// created or configured (print -1); several: the first that holds
    #[arg(long, value_name = "STATE", value_parser = ["configured", "created", "exited", "running", "stopped"])]
    pub condition: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// The container (with --all or --latest: the PORT[/PROTO] to show)
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: Option<String>,
    /// Only this one of its ports
    #[arg(value_name = "PORT[/PROTO]")]
    pub port: Option<String>,
    /// Ports of every running container
    #[arg(short, long)]
    pub all: bool,
    /// The latest created container
    #[arg(short, long)]
    pub latest: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum NetworkCommand {
    /// Create a network (a bridge in your shared network namespace)
    #[command(
        after_help = "Examples:\n  hutch network create app\n  hutch network create --subnet 10.90.0.0/24 --gateway 10.90.0.254 --internal backend"
    )]
    Create(NetworkCreateArgs),
    /// List networks
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  hutch network ls\n  hutch network ls -q\n  hutch network ls --format '{{.Name}} {{.Subnets}}'"
    )]
    Ls(NetworkLsArgs),
    /// Show networks as JSON (Podman's shape)
    #[command(
        after_help = "Examples:\n  hutch network inspect podman\n  hutch network inspect --format '{{.Subnets}}' app"
    )]
    Inspect(NetworkInspectArgs),
    /// Remove networks (-f: and the containers on them)
    #[command(
        visible_alias = "remove",
        after_help = "Exit status: 0, 1 when a network does not exist, 2 when one is in use (without -f), else 125.\n\nExamples:\n  hutch network rm app\n  hutch network rm -f app"
    )]
    Rm(NetworkRmArgs),
    /// Remove every network no container uses (not the default one)
    #[command(after_help = "Examples:\n  hutch network prune")]
    Prune(NetworkPruneArgs),
    /// Exit 0 when the network exists, 1 when not
    #[command(after_help = "Examples:\n  hutch network exists app && echo yes")]
    Exists(NetworkExistsArgs),
    /// Connect a container to a network (a running one at once)
    #[command(after_help = "Examples:\n  hutch network connect --alias db app pg")]
    Connect(NetworkConnectArgs),
    /// Disconnect a container from a network
    #[command(after_help = "Examples:\n  hutch network disconnect app pg")]
    Disconnect(NetworkDisconnectArgs),
    /// Set up running containers' firewall rules again (after something flushed them)
    #[command(
        after_help = "Makes every network's forwarding and masquerading rules in the shared network namespace again, and the containers' published ports' reply rules; prints each container's id.\n\nExamples:\n  hutch network reload web\n  hutch network reload --all"
    )]
    Reload(NetworkReloadArgs),
}

#[derive(Debug, Args)]
pub struct NetworkReloadArgs {
    /// Every running container on a network
    #[arg(short, long, conflicts_with = "containers")]
    pub all: bool,
    /// The containers (running, on networks)
    #[arg(value_name = "CONTAINER", required_unless_present = "all", add = ArgValueCompleter::new(complete::containers))]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// IPv4 subnet, e.g. 10.90.0.0/24 (default: the first free 10.89.N.0/24)
    #[arg(long, value_name = "CIDR")]
    pub subnet: Option<String>,
    /// Gateway address in the subnet (default: its first address)
    #[arg(long, value_name = "IP")]
    pub gateway: Option<String>,
    /// No way out: containers reach only each other
    #[arg(long)]
    pub internal: bool,
    /// No DNS responder: containers are not reachable by name
    #[arg(long)]
    pub disable_dns: bool,
    /// Set a label KEY=VALUE
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Driver (only bridge)
    #[arg(short, long, value_name = "DRIVER", default_value = "bridge", value_parser = ["bridge"])]
    pub driver: String,
    /// Name of the network (default: hutchN)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct NetworkLsArgs {
    /// Only the names
    #[arg(short, long)]
    pub quiet: bool,
    /// json, or a Go template ({{.Name}}, {{.ID}}, {{.Driver}}, {{.Subnets}}, {{.Internal}}…)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Full ids
    #[arg(long)]
    pub no_trunc: bool,
    /// Do not print the header line
    #[arg(long)]
    pub noheading: bool,
}

#[derive(Debug, Args)]
pub struct NetworkInspectArgs {
    /// json, or a Go template
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Networks (names or id prefixes)
    #[arg(value_name = "NETWORK", required = true)]
    pub networks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkRmArgs {
    /// Remove the containers that use it too (and ignore networks that do not exist)
    #[arg(short, long)]
    pub force: bool,
    /// With -f: seconds to let running containers stop (their stop signal) before killing them
    /// (default 0: killed at once)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Networks (names or id prefixes)
    #[arg(value_name = "NETWORK", required = true)]
    pub networks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkPruneArgs {
    /// Do not ask (hutch never asks)
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct NetworkExistsArgs {
    #[arg(value_name = "NETWORK")]
    pub network: String,
}

#[derive(Debug, Args)]
pub struct NetworkConnectArgs {
    /// Another name the container answers to on this network
    #[arg(long, value_name = "ALIAS")]
    pub alias: Vec<String>,
    /// The network
    #[arg(value_name = "NETWORK")]
    pub network: String,
    /// The container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
}

#[derive(Debug, Args)]
pub struct NetworkDisconnectArgs {
    /// Accepted for Podman compatibility
    #[arg(short, long)]
    pub force: bool,
    /// The network
    #[arg(value_name = "NETWORK")]
    pub network: String,
    /// The container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ImageCommand {
    /// List images in local storage
    #[command(visible_alias = "list")]
    Ls(ImagesArgs),
    /// Pull an image from a registry
    Pull(PullArgs),
    /// Push an image to a registry, an OCI layout or an archive
    #[command(after_help = PUSH_HELP)]
    Push(PushArgs),
    /// Remove one or more images
    #[command(after_help = RMI_HELP)]
    Rm(RmiArgs),
    /// Add names to a local image
    Tag(TagArgs),
    /// Show details of images as JSON
    Inspect(Adjusted<InspectArgs, ImagesCompleter>),
    /// Remove unused images, layers and blobs
    #[command(after_help = "Examples:\n  hutch image prune\n  hutch image prune -a")]
    Prune(PruneArgs),
    /// Save images to an archive or an OCI layout directory
    Save(SaveArgs),
    /// Load images from an archive
    Load(LoadArgs),
    /// Create an image from a tar of a file system
    Import(ImportArgs),
    /// Exit 0 if the image is in local storage, 1 if not
    #[command(
        after_help = "Examples:\n  hutch image exists alpine && echo present\n\nExit status:\n  as podman-image-exists(1): 0 the image is in local storage, 1 it is not, 125 the store\n  could not be read."
    )]
    Exists(ExistsArgs),
    /// Show how an image was built, newest layer first
    #[command(
        after_help = "Examples:\n  hutch image history alpine\n  hutch image history --no-trunc --format '{{.ID}} {{.Size}}' alpine"
    )]
    History(HistoryArgs),
    /// Remove names from a local image (all of them without NAME)
    #[command(after_help = UNTAG_HELP)]
    Untag(UntagArgs),
    /// Build an image from a Containerfile or Dockerfile and a context directory (or a tar on stdin)
    #[command(after_help = BUILD_HELP)]
    Build(BuildArgs),
    /// Sign images in a registry with a GnuPG key (simple signing) into a signature directory
    #[command(after_help = SIGN_HELP)]
    Sign(SignArgs),
}

const SIGN_HELP: &str = "The signature is a GnuPG signed message (made with the gpg program and your keyring) naming the \
image and its manifest digest, as Podman's `image sign` writes it: DIR/REPOSITORY@sha256=DIGEST/signature-N, the first N \
not taken, readable by containers/image from a lookaside signature store.\n\nExamples:\n  \
hutch image sign --sign-by me@example.com --directory ./sigs docker://registry.example.com/app:1";

#[derive(Debug, Args)]
pub struct SignArgs {
    /// docker://REGISTRY/NAME[:TAG] (docker:// may be left out)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
    /// The GnuPG key to sign with (an id, a fingerprint or an e-mail address)
    #[arg(long, value_name = "KEY", required = true)]
    pub sign_by: String,
    /// Signature directory (default: $XDG_DATA_HOME/containers/sigstore)
    #[arg(short, long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub directory: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

const BUILD_HELP: &str = "The Containerfile is CONTEXT/Containerfile, else CONTEXT/Dockerfile, unless -f names one (- reads it from \
stdin). CONTEXT - reads the context as a tar (plain or compressed) from stdin. .containerignore (else .dockerignore) in the \
context excludes files with Docker's pattern rules; excluded files are never read. Each step's result is cached: a rebuild \
runs only the steps whose instruction, build args, parent or COPY/ADD contents changed (--no-cache: none are reused). \
RUN steps run with hutch's own runtime, as `hutch run` does.\n\nExamples:\n  hutch build -t localhost/app:1 .\n  \
hutch build -f Containerfile.dev --build-arg VERSION=2 --target test .\n  tar -cf - . | hutch build -t app -\n  \
hutch build --secret id=token,src=$HOME/.token -q .";

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum BuildxCommand {
    /// Build an image, as `hutch build`
    Build(BuildxBuildArgs),
}

#[derive(Debug, Args)]
pub struct BuildxBuildArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    /// Accepted for buildx compatibility: the image always lands in the local store
    #[arg(long)]
    pub load: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The context directory, or - for a tar on stdin
    #[arg(value_name = "CONTEXT", default_value = ".", value_hint = ValueHint::DirPath)]
    pub context: String,
    /// Name the image (repeatable)
    #[arg(short, long = "tag", value_name = "NAME")]
    pub tag: Vec<String>,
    /// The Containerfile (default: CONTEXT/Containerfile, else CONTEXT/Dockerfile; - for stdin)
    #[arg(short, long = "file", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: Option<String>,
    /// A build argument (KEY alone takes the value from the environment)
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_arg: Vec<String>,
    /// Build up to this stage (default: the last)
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Reuse no cached step
    #[arg(long)]
    pub no_cache: bool,
    /// Pull base images: always, missing (default), never; --pull alone = always
    #[arg(long, value_name = "POLICY", num_args = 0..=1, default_missing_value = "always", require_equals = true)]
    pub pull: Option<String>,
    /// Network mode for RUN steps (pasta, slirp4netns, none, host)
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,
    /// Write the image id to this file
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub iidfile: Option<PathBuf>,
    /// Add a label to the image (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Manifest and config format of the image (docker keeps HEALTHCHECK, SHELL and ONBUILD)
    #[arg(long, value_name = "FORMAT", default_value = "oci", value_parser = ["oci", "docker"])]
    pub format: String,
    /// Merge the layers this build adds into one, on the base image's layers
    #[arg(long)]
    pub squash: bool,
    /// Merge all layers of the image, the base image's too, into one
    #[arg(long)]
    pub squash_all: bool,
    /// Cache and reuse step results (--layers=false: neither, and nothing of the steps is kept; default: $BUILDAH_LAYERS, else true)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub layers: Option<bool>,
    /// A secret for RUN --mount=type=secret: id=ID,src=FILE (repeatable)
    #[arg(long, value_name = "id=ID,src=FILE")]
    pub secret: Vec<String>,
    /// Print only the image id
    #[arg(short, long)]
    pub quiet: bool,
    /// Build at most this many independent stages at once (default: one per core; 0: no limit)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// The ignore file to use instead of CONTEXT/.containerignore or CONTEXT/.dockerignore
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub ignorefile: Option<PathBuf>,
    /// Credentials for pulling base images (as for pull)
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub authfile: Option<PathBuf>,
    /// Require HTTPS and verified certificates when pulling base images
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub tls_verify: Option<bool>,
    /// As --pull=never (Podman's older spelling)
    #[arg(long, hide = true)]
    pub pull_never: bool,
    /// As --pull=always (Podman's older spelling)
    #[arg(long, hide = true)]
    pub pull_always: bool,
    /// Write the build's output (steps, RUN output) to this file instead of stdout and stderr
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub logfile: Option<PathBuf>,
    /// Resource limit of RUN steps' processes: TYPE=SOFT[:HARD], as `run --ulimit`
    #[arg(long, value_name = "TYPE=SOFT[:HARD]")]
    pub ulimit: Vec<String>,
    /// Security options of RUN steps: seccomp=unconfined, seccomp=PROFILE.json,
    /// no-new-privileges (as `run --security-opt`)
    #[arg(long, value_name = "OPTION")]
    pub security_opt: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<PathBuf>,
}

const COMMIT_EXAMPLES: &str = "Without IMAGE the new image has no name (<none>). A running container is committed as it is: \
--pause stops its main process (SIGSTOP) while its files are read and resumes it after (SIGCONT); processes it started keep \
running (hutch has no cgroup freezer).\n\nExamples:\n  hutch commit web localhost/web:snapshot\n  hutch commit -c 'CMD [\"/bin/sh\"]' -c 'ENV MODE=prod' -m 'configured' web app:2";

const CP_EXAMPLES: &str = "Paths in the container are resolved inside its root file system: symlinks and ../ never lead out of it. \
Relative container paths start at the container's working directory; SRC ending in /. copies a directory's contents. \
Files copied in belong to the container's user (its --user, else root) unless -a=false, which keeps their owners (a host \
file's as the container's user namespace maps them). Works on running and stopped containers, and between two containers.\n\nExamples:\n  hutch cp web:/etc/nginx/nginx.conf .\n  hutch cp ./site web:/srv/\n  \
tar -cf - dir | hutch cp - web:/tmp\n  hutch cp web:/var/log - | tar -tvf -\n  hutch cp web:/srv/. db:/srv";

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// The container
    #[arg(value_name = "CONTAINER", add = ArgValueCompleter::new(complete::containers))]
    pub container: String,
    /// Name for the new image
    #[arg(value_name = "IMAGE")]
    pub image: Option<String>,
    /// Author of the image
    #[arg(short, long, value_name = "AUTHOR")]
    pub author: Option<String>,
    /// Commit message (the image's comment)
    #[arg(short, long, value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Apply a Dockerfile instruction to the image's config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Stop the container's main process (SIGSTOP) while committing; other processes keep running
    #[arg(short, long)]
    pub pause: bool,
    /// Manifest and config format of the new image
    #[arg(short, long, value_name = "FORMAT", default_value = "oci", value_parser = ["oci", "docker"])]
    pub format: String,
    /// Print only the image id (the default output)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    /// CONTAINER:PATH, a host path, or - (a tar stream on stdin)
    #[arg(value_name = "SRC")]
    pub src: String,
    /// CONTAINER:PATH, a host path, or - (a tar stream on stdout)
    #[arg(value_name = "DEST")]
    pub dest: String,
    /// Files copied into a container belong to its user (its --user, else root); =false keeps owners: a host file's as the container's user namespace maps them, a tar stream's or another container's as they are
    #[arg(short, long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub archive: bool,
    /// Replace a directory with a file or a file with a directory of the same name (else an error)
    #[arg(long)]
    pub overwrite: bool,
    /// Stop a running container's main process (SIGSTOP) while copying; other processes keep running
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub pause: bool,
    /// Print nothing (accepted for compatibility; cp prints nothing anyway)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A container or an image
    #[arg(value_name = "CONTAINER|IMAGE", add = ArgValueCompleter::new(complete::containers))]
    pub what: String,
    /// json for {"changed": [...], "added": [...], "deleted": [...]}
    #[arg(long, value_name = "FORMAT", value_parser = ["json"])]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tar to import (plain, gzip or zstd): a file, an http(s) URL, or - for stdin
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: String,
    /// Name for the new image
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Apply a Dockerfile instruction to the image's config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)
    #[arg(short, long = "change", value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Commit message (the image's comment)
    #[arg(short, long, value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Print only the image id
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// The image
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The image
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
    /// Do not truncate ids and commands
    #[arg(long)]
    pub no_trunc: bool,
    /// Print only the ids
    #[arg(short, long)]
    pub quiet: bool,
    /// Sizes in bytes rather than human units
    #[arg(short = 'H', long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub human: bool,
    /// json, or a Go template ({{.ID}} {{.Created}} {{.CreatedBy}} {{.Size}} {{.Comment}}; 'table …' adds a header)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SaveFormatArg {
    /// Docker's `docker save` format (manifest.json, one tar per layer)
    DockerArchive,
    /// An OCI image layout in a tar
    OciArchive,
    /// An OCI image layout in a directory
    OciDir,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Images to save (without -m, further names are extra tags for the first image)
    #[arg(value_name = "IMAGE", required = true, add = ArgValueCompleter::new(complete::images))]
    pub images: Vec<String>,
    /// Write to this file (or directory, for oci-dir) instead of stdout
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::AnyPath)]
    pub output: Option<PathBuf>,
    /// Archive format
    #[arg(long, value_name = "FORMAT", value_enum, default_value = "docker-archive")]
    pub format: SaveFormatArg,
    /// Save several images in one docker-archive
    #[arg(short = 'm', long)]
    pub multi_image_archive: bool,
    /// Suppress progress output
    #[arg(short, long)]
    pub quiet: bool,
    /// Accepted for Podman compatibility (layers are written uncompressed)
    #[arg(long, hide = true)]
    pub compress: bool,
    /// Keep layers uncompressed in oci-archive and oci-dir (what hutch always writes; as Podman's flag)
    #[arg(long)]
    pub uncompressed: bool,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from this archive (or OCI layout directory, or an http(s) URL, downloaded first) instead of stdin
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::AnyPath)]
    pub input: Option<PathBuf>,
    /// Suppress progress output
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Require HTTPS and verify certificates (default: as registries.conf says)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub tls_verify: Option<bool>,
    /// Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub authfile: Option<PathBuf>,
    /// Credentials USERNAME[:PASSWORD] for the registry
    #[arg(long, value_name = "USER[:PASS]")]
    pub creds: Option<String>,
}

const PUSH_HELP: &str = "Destinations:
  [docker://]REGISTRY/NAME[:TAG]   a registry (the image's own name when DESTINATION is left out)
  oci:DIR[:TAG]                    an OCI layout directory (new, empty, or one to add to)
  oci-archive:FILE[:TAG]           an OCI layout in a tar
  docker-archive:FILE[:NAME]       a `docker save` archive
  dir:DIR                          skopeo's directory transport

Blobs the registry already has are not sent again, blobs of another repository of the same
registry are mounted, and an image pulled with hutch keeps its manifest (and digest) when its
original blobs are there.

Examples:
  hutch push 127.0.0.1:5000/app:1
  hutch push --creds me:secret app registry.example.com/me/app:1
  hutch push --digestfile app.digest --format v2s2 app docker://localhost:5000/app
  hutch push app oci-archive:/tmp/app.tar:1";

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ManifestCommand {
    /// Create a local manifest list, with these images in it
    #[command(
        after_help = "Examples:\n  hutch pull --platform linux/arm64 quay.io/org/app:1 && hutch tag quay.io/org/app:1 app:arm64\n  hutch manifest create app-list app:amd64 app:arm64"
    )]
    Create(ManifestCreateArgs),
    /// Add an image to a manifest list (replacing the list's image of the same platform)
    #[command(
        after_help = "Examples:\n  hutch manifest add app-list app:arm64\n  hutch manifest add --platform linux/arm64 app-list docker://quay.io/org/app:1"
    )]
    Add(ManifestAddArgs),
    /// Show a local manifest list as an OCI image index
    #[command(after_help = "Examples:\n  hutch manifest inspect app-list")]
    Inspect(ManifestInspectArgs),
    /// Push a manifest list and its images to a registry, as one reference
    #[command(
        after_help = "Examples:\n  hutch manifest push app-list registry.example.com/org/app:1\n  hutch manifest push --digestfile d app-list docker://localhost:5000/app:1"
    )]
    Push(ManifestPushArgs),
    /// Remove manifest lists (not their images)
    #[command(after_help = "Examples:\n  hutch manifest rm app-list")]
    Rm(ManifestRmArgs),
    /// Set the platform or annotations of an image in a manifest list
    #[command(
        after_help = "Examples:\n  hutch manifest annotate --arch arm64 --variant v8 app-list app:arm64\n  hutch manifest annotate --annotation org.example.key=value app-list sha256:0123…"
    )]
    Annotate(ManifestAnnotateArgs),
}

#[derive(Debug, Args)]
pub struct ManifestAnnotateArgs {
    /// The list
    #[arg(value_name = "LIST")]
    pub list: String,
    /// The image in the list: a local image, docker://REFERENCE as added, or its manifest digest
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
    /// An annotation KEY=VALUE on the image's entry (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Architecture of the entry's platform
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Operating system of the entry's platform
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// Operating system version of the entry's platform
    #[arg(long, value_name = "VERSION")]
    pub os_version: Option<String>,
    /// Architecture variant of the entry's platform
    #[arg(long, value_name = "VARIANT")]
    pub variant: Option<String>,
}

#[derive(Debug, Args)]
pub struct ManifestCreateArgs {
    /// Name of the new list
    #[arg(value_name = "LIST")]
    pub list: String,
    /// Images to put in it: local ones, or docker://REFERENCE for ones in a registry
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub images: Vec<String>,
    /// When a list of this name exists, add the images to it rather than fail
    #[arg(long)]
    pub amend: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ManifestAddArgs {
    /// The list
    #[arg(value_name = "LIST")]
    pub list: String,
    /// The image to add: a local one, or docker://REFERENCE for one in a registry (its
    /// manifest for this machine's platform or --platform; its blobs are copied at push)
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
    /// Platform OS/ARCH[/VARIANT] to take from a remote image index (default: this machine's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ManifestInspectArgs {
    /// The list
    #[arg(value_name = "LIST")]
    pub list: String,
}

#[derive(Debug, Args)]
pub struct ManifestRmArgs {
    /// The lists
    #[arg(value_name = "LIST", required = true)]
    pub lists: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ManifestPushArgs {
    /// The list
    #[arg(value_name = "LIST")]
    pub list: String,
    /// Where to push it: [docker://]REGISTRY/NAME[:TAG]
    #[arg(value_name = "DESTINATION")]
    pub destination: String,
    /// Write the digest of the pushed index to this file
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub digestfile: Option<PathBuf>,
    /// Manifest format of the images hutch makes manifests for (default: each image's own, else oci)
    #[arg(short, long, value_name = "FORMAT", value_enum)]
    pub format: Option<PushFormatArg>,
    /// Compression of layers hutch compresses (default gzip)
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub compression_format: Option<CompressionArg>,
    /// Attempts after the first for a blob upload that fails on the way
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retry: u32,
    /// Push the list's images too (always done; accepted for Podman compatibility)
    #[arg(long, hide = true)]
    pub all: bool,
    /// Do not show progress
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PushFormatArg {
    /// OCI image manifest
    Oci,
    /// Docker image manifest, schema 2
    V2s2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompressionArg {
    Gzip,
    Zstd,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The local image
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
    /// Where to push it (default: the image's name, in its registry)
    #[arg(value_name = "DESTINATION")]
    pub destination: Option<String>,
    /// Manifest format (default: the image's own, else oci)
    #[arg(short, long, value_name = "FORMAT", value_enum)]
    pub format: Option<PushFormatArg>,
    /// Compression of layers hutch compresses (default gzip)
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub compression_format: Option<CompressionArg>,
    /// Compression level (gzip 0-9, zstd 1-20)
    #[arg(long, value_name = "LEVEL")]
    pub compression_level: Option<i32>,
    /// Write the digest of the pushed manifest to this file
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub digestfile: Option<PathBuf>,
    /// Attempts after the first for a blob upload that fails on the way
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retry: u32,
    /// Do not show progress
    #[arg(short, long)]
    pub quiet: bool,
    /// Accepted for Podman compatibility (hutch does not sign images)
    #[arg(long, hide = true)]
    pub remove_signatures: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Image reference, e.g. alpine, quay.io/org/app:tag or host:port/name@sha256:…; or
    /// docker-archive:FILE, oci-archive:FILE, oci:DIR (stored as `hutch load` does, with their
    /// names; the ids are printed)
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Print only the image id
    #[arg(short, long)]
    pub quiet: bool,
    /// Platform to pull from a multi-platform image, OS/ARCH[/VARIANT]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Architecture to pull (instead of --platform)
    #[arg(long, value_name = "ARCH", conflicts_with = "platform")]
    pub arch: Option<String>,
    /// Operating system to pull (instead of --platform)
    #[arg(long, value_name = "OS", conflicts_with = "platform")]
    pub os: Option<String>,
    /// Variant to pull (instead of --platform)
    #[arg(long, value_name = "VARIANT", conflicts_with = "platform")]
    pub variant: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Show only images matching this reference (e.g. fixtures/basic or basic:*)
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub reference: Option<String>,
    /// Show all images, including dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Print only image ids
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not truncate ids
    #[arg(long)]
    pub no_trunc: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Output format: table (default), json, or a Go template such as '{{.ID}} {{.Repository}}'
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not print the header line
    #[arg(long)]
    pub noheading: bool,
    /// Show only images matching KEY=VALUE: reference (a name, * wildcards), dangling (true,
    /// false), label (KEY or KEY=VALUE), id, before/since/after (an image), until (a time)
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Sort by created (default), id, repository, size or tag
    #[arg(long, value_name = "FIELD", value_parser = ["created", "id", "repository", "size", "tag"])]
    pub sort: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Images to remove (names or ids)
    #[arg(value_name = "IMAGE", required_unless_present = "all", add = ArgValueCompleter::new(complete::images))]
    pub images: Vec<String>,
    /// Remove all images
    #[arg(short, long)]
    pub all: bool,
    /// Remove the image even when it has several names or is used by containers
    #[arg(short, long)]
    pub force: bool,
    /// An image that does not exist is no error
    #[arg(short, long)]
    pub ignore: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The image to name
    #[arg(value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub image: String,
    /// New names
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Containers or images to inspect
    #[arg(value_name = "NAME", required_unless_present = "latest", add = ArgValueCompleter::new(complete::objects))]
    pub images: Vec<String>,
    /// Inspect the latest created container (instead of naming it)
    #[arg(short, long)]
    pub latest: bool,
    /// Output format: json (default) or a Go template such as '{{.Id}}'
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove all unused images, not only dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Also remove the build cache: cached build steps and RUN --mount=type=cache directories
    #[arg(long)]
    pub build_cache: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Registry to log in to, e.g. quay.io or localhost:5000
    #[arg(value_name = "REGISTRY")]
    pub registry: String,
    /// Username
    #[arg(short, long)]
    pub username: Option<String>,
    /// Password (prefer --password-stdin)
    #[arg(short, long)]
    pub password: Option<String>,
    /// Read the password from standard input
    #[arg(long)]
    pub password_stdin: bool,
    /// Require HTTPS and verify certificates (default: as registries.conf says)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub tls_verify: Option<bool>,
    /// Path of the authentication file
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub authfile: Option<PathBuf>,
    /// Print the username stored for the registry
    #[arg(long)]
    pub get_login: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Registry to log out of
    #[arg(value_name = "REGISTRY", required_unless_present = "all")]
    pub registry: Option<String>,
    /// Remove credentials for all registries
    #[arg(short, long)]
    pub all: bool,
    /// Path of the authentication file
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub authfile: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format: json or a Go template
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Output format: json or a Go template
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output directory
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum PodCommand {
    /// Create a pod (its infra container holds the shared namespaces and the published ports)
    #[command(after_help = POD_CREATE_HELP)]
    Create(PodCreateArgs),
    /// List pods
    #[command(visible_alias = "ls", visible_alias = "list")]
    Ps(PodPsArgs),
    /// Show details of pods as JSON
    Inspect(PodInspectArgs),
    /// Start pods (the infra container, then the others)
    Start(PodsArgs),
    /// Stop pods (their containers, then the infra container)
    Stop(PodStopArgs),
    /// Restart pods
    Restart(PodsArgs),
    /// Send a signal to the running containers of pods
    Kill(PodKillArgs),
    /// Remove pods and their containers
    Rm(PodRmArgs),
    /// Exit 0 when the pod exists, 1 when it does not
    Exists(PodExistsArgs),
    /// Show the processes of a pod's running containers (descriptors as for `hutch top`)
    #[command(after_help = "Examples:\n  hutch pod top app\n  hutch pod top app pid,comm,hpid")]
    Top(PodTopArgs),
}

const POD_CREATE_HELP: &str = "Examples:
  hutch pod create --name app -p 8080:80
  hutch run -d --pod app --name web busybox httpd -f -p 80
  hutch run --rm --pod app busybox wget -qO- http://localhost/
  hutch run -d --pod new:db --name pg postgres

Containers in a pod share its network (they reach each other on localhost; ports are published
on the pod), and by default its ipc and uts namespaces (--share).";

#[derive(Debug, Args)]
pub struct PodCreateArgs {
    /// Name of the pod (default: a generated one)
    #[arg(short, long, value_name = "NAME")]
    pub name: Option<String>,
    /// Name of the pod, as --name (Podman's `pod create NAME`)
    #[arg(value_name = "NAME", conflicts_with = "name")]
    pub name_arg: Option<String>,
    /// Publish a port of the pod: [[IP:][HOST_PORT]:]CONTAINER_PORT[/tcp|udp]
    #[arg(short = 'p', long, value_name = "[[IP:][HOST_PORT]:]PORT[/PROTO]")]
    pub publish: Vec<String>,
    /// Namespaces the containers share: a comma list of net, ipc, uts, pid (default net,ipc,uts;
    /// +pid adds to the default), or none. Containers can join a pod that shares ipc, uts or pid
    /// only when it shares net too
    #[arg(long, value_name = "NAMESPACES")]
    pub share: Vec<String>,
    /// Host name of the pod (its containers' with uts shared; default: the pod's name)
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Network mode of the pod: pasta, slirp4netns, none, host
    #[arg(long, visible_alias = "net", value_name = "MODE", add = ArgValueCompleter::new(complete::networks))]
    pub network: Option<String>,
    /// Create the infra container that holds the shared namespaces (false: nothing is shared)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true, default_value = "true", action = clap::ArgAction::Set)]
    pub infra: bool,
    /// Set a label KEY=VALUE
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Remove a pod of the same name (and its containers) first
    #[arg(long)]
    pub replace: bool,
    /// Image of the infra container (default: hutch's pause image, made locally); pulled when missing
    #[arg(long, value_name = "IMAGE", add = ArgValueCompleter::new(complete::images))]
    pub infra_image: Option<String>,
    /// Name of the infra container (default: POD-ID-infra)
    #[arg(long, value_name = "NAME")]
    pub infra_name: Option<String>,
    /// Entrypoint of the infra container: a command, or a JSON array (default: the infra image's)
    #[arg(long, value_name = "COMMAND")]
    pub infra_command: Option<String>,
    /// Write the pid of the infra container's monitor to FILE (what systemd follows)
    #[arg(long, value_name = "FILE")]
    pub infra_conmon_pidfile: Option<PathBuf>,
    /// Write the pod's id to FILE
    #[arg(long, value_name = "FILE")]
    pub pod_id_file: Option<PathBuf>,
    /// Add a line to the /etc/hosts of the pod's containers: NAME:IP
    #[arg(long, value_name = "NAME:IP")]
    pub add_host: Vec<String>,
    /// DNS server for the /etc/resolv.conf of the pod's containers
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// DNS search domain for the pod's containers
    #[arg(long, value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// DNS resolver option for the pod's containers (e.g. ndots:2)
    #[arg(long, value_name = "OPTION", alias = "dns-opt")]
    pub dns_option: Vec<String>,
    /// When the pod's last container exits: continue (the infra keeps running; the pod shows
    /// as Degraded) or stop (the infra is stopped too; the pod shows as Exited)
    #[arg(long, value_name = "POLICY", default_value = "continue")]
    pub exit_policy: String,
}

#[derive(Debug, Args)]
pub struct PodPsArgs {
    /// Print only pod ids
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not truncate ids
    #[arg(long)]
    pub no_trunc: bool,
    /// Output format: table (default), json, or a Go template such as '{{.ID}} {{.Name}} {{.Status}}'
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Filter: name=, id=, status=, label=KEY[=VALUE] (repeat: all must match)
    #[arg(short, long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Do not print the header line
    #[arg(long)]
    pub noheading: bool,
}

#[derive(Debug, Args)]
pub struct PodInspectArgs {
    /// Pods
    #[arg(value_name = "POD", required = true, add = ArgValueCompleter::new(complete::pods))]
    pub pods: Vec<String>,
    /// Output format: json (default) or a Go template such as '{{.State}}'
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct PodsArgs {
    /// Pods
    #[arg(value_name = "POD", required_unless_present = "all", add = ArgValueCompleter::new(complete::pods))]
    pub pods: Vec<String>,
    /// All pods
    #[arg(short, long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct PodStopArgs {
    /// Pods
    #[arg(value_name = "POD", required_unless_present = "all", add = ArgValueCompleter::new(complete::pods))]
    pub pods: Vec<String>,
    /// All pods
    #[arg(short, long)]
    pub all: bool,
    /// Seconds to wait before killing (default: each container's stop timeout)
    #[arg(short = 't', long = "time", visible_alias = "timeout", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// A pod that does not exist is no error
    #[arg(short, long)]
    pub ignore: bool,
}

#[derive(Debug, Args)]
pub struct PodKillArgs {
    /// Pods
    #[arg(value_name = "POD", required_unless_present = "all", add = ArgValueCompleter::new(complete::pods))]
    pub pods: Vec<String>,
    /// All pods
    #[arg(short, long)]
    pub all: bool,
    /// Signal to send (name or number)
    #[arg(
        short,
        long,
        value_name = "SIGNAL",
        default_value = "KILL",
        allow_hyphen_values = true
    )]
    pub signal: String,
}

#[derive(Debug, Args)]
pub struct PodRmArgs {
    /// Pods
    #[arg(value_name = "POD", required_unless_present = "all", add = ArgValueCompleter::new(complete::pods))]
    pub pods: Vec<String>,
    /// All pods
    #[arg(short, long)]
    pub all: bool,
    /// Stop running containers first; a missing pod is no error
    #[arg(short, long)]
    pub force: bool,
    /// With -f: seconds a running container gets after its stop signal before SIGKILL (default: SIGKILL at once)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// A pod that does not exist is no error
    #[arg(short, long)]
    pub ignore: bool,
}

#[derive(Debug, Args)]
pub struct PodExistsArgs {
    /// Pod
    #[arg(value_name = "POD", add = ArgValueCompleter::new(complete::pods))]
    pub pod: String,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum KubeCommand {
    /// Create and start the pods of a Kubernetes YAML file (Pod, Deployment, ConfigMap, Secret, PersistentVolumeClaim)
    #[command(after_help = KUBE_PLAY_HELP)]
    Play(KubePlayArgs),
    /// Remove the pods a YAML file made with kube play (volumes stay)
    Down(KubeDownArgs),
    /// Write Kubernetes Pod (and Service) YAML for pods and containers
    #[command(
        after_help = "Examples:\n  hutch kube generate app > app.yaml\n  hutch kube generate -s -f app.yaml app"
    )]
    Generate(KubeGenerateArgs),
}

const KUBE_PLAY_HELP: &str = "Examples:
  hutch kube play app.yaml
  hutch kube play --replace app.yaml
  hutch kube generate app | hutch kube play --replace -
  hutch kube down app.yaml

Each Pod (or Deployment, as one pod named NAME-pod) becomes a pod whose containers are named
POD-CONTAINER; hostPort entries are published on the pod, PersistentVolumeClaims are named
volumes (kept by kube down), ConfigMaps and Secrets are environment variables or read-only
files. Fields hutch does not support are named in a warning and ignored.";

#[derive(Debug, Args)]
pub struct KubePlayArgs {
    /// The YAML file, an http(s):// URL, or - for stdin
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: String,
    /// Remove pods of the same names first
    #[arg(long)]
    pub replace: bool,
    /// Remove the file's pods instead (as kube down)
    #[arg(long)]
    pub down: bool,
    /// Start the pods (false: only create them)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true, default_value = "true", action = clap::ArgAction::Set)]
    pub start: bool,
    /// Network mode of the pods: pasta, slirp4netns, none, host
    #[arg(long, visible_alias = "net", value_name = "MODE", add = ArgValueCompleter::new(complete::networks))]
    pub network: Option<String>,
    /// Add an annotation KEY=VALUE to every container (values longer than 63 characters are
    /// refused, as Podman's kube play does)
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Build each container's image from CONTEXT_DIR/NAME/Containerfile (or Dockerfile), NAME
    /// being the image's last path component without its tag: true builds even when the
    /// image exists; false never builds; without the flag, a missing image is built when its
    /// directory exists
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true, action = clap::ArgAction::Set)]
    pub build: Option<bool>,
    /// Where --build looks for the images' directories (default: the current directory)
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub context_dir: Option<PathBuf>,
    /// Also make a service container (named after the first 12 hex digits of the file's
    /// sha256, `-service` added, from the pause image, no network), started with the pods,
    /// stopped once none of them runs, refused by rm and removed with the last of them (kube
    /// down, pod rm), as Podman's
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true, default_value = "false", action = clap::ArgAction::Set)]
    pub service_container: bool,
}

#[derive(Debug, Args)]
pub struct KubeDownArgs {
    /// The YAML file or URL kube play was given, or - for stdin
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: String,
}

#[derive(Debug, Args)]
pub struct KubeGenerateArgs {
    /// Pods or containers (a container becomes a pod of one, NAME-pod)
    #[arg(value_name = "POD|CONTAINER", required = true, add = ArgValueCompleter::new(complete::pods))]
    pub targets: Vec<String>,
    /// Also write a Service for the published ports
    #[arg(short, long)]
    pub service: bool,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub filename: Option<PathBuf>,
}

const EVENTS_HELP: &str = "Every verb that changes a container (create, init, start, died, stop, kill, remove, rename,
exec, restart) or an image (pull, push, save, loadfromarchive, import, tag, untag, remove)
appends an event to the event log: <runroot>/events/events.log, or containers.conf's
[engine] events_logfile_path (JSON lines in Podman's file-backend format). The log keeps
its newer half once it would pass events_logfile_max_size (default 1 MB; 0: no limit) and
records a system log-rotation event. With --events-backend none nothing is written, and
`events` is an error.

Output: `TIME TYPE STATUS ID (image=…, name=…, LABEL=VALUE…)` for containers,
`TIME image STATUS ID NAME` for images. Templates see .ID, .Image, .Name, .Status, .Time,
.Type, .Attributes (a container's labels), .ContainerExitCode (died), .Network, .PodID.

Filters (values of one key are alternatives, every key must match): container=NAME|ID,
event=STATUS (also status=), image=NAME|ID, label=KEY[=VALUE], network=, pod=, type=container|
image|network|pod|system|volume, volume=.

Examples:
  hutch events --stream=false --filter type=container --filter event=died
  hutch events --since 10m --format '{{.Status}} {{.Name}}'
  hutch events --filter container=web";

// `hutch events`. (Plain comments on these structs: a doc comment would become the
// subcommand's about, over the variant's, once its arguments are added, which `defer` does
// after the variant's attributes.)
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events matching KEY=VALUE (see below)
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// json (one JSON object per line, as in the log) or a Go template
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Events after this time: unix seconds, RFC 3339, or a duration back from now (10m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Events before this time (as --since); with streaming, stop there
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Keep following the log for new events (false: print the past ones and exit)
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1, default_missing_value = "true", require_equals = true, action = clap::ArgAction::Set)]
    pub stream: bool,
    /// Full ids (false: the first 12 characters); templates always get full ids
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1, default_missing_value = "true", require_equals = true, action = clap::ArgAction::Set)]
    pub no_trunc: bool,
}

// More `run`/`create` flags Podman scripts use (issue 15): resource limits (which need cgroup
// controllers a rootless user rarely has) and inherited file descriptors. (Not a doc comment:
// see EventsArgs.)
#[derive(Debug, Args)]
pub struct RunMoreArgs {
    /// Memory limit (e.g. 512m); see "Resource limits" below
    #[arg(short = 'm', long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Memory soft limit
    #[arg(long, value_name = "SIZE")]
    pub memory_reservation: Option<String>,
    /// Memory plus swap limit (-1: unlimited)
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Swappiness of the container's memory (0-100)
    #[arg(long, value_name = "N")]
    pub memory_swappiness: Option<String>,
    /// Kernel memory limit (ignored by current kernels)
    #[arg(long, value_name = "SIZE")]
    pub kernel_memory: Option<String>,
    /// Number of CPUs (e.g. 1.5)
    #[arg(long, value_name = "N")]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(long, value_name = "N")]
    pub cpu_shares: Option<String>,
    /// CPU CFS period in microseconds
    #[arg(long, value_name = "US")]
    pub cpu_period: Option<String>,
    /// CPU CFS quota in microseconds
    #[arg(long, value_name = "US", allow_hyphen_values = true)]
    pub cpu_quota: Option<String>,
    /// CPUs the container may use (0-3, 0,1)
    #[arg(long, value_name = "CPUS")]
    pub cpuset_cpus: Option<String>,
    /// Memory nodes the container may use
    #[arg(long, value_name = "NODES")]
    pub cpuset_mems: Option<String>,
    /// Maximum number of processes (-1: unlimited)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// Block I/O weight (10-1000)
    #[arg(long, value_name = "N")]
    pub blkio_weight: Option<String>,
    /// Pass N more file descriptors (3 to 3+N-1) from hutch's caller to the container
    #[arg(long, value_name = "N")]
    pub preserve_fds: Option<u32>,
    /// Add a supplementary group to the container's processes (and its execs): a gid, or a name
    /// in the container's /etc/group; `keep-groups` instead keeps your own supplementary groups
    /// (they show as the overflow group inside), alone; repeatable
    #[arg(long, value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// Give the container a secret (see `hutch secret create`): a read-only file, by default
    /// /run/secrets/NAME (target=PATH: relative to /run/secrets, or absolute; mode=0444 by
    /// default), or with type=env an environment variable (target=VAR, default NAME); the
    /// content is copied at create; repeatable
    #[arg(long, value_name = "NAME[,type=mount|env][,target=T][,mode=M]")]
    pub secret: Vec<String>,
    /// Show only these of a foreground container's streams (stdin, stdout, stderr; repeatable);
    /// both output streams are still logged. With neither stdout nor stderr, the container id
    /// is printed
    #[arg(short = 'a', long, value_name = "STREAM", value_parser = ["stdin", "stdout", "stderr"], conflicts_with = "detach")]
    pub attach: Vec<String>,
}

impl RunMoreArgs {
    /// The resource-limit flags given, as `--flag`s.
    pub fn limits(&self) -> Vec<&'static str> {
        [
            ("--memory", &self.memory),
            ("--memory-reservation", &self.memory_reservation),
            ("--memory-swap", &self.memory_swap),
            ("--memory-swappiness", &self.memory_swappiness),
            ("--kernel-memory", &self.kernel_memory),
            ("--cpus", &self.cpus),
            ("--cpu-shares", &self.cpu_shares),
            ("--cpu-period", &self.cpu_period),
            ("--cpu-quota", &self.cpu_quota),
            ("--cpuset-cpus", &self.cpuset_cpus),
            ("--cpuset-mems", &self.cpuset_mems),
            ("--pids-limit", &self.pids_limit),
            ("--blkio-weight", &self.blkio_weight),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| n)
        .collect()
    }
}
