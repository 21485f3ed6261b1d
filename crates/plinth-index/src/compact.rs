//! The files of a project page as the cache stores them: parsed once, when
//! the page is fetched, so that a warm run reads one line per file instead
//! of parsing the index's JSON or HTML again.
//!
//! Format (version 1): the line `plinth-files 1`, then one line per file
//! with tab-separated fields: filename, URL, sha256, `Requires-Python`,
//! yanked, upload time (`SECONDS.NANOS`), core metadata. An optional field
//! is empty for none; yanked and core metadata are `+` followed by the
//! reason or hash when present (either may be empty). Tabs, newlines and
//! backslashes inside fields are escaped with a backslash.

use jiff::Timestamp;

use crate::simple::{FileUrl, IndexFile};

/// The `content-type` under which a cached page holds this format.
pub(crate) const CONTENT_TYPE: &str = "application/x-plinth-files-1";

const HEADER: &str = "plinth-files 1";

pub(crate) fn encode(files: &[IndexFile]) -> Vec<u8> {
    let mut text = String::with_capacity(files.len() * 160);
    text.push_str(HEADER);
    text.push('\n');
    for file in files {
        let fields = [
            escape(&file.filename),
            escape(file.url.as_str()),
            escape(file.sha256.as_deref().unwrap_or_default()),
            escape(file.requires_python.as_deref().unwrap_or_default()),
            present(file.yanked.as_deref()),
            file.upload_time
                .map(|time| format!("{}.{}", time.as_second(), time.subsec_nanosecond()))
                .unwrap_or_default(),
            match &file.core_metadata {
                None => String::new(),
                Some(hash) => present(Some(hash.as_deref().unwrap_or_default())),
            },
        ];
        text.push_str(&fields.join("\t"));
        text.push('\n');
    }
    text.into_bytes()
}

/// `None` for anything that is not this format.
pub(crate) fn decode(bytes: &[u8]) -> Option<Vec<IndexFile>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.split_terminator('\n');
    if lines.next()? != HEADER {
        return None;
    }
    lines
        .map(|line| {
            let mut fields = line.split('\t');
            let mut next = || fields.next();
            let filename = unescape(next()?);
            // Checked when the page was parsed; parsed again only if used.
            let url = FileUrl::trusted(&unescape(next()?));
            let sha256 = optional(next()?);
            let requires_python = optional(next()?);
            let yanked = marked(next()?);
            let upload_time = match next()? {
                "" => None,
                time => {
                    let (seconds, nanos) = time.split_once('.')?;
                    Some(Timestamp::new(seconds.parse().ok()?, nanos.parse().ok()?).ok()?)
                }
            };
            let core_metadata = marked(next()?).map(|hash| (!hash.is_empty()).then_some(hash));
            Some(IndexFile {
                filename,
                url,
                sha256,
                requires_python,
                yanked,
                upload_time,
                core_metadata,
            })
        })
        .collect()
}

fn present(value: Option<&str>) -> String {
    value
        .map(|value| format!("+{}", escape(value)))
        .unwrap_or_default()
}

fn optional(field: &str) -> Option<String> {
    (!field.is_empty()).then(|| unescape(field))
}

fn marked(field: &str) -> Option<String> {
    field.strip_prefix('+').map(unescape)
}

fn escape(value: &str) -> String {
    if !value.contains(['\t', '\n', '\\']) {
        return value.to_string();
    }
    value
        .replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_string();
    }
    let mut text = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('t') => text.push('\t'),
                Some('n') => text.push('\n'),
                Some(other) => text.push(other),
                None => {}
            },
            (c, false) => text.push(c),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn file(filename: &str) -> IndexFile {
        IndexFile {
            filename: filename.to_string(),
            url: Url::parse(&format!("https://files.example/{filename}"))
                .expect("valid URL")
                .into(),
            sha256: None,
            requires_python: None,
            yanked: None,
            upload_time: None,
            core_metadata: None,
        }
    }

    #[test]
    fn every_field_round_trips() {
        let mut full = file("demo-1.0-py3-none-any.whl");
        full.sha256 = Some("ab".repeat(32));
        full.requires_python = Some(">=3.9,\t<4".to_string());
        full.yanked = Some("broken\\build\nsee #1".to_string());
        full.upload_time = Some(
            "2026-01-02T03:04:05.123456789Z"
                .parse()
                .expect("valid time"),
        );
        full.core_metadata = Some(Some("cd".repeat(32)));
        let mut empty_reasons = file("demo-1.0.tar.gz");
        empty_reasons.yanked = Some(String::new());
        empty_reasons.core_metadata = Some(None);
        let files = vec![full, empty_reasons, file("demo-0.9.tar.gz")];
        assert_eq!(decode(&encode(&files)), Some(files));
        assert_eq!(decode(&encode(&[])), Some(Vec::new()));
    }

    #[test]
    fn other_bytes_are_not_read() {
        assert_eq!(decode(b"{\"files\": []}"), None);
        assert_eq!(decode(b"plinth-files 1\nonly-a-name\n"), None);
        assert_eq!(decode(b"plinth-files 1\na\tu\t\t\t\tnot a time\t\n"), None);
    }
}
