//! Core metadata (`METADATA`, `PKG-INFO`, PEP 658 files): the fields resolution needs.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, Requirement};
use plinth_resolver::{ExtraLines, Metadata, MetadataResult};

/// Core metadata fields as read from an RFC 822 style header block.
#[derive(Debug, Clone, Default)]
pub struct CoreMetadata {
    pub metadata_version: Option<String>,
    /// `Name`, as written.
    pub name: Option<String>,
    /// `Version`, as written (from `pyproject.toml`: only when not dynamic).
    pub version: Option<String>,
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
    pub provides_extra: Vec<String>,
    pub dynamic: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("Invalid `Requires-Dist` in the metadata: {0}")]
    RequiresDist(String),
    #[error("Invalid `Requires-Python` in the metadata: `{0}`")]
    RequiresPython(String),
}

impl CoreMetadata {
    /// Read the header fields; the body (the description) is ignored. Only
    /// the fields kept are copied (a wheel's header is mostly classifiers).
    pub fn parse(bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(header_block(bytes));
        let mut metadata = CoreMetadata::default();
        // The value a continuation line adds to: the last field, when kept.
        let mut continued: Option<&mut String> = None;
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                if let Some(value) = continued.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let field = |name: &str| key.eq_ignore_ascii_case(name);
            continued = if field("requires-dist") {
                push(&mut metadata.requires_dist, value)
            } else if field("provides-extra") {
                push(&mut metadata.provides_extra, value)
            } else if field("dynamic") {
                push(&mut metadata.dynamic, value)
            } else if field("requires-python") {
                Some(metadata.requires_python.insert(value.to_string()))
            } else if field("metadata-version") {
                Some(metadata.metadata_version.insert(value.to_string()))
            } else if field("name") {
                Some(metadata.name.insert(value.to_string()))
            } else if field("version") {
                Some(metadata.version.insert(value.to_string()))
            } else {
                None
            };
        }
        for field in &mut metadata.dynamic {
            field.make_ascii_lowercase();
        }
        metadata
    }

    /// Whether an sdist's `PKG-INFO` can be trusted for resolution (PEP 643):
    /// Metadata-Version 2.2 or later and no dependency field marked dynamic.
    pub fn is_static(&self) -> bool {
        let new_enough = self
            .metadata_version
            .as_deref()
            .and_then(|version| Version::from_str(version).ok())
            .is_some_and(|version| version >= Version::new([2, 2]));
        new_enough
            && !self.dynamic.iter().any(|field| {
                matches!(
                    field.as_str(),
                    "requires-dist" | "requires-python" | "provides-extra"
                )
            })
    }

    /// Static metadata from a `pyproject.toml` `[project]` table (PEP 621), when its
    /// dependencies, optional dependencies and Python requirement are not dynamic.
    pub fn from_pyproject(bytes: &[u8]) -> Result<Option<Self>, String> {
        let text = String::from_utf8_lossy(bytes);
        let document: toml::Table = toml::from_str(&text).map_err(|error| error.to_string())?;
        let Some(project) = document.get("project").and_then(toml::Value::as_table) else {
            return Ok(None);
        };
        let dynamic: Vec<&str> = project
            .get("dynamic")
            .and_then(toml::Value::as_array)
            .map(|fields| fields.iter().filter_map(toml::Value::as_str).collect())
            .unwrap_or_default();
        if dynamic.iter().any(|field| {
            matches!(
                *field,
                "dependencies" | "optional-dependencies" | "requires-python"
            )
        }) {
            return Ok(None);
        }
        let strings = |value: Option<&toml::Value>| -> Vec<String> {
            value
                .and_then(toml::Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let text_field = |key: &str| {
            project
                .get(key)
                .and_then(toml::Value::as_str)
                .map(str::to_string)
        };
        let mut metadata = CoreMetadata {
            metadata_version: Some("2.2".to_string()),
            name: text_field("name"),
            version: text_field("version").filter(|_| !dynamic.contains(&"version")),
            requires_dist: strings(project.get("dependencies")),
            requires_python: project
                .get("requires-python")
                .and_then(toml::Value::as_str)
                .map(str::to_string),
            ..CoreMetadata::default()
        };
        if let Some(optional) = project
            .get("optional-dependencies")
            .and_then(toml::Value::as_table)
        {
            for (extra, requirements) in optional {
                let extra_name = ExtraName::from_str(extra).map_err(|error| error.to_string())?;
                metadata.provides_extra.push(extra_name.to_string());
                for requirement in strings(Some(requirements)) {
                    let requirement = Requirement::<pep508_rs::VerbatimUrl>::from_str(&requirement)
                        .map_err(|error| error.to_string())?;
                    metadata
                        .requires_dist
                        .push(requirement.with_extra_marker(&extra_name).to_string());
                }
            }
        }
        Ok(Some(metadata))
    }

    /// The fields as a `METADATA` header block (what the cache stores).
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "Metadata-Version: {}\n",
            self.metadata_version.as_deref().unwrap_or("2.2")
        );
        if let Some(name) = &self.name {
            text.push_str(&format!("Name: {name}\n"));
        }
        if let Some(version) = &self.version {
            text.push_str(&format!("Version: {version}\n"));
        }
        if let Some(requires_python) = &self.requires_python {
            text.push_str(&format!("Requires-Python: {requires_python}\n"));
        }
        for extra in &self.provides_extra {
            text.push_str(&format!("Provides-Extra: {extra}\n"));
        }
        for requirement in &self.requires_dist {
            text.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        text
    }

    /// The fields resolution uses, parsed.
    pub fn to_metadata(&self) -> Result<Metadata, MetadataError> {
        self.to_metadata_with(&ParsedRequirements::default())
    }

    /// [`Self::to_metadata`], with the requirements parsed before reused.
    pub(crate) fn to_metadata_with(
        &self,
        parsed: &ParsedRequirements,
    ) -> Result<Metadata, MetadataError> {
        let mut requires_dist = Vec::new();
        let mut extra_lines = Vec::new();
        for line in &self.requires_dist {
            match only_with_extra(line) {
                Some(extra) => extra_lines.push((extra, line.clone())),
                None => {
                    requires_dist.push(parsed.parse(line).map_err(MetadataError::RequiresDist)?)
                }
            }
        }
        let requires_python = match &self.requires_python {
            Some(text) if !text.trim().is_empty() => Some(
                lenient_specifiers(text)
                    .ok_or_else(|| MetadataError::RequiresPython(text.clone()))?,
            ),
            _ => None,
        };
        let provides_extra = self
            .provides_extra
            .iter()
            .filter_map(|extra| ExtraName::from_str(extra).ok())
            .collect();
        Ok(Metadata {
            requires_dist,
            extra_lines: ExtraLines::new(extra_lines, parse_extra_line),
            requires_python,
            provides_extra,
        })
    }
}

/// A `Requires-Dist` line of an extra, parsed when resolution asks for
/// the extra; `Err` is why its version can't be used.
fn parse_extra_line(line: &str) -> Result<Requirement, String> {
    lenient_requirement(line).map_err(|error| {
        format!(
            "its metadata is invalid: {}",
            MetadataError::RequiresDist(error)
        )
    })
}

/// The extra a `Requires-Dist` line applies only with, when its marker
/// says so plainly: `extra == "name"` alone or last after `and`, with no
/// `or` anywhere in the marker (so it is false whenever that extra is not
/// asked for). `None` for every other line, parsed at once; so are lines
/// with a URL, whose `;` may not start the marker.
pub(crate) fn only_with_extra(line: &str) -> Option<ExtraName> {
    let (requirement, marker) = line.split_once(';')?;
    if requirement.contains(['@', '"', '\'']) || marker.contains(';') || has_or(marker) {
        return None;
    }
    let marker = marker.trim_end();
    let quote = marker
        .chars()
        .next_back()
        .filter(|c| matches!(c, '"' | '\''))?;
    let body = &marker[..marker.len() - 1];
    let open = body.rfind(quote)?;
    let before = body[..open]
        .trim_end()
        .strip_suffix("==")?
        .trim_end()
        .strip_suffix("extra")?;
    if !before.trim().is_empty() {
        // `... and extra == "name"`: `and` and `extra` whole words.
        let head = before.trim_end().strip_suffix("and")?;
        let spaced = before.ends_with(char::is_whitespace);
        if !spaced || !(head.ends_with(char::is_whitespace) || head.ends_with([')', '"', '\''])) {
            return None;
        }
    }
    ExtraName::from_str(&body[open + 1..]).ok()
}

/// Whether `marker` has the word `or` outside its quoted strings.
fn has_or(marker: &str) -> bool {
    let mut quote = None;
    let mut word = String::new();
    for c in marker.chars().chain([' ']) {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                word.push(c);
                continue;
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
        if word == "or" {
            return true;
        }
        word.clear();
    }
    false
}

/// Appends `value` to `values`, returning it for continuation lines.
fn push<'a>(values: &'a mut Vec<String>, value: &str) -> Option<&'a mut String> {
    values.push(value.to_string());
    values.last_mut()
}

/// The header block of a core metadata file: up to and including the first
/// empty line (`\n\n` or `\n\r\n`), which ends it; the body after it is
/// the description, often far longer than the fields.
pub(crate) fn header_block(bytes: &[u8]) -> &[u8] {
    if bytes.starts_with(b"\n") || bytes.starts_with(b"\r\n") {
        return &[];
    }
    for newline in memchr::memchr_iter(b'\n', bytes) {
        let rest = &bytes[newline + 1..];
        if rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
            return &bytes[..=newline];
        }
    }
    bytes
}

/// Version specifiers as PEP 440 writes them, else as old releases
/// sometimes wrote them and uv accepts them (see [`REPAIRS`]). `None` when
/// even that does not parse.
pub(crate) fn lenient_specifiers(text: &str) -> Option<VersionSpecifiers> {
    repaired(text, |text| VersionSpecifiers::from_str(text).ok())
}

/// `METADATA` (or `PKG-INFO`) as the resolver reads it.
pub(crate) fn resolver_metadata(bytes: &[u8], requirements: &ParsedRequirements) -> MetadataResult {
    CoreMetadata::parse(bytes)
        .to_metadata_with(requirements)
        .map(Arc::new)
        .map_err(|error| format!("its metadata is invalid: {error}"))
}

/// `Requires-Dist` lines parsed so far in a run, by their text: the
/// versions of a project mostly repeat their requirements, and parsing one
/// (its marker above all) costs far more than a copy.
#[derive(Debug, Default)]
pub(crate) struct ParsedRequirements(Mutex<HashMap<String, Requirement>>);

impl ParsedRequirements {
    /// [`lenient_requirement`] of `line`, parsed once per run.
    pub(crate) fn parse(&self, line: &str) -> Result<Requirement, String> {
        let parsed = self.lines().get(line).cloned();
        if let Some(requirement) = parsed {
            return Ok(requirement);
        }
        let requirement = lenient_requirement(line)?;
        self.lines().insert(line.to_string(), requirement.clone());
        Ok(requirement)
    }

    fn lines(&self) -> MutexGuard<'_, HashMap<String, Requirement>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A `Requires-Dist` requirement as PEP 508 writes it, else as old releases
/// sometimes wrote it and uv accepts it (datasets 1.6.2 requires
/// `pyarrow>=1.0.0<4.0.0`). The error is that of the text as written.
pub(crate) fn lenient_requirement(text: &str) -> Result<Requirement, String> {
    Requirement::from_str(text).or_else(|error| {
        repaired(text, |text| Requirement::from_str(text).ok()).ok_or_else(|| error.to_string())
    })
}

/// `parse(text)`, else `parse` of the text with the repairs applied one
/// after another, the first that parses (as uv repairs metadata).
fn repaired<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    if let Some(parsed) = parse(text) {
        return Some(parsed);
    }
    let mut current = text.to_string();
    for repair in REPAIRS {
        let next = repair(&current);
        if next != current {
            if let Some(parsed) = parse(&next) {
                return Some(parsed);
            }
            current = next;
        }
    }
    None
}

/// The mistakes old metadata makes in version specifiers that uv repairs,
/// in the order it tries them (and `=>`, `=<` for `>=`, `<=`).
const REPAIRS: [fn(&str) -> String; 9] = [
    missing_commas,
    not_equal_tilde,
    ordered_wildcards,
    wildcard_dots,
    trailing_comma,
    bare_dev,
    trailing_zero_after_tag,
    stray_quotes,
    swapped_operators,
];

/// `>=7.2.0<8.0.0` → `>=7.2.0,<8.0.0`: a comma between a digit and an operator.
fn missing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous = ' ';
    for c in text.chars() {
        if previous.is_ascii_digit() && matches!(c, '<' | '>' | '=' | '~' | '^' | '!') {
            out.push(',');
        }
        out.push(c);
        previous = c;
    }
    out
}

/// `!=~5.0` → `!=5.0.*`.
fn not_equal_tilde(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut rest = text;
    while let Some(at) = rest.find("!=~") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let version_len = after
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(after.len());
        let version = after[..version_len].trim_end_matches('.');
        if version.is_empty() {
            out.push_str("!=~");
        } else {
            out.push_str("!=");
            out.push_str(version);
            out.push_str(".*");
        }
        rest = &after[version.len()..];
    }
    out.push_str(rest);
    out
}

/// `>=1.9.*` → `>=1.9`: a wildcard only `==` and `!=` allow.
fn ordered_wildcards(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let operator_len = match bytes[i] {
            b'<' | b'>' if bytes.get(i + 1) == Some(&b'=') => 2,
            b'<' | b'>' => 1,
            _ => 0,
        };
        if operator_len > 0 {
            let mut j = i + operator_len;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            let version_start = j;
            while bytes.get(j).is_some_and(|b| {
                b.is_ascii_digit()
                    || (*b == b'.' && bytes.get(j + 1).is_some_and(u8::is_ascii_digit))
            }) {
                j += 1;
            }
            if j > version_start
                && bytes[version_start].is_ascii_digit()
                && text[j..].starts_with(".*")
            {
                out.push_str(&text[i..i + operator_len]);
                out.push_str(&text[version_start..j]);
                i = j + 2;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// `!=3.0*` → `!=3.0.*`: the dot before a wildcard after `digit.digit`.
fn wildcard_dots(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if c == '*' {
            let tail: Vec<char> = out.chars().rev().take(3).collect();
            if let [last, '.', first] = tail[..]
                && last.is_ascii_digit()
                && first.is_ascii_digit()
            {
                out.push('.');
            }
        }
        out.push(c);
    }
    out
}

/// `>=3.6,` → `>=3.6`.
fn trailing_comma(text: &str) -> String {
    let trimmed = text.trim_end();
    trimmed.strip_suffix(',').unwrap_or(text).to_string()
}

/// `>dev` → `>0.0.0dev`.
fn bare_dev(text: &str) -> String {
    text.replace(">dev", ">0.0.0dev")
}

/// `>=9.0.0a1.0` → `>=9.0.0a1`: a `.0` after a pre, post or dev number.
fn trailing_zero_after_tag(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for tag in ["a", "b", "rc", "post", "dev"] {
            let Some(after_tag) = rest.strip_prefix(tag) else {
                continue;
            };
            let digits = after_tag
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after_tag.len());
            let after_digit = out.chars().last().is_some_and(|c| c.is_ascii_digit());
            if after_digit && digits > 0 && after_tag[digits..].starts_with(".0") {
                out.push_str(tag);
                out.push_str(&after_tag[..digits]);
                rest = &after_tag[digits + 2..];
                continue 'scan;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `>= 2.7'` → `>= 2.7`: quotes before the marker (whose values keep theirs).
fn stray_quotes(text: &str) -> String {
    let (requirement, marker) = text.split_at(text.find(';').unwrap_or(text.len()));
    let mut out: String = requirement
        .chars()
        .filter(|c| !matches!(c, '\'' | '"'))
        .collect();
    out.push_str(marker);
    out
}

/// `=>3.6` → `>=3.6` and `=<4` → `<=4`.
fn swapped_operators(text: &str) -> String {
    text.replace("=>", ">=").replace("=<", "<=")
}

/// The requirements of a setuptools `*.egg-info/requires.txt`: PEP 508
/// requirements, those under an `[extra]`, `[:marker]` or `[extra:marker]`
/// header with that extra and marker. Lines that do not parse are left out.
pub(crate) fn egg_info_requires(text: &str) -> Vec<Requirement> {
    let mut section: Option<String> = None;
    let mut requirements = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            let (extra, marker) = header.split_once(':').unwrap_or((header, ""));
            let mut conditions = Vec::new();
            if !marker.trim().is_empty() {
                conditions.push(format!("({})", marker.trim()));
            }
            if !extra.trim().is_empty() {
                conditions.push(format!("extra == \"{}\"", extra.trim()));
            }
            section = (!conditions.is_empty()).then(|| conditions.join(" and "));
            continue;
        }
        let text = match (&section, line.split_once(';')) {
            (None, _) => line.to_string(),
            (Some(condition), None) => format!("{line} ; {condition}"),
            (Some(condition), Some((requirement, own))) => {
                format!("{requirement} ; ({own}) and {condition}")
            }
        };
        requirements.extend(Requirement::from_str(&text).ok());
    }
    requirements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_and_stops_at_body() {
        let text = b"Metadata-Version: 2.1\nName: flask\nVersion: 3.0.0\nRequires-Python: >=3.8\n\
Requires-Dist: Werkzeug>=3.0.0\nRequires-Dist: asgiref>=3.2 ; extra == 'async'\nProvides-Extra: async\n\
\nRequires-Dist: not-a-header\n";
        let metadata = CoreMetadata::parse(text);
        assert_eq!(metadata.name.as_deref(), Some("flask"));
        assert_eq!(metadata.version.as_deref(), Some("3.0.0"));
        assert_eq!(metadata.requires_dist.len(), 2);
        assert!(!metadata.is_static());
        let parsed = metadata.to_metadata().expect("valid");
        assert_eq!(parsed.requires_dist[0].name.as_ref(), "werkzeug");
        assert_eq!(parsed.provides_extra[0].as_ref(), "async");
    }

    #[test]
    fn continuation_lines_extend_only_the_fields_kept() {
        let text = b"Metadata-Version: 2.1\r\nname: demo\r\nLicense: MIT\r\n  Requires-Dist: not-a-field\r\n\
REQUIRES-DIST: idna>=2.5;\r\n\tpython_version < '3.12'\r\nDynamic: Requires-Dist\r\n\r\nRequires-Dist: body\r\n";
        let metadata = CoreMetadata::parse(text);
        assert_eq!(metadata.name.as_deref(), Some("demo"));
        assert_eq!(
            metadata.requires_dist,
            ["idna>=2.5; python_version < '3.12'"]
        );
        assert_eq!(metadata.dynamic, ["requires-dist"]);
    }

    #[test]
    fn a_line_waits_for_its_extra_only_when_its_marker_plainly_needs_it() {
        let extra = |line: &str| only_with_extra(line).map(|extra| extra.to_string());
        for (line, expected) in [
            ("a; extra == \"x\"", Some("x")),
            (
                "a>=1 ; python_version < '3.10' and extra == 'Test_Suite'",
                Some("test-suite"),
            ),
            (
                "a; (python_version < \"3.10\") and extra == \"x\"",
                Some("x"),
            ),
            ("a; python_version<\"3.8\"and extra==\"x\"  ", Some("x")),
            ("a; os_name == \"or\" and extra == \"x\"", Some("x")),
            ("a; extra == \"y\" and extra == \"x\"", Some("x")),
            ("a", None),
            ("a; python_version < \"3\"", None),
            ("a; python_version < \"3\" or extra == \"x\"", None),
            (
                "a; (python_version < \"3\" or os_name == \"nt\") and extra == \"x\"",
                None,
            ),
            ("a; python_version < \"3\")or(extra == \"x\"", None),
            ("a; extra == \"x\" and python_version < \"3\"", None),
            ("a; extra != \"x\"", None),
            ("a; (extra == \"x\")", None),
            ("a; python_extra == \"x\"", None),
            ("a; python_version < \"3\" band extra == \"x\"", None),
            ("a; python_version < \"3\" andextra == \"x\"", None),
            ("a @ https://host/a.whl ; extra == \"x\"", None),
            ("a; extra == \"not an extra!\"", None),
        ] {
            assert_eq!(extra(line).as_deref(), expected, "{line}");
        }
    }

    /// Whatever extras are asked for, the requirements that apply are those
    /// of every line parsed at once.
    #[test]
    fn requirements_of_extras_are_those_every_line_gives() {
        let lines = [
            "base>=1",
            "old; python_version < \"3\"",
            "one; extra == \"one\"",
            "one-new; python_version >= \"3.10\" and extra == 'one'",
            "one-old; python_version < \"3.10\" and extra == 'one'",
            "two[x]>=2; extra == \"two\"",
            "either; extra == \"one\" or extra == \"two\"",
            "unless; extra != \"two\"",
        ];
        let mut text = String::from("Metadata-Version: 2.1\nName: demo\nVersion: 1\n");
        for line in lines {
            text.push_str(&format!("Requires-Dist: {line}\n"));
        }
        let metadata = CoreMetadata::parse(text.as_bytes())
            .to_metadata()
            .expect("valid");
        assert_eq!(metadata.requires_dist.len(), 4);
        let target = crate::target::Target::new(
            Version::from_str("3.11").expect("version"),
            crate::target::Platform::from_str("linux").expect("platform"),
        );
        let markers = target.markers().expect("markers");
        let names = |requirements: Vec<&Requirement>, extras: &[ExtraName]| {
            let mut names: Vec<String> = requirements
                .into_iter()
                .filter(|requirement| requirement.marker.evaluate(&markers, extras))
                .map(|requirement| requirement.name.to_string())
                .collect();
            names.sort();
            names
        };
        let every_line: Vec<Requirement> = lines
            .iter()
            .map(|line| Requirement::from_str(line).expect("valid"))
            .collect();
        let extra = |name: &str| ExtraName::from_str(name).expect("extra");
        for extras in [
            vec![],
            vec![extra("one")],
            vec![extra("two")],
            vec![extra("one"), extra("two")],
        ] {
            let lazily = metadata.requirements(&extras).expect("valid").collect();
            assert_eq!(
                names(lazily, &extras),
                names(every_line.iter().collect(), &extras),
                "{extras:?}"
            );
        }
        assert_eq!(
            metadata.all_requirements().expect("valid").count(),
            lines.len()
        );
    }

    #[test]
    fn an_extra_line_that_does_not_parse_fails_only_its_extra() {
        let text = b"Metadata-Version: 2.1\nName: demo\nVersion: 1\nRequires-Dist: a\n\
Requires-Dist: b (>=1; extra == \"broken\"\nRequires-Dist: c; extra == \"fine\"\n";
        let metadata = CoreMetadata::parse(text)
            .to_metadata()
            .expect("valid at first");
        let extra = |name: &str| vec![ExtraName::from_str(name).expect("extra")];
        assert_eq!(metadata.requirements(&[]).expect("valid").count(), 1);
        assert_eq!(
            metadata
                .requirements(&extra("fine"))
                .expect("valid")
                .count(),
            2
        );
        let error = metadata
            .requirements(&extra("broken"))
            .err()
            .expect("invalid");
        assert!(error.starts_with("its metadata is invalid: "), "{error}");
        assert!(metadata.all_requirements().is_err());
    }

    #[test]
    fn requirements_parsed_once_read_the_same_again() {
        let parsed = ParsedRequirements::default();
        for _ in 0..2 {
            let requirement = parsed
                .parse("pyarrow>=1.0.0<4.0.0; python_version < '3.12'")
                .expect("repaired");
            assert_eq!(
                requirement.to_string(),
                "pyarrow>=1.0.0,<4.0.0 ; python_full_version < '3.12'"
            );
            assert!(parsed.parse("not a requirement !").is_err());
        }
        assert_eq!(parsed.lines().len(), 1);
    }

    #[test]
    fn the_header_block_ends_at_the_first_empty_line() {
        assert_eq!(
            header_block(b"Name: a\nVersion: 1\n\nbody\n\nmore"),
            b"Name: a\nVersion: 1\n"
        );
        assert_eq!(header_block(b"Name: a\r\n\r\nbody"), b"Name: a\r\n");
        assert_eq!(header_block(b"Name: a\nVersion: 1"), b"Name: a\nVersion: 1");
        assert_eq!(header_block(b"\nName: a\n"), b"");
    }

    #[test]
    fn lenient_requires_python() {
        let read = |text: &str| lenient_specifiers(text).map(|specifiers| specifiers.to_string());
        assert_eq!(read(">=3.8"), Some(">=3.8".to_string()));
        assert_eq!(read(">=3.4.*"), Some(">=3.4".to_string()));
        assert_eq!(
            read(">=2.7, !=3.0.*, <4.*,"),
            Some(">=2.7, !=3.0.*, <4".to_string())
        );
        assert_eq!(read("=>3.6"), Some(">=3.6".to_string()));
        assert_eq!(read("not a specifier"), None);
    }

    #[test]
    fn lenient_requires_dist() {
        let read =
            |text: &str| lenient_requirement(text).map(|requirement| requirement.to_string());
        let cases = [
            ("pyarrow>=1.0.0<4.0.0", "pyarrow>=1.0.0,<4.0.0"),
            ("six>=1.9!=1.10", "six>=1.9,!=1.10"),
            ("tornado!=~5.0,>=4.12", "tornado>=4.12,!=5.0.*"),
            ("idna>=2.5.*", "idna>=2.5"),
            ("idna >= 2.5.*, < 3.*", "idna>=2.5,<3"),
            ("attrs!=3.0*", "attrs!=3.0.*"),
            ("attrs>=19.2,", "attrs>=19.2"),
            ("certifi>dev", "certifi>0.0.0.dev0"),
            ("pillow>=9.0.0a1.0", "pillow>=9.0.0a1"),
            (
                "futures>=2.7' ; python_version < '3'",
                "futures>=2.7 ; python_full_version < '3'",
            ),
            ("pytz=>2016.1", "pytz>=2016.1"),
        ];
        for (written, read_as) in cases {
            assert_eq!(read(written).as_deref(), Ok(read_as), "{written}");
        }
        assert_eq!(read("flask>=2.0").as_deref(), Ok("flask>=2.0"));
        let error = read("flask>=2.0 <<3").expect_err("not repairable");
        assert!(error.contains("<<3"), "{error}");
    }

    #[test]
    fn egg_info_requires_txt() {
        let text = "Jinja2>=2.8\npython-slugify>=1.2.5\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n\n[dev]\npytest ; os_name == \"nt\"\nnot a requirement !\n\n[socks:sys_platform == \"win32\"]\nwin-inet-pton\n";
        let requirements: Vec<String> = egg_info_requires(text)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            requirements,
            [
                "jinja2>=2.8",
                "python-slugify>=1.2.5",
                "importlib-metadata ; python_full_version < '3.8'",
                "pytest ; os_name == 'nt' and extra == 'dev'",
                "win-inet-pton ; sys_platform == 'win32' and extra == 'socks'",
            ]
        );
    }

    #[test]
    fn static_pyproject() {
        let pyproject = br#"
[project]
name = "demo"
dynamic = ["version"]
requires-python = ">=3.9"
dependencies = ["numpy>=1.23; python_version < '3.12'", "tzdata"]
[project.optional-dependencies]
Test = ["pytest>=7"]
"#;
        let metadata = CoreMetadata::from_pyproject(pyproject)
            .expect("parses")
            .expect("static");
        let parsed = CoreMetadata::parse(metadata.to_text().as_bytes());
        assert!(parsed.is_static());
        assert_eq!(parsed.name.as_deref(), Some("demo"));
        assert_eq!(parsed.version, None, "the version is dynamic");
        let parsed = parsed.to_metadata().expect("valid");
        assert_eq!(parsed.requires_dist.len(), 2);
        assert_eq!(parsed.provides_extra[0].as_ref(), "test");
        let requirements: Vec<String> = parsed
            .all_requirements()
            .expect("valid")
            .map(ToString::to_string)
            .collect();
        assert_eq!(requirements.len(), 3);
        assert_eq!(requirements[2], "pytest>=7 ; extra == 'test'");
        let dynamic = br#"[project]
name = "demo"
dynamic = ["dependencies"]"#;
        assert!(
            CoreMetadata::from_pyproject(dynamic)
                .expect("parses")
                .is_none()
        );
        assert!(
            CoreMetadata::from_pyproject(b"[tool.x]\na = 1")
                .expect("parses")
                .is_none()
        );
    }

    #[test]
    fn pkg_info_with_dynamic_dependencies_is_not_static() {
        let metadata = CoreMetadata::parse(b"Metadata-Version: 2.2\nDynamic: Requires-Dist\n");
        assert!(!metadata.is_static());
        let metadata = CoreMetadata::parse(b"Metadata-Version: 2.4\nDynamic: Description\n");
        assert!(metadata.is_static());
    }
}
