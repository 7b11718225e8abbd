//! Command-line definitions (clap types only: names, help, value parsers). No file system, no
//! syscalls: man pages and completions are generated from these same definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "Environment:
  XDG_DATA_HOME       image store: $XDG_DATA_HOME/hutch (default ~/.local/share/hutch)
  XDG_RUNTIME_DIR     live state: $XDG_RUNTIME_DIR/hutch (fallback /tmp/hutch-$UID)
  XDG_CONFIG_HOME     containers/registries.conf, containers/auth.json, containers/certs.d
  REGISTRY_AUTH_FILE  credentials file to use instead of the default auth.json locations
  CONTAINERS_REGISTRIES_CONF  registries.conf to use instead of the default ones

Exit status: 0 success, 125 hutch failed (bad input, unknown image, registry errors).";

/// Rootless, daemonless containers.
#[derive(Debug, Parser)]
#[command(name = "hutch", version, about = "Rootless, daemonless containers: pull OCI images and run them without root", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull an image from a registry
    #[command(after_help = "Examples:\n  hutch pull alpine\n  hutch pull --platform linux/arm64 quay.io/org/app:1.2\n  hutch pull --tls-verify=false localhost:5000/app@sha256:…")]
    Pull(PullArgs),
    /// List images in local storage
    #[command(visible_alias = "image-list", after_help = "Examples:\n  hutch images\n  hutch images -q\n  hutch images --format json\n  hutch images --format '{{.Repository}}:{{.Tag}} {{.ID}}'")]
    Images(ImagesArgs),
    /// Remove one or more images
    #[command(after_help = "Examples:\n  hutch rmi alpine\n  hutch rmi -f 3f57d9401f8d\n  hutch rmi -a")]
    Rmi(RmiArgs),
    /// Add names to a local image
    #[command(after_help = "Examples:\n  hutch tag alpine myalpine:v1\n  hutch tag 3f57d9401f8d localhost/app:latest")]
    Tag(TagArgs),
    /// Show details of images as JSON
    #[command(after_help = "Examples:\n  hutch inspect alpine\n  hutch inspect --format '{{.Id}}' alpine")]
    Inspect(InspectArgs),
    /// Manage images
    #[command(subcommand)]
    Image(ImageCommand),
    /// Log in to a registry
    #[command(after_help = "Examples:\n  hutch login quay.io\n  echo \"$TOKEN\" | hutch login -u me --password-stdin registry.example.com:5000")]
    Login(LoginArgs),
    /// Log out of a registry
    #[command(after_help = "Examples:\n  hutch logout quay.io\n  hutch logout --all")]
    Logout(LogoutArgs),
    /// Show version information
    Version(VersionArgs),
    /// Show what hutch found on this system: store, id mappings, helpers, cgroups
    #[command(after_help = "Examples:\n  hutch info\n  hutch info --format json\n  hutch info --format '{{.store.graphRoot}}'")]
    Info(InfoArgs),
    /// Generate man pages or shell completions from these definitions
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// List images in local storage
    #[command(visible_alias = "list")]
    Ls(ImagesArgs),
    /// Pull an image from a registry
    Pull(PullArgs),
    /// Remove one or more images
    Rm(RmiArgs),
    /// Add names to a local image
    Tag(TagArgs),
    /// Show details of images as JSON
    Inspect(InspectArgs),
    /// Remove unused images, layers and blobs
    #[command(after_help = "Examples:\n  hutch image prune\n  hutch image prune -a")]
    Prune(PruneArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Require HTTPS and verify certificates (default: as registries.conf says)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub tls_verify: Option<bool>,
    /// Path of the authentication file (default: REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json)
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<PathBuf>,
    /// Credentials USERNAME[:PASSWORD] for the registry
    #[arg(long, value_name = "USER[:PASS]")]
    pub creds: Option<String>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Image reference, e.g. alpine, quay.io/org/app:tag or host:port/name@sha256:…
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
    #[arg(value_name = "IMAGE")]
    pub filter: Option<String>,
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
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Images to remove (names or ids)
    #[arg(value_name = "IMAGE", required_unless_present = "all")]
    pub images: Vec<String>,
    /// Remove all images
    #[arg(short, long)]
    pub all: bool,
    /// Remove the image even when it has several names or is used by containers
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The image to name
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// New names
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Images to inspect
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
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
    #[arg(long, value_name = "PATH")]
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
    #[arg(long, value_name = "PATH")]
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
    /// What to generate: man or completions
    #[arg(value_parser = ["man", "completions"])]
    pub what: String,
    /// Output directory
    pub dir: PathBuf,
}
