//! Parser for pip requirements files (`requirements.in`, `requirements.txt`).
//!
//! The steps follow pip's `req_file.py`: split into physical lines, join `\` continuations,
//! strip comments, split each logical line into the requirement text and its options, then
//! parse the requirement with pep508_rs and the options by hand (pip uses optparse). Every
//! char of a logical line remembers its physical line and column, so that errors point at the
//! right place even on continuation lines.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerTree, Requirement, VersionOrUrl};

use crate::error::{Location, ParseError, ParseErrorKind};
use crate::expand::{Expanded, expand_mapped, process_env};

/// Where an entry or option was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file, as reached: the top file as given, an included one joined onto the
    /// including file's directory (not normalized, not canonicalized).
    pub path: PathBuf,
    /// 1-based line; for a continued line, its first physical line.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// A requirement (or constraint) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub requirement: Requirement,
    pub origin: Origin,
    /// The `--hash` values of the line, as written (`sha256:<hex>`), in order.
    pub hashes: Vec<String>,
}

/// A requirement given by location without a package name: a path or URL line (`./pkg`,
/// `../dist/x-1.0-py3-none-any.whl`, `https://…/x.tar.gz`, `git+https://…@v1`), or an
/// editable (`-e ./pkg`). The name comes from the distribution's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnnamedEntry {
    /// The path or URL as written (`${NAME}` not expanded), without extras and marker.
    pub target: String,
    pub extras: Vec<ExtraName>,
    pub marker: MarkerTree,
    /// Given with `-e`/`--editable`.
    pub editable: bool,
    pub origin: Origin,
    /// The `--hash` values of the line, as written (`sha256:<hex>`), in order.
    pub hashes: Vec<String>,
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub origin: Origin,
}

impl Located<String> {
    /// The value with `${NAME}` references expanded from the environment, as pip does: what
    /// to use. [`Located::value`] is the text as written: what to echo into output, so that
    /// the values of variables (tokens, passwords) never land in a lockfile.
    pub fn expanded(&self) -> String {
        crate::expand_env_vars(&self.value).into_owned()
    }
}

/// Everything a requirements file (and the files it includes) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirementsFile {
    /// Requirements of the file and of its `-r` includes (recursively), in file order.
    pub requirements: Vec<Entry>,
    /// Requirements of `-c` files (recursively; a `-r` inside a `-c` file also yields
    /// constraints), in file order.
    pub constraints: Vec<Entry>,
    /// `-i`/`--index-url`, as written (see [`Located::expanded`]). Repeating the same URL is
    /// allowed; a different one is an error.
    pub index_url: Option<Located<String>>,
    /// `--extra-index-url` values as written, in order, without repeats (the first one is kept).
    pub extra_index_urls: Vec<Located<String>>,
    /// `--pre` appeared in some file.
    pub pre: bool,
    /// `-f`/`--find-links` values as written, in order: directories (a
    /// relative one is relative to the directory of [`Origin::path`], as pip reads it), HTML
    /// files or URLs.
    pub find_links: Vec<Located<String>>,
    /// `--no-index` appeared in some file.
    pub no_index: bool,
    /// Paths, URLs and editables without a package name, in file order (constraints files
    /// can't have them).
    pub unnamed: Vec<UnnamedEntry>,
}

/// Read and parse a requirements file and, recursively, the files it includes.
pub fn parse_file(path: &Path) -> Result<RequirementsFile, ParseError> {
    let mut parser = Parser::default();
    let content = read_file(path).map_err(|failure| failure.into_error(path, Vec::new()))?;
    parser.parse_content(&content, path, FileKind::Requirements, None)?;
    Ok(parser.result)
}

/// Parse requirements file content given as bytes (read from stdin, say): [`parse_str`] after
/// the checks [`parse_file`] makes, that the bytes are UTF-8 and at most [`MAX_FILE_SIZE`].
pub fn parse_bytes(bytes: Vec<u8>, path: &Path) -> Result<RequirementsFile, ParseError> {
    let content = decode(bytes).map_err(|failure| failure.into_error(path, Vec::new()))?;
    parse_str(&content, path)
}

/// Parse requirements file content. `path` is used in messages and origins, and its parent
/// directory to resolve `-r`/`-c` includes, which are read from disk.
pub fn parse_str(content: &str, path: &Path) -> Result<RequirementsFile, ParseError> {
    let mut parser = Parser::default();
    parser.parse_content(content, path, FileKind::Requirements, None)?;
    Ok(parser.result)
}

/// [`parse_str`] with these environment variables for `${NAME}` instead of the process's.
#[cfg(test)]
pub(crate) fn parse_str_with_env(
    content: &str,
    path: &Path,
    env: &[(&str, &str)],
) -> Result<RequirementsFile, ParseError> {
    let mut parser = Parser {
        env: Some(
            env.iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        ),
        ..Parser::default()
    };
    parser.parse_content(content, path, FileKind::Requirements, None)?;
    Ok(parser.result)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Requirements,
    Constraints,
}

/// A file being parsed, for cycle detection and the "included from" chain.
struct Frame {
    path: PathBuf,
    identity: PathBuf,
    /// The `-r`/`-c` line that included this file; `None` for the top file.
    included_at: Option<Origin>,
}

#[derive(Default)]
struct Parser {
    result: RequirementsFile,
    stack: Vec<Frame>,
    /// Variables for `${NAME}` in place of the process environment (unit tests).
    env: Option<Vec<(String, String)>>,
}

/// A file's content, split into physical lines, for error messages.
struct Source<'a> {
    path: &'a Path,
    lines: Vec<&'a str>,
}

impl Parser {
    fn parse_content(
        &mut self,
        content: &str,
        path: &Path,
        kind: FileKind,
        included_at: Option<Origin>,
    ) -> Result<(), ParseError> {
        self.stack.push(Frame {
            path: path.to_path_buf(),
            identity: identity(path),
            included_at,
        });
        let result = self.parse_lines(content, path, kind);
        self.stack.pop();
        result
    }

    /// `text` with `${NAME}` references expanded, as pip does.
    fn expand(&self, text: &str) -> Expanded {
        match &self.env {
            Some(vars) => expand_mapped(text, &|name| {
                vars.iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            }),
            None => expand_mapped(text, &process_env),
        }
    }

    /// The "included from" chain of the file on top of the stack, innermost first.
    fn chain(&self) -> Vec<Origin> {
        self.stack
            .iter()
            .rev()
            .filter_map(|frame| frame.included_at.clone())
            .collect()
    }

    fn parse_lines(
        &mut self,
        content: &str,
        path: &Path,
        kind: FileKind,
    ) -> Result<(), ParseError> {
        let content = content.strip_prefix('\u{feff}').unwrap_or(content);
        let source = Source {
            path,
            lines: content.lines().collect(),
        };
        for line in logical_lines(&source.lines) {
            let Some(line) = line.without_comment() else {
                continue;
            };
            self.parse_line(&source, &line, kind)?;
        }
        // pip joins a last line ending in `\` with nothing; more likely the file was cut.
        if let Some(last) = source.lines.last()
            && last.ends_with('\\')
            && !last.trim_start().starts_with('#')
        {
            let location = Location {
                line: source.lines.len(),
                column: last.chars().count(),
                source_line: (*last).to_string(),
                caret_len: 1,
            };
            return Err(ParseError::new(
                ParseErrorKind::ContinuationAtEnd,
                path,
                Some(location),
                self.chain(),
            ));
        }
        Ok(())
    }

    fn error(
        &self,
        source: &Source<'_>,
        line: &LogicalLine,
        span: Span,
        kind: ParseErrorKind,
    ) -> ParseError {
        ParseError::new(
            kind,
            source.path,
            Some(line.location(source, span)),
            self.chain(),
        )
    }

    fn parse_line(
        &mut self,
        source: &Source<'_>,
        line: &LogicalLine,
        kind: FileKind,
    ) -> Result<(), ParseError> {
        let options_start = line.options_start();
        let args = line.trimmed_span(0, options_start);
        let tokens = tokenize_options(line, options_start)
            .map_err(|span| self.error(source, line, span, ParseErrorKind::UnterminatedQuote))?;
        let origin = Origin {
            path: source.path.to_path_buf(),
            line: line.first_line,
        };
        if args.len == 0 {
            self.parse_option_line(source, line, &tokens, kind, &origin)
        } else if unnamed_head_len(&self.expand(&line.text(args)).text).is_some() {
            if kind == FileKind::Constraints {
                return Err(self.error(
                    source,
                    line,
                    args,
                    ParseErrorKind::UnnamedConstraint {
                        text: line.text(args),
                    },
                ));
            }
            let (target, extras, marker) =
                split_unnamed(&line.text(args), true).map_err(|(start, len, message)| {
                    let span = Span {
                        start: args.start + start,
                        len,
                    };
                    self.error(
                        source,
                        line,
                        span,
                        ParseErrorKind::InvalidRequirement { message },
                    )
                })?;
            let hashes = self.parse_requirement_options(source, line, &tokens)?;
            self.result.unnamed.push(UnnamedEntry {
                target,
                extras,
                marker,
                editable: false,
                origin,
                hashes,
            });
            Ok(())
        } else {
            let requirement = self.parse_requirement(source, line, args)?;
            let hashes = self.parse_requirement_options(source, line, &tokens)?;
            let entry = Entry {
                requirement,
                origin,
                hashes,
            };
            match kind {
                FileKind::Requirements => self.result.requirements.push(entry),
                FileKind::Constraints => self.result.constraints.push(entry),
            }
            Ok(())
        }
    }

    fn parse_requirement(
        &self,
        source: &Source<'_>,
        line: &LogicalLine,
        args: Span,
    ) -> Result<Requirement, ParseError> {
        let written = line.text(args);
        // `${NAME}` is expanded as pip does; spans found in the expanded text are mapped
        // back onto the line as written.
        let expanded = self.expand(&written);
        let text = expanded.text.clone();
        let span = |start: usize, len: usize| {
            let (start, len) = expanded.original_span(start, len);
            Span {
                start: args.start + start,
                len,
            }
        };
        if let Some((start, message)) = name_ending_in_punctuation(&text) {
            return Err(self.error(
                source,
                line,
                span(start, 1),
                ParseErrorKind::InvalidRequirement { message },
            ));
        }
        let requirement = Requirement::from_str(&text).map_err(|error| {
            let mut span = span(error.start, error.len);
            // pep508_rs may start a span at the whitespace before the culprit, which can be
            // on the previous physical line of a continued line.
            while span.len > 1
                && line
                    .chars
                    .get(span.start)
                    .is_some_and(|c| c.is_whitespace())
            {
                span.start += 1;
                span.len -= 1;
            }
            self.error(
                source,
                line,
                span,
                ParseErrorKind::InvalidRequirement {
                    message: error.message.to_string(),
                },
            )
        })?;
        Ok(with_written_url(requirement, &written))
    }

    /// The options after a requirement: only `--hash` is supported there.
    fn parse_requirement_options(
        &self,
        source: &Source<'_>,
        line: &LogicalLine,
        tokens: &[Token],
    ) -> Result<Vec<String>, ParseError> {
        let mut hashes = Vec::new();
        let mut index = 0;
        while let Some(token) = tokens.get(index) {
            index += 1;
            let parsed = self.parse_option(source, line, token, tokens, &mut index)?;
            match parsed.spec.action {
                Action::Hash => {
                    let value = parsed.value.unwrap_or_default();
                    if !is_valid_hash(&value) {
                        return Err(self.error(
                            source,
                            line,
                            parsed.value_span.unwrap_or(token.span),
                            ParseErrorKind::InvalidHash { value },
                        ));
                    }
                    hashes.push(value);
                }
                Action::Unsupported => {
                    return Err(self.error(
                        source,
                        line,
                        token.span,
                        ParseErrorKind::UnsupportedOption {
                            option: parsed.spelled,
                        },
                    ));
                }
                Action::Requirement
                | Action::Constraint
                | Action::IndexUrl
                | Action::ExtraIndexUrl
                | Action::FindLinks
                | Action::NoIndex
                | Action::Editable
                | Action::Pre => {
                    return Err(self.error(
                        source,
                        line,
                        token.span,
                        ParseErrorKind::MisplacedOption {
                            option: parsed.spelled,
                            after_requirement: true,
                        },
                    ));
                }
            }
        }
        Ok(hashes)
    }

    /// A line of options only (`-r`, `-c`, `-i`, `--extra-index-url`, `--pre`).
    fn parse_option_line(
        &mut self,
        source: &Source<'_>,
        line: &LogicalLine,
        tokens: &[Token],
        kind: FileKind,
        origin: &Origin,
    ) -> Result<(), ParseError> {
        // Check the whole line before acting on any of it.
        let mut options = Vec::new();
        let mut index = 0;
        while let Some(token) = tokens.get(index) {
            index += 1;
            let parsed = self.parse_option(source, line, token, tokens, &mut index)?;
            match parsed.spec.action {
                Action::Hash => {
                    return Err(self.error(
                        source,
                        line,
                        parsed.span,
                        ParseErrorKind::MisplacedOption {
                            option: parsed.spelled,
                            after_requirement: false,
                        },
                    ));
                }
                Action::Unsupported => {
                    return Err(self.error(
                        source,
                        line,
                        parsed.span,
                        ParseErrorKind::UnsupportedOption {
                            option: parsed.spelled,
                        },
                    ));
                }
                _ => options.push(parsed),
            }
        }
        for parsed in options {
            let value = parsed.value.unwrap_or_default();
            let value_span = parsed.value_span.unwrap_or(parsed.span);
            if matches!(parsed.spec.action, Action::IndexUrl | Action::ExtraIndexUrl)
                && let Err(message) = check_index_url(&self.expand(&value).text)
            {
                let kind = ParseErrorKind::InvalidIndexUrl {
                    url: value,
                    message,
                };
                return Err(self.error(source, line, value_span, kind));
            }
            match parsed.spec.action {
                Action::Requirement | Action::Constraint => {
                    let nested_kind = if parsed.spec.action == Action::Constraint {
                        FileKind::Constraints
                    } else {
                        kind
                    };
                    let path = self.expand(&value).text;
                    self.include(source, line, value_span, &path, nested_kind, origin)?;
                }
                Action::IndexUrl => match &self.result.index_url {
                    Some(first) if first.value != value => {
                        return Err(self.error(
                            source,
                            line,
                            value_span,
                            ParseErrorKind::ConflictingIndexUrl {
                                first: first.clone(),
                                second: value,
                            },
                        ));
                    }
                    Some(_) => {}
                    None => {
                        self.result.index_url = Some(Located {
                            value,
                            origin: origin.clone(),
                        });
                    }
                },
                Action::ExtraIndexUrl => {
                    if !self
                        .result
                        .extra_index_urls
                        .iter()
                        .any(|url| url.value == value)
                    {
                        self.result.extra_index_urls.push(Located {
                            value,
                            origin: origin.clone(),
                        });
                    }
                }
                // Not deduplicated: `./wheels` means another directory in another file.
                Action::FindLinks => self.result.find_links.push(Located {
                    value,
                    origin: origin.clone(),
                }),
                Action::NoIndex => self.result.no_index = true,
                Action::Editable => {
                    if kind == FileKind::Constraints {
                        return Err(self.error(
                            source,
                            line,
                            parsed.span,
                            ParseErrorKind::UnnamedConstraint {
                                text: format!("{} {value}", parsed.spelled),
                            },
                        ));
                    }
                    let (target, extras, marker) =
                        split_unnamed(&value, false).map_err(|(_, _, message)| {
                            let kind = ParseErrorKind::InvalidRequirement { message };
                            self.error(source, line, value_span, kind)
                        })?;
                    self.result.unnamed.push(UnnamedEntry {
                        target,
                        extras,
                        marker,
                        editable: true,
                        origin: origin.clone(),
                        hashes: Vec::new(),
                    });
                }
                Action::Pre => self.result.pre = true,
                // Rejected above.
                Action::Hash | Action::Unsupported => {}
            }
        }
        Ok(())
    }

    /// Parse the option `token`; when it takes its value from the next word, that is
    /// `tokens[*index]`, and `index` moves past it.
    fn parse_option(
        &self,
        source: &Source<'_>,
        line: &LogicalLine,
        token: &Token,
        tokens: &[Token],
        index: &mut usize,
    ) -> Result<ParsedOption, ParseError> {
        let (spec, spelled, inline_value) = match split_option(&token.text) {
            Some(split) => split,
            None if token.text.starts_with('-') => {
                return Err(self.error(
                    source,
                    line,
                    token.span,
                    ParseErrorKind::UnknownOption {
                        option: option_name(&token.text).to_string(),
                    },
                ));
            }
            None => {
                return Err(self.error(
                    source,
                    line,
                    token.span,
                    ParseErrorKind::UnexpectedArgument {
                        argument: token.text.clone(),
                    },
                ));
            }
        };
        // Options plinth doesn't implement are reported before looking at their value.
        if spec.action == Action::Unsupported || !spec.takes_value {
            if inline_value.is_some() && spec.action != Action::Unsupported {
                return Err(self.error(
                    source,
                    line,
                    token.span,
                    ParseErrorKind::UnexpectedValue { option: spelled },
                ));
            }
            return Ok(ParsedOption {
                spec,
                span: token.span,
                spelled,
                value: None,
                value_span: None,
            });
        }
        let (value, value_span) = match inline_value {
            Some(value) => (value, token.span),
            None => match tokens.get(*index) {
                Some(next) => {
                    *index += 1;
                    (next.text.clone(), next.span)
                }
                None => (String::new(), token.span),
            },
        };
        if value.is_empty() {
            return Err(self.error(
                source,
                line,
                token.span,
                ParseErrorKind::MissingValue { option: spelled },
            ));
        }
        Ok(ParsedOption {
            spec,
            span: token.span,
            spelled,
            value: Some(value),
            value_span: Some(value_span),
        })
    }

    /// Read and parse the file named by `-r`/`-c` at `span`.
    fn include(
        &mut self,
        source: &Source<'_>,
        line: &LogicalLine,
        span: Span,
        value: &str,
        kind: FileKind,
        origin: &Origin,
    ) -> Result<(), ParseError> {
        if looks_like_url(value) {
            return Err(self.error(
                source,
                line,
                span,
                ParseErrorKind::UnsupportedIncludeUrl {
                    url: value.to_string(),
                },
            ));
        }
        let path = match source.path.parent() {
            Some(parent) => parent.join(value),
            None => PathBuf::from(value),
        };
        let included_identity = identity(&path);
        if let Some(position) = self
            .stack
            .iter()
            .position(|frame| frame.identity == included_identity)
        {
            let mut chain: Vec<PathBuf> = self.stack[position..]
                .iter()
                .map(|frame| frame.path.clone())
                .collect();
            chain.push(path);
            return Err(self.error(source, line, span, ParseErrorKind::IncludeCycle { chain }));
        }
        let content = match read_file(&path) {
            Ok(content) => content,
            Err(ReadFailure::Io(error)) => {
                return Err(self.error(
                    source,
                    line,
                    span,
                    ParseErrorKind::IncludeRead {
                        included: path,
                        error,
                    },
                ));
            }
            Err(failure) => {
                let mut chain = self.chain();
                chain.insert(0, origin.clone());
                return Err(failure.into_error(&path, chain));
            }
        };
        self.parse_content(&content, &path, kind, Some(origin.clone()))
    }
}

/// A `name @ url` requirement whose URL was written with `${NAME}` references keeps the URL
/// as written in [`pep508_rs::VerbatimUrl::given`] (pep508_rs does the same when it expands
/// a URL itself), so that output can echo it without the values.
fn with_written_url(mut requirement: Requirement, written: &str) -> Requirement {
    if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url
        && let Some((_, after_at)) = written.split_once('@')
        && let Some(written_url) = after_at.split_whitespace().next()
        && written_url.contains("${")
    {
        let url = url.clone().with_given(written_url);
        requirement.version_or_url = Some(VersionOrUrl::Url(url));
    }
    requirement
}

/// The target, extras and marker of an unnamed requirement.
type UnnamedParts = (String, Vec<ExtraName>, MarkerTree);

/// Split a path or URL with optional extras and marker (`./pkg[dev] ; python_version < "3.12"`)
/// as pip does: a URL's marker follows `; ` (URLs may contain `;`), a path's follows `;`. An
/// editable (`with_marker` false) has no marker. Errors are `(char offset, length, message)`.
fn split_unnamed(text: &str, with_marker: bool) -> Result<UnnamedParts, (usize, usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let is_url = looks_like_url(text);
    let marker_at = (0..chars.len()).find(|&index| {
        with_marker
            && chars[index] == ';'
            && (!is_url
                || chars.get(index + 1).is_some_and(|c| c.is_whitespace())
                || (index > 0 && chars[index - 1].is_whitespace()))
    });
    let marker = match marker_at {
        Some(at) => {
            let marker: String = chars[at + 1..].iter().collect();
            let start = at + 1 + marker.chars().take_while(|c| c.is_whitespace()).count();
            MarkerTree::from_str(marker.trim())
                .map_err(|error| (start, chars.len() - start, error.message.to_string()))?
        }
        None => MarkerTree::TRUE,
    };
    let mut end = marker_at.unwrap_or(chars.len());
    while end > 0 && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    let mut extras = Vec::new();
    if end > 0 && chars[end - 1] == ']' {
        let open = (0..end - 1)
            .rev()
            .take_while(|&index| chars[index] != ']')
            .find(|&index| chars[index] == '[');
        if let Some(open) = open {
            let list: String = chars[open + 1..end - 1].iter().collect();
            for extra in list
                .split(',')
                .map(str::trim)
                .filter(|extra| !extra.is_empty())
            {
                let extra = ExtraName::from_str(extra)
                    .map_err(|error| (open + 1, end - open - 2, error.to_string()))?;
                extras.push(extra);
            }
            end = open;
        }
    }
    let target: String = chars[..end].iter().collect::<String>().trim().to_string();
    if target.is_empty() {
        return Err((0, chars.len().max(1), "Expected a path or URL".to_string()));
    }
    Ok((target, extras, marker))
}

/// How a file is told apart from others for cycle detection: its canonical path when it
/// exists, else the path as given.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

pub(crate) enum ReadFailure {
    Io(io::Error),
    NotUtf8 { location: Location, byte: u8 },
    TooLarge,
}

/// The largest input file read, in bytes (100 MiB). Real requirements files, even with hashes
/// for every file, are a few MB; the limit stops `-r /dev/zero` or a wheel given by mistake
/// from filling memory.
pub const MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;

impl ReadFailure {
    /// The error for reading `path`, reached through `included_from` (innermost first).
    pub(crate) fn into_error(self, path: &Path, included_from: Vec<Origin>) -> ParseError {
        match self {
            Self::Io(error) => {
                ParseError::new(ParseErrorKind::Read { error }, path, None, included_from)
            }
            Self::NotUtf8 { location, byte } => ParseError::new(
                ParseErrorKind::NotUtf8 { byte },
                path,
                Some(location),
                included_from,
            ),
            Self::TooLarge => ParseError::new(
                ParseErrorKind::TooLarge {
                    limit: MAX_FILE_SIZE,
                },
                path,
                None,
                included_from,
            ),
        }
    }
}

pub(crate) fn read_file(path: &Path) -> Result<String, ReadFailure> {
    use std::io::Read;

    // Opening a directory succeeds on Unix (reading it fails); say what it is up front.
    if std::fs::metadata(path).is_ok_and(|metadata| metadata.is_dir()) {
        return Err(ReadFailure::Io(io::ErrorKind::IsADirectory.into()));
    }
    let file = std::fs::File::open(path).map_err(ReadFailure::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    decode(bytes)
}

/// `bytes` as text, or where the first byte that is not UTF-8 is; at most [`MAX_FILE_SIZE`].
fn decode(bytes: Vec<u8>) -> Result<String, ReadFailure> {
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadFailure::TooLarge);
    }
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let valid_up_to = error.utf8_error().valid_up_to();
        let line_start = bytes[..valid_up_to]
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        let line_end = bytes[valid_up_to..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(bytes.len(), |newline| valid_up_to + newline);
        let line = bytes[..valid_up_to]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count()
            + 1;
        // The byte offset becomes a column in chars: the prefix of the line is valid UTF-8.
        let column = String::from_utf8_lossy(&bytes[line_start..valid_up_to])
            .chars()
            .count()
            + 1;
        let source_line = String::from_utf8_lossy(&bytes[line_start..line_end])
            .trim_end_matches('\r')
            .to_string();
        ReadFailure::NotUtf8 {
            location: Location {
                line,
                column,
                source_line,
                caret_len: 1,
            },
            byte: bytes[valid_up_to],
        }
    })
}

/// A range of chars in a logical line.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    len: usize,
}

/// Where a char of a logical line was written.
#[derive(Debug, Clone, Copy)]
struct Position {
    /// 1-based physical line.
    line: usize,
    /// 1-based column in chars.
    column: usize,
}

/// A line after joining `\` continuations, with the position of each char.
#[derive(Debug, Clone)]
struct LogicalLine {
    chars: Vec<char>,
    positions: Vec<Position>,
    first_line: usize,
}

impl LogicalLine {
    fn new(first_line: usize) -> Self {
        Self {
            chars: Vec::new(),
            positions: Vec::new(),
            first_line,
        }
    }

    fn push_str(&mut self, text: &str, line: usize) {
        for (index, c) in text.chars().enumerate() {
            self.chars.push(c);
            self.positions.push(Position {
                line,
                column: index + 1,
            });
        }
    }

    /// Drop the comment (from whitespace followed by `#`, or a leading `#`) and surrounding
    /// whitespace, as pip's `COMMENT_RE.sub` and `strip` do. `None` when nothing is left.
    fn without_comment(mut self) -> Option<Self> {
        let comment = (0..self.chars.len()).find(|&index| {
            self.chars[index] == '#' && (index == 0 || self.chars[index - 1].is_whitespace())
        });
        if let Some(mut end) = comment {
            while end > 0 && self.chars[end - 1].is_whitespace() {
                end -= 1;
            }
            self.chars.truncate(end);
            self.positions.truncate(end);
        }
        let start = self.chars.iter().position(|c| !c.is_whitespace())?;
        let end = self.chars.iter().rposition(|c| !c.is_whitespace())? + 1;
        self.chars.truncate(end);
        self.positions.truncate(end);
        self.chars.drain(..start);
        self.positions.drain(..start);
        Some(self)
    }

    /// Where the options start: the first whitespace-separated word that starts with `-`
    /// (pip's `break_args_options`), or the end of the line.
    fn options_start(&self) -> usize {
        let mut index = 0;
        while index < self.chars.len() {
            if self.chars[index].is_whitespace() {
                index += 1;
                continue;
            }
            if self.chars[index] == '-' {
                return index;
            }
            while index < self.chars.len() && !self.chars[index].is_whitespace() {
                index += 1;
            }
        }
        self.chars.len()
    }

    /// The span of `start..end` without leading and trailing whitespace.
    fn trimmed_span(&self, mut start: usize, mut end: usize) -> Span {
        while start < end && self.chars[start].is_whitespace() {
            start += 1;
        }
        while end > start && self.chars[end - 1].is_whitespace() {
            end -= 1;
        }
        Span {
            start,
            len: end - start,
        }
    }

    fn text(&self, span: Span) -> String {
        self.chars.iter().skip(span.start).take(span.len).collect()
    }

    /// The position of the char at `index`, or just after the last char.
    fn position(&self, index: usize) -> Position {
        match self.positions.get(index) {
            Some(position) => *position,
            None => match self.positions.last() {
                Some(last) => Position {
                    line: last.line,
                    column: last.column + 1,
                },
                None => Position {
                    line: self.first_line,
                    column: 1,
                },
            },
        }
    }

    fn location(&self, source: &Source<'_>, span: Span) -> Location {
        let start = self.position(span.start);
        // Underline the part of the span on the start's physical line.
        let end = span.start + span.len.max(1);
        let caret_len = (span.start..end)
            .take_while(|&index| {
                self.positions
                    .get(index)
                    .is_some_and(|position| position.line == start.line)
            })
            .count()
            .max(1);
        let source_line = source
            .lines
            .get(start.line.saturating_sub(1))
            .copied()
            .unwrap_or_default()
            .to_string();
        Location {
            line: start.line,
            column: start.column,
            source_line,
            caret_len,
        }
    }
}

/// Join `\` continuations like pip's `join_lines`: a line ending in `\` continues on the next
/// one, unless it is a full-line comment; a full-line comment ends a continued line. Lazy, so
/// that a large file is never held as chars all at once; blank lines and full-line comments
/// outside a continued line are skipped without a [`LogicalLine`], as they yield nothing.
fn logical_lines<'a>(lines: &'a [&'a str]) -> impl Iterator<Item = LogicalLine> + 'a {
    let mut index = 0;
    std::iter::from_fn(move || {
        let mut current: Option<LogicalLine> = None;
        while let Some(text) = lines.get(index) {
            index += 1;
            let number = index;
            let trimmed = text.trim_start();
            let is_comment = trimmed.starts_with('#');
            if current.is_none() && (is_comment || trimmed.is_empty()) {
                continue;
            }
            if !text.ends_with('\\') || is_comment {
                let mut line = current.take().unwrap_or_else(|| LogicalLine::new(number));
                if is_comment {
                    // pip prepends a space so that the comment is stripped later.
                    line.chars.push(' ');
                    line.positions.push(Position {
                        line: number,
                        column: 1,
                    });
                }
                line.push_str(text, number);
                return Some(line);
            }
            current
                .get_or_insert_with(|| LogicalLine::new(number))
                .push_str(text.trim_end_matches('\\'), number);
        }
        current
    })
}

/// A word of the options part, with quotes removed.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    span: Span,
}

/// Split the options part into words, honouring `'…'` and `"…"` quotes (pip uses `shlex`).
/// An unclosed quote is an error at the quote.
fn tokenize_options(line: &LogicalLine, start: usize) -> Result<Vec<Token>, Span> {
    let chars = &line.chars;
    let mut tokens = Vec::new();
    let mut index = start;
    loop {
        while index < chars.len() && chars[index].is_whitespace() {
            index += 1;
        }
        if index >= chars.len() {
            return Ok(tokens);
        }
        let token_start = index;
        let mut text = String::new();
        let mut quote: Option<(char, usize)> = None;
        while index < chars.len() {
            let c = chars[index];
            match quote {
                Some((open, _)) if c == open => quote = None,
                Some(_) => text.push(c),
                None if c.is_whitespace() => break,
                None if c == '"' || c == '\'' => quote = Some((c, index)),
                None => text.push(c),
            }
            index += 1;
        }
        if let Some((_, quote_index)) = quote {
            return Err(Span {
                start: quote_index,
                len: 1,
            });
        }
        tokens.push(Token {
            text,
            span: Span {
                start: token_start,
                len: index - token_start,
            },
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Requirement,
    Constraint,
    IndexUrl,
    ExtraIndexUrl,
    FindLinks,
    NoIndex,
    Editable,
    Pre,
    Hash,
    /// A pip option plinth does not implement yet.
    Unsupported,
}

#[derive(Debug, Clone, Copy)]
struct OptionSpec {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    action: Action,
}

const fn option(
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    action: Action,
) -> OptionSpec {
    OptionSpec {
        long,
        short,
        takes_value,
        action,
    }
}

/// The options pip accepts in requirements files (`SUPPORTED_OPTIONS` and
/// `SUPPORTED_OPTIONS_REQ` in pip's `req_file.py`).
const OPTIONS: &[OptionSpec] = &[
    option("requirement", Some('r'), true, Action::Requirement),
    option("constraint", Some('c'), true, Action::Constraint),
    option("index-url", Some('i'), true, Action::IndexUrl),
    option("pypi-url", None, true, Action::IndexUrl),
    option("extra-index-url", None, true, Action::ExtraIndexUrl),
    option("pre", None, false, Action::Pre),
    option("hash", None, true, Action::Hash),
    option("editable", Some('e'), true, Action::Editable),
    option("find-links", Some('f'), true, Action::FindLinks),
    option("no-index", None, false, Action::NoIndex),
    option("no-binary", None, true, Action::Unsupported),
    option("only-binary", None, true, Action::Unsupported),
    option("prefer-binary", None, false, Action::Unsupported),
    option("require-hashes", None, false, Action::Unsupported),
    option("trusted-host", None, true, Action::Unsupported),
    option("use-feature", None, true, Action::Unsupported),
    option("global-option", None, true, Action::Unsupported),
    option("config-settings", Some('C'), true, Action::Unsupported),
];

struct ParsedOption {
    spec: OptionSpec,
    /// The option word.
    span: Span,
    /// The option as written, without its value: `-r`, `--requirement`.
    spelled: String,
    value: Option<String>,
    value_span: Option<Span>,
}

/// Look up an option word: `--name`, `--name=value`, `-x` or `-xvalue` (optparse's forms).
fn split_option(word: &str) -> Option<(OptionSpec, String, Option<String>)> {
    if let Some(body) = word.strip_prefix("--") {
        let (name, value) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (body, None),
        };
        let spec = OPTIONS.iter().find(|spec| spec.long == name)?;
        Some((*spec, format!("--{name}"), value))
    } else {
        let mut chars = word.strip_prefix('-')?.chars();
        let short = chars.next()?;
        let rest: String = chars.collect();
        let spec = OPTIONS.iter().find(|spec| spec.short == Some(short))?;
        let value = (!rest.is_empty()).then_some(rest);
        if value.is_some() && !spec.takes_value {
            return None;
        }
        Some((*spec, format!("-{short}"), value))
    }
}

/// An unknown option as reported: the long name without `=value`, or the whole short word.
fn option_name(word: &str) -> &str {
    match word.strip_prefix("--") {
        Some(_) => word.split_once('=').map_or(word, |(name, _)| name),
        None => word,
    }
}

fn is_valid_hash(value: &str) -> bool {
    let Some((algorithm, digest)) = value.split_once(':') else {
        return false;
    };
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    digest.len() == expected_len && digest.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// Whether `text` can be an index URL: absolute, `http`, `https` or `file`; else why not.
fn check_index_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|error| error.to_string())?;
    match url.scheme() {
        "http" | "https" | "file" => Ok(()),
        scheme => Err(format!(
            "the scheme is `{scheme}`, not `http`, `https` or `file`"
        )),
    }
}

/// `scheme://…` or `file:…`.
fn looks_like_url(text: &str) -> bool {
    if text.starts_with("file:") {
        return true;
    }
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    rest.starts_with("//")
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Archive suffixes pip treats as a file name rather than a project name.
const ARCHIVE_SUFFIXES: &[&str] = &[
    ".whl",
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
];

/// When the requirement text starts with a path or URL rather than a package name (pip would
/// install it as an unnamed requirement), the length in chars of that path or URL.
fn unnamed_head_len(text: &str) -> Option<usize> {
    let head = text
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or_default();
    if head.contains('@') && !looks_like_url(head) && !head.starts_with(['.', '/', '\\', '~']) {
        // `name @ url` or `name@url`; pep508_rs decides.
        return None;
    }
    let lower = head.to_ascii_lowercase();
    let is_path = head.starts_with(['.', '/', '\\', '~'])
        || (head.contains(['/', '\\']) && !head.contains(['<', '>', '=', '!', '~']))
        || head
            .as_bytes()
            .get(1..3)
            .is_some_and(|drive| drive[0] == b':' && (drive[1] == b'\\' || drive[1] == b'/'));
    let is_unnamed = is_path
        || looks_like_url(head)
        || ARCHIVE_SUFFIXES
            .iter()
            .any(|suffix| lower.ends_with(suffix));
    is_unnamed.then(|| head.chars().count())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// A package or extra name that ends in `.`, `-` or `_` (as in `flask- >=3` or `flask[a-]`):
/// the char offset of that last char and the message. pep508_rs 0.9.2 panics on these
/// ("`PackageName` validation should match PEP 508 parsing") instead of returning an error.
pub(crate) fn name_ending_in_punctuation(text: &str) -> Option<(usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    // The end of the run of name chars starting at `start`, if it starts with an alphanumeric.
    let run_end = |start: usize| -> Option<usize> {
        if !chars.get(start)?.is_ascii_alphanumeric() {
            return None;
        }
        let length = chars[start..]
            .iter()
            .take_while(|&&c| is_name_char(c))
            .count();
        Some(start + length)
    };
    let ends_in_punctuation = |end: usize| end > 0 && matches!(chars[end - 1], '.' | '-' | '_');

    let name_end = run_end(0)?;
    if ends_in_punctuation(name_end) {
        let last = chars[name_end - 1];
        return Some((
            name_end - 1,
            format!("Package name must end with an alphanumeric character, not `{last}`"),
        ));
    }
    let mut index = name_end;
    while chars.get(index).is_some_and(|c| c.is_whitespace()) {
        index += 1;
    }
    if chars.get(index) != Some(&'[') {
        return None;
    }
    index += 1;
    loop {
        while chars.get(index).is_some_and(|c| c.is_whitespace()) {
            index += 1;
        }
        let end = run_end(index)?;
        if ends_in_punctuation(end) {
            let last = chars[end - 1];
            return Some((
                end - 1,
                format!("Extra name must end with an alphanumeric character, not `{last}`"),
            ));
        }
        index = end;
        while chars.get(index).is_some_and(|c| c.is_whitespace()) {
            index += 1;
        }
        if chars.get(index) != Some(&',') {
            return None;
        }
        index += 1;
    }
}
