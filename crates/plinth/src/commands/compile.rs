//! `plinth compile`: requirements.in files in, pinned requirements.txt out.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, bail};
use jiff::Timestamp;
use pep440_rs::Operator;
use pep508_rs::{PackageName, VersionOrUrl};
use plinth_index::{
    Cache, ClientOptions, FileOptions, IndexClient, IndexSource, PackageSelection, Target, redact,
};
use plinth_requirements::{
    AnnotationStyle, Entry, LockedPackage, RenderOptions, RequirementsFile, Via, parse_file,
    render_lockfile,
};
use plinth_resolver::{ResolveError, ResolveOptions, RootRequirement, resolve};
use url::Url;

use crate::Failure;
use crate::cli::{self, CompileArgs};
use crate::interpreter::resolve_target;
use crate::paths::{absolute, relative_to, write_atomic};
use crate::printer::Printer;

const PYPI: &str = "https://pypi.org/simple";

/// Where the lockfile goes.
enum Output {
    Stdout,
    File(PathBuf),
}

pub fn run(args: &CompileArgs, printer: &Printer) -> anyhow::Result<()> {
    let started = Instant::now();
    let cwd = std::env::current_dir().context("Failed to read the current directory")?;
    let sources: Vec<PathBuf> = if args.src.is_empty() {
        vec![PathBuf::from("requirements.in")]
    } else {
        args.src.clone()
    };
    let output = output_path(args, &sources)?;

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
    let label = |prefix: &str, entry: &Entry| {
        let path = relative_to(&absolute(&cwd, &entry.origin.path), &output_dir);
        format!("{prefix} {path}")
    };
    let requirements: Vec<RootRequirement> = input
        .requirements
        .iter()
        .map(|entry| RootRequirement {
            requirement: entry.requirement.clone(),
            source: label("-r", entry),
        })
        .collect();
    let constraints: Vec<RootRequirement> = input
        .constraints
        .iter()
        .map(|entry| RootRequirement {
            requirement: entry.requirement.clone(),
            source: label("-c", entry),
        })
        .collect();
    for root in requirements.iter().chain(&constraints) {
        if let Some(VersionOrUrl::Url(url)) = &root.requirement.version_or_url {
            bail!(
                "Direct URL requirements are not supported yet: `{} @ {}` ({})",
                root.requirement.name,
                url,
                root.source
            );
        }
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
    let cache = cache(&args.cache);
    let file_options = FileOptions {
        exclude_newer,
        no_binary: selection(&args.no_binary)?,
        only_binary: selection(&args.only_binary)?,
    };
    let preferences = match &output {
        Output::File(path) if !args.upgrade => existing_pins(path, &args.upgrade_package, printer)?,
        _ => BTreeMap::new(),
    };

    // Resolve.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    let mut client_options = ClientOptions::new(indexes.clone());
    client_options.cache = cache;
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
        preferences,
    };
    let resolution = printer
        .with_progress("Resolving dependencies", || {
            resolve(&source, &requirements, &constraints, &options)
        })
        .map_err(|error| match error {
            ResolveError::NoSolution { report } => anyhow::Error::new(Failure {
                code: 1,
                message: format!(
                    "error: No solution found when resolving dependencies:\n  {}",
                    report.replace('\n', "\n  ")
                ),
            }),
            other => anyhow::Error::new(other),
        })?;
    for warning in &resolution.warnings {
        printer.warn(warning);
    }

    // Render.
    let hashes = if args.generate_hashes {
        runtime.block_on(all_hashes(&source, &resolution.packages))?
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
        "Resolved {} packages in {:.2}s",
        packages.len(),
        started.elapsed().as_secs_f64()
    ));
    let stats = client.stats();
    printer.verbose(&format!(
        "Made {} HTTP requests, received {} KiB",
        stats.requests,
        stats.bytes / 1024
    ));

    match output {
        Output::Stdout => print!("{content}"),
        Output::File(_) if args.dry_run => print!("{content}"),
        Output::File(path) => {
            write_atomic(&path, &content)?;
            printer.verbose(&format!("Wrote `{}`", path.display()));
        }
    }
    Ok(())
}

/// `sha256:` hashes of every file of each pinned version, fetched concurrently.
async fn all_hashes(
    source: &IndexSource,
    packages: &[plinth_resolver::ResolvedPackage],
) -> anyhow::Result<Vec<Vec<String>>> {
    let fetches = packages
        .iter()
        .map(|package| source.hashes(&package.name, &package.version));
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

/// Pins of the existing lockfile, to keep when still allowed.
fn existing_pins(
    path: &Path,
    upgrade: &[String],
    printer: &Printer,
) -> anyhow::Result<BTreeMap<PackageName, pep440_rs::Version>> {
    let mut pins = BTreeMap::new();
    let Ok(content) = fs_err::read_to_string(path) else {
        return Ok(pins);
    };
    if content.trim().is_empty() && fs_err::metadata(path).is_ok_and(|metadata| metadata.is_file())
    {
        printer.warn(&format!(
            "The existing `{}` is empty (was it truncated?); no pins can be kept from it",
            path.display()
        ));
        return Ok(pins);
    }
    let parsed = match plinth_requirements::parse_str(&content, path) {
        Ok(parsed) => parsed,
        Err(error) => {
            printer.warn(&format!(
                "Ignoring the pins of `{}`, which does not parse: {error}",
                path.display()
            ));
            return Ok(pins);
        }
    };
    let upgrade: HashSet<PackageName> = upgrade
        .iter()
        .filter_map(|name| {
            let name = name
                .split(|c: char| "<>=!~; [".contains(c))
                .next()
                .unwrap_or(name);
            PackageName::from_str(name.trim()).ok()
        })
        .collect();
    for entry in parsed.requirements {
        if upgrade.contains(&entry.requirement.name) {
            continue;
        }
        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &entry.requirement.version_or_url
            && let [specifier] = specifiers.iter().as_slice()
            && *specifier.operator() == Operator::Equal
        {
            pins.insert(entry.requirement.name.clone(), specifier.version().clone());
        }
    }
    Ok(pins)
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
    parts.extend(sources.iter().map(|source| source.display().to_string()));
    if let Some(output) = &args.output_file {
        parts.push(format!("-o {}", output.display()));
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
