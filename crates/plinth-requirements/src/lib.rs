//! plinth-requirements: the two ends of the pipeline that speak pip's file format.
//!
//! * [`parse_file`] / [`parse_str`] read a `requirements.in` (or a `requirements.txt`) the way
//!   pip does and return the requirements, constraints and index options it contains, each
//!   with the file and line it came from. This is the first step of `plinth compile`.
//! * [`render_lockfile`] writes the pinned result in pip-compile's `requirements.txt` format
//!   (pins, `--hash` lines, `# via` annotations in split or line style). This is the last step.
//!
//! The crate does no resolution and no network access; the only I/O is reading the input file
//! and the files it includes.
//!
//! # Supported syntax
//!
//! Blank lines; `#` comments (full-line, and inline ones, which start at whitespace followed by
//! `#`, as in pip); `\` line continuations; PEP 508 requirement lines (names, extras, specifiers,
//! markers, `name @ url`), with trailing `--hash=algorithm:digest` options;
//! `-r`/`--requirement` and `-c`/`--constraint` includes, resolved relative to the including
//! file's directory and nested to any depth (a `-r` inside a constraints file yields
//! constraints); `-i`/`--index-url`, `--extra-index-url` and `--pre`. Options accept the
//! `--option value`, `--option=value` and `-xvalue` spellings, and simple quoting of values.
//!
//! # Not supported
//!
//! Everything else is an error that names the file, line and column; nothing is skipped
//! silently:
//!
//! * pip options plinth does not implement yet (`-e`, `-f`/`--find-links`, `--no-index`,
//!   `--no-binary`, `--only-binary`, `--prefer-binary`, `--require-hashes`, `--trusted-host`,
//!   `--use-feature`, `--global-option`, `-C`/`--config-settings`) and includes of URLs;
//! * requirements without a package name (`./pkg`, `https://…/x.whl`, `x-1.0-py3-none-any.whl`);
//!   `name @ url` works;
//! * unknown options;
//! * files that are not UTF-8 (pip also guesses other encodings).
//!
//! `${VAR}` is not expanded by this crate: names, specifiers and options keep it as written. Note
//! that pep508_rs itself expands `${VAR}` in the parsed URL of a `name @ url` requirement (the
//! verbatim text is kept as [`pep508_rs::VerbatimUrl::given`]).

mod error;
mod parse;
mod render;

pub use error::{ParseError, ParseErrorKind};
pub use parse::{Entry, Located, Origin, RequirementsFile, parse_file, parse_str};
pub use render::{AnnotationStyle, LockedPackage, RenderOptions, Via, render_lockfile};

#[cfg(test)]
mod tests;
