//! Git checkouts for `git+…` direct references, with the system `git`.
//!
//! The repository is cloned into a temporary directory, the revision (a tag,
//! a branch or a commit, else the default branch) is resolved to a full commit
//! hash, and that commit is checked out. git never prompts (a repository that
//! needs credentials it does not have fails), and its messages are shown
//! without the credentials of the URL. Submodules are not checked out.

use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;
use url::Url;

/// A checked-out commit; the directory goes away on drop.
pub(crate) struct Checkout {
    directory: TempDir,
    /// The full hash of the checked-out commit.
    pub commit: String,
}

/// Clone `repository` and check out `revision` (`None`: the default branch).
pub(crate) fn checkout(repository: &Url, revision: Option<&str>) -> Result<Checkout, String> {
    if let Some(revision) = revision
        && (revision.is_empty() || revision.starts_with('-'))
    {
        return Err(format!("`{revision}` is not a git revision"));
    }
    let directory = tempfile::Builder::new()
        .prefix("plinth-git-")
        .tempdir()
        .map_err(|error| format!("failed to create a temporary directory: {error}"))?;
    let clone = directory.path().join("repository");
    run(
        repository,
        git()
            .args(["clone", "--quiet", "--no-checkout", "--"])
            .arg(repository.as_str())
            .arg(&clone),
    )?;
    let commit = match revision {
        None => rev_parse(&clone, "HEAD^{commit}")
            .ok_or_else(|| "the repository has no commits".to_string())?,
        Some(revision) => [
            format!("refs/tags/{revision}^{{commit}}"),
            format!("refs/remotes/origin/{revision}^{{commit}}"),
            format!("{revision}^{{commit}}"),
        ]
        .iter()
        .find_map(|candidate| rev_parse(&clone, candidate))
        .ok_or_else(|| format!("the repository has no branch, tag or commit named `{revision}`"))?,
    };
    run(
        repository,
        git()
            .arg("-C")
            .arg(&clone)
            .args(["-c", "advice.detachedHead=false", "checkout", "--quiet"])
            .arg(&commit),
    )?;
    Ok(Checkout { directory, commit })
}

impl Checkout {
    /// The working tree.
    pub fn path(&self) -> std::path::PathBuf {
        self.directory.path().join("repository")
    }
}

/// The full hash `spec` names in `clone`, if any.
fn rev_parse(clone: &Path, spec: &str) -> Option<String> {
    let output = git()
        .arg("-C")
        .arg(clone)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options", spec])
        .output()
        .ok()?;
    let hash = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && hash.len() >= 40 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(hash)
}

/// `git` that never asks for credentials on a terminal.
fn git() -> Command {
    let mut command = Command::new("git");
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    command
}

/// Run a git `command` about `repository`; on failure, its last lines of
/// output with the credentials of `repository` removed.
fn run(repository: &Url, command: &mut Command) -> Result<Output, String> {
    let output = command.output().map_err(|error| {
        format!("failed to run `git` ({error})\nhint: install git, or use a URL of an archive")
    })?;
    if output.status.success() {
        return Ok(output);
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    for secret in [
        repository.password().unwrap_or_default(),
        repository.username(),
    ] {
        if !secret.is_empty() {
            text = text.replace(secret, "****");
        }
    }
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(5)..].join("\n  ");
    Err(format!("git failed:\n  {tail}"))
}
