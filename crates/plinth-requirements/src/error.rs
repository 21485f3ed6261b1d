//! Errors of the requirements file parser.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::parse::{Located, Origin};

/// An error found while reading or parsing a requirements file (or a file it includes).
///
/// The `Display` output is complete and multi-line: the message, then (for errors at a
/// position) the source line and a caret under the offending text, then one
/// `included from` line per include step that led to the file, innermost first, then
/// `hint:` lines. For that reason the error has no `source()`: everything is in the message.
#[derive(Debug, thiserror::Error)]
#[error("{}", Rendered(self))]
pub struct ParseError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ParseErrorKind,
    path: PathBuf,
    location: Option<Location>,
    included_from: Vec<Origin>,
}

/// Where in a file an error is, with what to show under it.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    /// 1-based physical line.
    pub(crate) line: usize,
    /// 1-based column, counted in chars.
    pub(crate) column: usize,
    /// The physical line, as shown to the user.
    pub(crate) source_line: String,
    /// Number of `^` to print (at least 1).
    pub(crate) caret_len: usize,
}

/// What went wrong. The `Display` of a kind is the detail after the location; see
/// [`ParseError`] for the full message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The file could not be read (missing, a directory, no permission, ...).
    #[error("{error}")]
    Read { error: io::Error },
    /// The file is not valid UTF-8; the location is the first invalid byte.
    #[error("The file must be UTF-8 encoded")]
    NotUtf8,
    /// A file named by `-r` or `-c` could not be read; the location is the include line.
    #[error("{error}")]
    IncludeRead { included: PathBuf, error: io::Error },
    /// A `-r`/`-c` includes a file that is already being read. `chain` runs from the file
    /// that is included again, through each include, back to it.
    #[error("{}", format_chain(chain))]
    IncludeCycle { chain: Vec<PathBuf> },
    /// pep508_rs rejected the requirement text.
    #[error("{message}")]
    InvalidRequirement { message: String },
    /// A pip option plinth does not implement yet.
    #[error("`{option}` is not supported yet")]
    UnsupportedOption { option: String },
    /// `-r URL` or `-c URL`.
    #[error("Including a URL (`{url}`) is not supported yet")]
    UnsupportedIncludeUrl { url: String },
    /// An option pip does not know either.
    #[error("`{option}`")]
    UnknownOption { option: String },
    /// An option that needs a value has none.
    #[error("`{option}` requires a value")]
    MissingValue { option: String },
    /// A flag given a value, as in `--pre=yes`.
    #[error("`{option}` does not take a value")]
    UnexpectedValue { option: String },
    /// A file-level option after a requirement, or `--hash` on a line without one.
    #[error("{}", misplaced_message(option, *after_requirement))]
    MisplacedOption {
        option: String,
        after_requirement: bool,
    },
    /// A word among the options that is neither an option nor its value.
    #[error("`{argument}`")]
    UnexpectedArgument { argument: String },
    /// A quote in the options that is not closed on the line.
    #[error("The quote is not closed")]
    UnterminatedQuote,
    /// A `--hash` value that is not `sha256:`, `sha384:` or `sha512:` and a lowercase hex digest.
    #[error(
        "`{value}` is not `sha256:`, `sha384:` or `sha512:` followed by a lowercase hex digest of that length"
    )]
    InvalidHash { value: String },
    /// A `pyproject.toml` that is not valid TOML.
    #[error("{message}")]
    InvalidToml { message: String },
    /// A `pyproject.toml` whose `[project]` table breaks PEP 621 (a key of the wrong type,
    /// no `name`, an invalid name or extra name).
    #[error("{message}")]
    InvalidProject { message: String },
    /// A path, URL or editable in a constraints file (pip does not allow them either).
    #[error("`{text}` is not allowed in a constraints file: constraints name packages")]
    UnnamedConstraint { text: String },
    /// Two different `--index-url` values.
    #[error("`{second}` differs from `{}` set at `{}`", first.value, first.origin)]
    ConflictingIndexUrl {
        first: Located<String>,
        second: String,
    },
}

fn format_chain(chain: &[PathBuf]) -> String {
    chain
        .iter()
        .map(|path| format!("`{}`", path.display()))
        .collect::<Vec<_>>()
        .join(" -> ")
}

fn misplaced_message(option: &str, after_requirement: bool) -> String {
    if after_requirement {
        format!("`{option}` must be on a line of its own, not after a requirement")
    } else {
        format!("`{option}` is only allowed after a requirement on the same line")
    }
}

impl ParseErrorKind {
    /// The start of the message, before ` at `file:line:column``.
    fn headline(&self) -> String {
        match self {
            Self::Read { .. } => "Failed to read".to_string(),
            Self::NotUtf8 => "Invalid UTF-8".to_string(),
            Self::IncludeRead { included, .. } => {
                format!("Failed to read `{}`", included.display())
            }
            Self::IncludeCycle { .. } => "Include cycle".to_string(),
            Self::InvalidRequirement { .. } => "Invalid requirement".to_string(),
            Self::UnsupportedOption { .. } | Self::UnsupportedIncludeUrl { .. } => {
                "Unsupported option".to_string()
            }
            Self::UnknownOption { .. } => "Unknown option".to_string(),
            Self::MissingValue { .. }
            | Self::UnexpectedValue { .. }
            | Self::MisplacedOption { .. }
            | Self::UnterminatedQuote => "Invalid option".to_string(),
            Self::UnexpectedArgument { .. } => "Unexpected argument".to_string(),
            Self::InvalidHash { .. } => "Invalid hash".to_string(),
            Self::ConflictingIndexUrl { .. } => "Conflicting index URL".to_string(),
            Self::UnnamedConstraint { .. } => "Invalid constraint".to_string(),
            Self::InvalidToml { .. } => "Invalid TOML".to_string(),
            Self::InvalidProject { .. } => "Invalid `[project]` table".to_string(),
        }
    }

    fn hint(&self) -> Option<&'static str> {
        match self {
            Self::InvalidHash { .. } => Some("Write hashes as in `--hash=sha256:<64 hex digits>`"),
            _ => None,
        }
    }
}

impl ParseError {
    pub(crate) fn new(
        kind: ParseErrorKind,
        path: &Path,
        location: Option<Location>,
        included_from: Vec<Origin>,
    ) -> Self {
        Self(Box::new(Inner {
            kind,
            path: path.to_path_buf(),
            location,
            included_from,
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.0.kind
    }

    /// The file the error is in (as reached: joined from the including file's directory).
    /// For an include that cannot be read this is the including file; see
    /// [`ParseErrorKind::IncludeRead`] for the included one.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// The 1-based physical line of the error, when it has a position.
    pub fn line(&self) -> Option<usize> {
        self.0.location.as_ref().map(|location| location.line)
    }

    /// The 1-based column of the error in chars, when it has a position.
    pub fn column(&self) -> Option<usize> {
        self.0.location.as_ref().map(|location| location.column)
    }

    /// The `-r`/`-c` lines that led to the file, innermost first; empty for the top file.
    pub fn included_from(&self) -> &[Origin] {
        &self.0.included_from
    }
}

struct Rendered<'a>(&'a ParseError);

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0.0;
        write!(f, "{}", inner.kind.headline())?;
        match &inner.location {
            Some(location) => write!(
                f,
                " at `{}:{}:{}`",
                inner.path.display(),
                location.line,
                location.column
            )?,
            None => {
                if matches!(inner.kind, ParseErrorKind::Read { .. }) {
                    write!(f, " `{}`", inner.path.display())?;
                }
            }
        }
        write!(f, ": {}", inner.kind)?;
        if let Some(location) = &inner.location {
            // Keep tabs in the caret line's indentation so that the caret lines up.
            let indent: String = location
                .source_line
                .chars()
                .take(location.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n  {}\n  {}{}",
                location.source_line,
                indent,
                "^".repeat(location.caret_len.max(1))
            )?;
        }
        for origin in &inner.included_from {
            write!(f, "\n  included from `{origin}`")?;
        }
        if let Some(hint) = inner.kind.hint() {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}
