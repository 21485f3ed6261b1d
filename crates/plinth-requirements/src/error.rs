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
    #[error("{}", io_message(error))]
    Read { error: io::Error },
    /// The file is not valid UTF-8; the location is the first invalid byte, `byte`.
    #[error("{}", not_utf8_message(*byte))]
    NotUtf8 { byte: u8 },
    /// The file is larger than `limit` bytes.
    #[error("It is larger than {} MiB, the limit for an input file", limit / (1024 * 1024))]
    TooLarge { limit: u64 },
    /// A file named by `-r` or `-c` could not be read; the location is the include line.
    #[error("{}", io_message(error))]
    IncludeRead { included: PathBuf, error: io::Error },
    /// The last line ends in `\`: it continues onto a line that is not there.
    #[error("The file ends after this `\\`, so the line continues onto nothing")]
    ContinuationAtEnd,
    /// An `--index-url` or `--extra-index-url` value that is not an absolute `http(s)` or
    /// `file` URL; `url` as written.
    #[error("`{url}` is not an index URL: {message}")]
    InvalidIndexUrl { url: String, message: String },
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
    #[error("`{argument}` is neither an option nor the value of one")]
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

fn io_message(error: &io::Error) -> String {
    if error.kind() == io::ErrorKind::IsADirectory {
        "It is a directory, not a file".to_string()
    } else {
        error.to_string()
    }
}

fn not_utf8_message(byte: u8) -> String {
    format!("Byte `0x{byte:02X}` is not valid UTF-8, and input files must be UTF-8 encoded")
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
            Self::NotUtf8 { .. } => "Invalid UTF-8".to_string(),
            Self::TooLarge { .. } => "File too large".to_string(),
            Self::ContinuationAtEnd => "Invalid line continuation".to_string(),
            Self::InvalidIndexUrl { .. } => "Invalid index URL".to_string(),
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

    /// The `hint:` line, if any. `path` is the file the error is in; `location` where.
    fn hint(&self, path: &Path, location: Option<&Location>) -> Option<String> {
        let directory_hint = |directory: &Path| {
            format!(
                "name a requirements file in it, e.g. `{}`",
                directory.join("requirements.in").display()
            )
        };
        match self {
            Self::InvalidHash { .. } => {
                Some("write hashes as in `--hash=sha256:<64 hex digits>`".to_string())
            }
            Self::Read { error } if error.kind() == io::ErrorKind::IsADirectory => {
                Some(directory_hint(path))
            }
            Self::IncludeRead { included, error }
                if error.kind() == io::ErrorKind::IsADirectory =>
            {
                Some(directory_hint(included))
            }
            Self::IncludeRead { error, .. } if error.kind() == io::ErrorKind::NotFound => Some(
                "a `-r`/`-c` path is relative to the directory of the file that names it"
                    .to_string(),
            ),
            Self::NotUtf8 { byte } => {
                let at_start = location.is_some_and(|at| at.line == 1 && at.column == 1);
                if at_start && matches!(byte, 0xFF | 0xFE) {
                    Some("the file starts like UTF-16 (as PowerShell's `>` writes it): save it as UTF-8".to_string())
                } else {
                    Some("save the file as UTF-8".to_string())
                }
            }
            Self::TooLarge { .. } => Some(format!(
                "check that `{}` is the requirements file you meant",
                path.display()
            )),
            Self::ContinuationAtEnd => Some(
                "remove the `\\`, or restore the line it should continue onto".to_string(),
            ),
            Self::InvalidIndexUrl { .. } => {
                Some("give an absolute URL, e.g. `https://pypi.org/simple/`".to_string())
            }
            Self::UnknownOption { .. } => Some(
                "requirements files take `-r`, `-c`, `-e`, `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`, `--no-index`, `--pre`, and `--hash` after a requirement".to_string(),
            ),
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

/// Source lines longer than this many chars are shown as a window around the caret.
const SHOWN_LINE_MAX: usize = 120;
/// How many chars of a long line are shown before the caret.
const SHOWN_BEFORE_CARET: usize = 60;
/// Details (which may quote the input) longer than this many chars are cut.
const DETAIL_MAX: usize = 300;

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
                if matches!(
                    inner.kind,
                    ParseErrorKind::Read { .. } | ParseErrorKind::TooLarge { .. }
                ) {
                    write!(f, " `{}`", inner.path.display())?;
                }
            }
        }
        let detail = mask_credentials(&inner.kind.to_string());
        write!(f, ": {}", shorten(&detail, DETAIL_MAX))?;
        if let Some(location) = &inner.location {
            write!(f, "{}", Snippet(location))?;
        }
        for origin in &inner.included_from {
            write!(f, "\n  included from `{origin}`")?;
        }
        if let Some(hint) = inner.kind.hint(&inner.path, inner.location.as_ref()) {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The source line and the caret line under it, each on a new line and indented by two
/// spaces. A line longer than [`SHOWN_LINE_MAX`] chars is cut to a window around the caret,
/// with `…` where text is left out. Credentials in URLs and control chars are replaced char
/// for char, so that the caret stays in place.
struct Snippet<'a>(&'a Location);

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.0;
        // Control chars (a NUL of UTF-16 text, a stray `\r`) would garble the terminal.
        let chars: Vec<char> = mask_credentials(&location.source_line)
            .chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect();
        let caret_at = location.column.saturating_sub(1).min(chars.len());
        let (start, end) = if chars.len() <= SHOWN_LINE_MAX {
            (0, chars.len())
        } else {
            let start = caret_at.saturating_sub(SHOWN_BEFORE_CARET);
            let end = (start + SHOWN_LINE_MAX).min(chars.len());
            (end.saturating_sub(SHOWN_LINE_MAX).min(start), end)
        };
        let cut_before = if start > 0 { "…" } else { "" };
        let cut_after = if end < chars.len() { "…" } else { "" };
        let shown: String = chars[start..end].iter().collect();
        // Keep tabs in the caret line's indentation so that the caret lines up.
        let indent: String = cut_before
            .chars()
            .map(|_| ' ')
            .chain(
                chars[start..caret_at]
                    .iter()
                    .map(|&c| if c == '\t' { '\t' } else { ' ' }),
            )
            .collect();
        let caret_len = location.caret_len.min(end.saturating_sub(caret_at)).max(1);
        write!(
            f,
            "\n  {cut_before}{shown}{cut_after}\n  {indent}{}",
            "^".repeat(caret_len)
        )
    }
}

/// `text` cut to `max` chars, with `…` when something was left out.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_string(),
    }
}

/// `text` with the credentials of any `scheme://user:password@host` in it replaced by `*`,
/// one for each char: the password when there is one, else the whole user part (a token).
/// `${NAME}` references are kept: they are not the secret.
fn mask_credentials(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let mut index = 0;
    while index + 3 <= chars.len() {
        if chars[index..index + 3] != [':', '/', '/'] {
            index += 1;
            continue;
        }
        let authority_start = index + 3;
        let authority_end = chars[authority_start..]
            .iter()
            .position(|&c| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .map_or(chars.len(), |length| authority_start + length);
        if let Some(at) = chars[authority_start..authority_end]
            .iter()
            .rposition(|&c| c == '@')
            .map(|offset| authority_start + offset)
        {
            let secret_start = chars[authority_start..at]
                .iter()
                .position(|&c| c == ':')
                .map_or(authority_start, |offset| authority_start + offset + 1);
            let mut position = secret_start;
            while position < at {
                if chars[position] == '$' && chars.get(position + 1) == Some(&'{') {
                    match chars[position..at].iter().position(|&c| c == '}') {
                        Some(close) => position += close + 1,
                        None => position = at,
                    }
                    continue;
                }
                chars[position] = '*';
                position += 1;
            }
        }
        index = authority_end.max(index + 1);
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_char_for_char() {
        assert_eq!(
            mask_credentials("-i https://user:hunter2@host/simple"),
            "-i https://user:*******@host/simple"
        );
        assert_eq!(
            mask_credentials("x @ https://TOKEN@host/x.whl"),
            "x @ https://*****@host/x.whl"
        );
        assert_eq!(
            mask_credentials("-i https://__token__:${PYPI_TOKEN}@host/ https://host/a@b"),
            "-i https://__token__:${PYPI_TOKEN}@host/ https://host/a@b"
        );
        assert_eq!(mask_credentials("six>=1.0"), "six>=1.0");
    }

    fn snippet(line: &str, column: usize, caret_len: usize) -> String {
        let location = Location {
            line: 1,
            column,
            source_line: line.to_string(),
            caret_len,
        };
        Snippet(&location).to_string()
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        assert_eq!(snippet("\tsix>=>1", 5, 3), "\n  \tsix>=>1\n  \t   ^^^");
    }

    #[test]
    fn a_long_line_is_cut_around_the_caret() {
        let line = format!("{}BAD{}", "a".repeat(1000), "b".repeat(1000));
        let shown = snippet(&line, 1001, 3);
        let lines: Vec<&str> = shown.lines().collect();
        let expected_line = format!(
            "  …{}BAD{}…",
            "a".repeat(SHOWN_BEFORE_CARET),
            "b".repeat(SHOWN_LINE_MAX - SHOWN_BEFORE_CARET - 3)
        );
        assert_eq!(lines[1], expected_line);
        assert_eq!(
            lines[2],
            format!("   {}^^^", " ".repeat(SHOWN_BEFORE_CARET))
        );
        // At the end of a long line, the window ends there too.
        let line = format!("{}BAD", "a".repeat(1000));
        let shown = snippet(&line, 1001, 3);
        assert!(shown.contains(&format!("  …{}BAD\n", "a".repeat(SHOWN_LINE_MAX - 3))));
    }

    #[test]
    fn long_details_are_cut() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
