//! The locking pipeline shared by `compile`, `upgrade`, `check` and `why`:
//! inputs → target → resolution → rendered lockfile (not yet written).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use jiff::Timestamp;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use plinth_index::{
    Cache, ClientOptions, FileOptions, IndexClient, IndexSource, IndexStrategy, PackageSelection,
    Refresh, Target, WheelInstaller, redact, strip_credentials,
};
use plinth_requirements::{
    AnnotationStyle, Entry, LockedPackage, RenderOptions, RequirementsFile, Via, render_lockfile,
};
use plinth_resolver::{Resolution, ResolveError, ResolveOptions, RootRequirement, resolve};
use url::Url;

use crate::Failure;
use crate::cli::{self, CompileArgs};
use crate::direct;
use crate::emit;
use crate::inputs::{self, Extras};
use crate::interpreter::resolve_target;
use crate::lockfile::Existing;
use crate::paths::{absolute, relative_to};
use crate::printer::Printer;

pub(crate) const PYPI: &str = "https://pypi.org/simple";

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
    /// Packages resolved but left out of the lockfile (`--no-emit-package`).
    pub no_emit: BTreeSet<PackageName>,
    /// A `--universal` lockfile (a package may have several pins, with
    /// markers): what each environment chose.
    pub universal: Option<crate::universal::Coverage>,
}

impl Lock {
    /// The resolution as the lockfile pins it: without the packages left out,
    /// which are never among the old pins either.
    pub fn pinned(&self) -> Resolution {
        let mut resolution = self.resolution.clone();
        resolution
            .packages
            .retain(|package| !self.no_emit.contains(&package.name));
        resolution
    }
}

pub fn lock(request: &Request<'_>, printer: &Printer) -> anyhow::Result<Lock> {
    let started = Instant::now();
    let cwd = std::env::current_dir().context("Failed to read the current directory")?;
    let sources = sources(request.args);
    let output = output_path(request.args, &sources)?;
    let mut existing = match &output {
        Output::File(path) => Existing::read(path, printer),
        Output::Stdout => None,
    };
    let recorded = existing
        .as_ref()
        .and_then(|existing| existing.recorded.as_ref());
    let args = &effective_args(request.args, recorded, request.reuse_recorded);
    let sources = self::sources(args);

    // Inputs.
    let extras = Extras::from_args(&args.extras, args.all_extras)?;
    let mut input = RequirementsFile::default();
    let mut projects = Vec::new();
    for source in &sources {
        match inputs::read(source, &extras)? {
            inputs::Source::Requirements(parsed) => merge(&mut input, parsed),
            inputs::Source::Project(project) => projects.push(project),
        }
    }
    let output_dir = match &output {
        Output::File(path) => absolute(&cwd, path)
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_path_buf),
        Output::Stdout => cwd.clone(),
    };
    // An input's path as `# via` shows it: relative to the output file; stdin as `-`.
    let display = |path: &Path| {
        if path == Path::new(inputs::STDIN) {
            inputs::STDIN.to_string()
        } else {
            relative_to(&absolute(&cwd, path), &output_dir)
        }
    };
    let root = |prefix: &str, entry: &Entry| {
        let path = display(&entry.origin.path);
        RootRequirement {
            requirement: entry.requirement.clone(),
            source: format!("{prefix} {path}"),
            origin: format!("{path}:{}", entry.origin.line),
        }
    };
    let mut requirements: Vec<RootRequirement> = input
        .requirements
        .iter()
        .map(|entry| root("-r", entry))
        .collect();
    let mut constraints: Vec<RootRequirement> = input
        .constraints
        .iter()
        .map(|entry| root("-c", entry))
        .collect();
    let overrides = overrides(args, &root, printer)?;
    for root in &constraints {
        if let Some(VersionOrUrl::Url(_)) = &root.requirement.version_or_url {
            bail!(
                "Invalid constraint at `{}`: `{}` is given by URL; constraints name packages and versions\n  hint: put direct references in a requirements file",
                root.origin,
                root.requirement.name
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

    // Indexes, target, options.
    let indexes = index_urls(args, &input)?;
    let find_links = find_links(args, &input, &cwd)?;
    // One worker per core, with the resolver on this thread besides: more
    // only take turns with it (4 workers on 2 cores resolved airflow
    // `--offline` and data-science universal 5-10 % slower, cold no
    // faster). At least 2, so that parsing a large page does not hold up
    // every other transfer.
    let workers = std::thread::available_parallelism().map_or(2, |cores| cores.get().max(2));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    // The client's options without the direct references' credentials,
    // which are added once those are known.
    let base_client_options = client_options(args, indexes.clone(), find_links, printer)?;
    // Asking the interpreter for the target takes a while (0.15 s behind a
    // pyenv shim): the inputs' pages are fetched meanwhile, when the client
    // can be set up before the target is known (no direct references, whose
    // credentials it needs and which the target's markers select).
    let early_client = if !args.universal
        && crate::interpreter::probes_interpreter(&args.target)
        && projects.is_empty()
        && requirements
            .iter()
            .all(|root| !matches!(root.requirement.version_or_url, Some(VersionOrUrl::Url(_))))
    {
        let options = base_client_options.clone();
        let client = IndexClient::new(options.clone())?;
        if !fast_path_wanted(request, &existing, &options) {
            let names: Vec<_> = requirements
                .iter()
                .map(|root| root.requirement.name.clone())
                .collect();
            client.prefetch_projects(runtime.handle(), &names);
        }
        Some((options, client))
    } else {
        None
    };
    // Without `--python-version` (given or recorded), a universal grid
    // starts at the projects' `Requires-Python`: those known without a
    // build first, as builds run with the grid's lowest Python.
    let recorded_python =
        request.args.target.python_version.is_none() && args.target.python_version.is_some();
    let mut target = if args.universal {
        let known: Vec<_> = projects
            .iter()
            .filter_map(|project| Some((project.path.as_path(), project.requires_python()?)))
            .collect();
        let (lowest, _) = crate::universal::lowest_python(args, recorded_python, &known)?;
        crate::universal::base_target(&lowest)?
    } else {
        resolve_target(&args.target, printer)?
    };
    let exclude_newer = args
        .exclude_newer
        .as_deref()
        .map(parse_exclude_newer)
        .transpose()?;
    let mut build = (!args.no_build).then(|| {
        let mut options = plinth_build::BuildOptions::new(target.python_version.clone());
        options.timeout = std::time::Duration::from_secs(args.build_timeout);
        // pip, when it installs build requirements, uses the main index.
        options.index_url = indexes
            .first()
            .filter(|url| url.as_str().trim_end_matches('/') != PYPI)
            .map(ToString::to_string);
        options
            .trusted_hosts
            .clone_from(&args.index.allow_insecure_host);
        options.shared_requirements_dir = cache_dir(&args.cache);
        options
    });
    // Projects given as SRC are read before the resolution's client exists:
    // their builds install requirements through a client of their own.
    if let Some(build) = &mut build
        && !projects.is_empty()
    {
        let client = match &early_client {
            Some((_, client)) => client.clone(),
            None => IndexClient::new(base_client_options.clone())?,
        };
        build.installer = Some(Arc::new(WheelInstaller::new(
            client,
            runtime.handle().clone(),
            exclude_newer,
        )));
    }
    let projects = inputs::metadata(projects, &extras, build.as_ref(), &cwd, printer)?;
    if args.universal {
        let (lowest, warning) =
            crate::universal::lowest_python(args, recorded_python, &projects.requires_python())?;
        if let Some(warning) = warning {
            printer.warn(&warning);
        }
        target = crate::universal::base_target(&lowest)?;
        if let Some(build) = &mut build {
            build.python_version = target.python_version.clone();
        }
    }
    let markers = target
        .markers()
        .map_err(|error| anyhow::anyhow!("Invalid target Python version: {error}"))?;
    // The markers that leave inputs out: none for `--universal`, where each
    // input keeps the environment part of its marker for every environment.
    let input_markers = (!args.universal).then_some(&markers);
    // Projects given as SRC: `# via name (pyproject.toml)`, as pip-compile writes it.
    let project_requirements = inputs::requirements(projects, &extras, input_markers)?;
    requirements.extend(project_requirements.into_iter().map(|project| {
        let path = display(&project.path);
        RootRequirement {
            requirement: project.requirement,
            source: format!("{} ({path})", project.project),
            origin: match project.line {
                Some(line) => format!("{path}:{line}"),
                None => path,
            },
        }
    }));
    // Direct references (`name @ URL`, paths, `-e`, git), read before resolving.
    let direct_inputs = direct::collect(&input, &mut requirements, input_markers, &cwd, &display)?;
    let file_options = FileOptions {
        exclude_newer,
        no_binary: selection(&args.no_binary)?,
        only_binary: selection(&args.only_binary)?,
        build,
        keep_wheels: false,
        shared_rankings: None,
    };
    let preferences: BTreeMap<_, _> = existing
        .iter()
        .flat_map(|existing| &existing.pins)
        .filter(|(name, _)| !request.upgrade.forgets(name))
        .map(|(name, pin)| (name.clone(), pin.version.clone()))
        .collect();

    // Resolve.
    let (client_options, client) = match early_client {
        Some(early) => early,
        None => {
            let mut options = base_client_options;
            options.direct_urls = direct::credential_urls(&direct_inputs);
            let client = IndexClient::new(options.clone())?;
            (options, client)
        }
    };
    // The lockfile fast path reads the cache alone.
    let fast_path_client = fast_path_wanted(request, &existing, &client_options)
        .then(|| {
            let mut options = client_options.clone();
            options.offline = true;
            IndexClient::new(options)
        })
        .transpose()?;
    for line in client.describe_sources() {
        printer.verbose(&line);
    }
    // Builds install their requirements through this client (pip when it
    // can't), and pip reaches the main index with the credentials plinth
    // uses (also those from netrc), through its environment only.
    let mut file_options = file_options;
    if let Some(build) = &mut file_options.build {
        build.installer = Some(Arc::new(WheelInstaller::new(
            client.clone(),
            runtime.handle().clone(),
            exclude_newer,
        )));
        if let Some(url) = build
            .index_url
            .as_deref()
            .and_then(|url| Url::parse(url).ok())
        {
            build.index_url = Some(client.url_with_credentials(&url).to_string());
        }
    }
    let source = IndexSource::new(
        client.clone(),
        target.clone(),
        file_options.clone(),
        runtime.handle().clone(),
    );
    let direct = direct::fetch(
        direct_inputs,
        &mut requirements,
        &source,
        &runtime,
        &output_dir,
        printer,
    )?;
    let options = ResolveOptions {
        direct: direct.for_resolver(),
        markers,
        python_version: target.python_version.clone(),
        prereleases: args.pre || input.pre,
        preferences: preferences.clone(),
        overrides,
        max_backtracks: Some(args.max_backtracks),
        pass_over_ruled_out: true,
    };
    if args.universal {
        let universal = crate::universal::Universal {
            args,
            client: &client,
            file_options: &file_options,
            runtime: &runtime,
            requirements: &requirements,
            constraints: &constraints,
            options: &options,
            lowest: target.python_version.clone(),
            header_command: (!args.no_header)
                .then(|| header(args, &sources, &target, exclude_newer, &indexes)),
            option_lines: emit::option_lines(args, &input, &cwd, &output_dir),
            no_emit: no_emit(&args.no_emit_package)?,
            output,
            existing,
            direct: &direct,
            started,
        };
        let lock = crate::universal::lock(universal, printer)?;
        report_requests(printer, &client);
        return Ok(lock);
    }
    let fast_path = fast_path_client.and_then(|client| {
        let pinned = IndexSource::pinned(
            client,
            target.clone(),
            file_options.clone(),
            runtime.handle().clone(),
            preferences.clone(),
        );
        let resolution = confirm_pins(&pinned, &requirements, &constraints, &options, printer)?;
        Some((resolution, pinned))
    });
    let (resolution, source) = match fast_path {
        Some(confirmed) => confirmed,
        None => {
            let resolution = full_resolve(&source, &requirements, &constraints, &options, printer)?;
            source.remember_pins(
                resolution
                    .packages
                    .iter()
                    .map(|package| (&package.name, &package.version)),
            );
            (resolution, source)
        }
    };
    for warning in &resolution.warnings {
        printer.warn(warning);
    }
    if let Output::File(path) = &output
        && request.warn_moved_pins
    {
        warn_moved_pins(&resolution, &preferences, &direct, &source, path, printer);
    }

    // Render. Hashes of pins that did not change are kept from the old file.
    let no_emit = no_emit(&args.no_emit_package)?;
    let hashes = if args.generate_hashes {
        let kept = |package: &plinth_resolver::ResolvedPackage| {
            existing
                .as_ref()
                .and_then(|existing| existing.pins.get(&package.name))
                .filter(|pin| pin.version == package.version && !pin.hashes.is_empty())
                .map(|pin| pin.hashes.clone())
        };
        // A package left out needs none; a direct reference has its own.
        let kept = |package: &plinth_resolver::ResolvedPackage| {
            if no_emit.contains(&package.name) {
                Some(Vec::new())
            } else {
                direct.hashes(&package.name).or_else(|| kept(package))
            }
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
            extras: if args.no_strip_extras {
                package.extras.iter().cloned().collect()
            } else {
                Vec::new()
            },
            hashes,
            via: via(package),
            reference: direct.reference(&package.name),
            marker: None,
        })
        .collect();
    let header_command =
        (!args.no_header).then(|| header(args, &sources, &target, exclude_newer, &indexes));
    let content = render_lockfile(
        &packages,
        &RenderOptions {
            header_command,
            annotate: !args.no_annotate,
            annotation_style: annotation_style(args),
            option_lines: emit::option_lines(args, &input, &cwd, &output_dir),
            no_emit: no_emit.clone(),
        },
    );
    report_resolved(printer, packages.len(), started);
    report_requests(printer, &client);
    if let Some(existing) = &mut existing {
        direct.adopt_old_references(existing);
    }
    Ok(Lock {
        output,
        content,
        resolution,
        existing,
        no_emit,
        universal: None,
    })
}

/// The lockfile fast path (see [`fast_path_wanted`]): the resolution with
/// only the pinned versions of `pinned`, or `None` (said at `-v`) when it
/// needs more than the cache has.
fn confirm_pins(
    pinned: &IndexSource,
    requirements: &[RootRequirement],
    constraints: &[RootRequirement],
    options: &ResolveOptions,
    printer: &Printer,
) -> Option<Resolution> {
    let resolution = resolve(pinned, requirements, constraints, options)
        .inspect_err(|error| {
            let mut why = error.to_string();
            let mut cause = std::error::Error::source(error);
            while let Some(error) = cause {
                why = format!("{why}: {error}");
                cause = error.source();
            }
            let why = why.lines().next().unwrap_or_default();
            printer.verbose(&format!("The existing pins need a full resolution: {why}"));
        })
        .ok()?;
    printer.verbose(
        "The existing pins satisfy the inputs: confirmed from the cache, without asking the index",
    );
    Some(resolution)
}

/// Warn about each pin of the old lockfile that had to move, and why.
fn warn_moved_pins(
    resolution: &Resolution,
    preferences: &BTreeMap<PackageName, pep440_rs::Version>,
    direct: &direct::Direct,
    source: &IndexSource,
    path: &Path,
    printer: &Printer,
) {
    for package in &resolution.packages {
        if let Some(pinned) = preferences.get(&package.name)
            && *pinned != package.version
            && !direct.contains(&package.name)
        {
            let yanked = plinth_resolver::PackageSource::versions(source, &package.name)
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

/// How the client reaches the indexes: the command line's index, cache and
/// network options.
fn client_options(
    args: &CompileArgs,
    indexes: Vec<Url>,
    find_links: Vec<Url>,
    printer: &Printer,
) -> anyhow::Result<ClientOptions> {
    let mut client_options = ClientOptions::new(indexes);
    client_options.find_links = find_links;
    client_options.netrc = netrc_path();
    client_options.index_strategy = match args.index.index_strategy {
        cli::IndexStrategy::FirstIndex => IndexStrategy::FirstIndex,
        cli::IndexStrategy::UnsafeBestMatch => {
            printer.warn(
                "`--index-strategy unsafe-best-match` takes the versions of each package from every index: a package published on a public index under the name of a private one can replace it (dependency confusion)",
            );
            IndexStrategy::UnsafeBestMatch
        }
    };
    client_options.cache = cache(&args.cache);
    client_options.offline = args.cache.offline;
    client_options.refresh = if args.cache.refresh {
        Refresh::All
    } else if args.cache.refresh_package.is_empty() {
        Refresh::None
    } else {
        Refresh::Packages(args.cache.refresh_package.iter().cloned().collect())
    };
    client_options.retries = args.index.retries;
    client_options.connect_timeout = std::time::Duration::from_secs(args.index.connect_timeout);
    client_options.read_timeout = std::time::Duration::from_secs(args.index.read_timeout);
    client_options.concurrency = args.index.concurrency as usize;
    match std::env::var(crate::env::RELEASE_HINTS).as_deref() {
        Ok("0") => client_options.release_hints = false,
        Ok("1") => client_options.release_hints = true,
        _ => {}
    }
    client_options
        .insecure_hosts
        .clone_from(&args.index.allow_insecure_host);
    if args.cache.offline && client_options.cache.is_none() {
        bail!(
            "`--offline` needs a cache, but there is none\n  hint: drop `--no-cache`, or set `--cache-dir`"
        );
    }
    Ok(client_options)
}

/// The `# via` layout the command line asks for.
pub(crate) fn annotation_style(args: &CompileArgs) -> AnnotationStyle {
    match args.annotation_style {
        cli::AnnotationStyle::Split => AnnotationStyle::Split,
        cli::AnnotationStyle::Line => AnnotationStyle::Line,
    }
}

/// With `-v`: how many requests the run made, and how much it received.
fn report_requests(printer: &Printer, client: &IndexClient) {
    let stats = client.stats();
    printer.verbose(&format!(
        "Made {} HTTP requests, received {} KiB",
        stats.requests,
        stats.bytes / 1024
    ));
}

/// `Resolved 12 packages in 0.41s`.
pub(crate) fn report_resolved(printer: &Printer, count: usize, started: Instant) {
    let noun = if count == 1 { "package" } else { "packages" };
    printer.status(&format!(
        "Resolved {count} {noun} in {:.2}s",
        started.elapsed().as_secs_f64()
    ));
}

/// Resolve against the indexes, turning a failure into its report.
fn full_resolve(
    source: &IndexSource,
    requirements: &[RootRequirement],
    constraints: &[RootRequirement],
    options: &ResolveOptions,
    printer: &Printer,
) -> anyhow::Result<Resolution> {
    printer
        .with_progress("Resolving dependencies", || {
            resolve(source, requirements, constraints, options)
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
            ResolveError::TooManyBacktracks { limit, packages } => {
                let message = format!(
                    "error: Resolution stopped after {limit} backtracks (`--max-backtracks`): the versions of {} kept conflicting\n  hint: narrow the versions of these packages in the input (e.g. a lower bound), or raise `--max-backtracks`",
                    match packages.split_last() {
                        Some((last, rest)) if !rest.is_empty() =>
                            format!("{} and {last}", rest.join(", ")),
                        _ => packages.join(""),
                    }
                );
                anyhow::Error::new(Failure { code: 2, message })
            }
            other => anyhow::Error::new(other),
        })
}

/// Whether to try the lockfile fast path: confirm the existing pins by
/// resolving with only the pinned versions, from their records and cached
/// metadata, without reading any project page. It gives the answer a full
/// resolution would: the pins are preferred, so when they are a consistent
/// and complete set, the full resolution picks each of them and never
/// meets a conflict. It trusts the cache for what can change upstream (a
/// yank), so `--refresh` skips it; nothing is asked of it when a pin may
/// move (`upgrade`) or hashes would have to be fetched.
fn fast_path_wanted(
    request: &Request<'_>,
    existing: &Option<Existing>,
    client: &ClientOptions,
) -> bool {
    let args = request.args;
    let Some(existing) = existing else {
        return false;
    };
    matches!(request.upgrade, Upgrade::Nothing)
        && !args.universal
        && client.cache.is_some()
        && !args.cache.refresh
        && args.cache.refresh_package.is_empty()
        && !existing.pins.is_empty()
        && (!args.generate_hashes || existing.pins.values().all(|pin| !pin.hashes.is_empty()))
}

/// The `# via` annotations of a resolved package: the labels of the inputs
/// that name it (`-r file`, `-c file`, `--override file`, or a project
/// `name (pyproject.toml)`), then the packages that require it.
pub(crate) fn via(package: &plinth_resolver::ResolvedPackage) -> Vec<Via> {
    package
        .sources
        .iter()
        .map(|source| match source.split_once(' ') {
            Some(("-c", path)) => Via::Constraints(path.to_string()),
            Some(("-r", path)) => Via::Requirements(path.to_string()),
            Some(("--override", path)) => Via::Override(path.to_string()),
            _ => Via::Project(source.clone()),
        })
        .chain(package.required_by.iter().cloned().map(Via::Package))
        .collect()
}

/// The SRC files; without any, the first of `requirements.in`, `setup.py`,
/// `pyproject.toml` and `setup.cfg` that exists (as pip-compile picks), else
/// `requirements.in`.
fn sources(args: &CompileArgs) -> Vec<PathBuf> {
    if !args.src.is_empty() {
        return args.src.clone();
    }
    let default = ["requirements.in", "setup.py", "pyproject.toml", "setup.cfg"]
        .into_iter()
        .find(|name| Path::new(name).is_file())
        .unwrap_or("requirements.in");
    vec![PathBuf::from(default)]
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
    // A universal lockfile stays universal unless a platform is given.
    if recorded.universal && !args.universal && cli.target.python_platform.is_none() {
        args.universal = true;
        if args.environment.is_empty() {
            args.environment = recorded.environment.clone();
        }
    }
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
        if args.extras.is_empty() && !args.all_extras {
            args.extras = recorded.extras.clone();
            args.all_extras = recorded.all_extras;
        }
        args.exclude_newer = args.exclude_newer.or(recorded.exclude_newer.clone());
        args.index.index_url = args.index.index_url.or(recorded.index.index_url.clone());
        if args.index.extra_index_url.is_empty() {
            args.index.extra_index_url = recorded.index.extra_index_url.clone();
        }
        if args.index.index_strategy == cli::IndexStrategy::FirstIndex {
            args.index.index_strategy = recorded.index.index_strategy;
        }
        if args.index.find_links.is_empty() {
            args.index.find_links = recorded.index.find_links.clone();
        }
        args.index.no_index |= recorded.index.no_index;
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
        if args.overrides.is_empty() {
            args.overrides = recorded.overrides.clone();
        }
        if args.no_emit_package.is_empty() {
            args.no_emit_package = recorded.no_emit_package.clone();
        }
        if !args.strip_extras {
            args.no_strip_extras |= recorded.no_strip_extras;
        }
        args.emit_index_url |= recorded.emit_index_url;
        args.emit_find_links |= recorded.emit_find_links;
    }
    args
}

/// `--override FILE`s: their requirements, each with its `# via` source
/// (`--override overrides.txt`).
fn overrides(
    args: &CompileArgs,
    root: &dyn Fn(&str, &Entry) -> RootRequirement,
    printer: &Printer,
) -> anyhow::Result<Vec<RootRequirement>> {
    let mut overrides = Vec::new();
    for path in &args.overrides {
        let parsed =
            plinth_requirements::parse_file(path).map_err(|error| anyhow::anyhow!("{error}"))?;
        if let Some(entry) = parsed.constraints.first() {
            bail!(
                "The overrides file `{}` includes constraints (`{}`)\n  hint: give constraints with `-c` in an input file; an overrides file holds requirements",
                path.display(),
                entry.origin
            );
        }
        if parsed.index_url.is_some()
            || !parsed.extra_index_urls.is_empty()
            || !parsed.find_links.is_empty()
            || parsed.no_index
            || parsed.pre
        {
            printer.warn(&format!(
                "Ignoring the options in the overrides file `{}`: only its requirements are used",
                path.display()
            ));
        }
        overrides.extend(
            parsed
                .requirements
                .iter()
                .map(|entry| root("--override", entry)),
        );
    }
    Ok(overrides)
}

/// `--no-emit-package` names.
fn no_emit(names: &[String]) -> anyhow::Result<BTreeSet<PackageName>> {
    names
        .iter()
        .map(|name| {
            PackageName::from_str(name)
                .map_err(|error| anyhow::anyhow!("Invalid package name `{name}`: {error}"))
        })
        .collect()
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

/// The lockfile path: `-o`, else the first SRC with `.txt`, or `requirements.txt`
/// next to a project file. Reading stdin needs `-o`, as with pip-compile.
fn output_path(args: &CompileArgs, sources: &[PathBuf]) -> anyhow::Result<Output> {
    if let Some(path) = &args.output_file {
        return Ok(if path == Path::new("-") {
            Output::Stdout
        } else {
            Output::File(path.clone())
        });
    }
    let first = &sources[0];
    if first == Path::new(inputs::STDIN) {
        bail!(
            "An output file is required when the input is read from stdin\n  hint: name it with `-o FILE`, or `-o -` for stdout"
        );
    }
    if inputs::is_project_file(first) {
        return Ok(Output::File(first.with_file_name("requirements.txt")));
    }
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
    into.unnamed.extend(from.unnamed);
    if into.index_url.is_none() {
        into.index_url = from.index_url;
    }
    into.extra_index_urls.extend(from.extra_index_urls);
    into.find_links.extend(from.find_links);
    into.no_index |= from.no_index;
    into.pre |= from.pre;
}

/// `--index-url` (command line, else input file, else PyPI), then the extra
/// indexes; none with `--no-index`. An index given twice (with and without
/// credentials, e.g. in the header and in an input file) counts once, with
/// its credentials.
fn index_urls(args: &CompileArgs, input: &RequirementsFile) -> anyhow::Result<Vec<Url>> {
    if args.index.no_index || input.no_index {
        return Ok(Vec::new());
    }
    let main = args
        .index
        .index_url
        .clone()
        .or_else(|| input.index_url.as_ref().map(|url| url.expanded()))
        .unwrap_or_else(|| PYPI.to_string());
    let extras = args
        .index
        .extra_index_url
        .iter()
        .cloned()
        .chain(input.extra_index_urls.iter().map(|url| url.expanded()));
    let mut urls: Vec<Url> = Vec::new();
    for text in std::iter::once(main).chain(extras) {
        let url = Url::parse(&text).map_err(|error| {
            anyhow::anyhow!(
                "Invalid index URL `{}`: {error}\n  hint: give an absolute URL, e.g. `https://pypi.org/simple/`",
                redact_text(&text)
            )
        })?;
        let has_credentials = !url.username().is_empty() || url.password().is_some();
        match urls
            .iter_mut()
            .find(|known| strip_credentials(known) == strip_credentials(&url))
        {
            Some(known) if known.username().is_empty() && has_credentials => *known = url,
            Some(_) => {}
            None => urls.push(url),
        }
    }
    // An index URL from the command line or the header (written without
    // credentials) takes those of the same URL in an input file.
    let input_index = input.index_url.as_ref().map(|url| url.expanded());
    if let Some(donor) = input_index.and_then(|text| Url::parse(&text).ok())
        && !donor.username().is_empty()
    {
        for known in &mut urls {
            if known.username().is_empty() && strip_credentials(known) == strip_credentials(&donor)
            {
                *known = donor.clone();
            }
        }
    }
    Ok(urls)
}

/// `--find-links` locations, command line first, as URLs: a URL as given,
/// a path as a `file:` URL (relative to the current directory, or to the
/// input file that names it). A path that does not exist is an error.
fn find_links(
    args: &CompileArgs,
    input: &RequirementsFile,
    cwd: &Path,
) -> anyhow::Result<Vec<Url>> {
    let given = args
        .index
        .find_links
        .iter()
        .map(|text| {
            (
                text.clone(),
                cwd.to_path_buf(),
                "the command line".to_string(),
            )
        })
        .chain(input.find_links.iter().map(|link| {
            let base = absolute(cwd, &link.origin.path)
                .parent()
                .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
            (link.expanded(), base, format!("`{}`", link.origin))
        }));
    let mut urls: Vec<Url> = Vec::new();
    for (text, base, origin) in given {
        let url = if text.contains("://") || text.starts_with("file:") {
            Url::parse(&text).map_err(|error| {
                anyhow::anyhow!(
                    "Invalid `--find-links` URL `{}` (from {origin}): {error}",
                    redact_text(&text)
                )
            })?
        } else {
            let path = base.join(&text);
            let metadata = fs_err::metadata(&path).map_err(|_| {
                anyhow::anyhow!(
                    "The `--find-links` location `{text}` (from {origin}) does not exist\n  hint: give a directory of wheels and sdists, an HTML file of links, or a URL"
                )
            })?;
            let url = if metadata.is_dir() {
                Url::from_directory_path(&path)
            } else {
                Url::from_file_path(&path)
            };
            url.map_err(|()| {
                anyhow::anyhow!("Invalid `--find-links` path `{text}` (from {origin})")
            })?
        };
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    Ok(urls)
}

/// The netrc file: `NETRC`, else `~/.netrc`.
fn netrc_path() -> Option<PathBuf> {
    std::env::var_os(crate::env::NETRC)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".netrc")))
}

/// An index URL as given, without credentials, for messages and the header.
fn redact_text(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => redact(&url),
        // Without an `@` there are no credentials to hide.
        Err(_) if !text.contains('@') => text.to_string(),
        Err(_) => "<invalid URL>".to_string(),
    }
}

fn cache(args: &cli::CacheArgs) -> Option<Cache> {
    cache_dir(args).map(Cache::new)
}

/// The cache directory, absolute (builds run in other directories and
/// find their shared build requirements through it); `None` with
/// `--no-cache`.
fn cache_dir(args: &cli::CacheArgs) -> Option<std::path::PathBuf> {
    if args.no_cache {
        return None;
    }
    let dir = args
        .cache_dir
        .clone()
        .or_else(|| dirs::cache_dir().map(|dir| dir.join("plinth")))?;
    Some(std::path::absolute(&dir).unwrap_or(dir))
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
    for extra in &args.extras {
        parts.push(format!("--extra {}", shell_quote(extra.trim())));
    }
    if args.all_extras {
        parts.push("--all-extras".to_string());
    }
    if let Some((main, extras)) = indexes.split_first() {
        if main.as_str().trim_end_matches('/') != PYPI {
            parts.push(format!("--index-url {}", strip_credentials(main)));
        }
        for extra in extras {
            parts.push(format!("--extra-index-url {}", strip_credentials(extra)));
        }
    }
    if args.index.no_index {
        parts.push("--no-index".to_string());
    }
    if args.index.index_strategy == cli::IndexStrategy::UnsafeBestMatch {
        parts.push("--index-strategy unsafe-best-match".to_string());
    }
    for link in &args.index.find_links {
        let link = Url::parse(link).map_or_else(|_| link.clone(), |url| strip_credentials(&url));
        parts.push(format!("--find-links {}", shell_quote(&link)));
    }
    parts.push(format!("--python-version {}", target.python_version));
    if args.universal {
        parts.push("--universal".to_string());
        for marker in &args.environment {
            parts.push(format!("--environment {}", shell_quote(marker)));
        }
    } else {
        // Under a `MACOSX_DEPLOYMENT_TARGET`, the release the run used,
        // whatever the variable says when the command is run again.
        let platform = if crate::env::macos_deployment_target().is_some() {
            target.platform.name_with_release()
        } else {
            target.platform.to_string()
        };
        parts.push(format!("--python-platform {platform}"));
    }
    if let Some(cutoff) = exclude_newer {
        parts.push(format!("--exclude-newer {cutoff}"));
    }
    for path in &args.overrides {
        parts.push(format!(
            "--override {}",
            shell_quote(&path.display().to_string())
        ));
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
    if args.no_strip_extras {
        parts.push("--no-strip-extras".to_string());
    }
    let no_emit: BTreeSet<String> = args
        .no_emit_package
        .iter()
        .map(|name| {
            PackageName::from_str(name).map_or_else(|_| name.clone(), |name| name.to_string())
        })
        .collect();
    for name in no_emit {
        parts.push(format!("--no-emit-package {}", shell_quote(&name)));
    }
    if args.emit_index_url {
        parts.push("--emit-index-url".to_string());
    }
    if args.emit_find_links {
        parts.push("--emit-find-links".to_string());
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
