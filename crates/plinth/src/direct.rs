//! Direct references of the inputs: `name @ URL`, paths and URLs without a
//! name, `-e` editables and `git+` URLs.
//!
//! They are read before resolving (name, version, metadata; see
//! `plinth_index::DirectReference`), handed to the resolver as the only
//! version of their name, and written to the lockfile as references:
//!
//! - `-e PATH` for editables, `PATH` for a path alone (`./pkg`,
//!   `../dist/x-1.0-py3-none-any.whl`): as written when the input file sits
//!   next to the output file, else re-based onto the output file's directory
//!   (a relative path in an input is relative to that input's directory);
//! - `name @ URL` for URLs, as written (`${NAME}` references kept), without
//!   credentials; git URLs pinned to the full commit hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::bail;
use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerTree, PackageName, Requirement, VerbatimUrl, VersionOrUrl,
};
use plinth_index::{
    DirectDistribution, DirectReference, IndexSource, Target, display_reference, pin_git_url,
    wheel_unusable,
};
use plinth_requirements::{Reference, RequirementsFile, expand_env_vars};
use plinth_resolver::{DirectDist, RootRequirement};
use url::Url;

use crate::lockfile::{Existing, Pin};
use crate::paths::{absolute, relative_to};
use crate::printer::Printer;

/// One direct reference as an input gives it.
#[derive(Debug, Clone)]
pub struct DirectInput {
    /// The name the requirement gives (`name @ URL`); `None` for a path or URL alone.
    name: Option<PackageName>,
    /// The URL or path as written (`${NAME}` not expanded).
    written: String,
    reference: DirectReference,
    extras: Vec<ExtraName>,
    marker: MarkerTree,
    editable: bool,
    /// `-r requirements.in`, for `# via`.
    source: String,
    /// `requirements.in:3`, for messages.
    origin: String,
    /// The `--hash` values of the line.
    hashes: Vec<String>,
    /// The directory of the input file (relative paths are relative to it).
    base: PathBuf,
}

/// A direct reference read and ready to be pinned.
#[derive(Debug, Clone)]
pub struct DirectPackage {
    pub distribution: DirectDistribution,
    /// How the lockfile writes it.
    pub reference: Reference,
}

/// Every direct reference of a run, by name.
#[derive(Debug, Clone, Default)]
pub struct Direct {
    pub packages: BTreeMap<PackageName, DirectPackage>,
}

impl Direct {
    /// The resolver's view: one fixed version per name.
    pub fn for_resolver(&self) -> BTreeMap<PackageName, DirectDist> {
        self.view(|distribution| distribution.unusable.clone())
    }

    /// The resolver's view for another `target` than the one the
    /// references were read for (an environment of a universal lock): a
    /// wheel's tags are checked against that target.
    pub fn for_target(&self, target: &Target) -> BTreeMap<PackageName, DirectDist> {
        self.view(|distribution| match &distribution.wheel {
            Some(wheel) => wheel_unusable(wheel, target),
            None => distribution.unusable.clone(),
        })
    }

    fn view(
        &self,
        unusable: impl Fn(&DirectDistribution) -> Option<String>,
    ) -> BTreeMap<PackageName, DirectDist> {
        self.packages
            .iter()
            .map(|(name, package)| {
                let distribution = &package.distribution;
                let dist = DirectDist {
                    version: distribution.version.clone(),
                    metadata: distribution.metadata.clone(),
                    unusable: unusable(distribution),
                };
                (name.clone(), dist)
            })
            .collect()
    }

    /// `--hash` values for the lockfile: the sha256 of an archive; none for
    /// directories and git checkouts (pip can't check those), as pip-compile.
    pub fn hashes(&self, name: &PackageName) -> Option<Vec<String>> {
        let package = self.packages.get(name)?;
        Some(
            package
                .distribution
                .sha256
                .iter()
                .map(|hash| format!("sha256:{hash}"))
                .collect(),
        )
    }

    pub fn reference(&self, name: &PackageName) -> Option<Reference> {
        Some(self.packages.get(name)?.reference.clone())
    }

    pub fn contains(&self, name: &PackageName) -> bool {
        self.packages.contains_key(name)
    }

    /// Count each direct reference the old lockfile has, line for line, as a
    /// pin of the version it has now: the old file does not say which version
    /// it was, and the summary of changes should not call it new.
    pub fn adopt_old_references(&self, existing: &mut Existing) {
        for (name, package) in &self.packages {
            let line = match &package.reference {
                Reference::Url(url) => format!("{name} @ {url}"),
                Reference::Path(path) => path.clone(),
                Reference::Editable(path) => format!("-e {path}"),
            };
            let listed = existing.content.lines().any(|old| {
                old.strip_prefix(line.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '[']))
            });
            if listed && !existing.pins.contains_key(name) {
                let pin = Pin {
                    version: package.distribution.version.clone(),
                    hashes: Vec::new(),
                };
                existing.pins.insert(name.clone(), pin);
            }
        }
    }
}

/// The direct references of the inputs: the `name @ URL` requirements among
/// `requirements` (whose URLs lose their credentials here, so that nothing
/// downstream shows them) and the unnamed entries of `input`. `display`
/// shows an input path as `# via` does. Those whose marker excludes the
/// target are left out; with `markers` `None` (a universal lock, for every
/// environment) none are.
pub fn collect(
    input: &RequirementsFile,
    requirements: &mut [RootRequirement],
    markers: Option<&MarkerEnvironment>,
    cwd: &Path,
    display: &dyn Fn(&Path) -> String,
) -> anyhow::Result<Vec<DirectInput>> {
    let directory_of = |path: &Path| {
        absolute(cwd, path)
            .parent()
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
    };
    let mut inputs = Vec::new();
    for root in requirements.iter_mut() {
        let Some(VersionOrUrl::Url(url)) = &root.requirement.version_or_url else {
            continue;
        };
        let written = url.given().unwrap_or(url.as_str()).to_string();
        let entry = input
            .requirements
            .iter()
            .find(|entry| entry.requirement == root.requirement);
        let safe = VerbatimUrl::from_url(strip(url.raw())).with_given(display_reference(&written));
        root.requirement.version_or_url = Some(VersionOrUrl::Url(safe));
        if markers.is_some_and(|markers| !root.requirement.marker.evaluate(markers, &[])) {
            continue;
        }
        let base = entry.map_or_else(
            || cwd.to_path_buf(),
            |entry| directory_of(&entry.origin.path),
        );
        let reference = parse(&written, &base, &root.origin)?;
        inputs.push(DirectInput {
            name: Some(root.requirement.name.clone()),
            written: written.clone(),
            reference,
            extras: root.requirement.extras.clone(),
            marker: root.requirement.marker.clone(),
            editable: false,
            source: root.source.clone(),
            origin: root.origin.clone(),
            hashes: entry.map(|entry| entry.hashes.clone()).unwrap_or_default(),
            base,
        });
    }
    for entry in input
        .unnamed
        .iter()
        .filter(|entry| markers.is_none_or(|markers| entry.marker.evaluate(markers, &[])))
    {
        let path = display(&entry.origin.path);
        let origin = format!("{path}:{}", entry.origin.line);
        let base = directory_of(&entry.origin.path);
        let reference = parse(&entry.target, &base, &origin)?;
        if entry.editable && !reference.is_project() {
            bail!(
                "`-e {}` ({origin}) is not a project directory or a git URL\n  hint: an editable is a local project (`-e ./pkg`) or a git repository (`-e git+https://…`); install archives without `-e`",
                display_reference(&entry.target)
            );
        }
        inputs.push(DirectInput {
            name: None,
            written: entry.target.clone(),
            reference,
            extras: entry.extras.clone(),
            marker: entry.marker.clone(),
            editable: entry.editable,
            source: format!("-r {path}"),
            origin,
            hashes: entry.hashes.clone(),
            base,
        });
    }
    Ok(inputs)
}

/// The URLs whose credentials the index client may use to fetch them.
pub fn credential_urls(inputs: &[DirectInput]) -> Vec<Url> {
    inputs
        .iter()
        .filter_map(|input| match &input.reference {
            DirectReference::Url { url, .. } => Some(url.clone()),
            _ => None,
        })
        .collect()
}

/// Read every direct reference (each distinct one once, concurrently), check
/// them against each other and the requirements that name them, and add a
/// root requirement for each unnamed one to `requirements`. Direct
/// references whose marker excludes the target were left out by [`collect`].
pub fn fetch(
    inputs: Vec<DirectInput>,
    requirements: &mut Vec<RootRequirement>,
    source: &IndexSource,
    runtime: &tokio::runtime::Runtime,
    output_dir: &Path,
    printer: &Printer,
) -> anyhow::Result<Direct> {
    if inputs.is_empty() {
        return Ok(Direct::default());
    }
    let mut unique: Vec<&DirectInput> = Vec::new();
    for input in &inputs {
        if !unique.iter().any(|seen| seen.reference == input.reference) {
            unique.push(input);
        }
    }
    let fetched = printer.with_progress("Reading direct references", || {
        runtime.block_on(futures::future::join_all(unique.iter().map(|input| {
            let display = display_reference(&input.written);
            async move { source.direct(&input.reference, &display).await }
        })))
    });
    let mut distributions = Vec::new();
    for (input, result) in unique.iter().zip(fetched) {
        distributions.push((input.reference.clone(), result?));
    }
    let mut direct = Direct::default();
    let mut first: BTreeMap<PackageName, &DirectInput> = BTreeMap::new();
    for input in &inputs {
        let Some((_, distribution)) = distributions
            .iter()
            .find(|(reference, _)| *reference == input.reference)
        else {
            continue;
        };
        let name = &distribution.name;
        let shown = display_reference(&input.written);
        if let Some(given) = &input.name
            && given != name
        {
            bail!(
                "`{given} @ {shown}` ({}) is a distribution of `{name}`, not of `{given}`\n  hint: name it `{name} @ {shown}`",
                input.origin
            );
        }
        check_hashes(input, distribution, &shown)?;
        match first.get(name) {
            Some(earlier) if earlier.reference != input.reference => bail!(
                "`{name}` is given by two different direct references: `{}` ({}) and `{shown}` ({})\n  hint: keep one of them",
                display_reference(&earlier.written),
                earlier.origin,
                input.origin
            ),
            // The same reference again; `-e` wins over the plain form.
            Some(_) => {
                if input.editable
                    && let Some(package) = direct.packages.get_mut(name)
                {
                    package.reference = reference(input, distribution, output_dir, printer);
                }
            }
            None => {
                first.insert(name.clone(), input);
                direct.packages.insert(
                    name.clone(),
                    DirectPackage {
                        distribution: distribution.clone(),
                        reference: reference(input, distribution, output_dir, printer),
                    },
                );
            }
        }
        if input.name.is_none() {
            requirements.push(RootRequirement {
                requirement: Requirement {
                    name: name.clone(),
                    extras: input.extras.clone(),
                    version_or_url: Some(VersionOrUrl::Url(resolver_url(input)?)),
                    marker: input.marker.clone(),
                    origin: None,
                },
                source: input.source.clone(),
                origin: input.origin.clone(),
            });
        }
    }
    Ok(direct)
}

/// Parse a reference (after `${NAME}` expansion), naming where it was written on failure.
fn parse(written: &str, base: &Path, origin: &str) -> anyhow::Result<DirectReference> {
    let expanded = expand_env_vars(written);
    DirectReference::parse(&expanded, base).map_err(|message| {
        anyhow::anyhow!(
            "Invalid direct reference `{}` at `{origin}`: {message}",
            display_reference(written)
        )
    })
}

/// The sha256 of an archive must be among the `--hash` values of its line.
fn check_hashes(
    input: &DirectInput,
    distribution: &DirectDistribution,
    shown: &str,
) -> anyhow::Result<()> {
    if input.hashes.is_empty() {
        return Ok(());
    }
    let Some(sha256) = &distribution.sha256 else {
        bail!(
            "`{shown}` ({}) has `--hash` values, but a directory or git checkout has no hash to check",
            input.origin
        );
    };
    if !input.hashes.contains(&format!("sha256:{sha256}")) {
        bail!(
            "The sha256 of `{shown}` is `{sha256}`, which no `--hash` at `{}` matches",
            input.origin
        );
    }
    Ok(())
}

/// How the lockfile writes a direct reference.
fn reference(
    input: &DirectInput,
    distribution: &DirectDistribution,
    output_dir: &Path,
    printer: &Printer,
) -> Reference {
    // A file or directory not written as a `file:` URL.
    let is_path = matches!(
        input.reference,
        DirectReference::File { .. } | DirectReference::Directory(_)
    ) && !input.written.starts_with("file:");
    let relative_file_url = input
        .written
        .strip_prefix("file:")
        .filter(|path| !path.starts_with("//"));
    let text = if is_path {
        rebase(&input.written, &input.base, output_dir)
    } else if let Some(path) = relative_file_url {
        format!("file:{}", rebase(path, &input.base, output_dir))
    } else {
        let text = without_credentials(&input.written, &input.origin, printer);
        match &distribution.commit {
            Some(commit) => pin_git_url(&text, commit, input.editable),
            None => text,
        }
    };
    match (input.editable, is_path, &input.name) {
        (true, _, _) => Reference::Editable(text),
        (false, true, None) => Reference::Path(text),
        (false, _, _) => Reference::Url(text),
    }
}

/// A relative `path` written in a file in `base`, as seen from `output_dir`:
/// as written when the two are the same directory (or the path is absolute
/// or uses `${NAME}`), else re-based, starting with `./` or `../`.
fn rebase(path: &str, base: &Path, output_dir: &Path) -> String {
    if base == output_dir || Path::new(path).is_absolute() || path.contains("${") {
        return path.to_string();
    }
    let relative = relative_to(&absolute(base, Path::new(path)), output_dir);
    if relative == "." {
        "./".to_string()
    } else if relative.starts_with("../") || relative == ".." {
        relative
    } else {
        format!("./{relative}")
    }
}

/// A URL as written, with the user info (`user:password@`) left out unless it
/// is only `${NAME}` references; a warning says so when something is left out.
fn without_credentials(written: &str, origin: &str, printer: &Printer) -> String {
    let Some(authority_start) = written.find("://").map(|index| index + 3) else {
        return written.to_string();
    };
    let rest = &written[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return written.to_string();
    };
    let userinfo = &rest[..at];
    let is_variable = |part: &str| {
        part.strip_prefix("${")
            .and_then(|part| part.strip_suffix('}'))
            .is_some_and(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
    };
    if userinfo.split(':').all(is_variable) {
        return written.to_string();
    }
    let stripped = format!("{}{}", &written[..authority_start], &rest[at + 1..]);
    printer.warn(&format!(
        "The credentials in the URL `{}` ({origin}) are left out of the lockfile\n  hint: write them as `${{NAME}}` references (`https://${{USER}}:${{TOKEN}}@host/…`) to keep them there, or put them in `~/.netrc`",
        display_reference(written)
    ));
    stripped
}

/// `url` without user name and password.
fn strip(url: &Url) -> Url {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// The URL of an unnamed reference's root requirement, without credentials
/// (the resolver only needs the name; messages and `why` may show the URL).
fn resolver_url(input: &DirectInput) -> anyhow::Result<VerbatimUrl> {
    let url = match &input.reference {
        DirectReference::File { path, .. } | DirectReference::Directory(path) => {
            Url::from_file_path(path).ok()
        }
        DirectReference::Url { url, .. } => Some(strip(url)),
        DirectReference::Git(git) => Url::parse(&format!("git+{}", strip(&git.repository))).ok(),
    };
    let Some(url) = url else {
        bail!(
            "Invalid direct reference `{}` at `{}`",
            display_reference(&input.written),
            input.origin
        );
    };
    Ok(VerbatimUrl::from_url(url).with_given(display_reference(&input.written)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rebased_onto_the_output_directory() {
        let base = Path::new("/project/reqs");
        assert_eq!(rebase("./pkg", base, base), "./pkg");
        assert_eq!(rebase("pkg", base, Path::new("/project")), "./reqs/pkg");
        assert_eq!(
            rebase("../lib/x.whl", base, Path::new("/project/out")),
            "../lib/x.whl"
        );
        assert_eq!(rebase("..", base, Path::new("/project")), "./");
        assert_eq!(rebase("/abs/pkg", base, Path::new("/project")), "/abs/pkg");
    }
}
