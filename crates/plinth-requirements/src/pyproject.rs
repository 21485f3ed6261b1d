//! The PEP 621 `[project]` table of a `pyproject.toml` given as an input file: the project's
//! name, `requires-python`, `dependencies` and `optional-dependencies`, each requirement
//! with its line, and which of them are `dynamic` (left to the build backend).
//!
//! Errors name `file:line:column` and show the line with a caret: TOML syntax, keys of the
//! wrong type, a missing or invalid `name`, an invalid `requires-python`, invalid extra
//! names and invalid requirements.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use pep508_rs::{ExtraName, PackageName, Requirement};
use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

use crate::error::{Location, ParseError, ParseErrorKind};
use crate::parse::{Located, Origin, name_ending_in_punctuation, read_file};

/// What a `pyproject.toml` says about a project's requirements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyProjectToml {
    /// The `[project]` table; `None` when the file has none (the project's metadata then
    /// comes from its build backend alone).
    pub project: Option<Project>,
    /// Whether the file has a `[build-system]` table.
    pub build_system: bool,
}

/// A PEP 621 `[project]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// `name`, as written (pip-compile shows it so in `# via name (pyproject.toml)`).
    pub name: String,
    /// `requires-python`; `None` when it is missing or `dynamic`.
    pub requires_python: Option<VersionSpecifiers>,
    /// `dependencies`, in file order; `None` when `dynamic` lists them.
    pub dependencies: Option<Vec<Located<Requirement>>>,
    /// `[project.optional-dependencies]` by extra (normalized, sorted); `None` when `dynamic`
    /// lists them.
    pub optional_dependencies: Option<BTreeMap<ExtraName, Vec<Located<Requirement>>>>,
}

#[derive(Deserialize)]
struct Document {
    project: Option<Spanned<ProjectTable>>,
    #[serde(rename = "build-system")]
    build_system: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ProjectTable {
    name: Option<Spanned<String>>,
    #[serde(rename = "requires-python")]
    requires_python: Option<Spanned<String>>,
    dependencies: Option<Vec<Spanned<String>>>,
    #[serde(rename = "optional-dependencies")]
    optional_dependencies: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    dynamic: Option<Vec<String>>,
}

/// Read and parse `path`, a `pyproject.toml`.
pub fn parse_pyproject_toml(path: &Path) -> Result<PyProjectToml, ParseError> {
    let content = read_file(path).map_err(|failure| failure.into_error(path, Vec::new()))?;
    parse_pyproject_toml_str(&content, path)
}

/// Parse `content`, a `pyproject.toml`; `path` is used in messages and origins.
pub fn parse_pyproject_toml_str(content: &str, path: &Path) -> Result<PyProjectToml, ParseError> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let error = |kind: ParseErrorKind, span: Range<usize>| {
        ParseError::new(kind, path, Some(location(content, span)), Vec::new())
    };
    let toml_error = |parse_error: toml::de::Error, invalid_toml: bool| {
        let message = parse_error.message().trim_end().to_string();
        let kind = if invalid_toml {
            ParseErrorKind::InvalidToml { message }
        } else {
            ParseErrorKind::InvalidProject { message }
        };
        let span = parse_error.span().unwrap_or(0..0);
        error(kind, span)
    };
    // Syntax first, so that its errors are told apart from a key of the wrong type.
    toml::from_str::<toml::Table>(content).map_err(|parse_error| toml_error(parse_error, true))?;
    let document: Document =
        toml::from_str(content).map_err(|parse_error| toml_error(parse_error, false))?;
    let build_system = document.build_system.is_some();
    let Some(table) = document.project else {
        return Ok(PyProjectToml {
            project: None,
            build_system,
        });
    };
    let table_span = table.span();
    let table = table.into_inner();
    let Some(name) = table.name else {
        // The span of a table is its first key; point at the line before it, the header.
        return Err(error(
            ParseErrorKind::InvalidProject {
                message: "`name` is missing".to_string(),
            },
            header_span(content, table_span),
        ));
    };
    let name_span = name.span();
    let name = name.into_inner();
    if let Err(name_error) = PackageName::from_str(&name) {
        return Err(error(
            ParseErrorKind::InvalidProject {
                message: name_error.to_string(),
            },
            name_span,
        ));
    }
    let dynamic = table.dynamic.unwrap_or_default();
    let is_dynamic = |key: &str| dynamic.iter().any(|field| field == key);
    let requires_python = match table.requires_python {
        Some(text) if !is_dynamic("requires-python") => {
            let specifiers =
                VersionSpecifiers::from_str(text.get_ref()).map_err(|parse_error| {
                    error(
                        ParseErrorKind::InvalidProject {
                            // Its message's first line; the caret is drawn here.
                            message: format!(
                                "invalid `requires-python`: {}",
                                parse_error
                                    .to_string()
                                    .lines()
                                    .next()
                                    .unwrap_or_default()
                                    .trim_end_matches(':')
                            ),
                        },
                        text.span(),
                    )
                })?;
            Some(specifiers)
        }
        _ => None,
    };

    let requirement = |text: &Spanned<String>| -> Result<Located<Requirement>, ParseError> {
        let origin = Origin {
            path: path.to_path_buf(),
            line: location(content, text.span()).line,
        };
        let value = text.get_ref();
        let parsed = match name_ending_in_punctuation(value) {
            Some((start, message)) => Err((start, 1, message)),
            None => Requirement::from_str(value).map_err(|parse_error| {
                (
                    parse_error.start,
                    parse_error.len,
                    parse_error.message.to_string(),
                )
            }),
        };
        match parsed {
            Ok(requirement) => Ok(Located {
                value: requirement,
                origin,
            }),
            Err((start, len, message)) => Err(error(
                ParseErrorKind::InvalidRequirement { message },
                inner_span(content, text, start, len),
            )),
        }
    };

    let dependencies = if is_dynamic("dependencies") {
        None
    } else {
        Some(
            table
                .dependencies
                .iter()
                .flatten()
                .map(requirement)
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let optional_dependencies = if is_dynamic("optional-dependencies") {
        None
    } else {
        let mut extras: BTreeMap<ExtraName, Vec<Located<Requirement>>> = BTreeMap::new();
        for (extra, requirements) in table.optional_dependencies.iter().flatten() {
            let extra_name = ExtraName::from_str(extra).map_err(|extra_error| {
                error(
                    ParseErrorKind::InvalidProject {
                        message: extra_error.to_string(),
                    },
                    key_span(content, requirements.span()),
                )
            })?;
            let parsed = requirements
                .get_ref()
                .iter()
                .map(requirement)
                .collect::<Result<Vec<_>, _>>()?;
            // `Test` and `test` are the same extra (PEP 685).
            extras.entry(extra_name).or_default().extend(parsed);
        }
        Some(extras)
    };
    Ok(PyProjectToml {
        project: Some(Project {
            name,
            requires_python,
            dependencies,
            optional_dependencies,
        }),
        build_system,
    })
}

/// The span of the chars `start..start + len` of the string `text`, when it is written on
/// one line without escapes; else the whole string.
fn inner_span(content: &str, text: &Spanned<String>, start: usize, len: usize) -> Range<usize> {
    let span = text.span();
    let value = text.get_ref();
    let raw = content.get(span.clone()).unwrap_or_default();
    let simple = ["\"", "'"].iter().any(|quote| {
        raw.strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
            .is_some_and(|inner| inner == value)
    });
    if !simple {
        return span;
    }
    let byte_at = |chars: usize| {
        value
            .char_indices()
            .nth(chars)
            .map_or(value.len(), |(index, _)| index)
    };
    let inner = span.start + 1;
    inner + byte_at(start)..inner + byte_at(start + len.max(1))
}

/// For a table's span (its first key, for a `[table]`): the `[…]` header line above it when
/// there is one, else the span itself.
fn header_span(content: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(content, span.start);
    let before = &content[..start];
    for (offset, line) in line_starts(before).into_iter().rev() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let column = line.len() - line.trim_start().len();
            return offset + column..offset + column + line.trim().len();
        }
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            break;
        }
    }
    span
}

/// For a value's span: the line it starts on from its first non-blank char (where the
/// key is, for `key = value`).
fn key_span(content: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(content, span.start);
    let line_start = content[..start]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    let line = &content[line_start..start];
    line_start + (line.len() - line.trim_start().len())..span.end
}

/// The lines of `text` with the byte offset each starts at; a final line after the last
/// newline is included only when it is not empty.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line.trim_end_matches(['\n', '\r'])));
        offset += line.len();
    }
    lines
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The location of the byte range `span` of `content`: its start's line and column (in
/// chars), and a caret under the part of the range on that line.
pub(crate) fn location(content: &str, span: Range<usize>) -> Location {
    let start = floor_char_boundary(content, span.start);
    let line_start = content[..start]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    let line_end = content[start..]
        .find('\n')
        .map_or(content.len(), |newline| start + newline);
    let end = floor_char_boundary(content, span.end.clamp(start, line_end));
    Location {
        line: content[..start].matches('\n').count() + 1,
        column: content[line_start..start].chars().count() + 1,
        source_line: content[line_start..line_end]
            .trim_end_matches('\r')
            .to_string(),
        caret_len: content[start..end].chars().count().max(1),
    }
}
