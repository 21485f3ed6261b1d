//! plinth-requirements: the two ends of the pipeline that speak pip's file format.
//!
//! * [`parse_file`] / [`parse_str`] read a `requirements.in` (or a `requirements.txt`) the way
//!   pip does and return the requirements, constraints and index options it contains, each
//!   with the file and line it came from. This is the first step of `plinth compile`.
//! * [`parse_pyproject_toml`] reads the PEP 621 `[project]` table of a `pyproject.toml` given
//!   as an input file: the project's name, `dependencies` and `optional-dependencies` (or that
//!   they are `dynamic`, left to a build), each requirement with its line; TOML and PEP 508
//!   errors name `file:line:column`. `setup.py` and `setup.cfg` are not read here: their
//!   requirements only come from a build.
//! * [`render_lockfile`] writes the pinned result in pip-compile's `requirements.txt` format
//!   (pins, `--hash` lines, `# via` annotations in split or line style, emitted index and
//!   find-links lines, extras on pins, packages left out). This is the last step.
//!
//! The crate does no resolution and no network access; the only I/O is reading the input file
//! and the files it includes.
//!
//! # Supported syntax
//!
//! Blank lines; `#` comments (full-line, and inline ones, which start at whitespace followed by
//! `#`, as in pip); `\` line continuations; PEP 508 requirement lines (names, extras, specifiers,
//! markers, `name @ url`), with trailing `--hash=algorithm:digest` options; paths and URLs
//! without a name (`./pkg`, `../dist/x-1.0-py3-none-any.whl`, `https://…/x.tar.gz`,
//! `git+https://…@v1`, with extras and a marker as pip splits them) and `-e`/`--editable`
//! lines, returned as [`UnnamedEntry`] values for the caller to name from their metadata
//! (constraints files can't have them, as in pip); `-r`/`--requirement` and `-c`/`--constraint` includes, resolved relative to the including
//! file's directory and nested to any depth (a `-r` inside a constraints file yields
//! constraints); `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`, `--no-index` and
//! `--pre`. Options accept the `--option value`, `--option=value` and `-xvalue` spellings, and
//! simple quoting of values.
//!
//! # Not supported
//!
//! Everything else is an error that names the file, line and column; nothing is skipped
//! silently:
//!
//! * pip options plinth does not implement yet (`--no-binary`, `--only-binary`,
//!   `--prefer-binary`, `--require-hashes`, `--trusted-host`, `--use-feature`,
//!   `--global-option`, `-C`/`--config-settings`) and includes of URLs;
//! * unknown options;
//! * files that are not UTF-8 (pip also guesses other encodings);
//! * a last line that ends in `\` (pip joins it with nothing; more likely the file was cut);
//! * `--index-url` / `--extra-index-url` values that are not absolute `http`, `https` or
//!   `file` URLs;
//! * files larger than [`MAX_FILE_SIZE`] (100 MiB).
//!
//! Errors show the line with a caret: columns count chars (a tab is one), a long line is
//! cut to a window around the caret, and URL credentials in it are masked char for char.
//! Blank and comment lines are skipped without per-char work, so large files parse in one
//! linear pass.
//!
//! # Environment variables
//!
//! `${NAME}` (uppercase letters, digits, `_`) is expanded as pip does ([`expand_env_vars`]): in
//! requirement lines before they are parsed (errors point at the reference as written; a
//! `name @ url` keeps the URL as written in [`pep508_rs::VerbatimUrl::given`]) and in `-r`/`-c`
//! paths. A variable that is unset or empty is left as written. Option values that may be
//! echoed into output (`--index-url`, `--extra-index-url`, `--find-links`) are kept as written
//! in [`Located::value`]; [`Located::expanded`] gives the value to use. `pyproject.toml` is not
//! expanded (pip does not either).

mod error;
mod expand;
mod parse;
mod pyproject;
mod render;

pub use error::{ParseError, ParseErrorKind};
pub use expand::expand_env_vars;
pub use parse::{
    Entry, Located, MAX_FILE_SIZE, Origin, RequirementsFile, UnnamedEntry, parse_bytes, parse_file,
    parse_str,
};
pub use pyproject::{Project, PyProjectToml, parse_pyproject_toml, parse_pyproject_toml_str};
pub use render::{AnnotationStyle, LockedPackage, Reference, RenderOptions, Via, render_lockfile};

#[cfg(test)]
mod tests;
