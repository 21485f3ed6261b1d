//! The command line: every flag and its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Pinned, annotated requirements.txt lockfiles for reproducible Python images.
#[derive(Debug, Parser)]
#[command(name = "plinth", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve requirements.in files into a pinned requirements.txt.
    Compile(CompileArgs),
    /// Move pinned packages to their newest allowed versions (all, or those named).
    Upgrade(UpgradeArgs),
    /// Exit 1 when requirements.txt is not what `compile` would write (CI drift check).
    Check(CompileArgs),
    /// Show every path from an input line to a pinned package.
    Why(WhyArgs),
    /// Report what makes a Dockerfile's image build unreproducible (exit 1 on an error).
    LintDocker(LintDockerArgs),
}

#[derive(Debug, Args)]
pub struct LintDockerArgs {
    /// The Dockerfile to check.
    #[arg(value_name = "DOCKERFILE", default_value = "Dockerfile")]
    pub dockerfile: PathBuf,

    /// `text` for people, `json` for bots.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,

    /// Instead of findings, print each `apt-get install` line with every package pinned to its
    /// version in the `Packages` index of the base image's Debian release.
    #[arg(long, conflicts_with = "format")]
    pub pin_apt: bool,

    /// The image platform for `--pin-apt`: `linux/amd64` (default) or `linux/arm64`; overrides
    /// `FROM --platform=...`.
    #[arg(long, value_name = "OS/ARCH", requires = "pin_apt")]
    pub platform: Option<String>,

    /// The Debian mirror `--pin-apt` reads `dists/RELEASE/main/binary-ARCH/Packages.gz` from.
    #[arg(
        long,
        value_name = "URL",
        env = crate::env::DEBIAN_MIRROR,
        default_value = crate::docker::apt::DEFAULT_MIRROR
    )]
    pub debian_mirror: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Upgrade only this package, optionally within SPEC (`flask`, `flask<3`; repeatable).
    #[arg(long = "package", value_name = "NAME[SPEC]")]
    pub packages: Vec<String>,

    #[command(flatten)]
    pub compile: CompileArgs,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The pinned package to explain.
    pub name: String,

    #[command(flatten)]
    pub compile: CompileArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CompileArgs {
    /// Input files: requirements files, `-` for stdin, `pyproject.toml`, `setup.py`, `setup.cfg`
    /// (default: the first of `requirements.in`, `setup.py`, `pyproject.toml`, `setup.cfg` here).
    #[arg(value_name = "SRC")]
    pub src: Vec<PathBuf>,

    /// Where to write the lockfile (`-` for stdout). Default: the first SRC with `.txt`
    /// (`requirements.txt` next to a `pyproject.toml`, `setup.py` or `setup.cfg`).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Add the optional dependencies of this extra of the project SRC files (`pyproject.toml`,
    /// `setup.py`, `setup.cfg`; repeatable, comma-separated).
    #[arg(long = "extra", value_name = "NAME", value_delimiter = ',')]
    pub extras: Vec<String>,

    /// Add the optional dependencies of every extra of the project SRC files.
    #[arg(long, conflicts_with = "extras")]
    pub all_extras: bool,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Allow pre-releases of every package.
    #[arg(long)]
    pub pre: bool,

    /// Ignore files uploaded after this instant (RFC 3339 timestamp, or a date meaning its midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub exclude_newer: Option<String>,

    /// Write `--hash=sha256:...` for every file of each pinned version.
    #[arg(long)]
    pub generate_hashes: bool,

    /// Forget every existing pin and take the newest allowed versions.
    #[arg(short = 'U', long)]
    pub upgrade: bool,

    /// Forget the existing pin of this package, optionally moving within SPEC (repeatable).
    #[arg(short = 'P', long, value_name = "NAME[SPEC]")]
    pub upgrade_package: Vec<String>,

    /// Never use wheels of these packages (`:all:` for every package; repeatable, comma-separated).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub no_binary: Vec<String>,

    /// Never use sdists of these packages (`:all:` for every package; repeatable, comma-separated).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub only_binary: Vec<String>,

    /// Never build sdists: a version whose sdist has no static metadata is unusable.
    #[arg(long)]
    pub no_build: bool,

    /// Give up on an sdist metadata build after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub build_timeout: u64,

    /// Leave the header with the reproducing command out.
    #[arg(long)]
    pub no_header: bool,

    /// Leave the `# via` annotations out.
    #[arg(long)]
    pub no_annotate: bool,

    /// `split`: `# via` on lines of their own; `line`: on the pin's line.
    #[arg(long, value_enum, default_value_t = AnnotationStyle::Split)]
    pub annotation_style: AnnotationStyle,

    /// Write the `--index-url` / `--extra-index-url` lines in effect at the top of the lockfile
    /// (without credentials; `${VAR}` references in input files kept as written).
    #[arg(long)]
    pub emit_index_url: bool,

    /// Write the `--find-links` lines in effect at the top of the lockfile (paths relative to it).
    #[arg(long)]
    pub emit_find_links: bool,

    /// Resolve this package but leave its pin out, listed in a comment at the end (repeatable).
    #[arg(long, value_name = "NAME", alias = "unsafe-package")]
    pub no_emit_package: Vec<String>,

    /// Keep the extras in use on pins (`celery[redis]==5.4.0`); they are stripped by default.
    #[arg(long, overrides_with = "strip_extras")]
    pub no_strip_extras: bool,

    /// Strip extras from pins (the default).
    #[arg(long, overrides_with = "no_strip_extras", hide = true)]
    pub strip_extras: bool,

    /// Replace every requirement on a package this file names, from the inputs or any package's
    /// metadata, by the file's requirement on it (uv's overrides; repeatable).
    #[arg(long = "override", value_name = "FILE")]
    pub overrides: Vec<PathBuf>,

    /// Stop a resolution that backtracks more often than this (a package's version chosen again
    /// after a conflict), instead of running for hours.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_backtracks: u64,

    /// One lockfile for a grid of environments: CPython from `--python-version` (default: the
    /// lowest the project SRCs' `Requires-Python` allows, else 3.9) up to 3.14, on
    /// x86_64/aarch64 manylinux_2_28, x86_64/arm64 macOS and x86_64 Windows, each resolved on
    /// its own; pins carry markers where they differ.
    #[arg(long, conflicts_with = "python_platform")]
    pub universal: bool,

    /// Keep only the `--universal` environments where this PEP 508 marker is true
    /// (`sys_platform == 'linux'`; repeatable: an environment is kept when any is true).
    #[arg(long, value_name = "MARKER", requires = "universal")]
    pub environment: Vec<String>,

    /// With `--universal`: exit 1 when some environment has no solution, instead of warning
    /// and leaving it out of the lockfile.
    #[arg(long, requires = "universal")]
    pub require_coverage: bool,

    /// Print the lockfile to stdout instead of writing it.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub cache: CacheArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnnotationStyle {
    Split,
    Line,
}

#[derive(Debug, Clone, Args)]
pub struct IndexArgs {
    /// The package index (PEP 503/691 simple API). Default: PyPI, or `--index-url` in the input.
    #[arg(short = 'i', long, value_name = "URL")]
    pub index_url: Option<String>,

    /// More indexes, after the main one; the first index that has a package wins (repeatable).
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,

    /// `first-index`: take each package from the first index that has it (safe against
    /// dependency confusion); `unsafe-best-match`: merge the versions of every index.
    #[arg(long, value_enum, value_name = "STRATEGY", default_value_t = IndexStrategy::FirstIndex)]
    pub index_strategy: IndexStrategy,

    /// A directory of wheels and sdists, or an HTML page of links to them; its files join the
    /// candidates of each package (repeatable).
    #[arg(short = 'f', long, value_name = "DIR|URL")]
    pub find_links: Vec<String>,

    /// Ignore every index (of the command line and of input files): use `--find-links` only.
    #[arg(long)]
    pub no_index: bool,

    /// Retries of a request after a connection failure, a timeout, 408, 429 or 5xx.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,

    /// Give up on connecting to an index after this many seconds (then retry).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,

    /// Give up on a response that sends nothing for this many seconds (then retry).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout: u64,

    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,

    /// Don't verify TLS certificates of this host (`HOST` or `HOST:PORT`; repeatable).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub allow_insecure_host: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IndexStrategy {
    FirstIndex,
    UnsafeBestMatch,
}

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Target interpreter version, `X.Y` or `X.Y.Z` (default: the `python3` on PATH, as `X.Y`).
    #[arg(long, value_name = "X.Y[.Z]")]
    pub python_version: Option<String>,

    /// Target platform, e.g. `x86_64-manylinux_2_28`, `aarch64-apple-darwin`, `windows` (default: this host).
    #[arg(long, value_name = "NAME")]
    pub python_platform: Option<String>,

    /// Target the official `python` image IMAGE: the Python version and platform from its tag
    /// (`python:3.11-slim-bookworm`, `python:3.12-alpine3.20`; a bare `3.11` is the newest 3.11
    /// patch plinth knows). Instead of `--python-version` and `--python-platform`.
    #[arg(
        long,
        value_name = "IMAGE",
        conflicts_with_all = ["python_version", "python_platform", "dockerfile"]
    )]
    pub target_image: Option<String>,

    /// Target the base image of the Dockerfile stage that runs `pip install` (as `--target-image`).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["python_version", "python_platform"])]
    pub dockerfile: Option<PathBuf>,

    /// The image platform for `--target-image` / `--dockerfile`: `linux/amd64` (default) or
    /// `linux/arm64`; overrides `FROM --platform=...`.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CacheArgs {
    /// Cache directory (default: the user cache directory, or `PLINTH_CACHE_DIR`).
    #[arg(long, value_name = "DIR", env = crate::env::CACHE_DIR)]
    pub cache_dir: Option<PathBuf>,

    /// Use no cache: read nothing from it, write nothing to it.
    #[arg(long, conflicts_with = "offline")]
    pub no_cache: bool,

    /// Use the cache alone: fail when it lacks something instead of asking an index.
    #[arg(long)]
    pub offline: bool,

    /// Revalidate every cached project page with its index, even within its `max-age`.
    #[arg(long, conflicts_with = "offline")]
    pub refresh: bool,

    /// Revalidate the cached project page of NAME with its index (repeatable).
    #[arg(long, value_name = "NAME", conflicts_with = "offline")]
    pub refresh_package: Vec<pep508_rs::PackageName>,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print only warnings and errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Print more about what happens.
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Never draw a progress indicator.
    #[arg(long)]
    pub no_progress: bool,
}
