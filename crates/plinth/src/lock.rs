//! The locking pipeline shared by `compile`, `upgrade`, `check` and `why`:
//! inputs → target → resolution → rendered lockfile (not yet written).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, bail};
use jiff::Timestamp;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use plinth_index::{
    Cache, ClientOptions, FileOptions, IndexClient, IndexSource, PackageSelection, Target, redact,
};
use plinth_requirements::{
    AnnotationStyle, Entry, LockedPackage, RenderOptions, RequirementsFile, Via, parse_file,
    render_lockfile,
};
use plinth_resolver::{Resolution, ResolveError, ResolveOptions, RootRequirement, resolve};
use url::Url;

use crate::Failure;
use crate::cli::{self, CompileArgs};
use crate::interpreter::resolve_target;
use crate::lockfile::Existing;
use crate::paths::{absolute, relative_to};
use crate::printer::Printer;

const PYPI: &str = "https://pypi.org/simple";

/// Where the lockfile goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

/// Which existing pins to forget.
#[derive(Debug, Clone)]
pub enum Upgrade {
    /// Keep every pin that is still allowed.
    Nothing,
    /// Forget every pin.
    All,
    /// Forget these packages' pins, moving each within its specifiers.
    Packages(Vec<Requirement>),
}

impl Upgrade {
    /// `-U` / `-P NAME[SPEC]` of the command line, plus `upgrade --package`.
    pub fn from_args(all: bool, packages: &[String]) -> anyhow::Result<Self> {
        if all {
            return Ok(Upgrade::All);
        }
        if packages.is_empty() {
            return Ok(Upgrade::Nothing);
        }
        let requirements = packages
            .iter()
            .map(|text| {
                Requirement::from_str(text).map_err(|error| {
                    anyhow::anyhow!(
                        "Invalid package to upgrade `{text}`: {}",
                        first_line(&error.to_string())
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Upgrade::Packages(requirements))
    }

    fn forgets(&self, name: &PackageName) -> bool {
        match self {
            Upgrade::Nothing => false,
            Upgrade::All => true,
            Upgrade::Packages(requirements) => requirements
                .iter()
                .any(|requirement| requirement.name == *name),
        }
    }
}

/// What the command line asks of one locking run.
pub struct Request<'a> {
    pub args: &'a CompileArgs,
    pub upgrade: Upgrade,
    /// Reuse every option recorded in the existing lockfile's header that the
    /// command line does not give (`check`, `why`); otherwise only the target.
    pub reuse_recorded: bool,
    /// Warn about each kept pin that had to move (`compile`: nobody asked).
    pub warn_moved_pins: bool,
}

/// A finished resolution, rendered but not written.
pub struct Lock {
    pub output: Output,
    pub content: String,
    pub resolution: Resolution,
    pub existing: Option<Existing>,
}

pub fn lock(request: &Request<'_>, printer: &Printer) -> anyhow::Result<Lock> {
    let started = Instant::now();
    let cwd = std::env::current_dir().context("Failed to read the current directory")?;
    let sources = sources(request.args);
    let output = output_path(request.args, &sources)?;
    let existing = match &output {
        Output::File(path) => Existing::read(path, printer),
        Output::Stdout => None,
    };
    let recorded = existing
        .as_ref()
        .and_then(|existing| existing.recorded.as_ref());
    let args = &effective_args(request.args, recorded, request.reuse_recorded);
    let sources = self::sources(args);

    // Inputs.
    let mut input = RequirementsFile::default();
    for source in &sources {
        let parsed = parse_file(source).map_err(|error| anyhow::anyhow!("{error}"))?;
        merge(&mut input, parsed);
    }
    let output_dir = match &output {
        Output::File(path) => absolute(&cwd, path)
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_path_buf),
        Output::Stdout => cwd.clone(),
    };
    let root = |prefix: &str, entry: &Entry| {
        let path = relative_to(&absolute(&cwd, &entry.origin.path), &output_dir);
        RootRequirement {
            requirement: entry.requirement.clone(),
            source: format!("{prefix} {path}"),
            origin: format!("{path}:{}", entry.origin.line),
        }
    };
    let requirements: Vec<RootRequirement> = input
        .requirements
        .iter()
        .map(|entry| root("-r", entry))
        .collect();
    let mut constraints: Vec<RootRequirement> = input
        .constraints
        .iter()
        .map(|entry| root("-c", entry))
        .collect();
    for root in requirements.iter().chain(&constraints) {
        if let Some(VersionOrUrl::Url(url)) = &root.requirement.version_or_url {
            bail!(
                "Direct URL requirements are not supported yet: `{} @ {}` ({})",
                root.requirement.name,
                url,
                root.origin
            );
        }
    }
    if let Upgrade::Packages(packages) = &request.upgrade {
        constraints.extend(
            packages
                .iter()
                .filter(|package| package.version_or_url.is_some())
                .map(|package| RootRequirement {
                    requirement: package.clone(),
                    source: String::new(),
                    origin: "--upgrade-package".to_string(),
                }),
        );
    }

    // Target, indexes, options.
    let target = resolve_target(&args.target)?;
    let markers = target
        .markers()
        .map_err(|error| anyhow::anyhow!("Invalid target Python version: {error}"))?;
    let exclude_newer = args
        .exclude_newer
        .as_deref()
        .map(parse_exclude_newer)
        .transpose()?;
    let indexes = index_urls(args, &input)?;
    let build = (!args.no_build).then(|| {
        let mut options = plinth_build::BuildOptions::new(target.python_version.clone());
        options.timeout = std::time::Duration::from_secs(args.build_timeout);
        // Build requirements come from the main index, as pip does.
        options.index_url = indexes
            .first()
            .filter(|url| url.as_str().trim_end_matches('/') != PYPI)
            .map(ToString::to_string);
        options
    });
    let file_options = FileOptions {
        exclude_newer,
        no_binary: selection(&args.no_binary)?,
        only_binary: selection(&args.only_binary)?,
        build,
    };
    let preferences: BTreeMap<_, _> = existing
        .iter()
        .flat_map(|existing| &existing.pins)
        .filter(|(name, _)| !request.upgrade.forgets(name))
        .map(|(name, pin)| (name.clone(), pin.version.clone()))
        .collect();

    // Resolve.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    let mut client_options = ClientOptions::new(indexes.clone());
    client_options.cache = cache(&args.cache);
    client_options.offline = args.cache.offline;
    client_options.retries = args.index.retries;
    client_options.concurrency = args.index.concurrency as usize;
    if args.cache.offline && client_options.cache.is_none() {
        bail!(
            "`--offline` needs a cache, but there is none\n  hint: drop `--no-cache`, or set `--cache-dir`"
        );
    }
    let client = IndexClient::new(client_options)?;
    let source = IndexSource::new(
        client.clone(),
        target.clone(),
        file_options,
        runtime.handle().clone(),
    );
    let options = ResolveOptions {
        markers,
        python_version: target.python_version.clone(),
        prereleases: args.pre || input.pre,
        preferences: preferences.clone(),
    };
    let resolution = printer
        .with_progress("Resolving dependencies", || {
            resolve(&source, &requirements, &constraints, &options)
        })
        .map_err(|error| match error {
            ResolveError::NoSolution { report, hints } => {
                let mut message = format!(
                    "error: No solution found when resolving dependencies:\n  {}",
                    report.replace('\n', "\n  ")
                );
                for hint in hints {
                    message.push_str(&format!("\n  hint: {hint}"));
                }
                anyhow::Error::new(Failure { code: 1, message })
            }
            other => anyhow::Error::new(other),
        })?;
    for warning in &resolution.warnings {
        printer.warn(warning);
    }
    if let Output::File(path) = &output
        && request.warn_moved_pins
    {
        for package in &resolution.packages {
            if let Some(pinned) = preferences.get(&package.name)
                && *pinned != package.version
            {
                let yanked = plinth_resolver::PackageSource::versions(&source, &package.name)
                    .ok()
                    .and_then(|versions| versions.versions.get(pinned)?.yanked.clone());
                let why = match yanked.as_deref() {
                    Some("") => "was yanked".to_string(),
                    Some(reason) => format!("was yanked (reason: {reason})"),
                    None => "no longer fits".to_string(),
                };
                printer.warn(&format!(
                    "The pin `{}=={pinned}` in `{}` {why}; it moves to {}",
                    package.name,
                    path.display(),
                    package.version
                ));
            }
        }
    }

    // Render. Hashes of pins that did not change are kept from the old file.
    let hashes = if args.generate_hashes {
        let kept = |package: &plinth_resolver::ResolvedPackage| {
            existing
                .as_ref()
                .and_then(|existing| existing.pins.get(&package.name))
                .filter(|pin| pin.version == package.version && !pin.hashes.is_empty())
                .map(|pin| pin.hashes.clone())
        };
        runtime.block_on(all_hashes(&source, &resolution.packages, kept))?
    } else {
        vec![Vec::new(); resolution.packages.len()]
    };
    let packages: Vec<LockedPackage> = resolution
        .packages
        .iter()
        .zip(hashes)
        .map(|(package, hashes)| LockedPackage {
            name: package.name.clone(),
            version: package.version.clone(),
            hashes,
            via: package
                .sources
                .iter()
                .map(|source| match source.split_once(' ') {
                    Some(("-c", path)) => Via::Constraints(path.to_string()),
                    Some((_, path)) => Via::Requirements(path.to_string()),
                    None => Via::Requirements(source.clone()),
                })
                .chain(package.required_by.iter().cloned().map(Via::Package))
                .collect(),
        })
        .collect();
    let header_command =
        (!args.no_header).then(|| header(args, &sources, &target, exclude_newer, &indexes));
    let content = render_lockfile(
        &packages,
        &RenderOptions {
            header_command,
            annotate: !args.no_annotate,
            annotation_style: match args.annotation_style {
                cli::AnnotationStyle::Split => AnnotationStyle::Split,
                cli::AnnotationStyle::Line => AnnotationStyle::Line,
            },
        },
    );
    printer.status(&format!(
        "Resolved {} {} in {:.2}s",
        packages.len(),
        if packages.len() == 1 {
            "package"
        } else {
            "packages"
        },
        started.elapsed().as_secs_f64()
    ));
    let stats = client.stats();
    printer.verbose(&format!(
        "Made {} HTTP requests, received {} KiB",
        stats.requests,
        stats.bytes / 1024
    ));
    Ok(Lock {
        output,
        content,
        resolution,
        existing,
    })
}

fn sources(args: &CompileArgs) -> Vec<PathBuf> {
    if args.src.is_empty() {
        vec![PathBuf::from("requirements.in")]
    } else {
        args.src.clone()
    }
}

/// The command line's options, completed from those recorded in the existing
/// lockfile's header: always the target, and with `reuse_all` everything.
fn effective_args(
    cli: &CompileArgs,
    recorded: Option<&CompileArgs>,
    reuse_all: bool,
) -> CompileArgs {
    let mut args = cli.clone();
    let Some(recorded) = recorded else {
        return args;
    };
    args.target.python_version = args
        .target
        .python_version
        .or(recorded.target.python_version.clone());
    args.target.python_platform = args
        .target
        .python_platform
        .or(recorded.target.python_platform.clone());
    if reuse_all {
        if args.src.is_empty() {
            args.src = recorded.src.clone();
        }
        args.exclude_newer = args.exclude_newer.or(recorded.exclude_newer.clone());
        args.index.index_url = args.index.index_url.or(recorded.index.index_url.clone());
        if args.index.extra_index_url.is_empty() {
            args.index.extra_index_url = recorded.index.extra_index_url.clone();
        }
        args.pre |= recorded.pre;
        args.no_build |= recorded.no_build;
        args.generate_hashes |= recorded.generate_hashes;
        args.no_annotate |= recorded.no_annotate;
        if args.annotation_style == cli::AnnotationStyle::Split {
            args.annotation_style = recorded.annotation_style;
        }
        if args.no_binary.is_empty() {
            args.no_binary = recorded.no_binary.clone();
        }
        if args.only_binary.is_empty() {
            args.only_binary = recorded.only_binary.clone();
        }
    }
    args
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// `sha256:` hashes of every file of each pinned version, fetched concurrently.
async fn all_hashes(
    source: &IndexSource,
    packages: &[plinth_resolver::ResolvedPackage],
    kept: impl Fn(&plinth_resolver::ResolvedPackage) -> Option<Vec<String>>,
) -> anyhow::Result<Vec<Vec<String>>> {
    let fetches = packages.iter().map(|package| {
        let kept = kept(package);
        async move {
            match kept {
                Some(hashes) => Ok(hashes),
                None => source.hashes(&package.name, &package.version).await,
            }
        }
    });
    let results = futures::future::join_all(fetches).await;
    packages
        .iter()
        .zip(results)
        .map(|(package, hashes)| {
            hashes.with_context(|| {
                format!(
                    "Failed to get the hashes of `{}=={}`",
                    package.name, package.version
                )
            })
        })
        .collect()
}

/// The lockfile path: `-o`, else the first SRC with `.txt`.
fn output_path(args: &CompileArgs, sources: &[PathBuf]) -> anyhow::Result<Output> {
    if let Some(path) = &args.output_file {
        return Ok(if path == Path::new("-") {
            Output::Stdout
        } else {
            Output::File(path.clone())
        });
    }
    let first = &sources[0];
    let derived = first.with_extension("txt");
    if derived == *first {
        bail!(
            "The output file would overwrite the input `{}`\n  hint: name the output with `-o FILE`",
            first.display()
        );
    }
    Ok(Output::File(derived))
}

fn merge(into: &mut RequirementsFile, from: RequirementsFile) {
    into.requirements.extend(from.requirements);
    into.constraints.extend(from.constraints);
    if into.index_url.is_none() {
        into.index_url = from.index_url;
    }
    into.extra_index_urls.extend(from.extra_index_urls);
    into.pre |= from.pre;
}

/// `--index-url` (command line, else input file, else PyPI), then the extra indexes.
fn index_urls(args: &CompileArgs, input: &RequirementsFile) -> anyhow::Result<Vec<Url>> {
    let main = args
        .index
        .index_url
        .clone()
        .or_else(|| input.index_url.as_ref().map(|url| url.value.clone()))
        .unwrap_or_else(|| PYPI.to_string());
    let extras = args
        .index
        .extra_index_url
        .iter()
        .cloned()
        .chain(input.extra_index_urls.iter().map(|url| url.value.clone()));
    let mut urls: Vec<Url> = Vec::new();
    for text in std::iter::once(main).chain(extras) {
        let url = Url::parse(&text).map_err(|error| {
            anyhow::anyhow!("Invalid index URL `{}`: {error}", redact_text(&text))
        })?;
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    Ok(urls)
}

/// An index URL as given, without credentials, for messages and the header.
fn redact_text(text: &str) -> String {
    Url::parse(text).map_or_else(|_| "<invalid URL>".to_string(), |url| redact(&url))
}

fn cache(args: &cli::CacheArgs) -> Option<Cache> {
    if args.no_cache {
        return None;
    }
    let dir = args
        .cache_dir
        .clone()
        .or_else(|| dirs::cache_dir().map(|dir| dir.join("plinth")))?;
    Some(Cache::new(dir))
}

fn selection(names: &[String]) -> anyhow::Result<PackageSelection> {
    let mut selection = PackageSelection::default();
    for name in names {
        match name.as_str() {
            ":all:" => selection.all = true,
            ":none:" => {
                selection.all = false;
                selection.packages.clear();
            }
            _ => {
                let name = PackageName::from_str(name)
                    .map_err(|error| anyhow::anyhow!("Invalid package name `{name}`: {error}"))?;
                selection.packages.insert(name);
            }
        }
    }
    Ok(selection)
}

/// `--exclude-newer`: an RFC 3339 timestamp, or a date (its midnight UTC).
fn parse_exclude_newer(text: &str) -> anyhow::Result<Timestamp> {
    if let Ok(timestamp) = Timestamp::from_str(text) {
        return Ok(timestamp);
    }
    if let Ok(date) = jiff::civil::Date::from_str(text)
        && let Ok(zoned) = date.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(zoned.timestamp());
    }
    bail!(
        "Invalid `--exclude-newer` `{text}`\n  hint: give an RFC 3339 timestamp (`2026-11-01T00:00:00Z`) or a date (`2026-11-01`)"
    )
}

/// The command that reproduces this lockfile: inputs, then every option that
/// changes the result, with the target and cutoff that were in effect.
fn header(
    args: &CompileArgs,
    sources: &[PathBuf],
    target: &Target,
    exclude_newer: Option<Timestamp>,
    indexes: &[Url],
) -> String {
    let mut parts = vec!["plinth".to_string(), "compile".to_string()];
    parts.extend(
        sources
            .iter()
            .map(|source| shell_quote(&source.display().to_string())),
    );
    if let Some(output) = &args.output_file {
        parts.push(format!("-o {}", shell_quote(&output.display().to_string())));
    }
    if let Some((main, extras)) = indexes.split_first() {
        if main.as_str().trim_end_matches('/') != PYPI {
            parts.push(format!("--index-url {}", redact(main)));
        }
        for extra in extras {
            parts.push(format!("--extra-index-url {}", redact(extra)));
        }
    }
    parts.push(format!("--python-version {}", target.python_version));
    parts.push(format!("--python-platform {}", target.platform));
    if let Some(cutoff) = exclude_newer {
        parts.push(format!("--exclude-newer {cutoff}"));
    }
    if args.pre {
        parts.push("--pre".to_string());
    }
    if args.no_build {
        parts.push("--no-build".to_string());
    }
    if args.generate_hashes {
        parts.push("--generate-hashes".to_string());
    }
    for name in &args.no_binary {
        parts.push(format!("--no-binary {name}"));
    }
    for name in &args.only_binary {
        parts.push(format!("--only-binary {name}"));
    }
    if args.no_annotate {
        parts.push("--no-annotate".to_string());
    }
    if args.annotation_style == cli::AnnotationStyle::Line {
        parts.push("--annotation-style line".to_string());
    }
    parts.join(" ")
}

/// A word the header's command can be split back into (single quotes when needed).
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+@,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
