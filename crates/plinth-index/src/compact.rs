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

use std::borrow::Cow;

use jiff::Timestamp;

use crate::simple::{IndexFile, PageBuilder, url_tail_len};

/// The `content-type` under which a cached page holds this format.
pub(crate) const CONTENT_TYPE: &str = "application/x-plinth-files-1";

const HEADER: &str = "plinth-files 1";

pub(crate) fn encode(files: &[IndexFile]) -> Vec<u8> {
    let mut text = String::with_capacity(files.len() * 160);
    text.push_str(HEADER);
    text.push('\n');
    for file in files {
        encode_line(file, &mut text);
        text.push('\n');
    }
    text.into_bytes()
}

/// The fields of `file`, tab-separated, added to `text`.
pub(crate) fn encode_line(file: &IndexFile, text: &mut String) {
    use std::fmt::Write;
    push_escaped(text, file.filename());
    text.push('\t');
    push_escaped(text, file.url().prefix());
    push_escaped(text, file.url().tail());
    text.push('\t');
    if let Some(hash) = file.sha256() {
        push_escaped(text, &hash);
    }
    text.push('\t');
    push_escaped(text, file.requires_python().unwrap_or_default());
    text.push('\t');
    if let Some(reason) = file.yanked() {
        text.push('+');
        push_escaped(text, reason);
    }
    text.push('\t');
    if let Some(time) = file.upload_time() {
        let _ = write!(text, "{}.{}", time.as_second(), time.subsec_nanosecond());
    }
    text.push('\t');
    if let Some(hash) = file.core_metadata() {
        text.push('+');
        push_escaped(text, &hash.unwrap_or_default());
    }
}

/// `None` for anything that is not this format.
pub(crate) fn decode(bytes: &[u8]) -> Option<Vec<IndexFile>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.split_terminator('\n');
    if lines.next()? != HEADER {
        return None;
    }
    // Sized first, so that a page (up to tens of thousands of files) is
    // kept without room to spare, and without growing the room as it is read.
    let (files, tails) = lines.clone().fold((0, 0), |(files, tails), line| {
        let url = line.split('\t').nth(1).unwrap_or_default();
        (files + 1, tails + url_tail_len(url))
    });
    let mut builder = PageBuilder::new(files, tails);
    for line in lines {
        push_line(&mut builder, line)?;
    }
    Some(builder.finish())
}

/// The file of one line written by [`encode_line`].
pub(crate) fn decode_line(line: &str) -> Option<IndexFile> {
    let url = line.split('\t').nth(1).unwrap_or_default();
    let mut builder = PageBuilder::new(1, url_tail_len(url));
    push_line(&mut builder, line)?;
    builder.finish().pop()
}

fn push_line(builder: &mut PageBuilder, line: &str) -> Option<()> {
    // Few lines have an escape: the others' fields are taken as they are.
    let escaped = line.contains('\\');
    let field = |text| {
        if escaped {
            unescape(text)
        } else {
            Cow::Borrowed(text)
        }
    };
    let mut fields = line.split('\t');
    let mut next = || fields.next();
    let filename = field(next()?);
    // Checked when the page was parsed; parsed again only if used.
    let url = field(next()?);
    let sha256 = Some(next()?).filter(|text| !text.is_empty()).map(field);
    let requires_python = Some(next()?).filter(|text| !text.is_empty()).map(field);
    let file = builder.push(&filename, &url, requires_python.as_deref());
    if let Some(hash) = sha256 {
        file.set_sha256(&hash);
    }
    if let Some(reason) = next()?.strip_prefix('+').map(field) {
        file.set_yanked(&reason);
    }
    match next()? {
        "" => {}
        time => {
            let (seconds, nanos) = time.split_once('.')?;
            file.set_upload_time(Timestamp::new(seconds.parse().ok()?, nanos.parse().ok()?).ok()?);
        }
    }
    if let Some(hash) = next()?.strip_prefix('+').map(field) {
        file.set_core_metadata(Some(&*hash).filter(|hash| !hash.is_empty()));
    }
    Some(())
}

pub(crate) fn escape(value: &str) -> String {
    let mut text = String::with_capacity(value.len());
    push_escaped(&mut text, value);
    text
}

/// `value` with its tabs, newlines and backslashes escaped, added to `text`.
fn push_escaped(text: &mut String, value: &str) {
    if !value
        .bytes()
        .any(|byte| matches!(byte, b'\t' | b'\n' | b'\\'))
    {
        text.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => text.push_str("\\\\"),
            '\t' => text.push_str("\\t"),
            '\n' => text.push_str("\\n"),
            c => text.push(c),
        }
    }
}

pub(crate) fn unescape(field: &str) -> Cow<'_, str> {
    if !field.contains('\\') {
        return Cow::Borrowed(field);
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
    Cow::Owned(text)
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn file(filename: &str) -> IndexFile {
        let url =
            Url::parse(&format!("https://files.example/packages/{filename}")).expect("valid URL");
        IndexFile::new(filename, url.into())
    }

    #[test]
    fn every_field_round_trips() {
        let mut full = file("demo-1.0-py3-none-any.whl");
        full.set_sha256(&"AB".repeat(32));
        full.set_requires_python(">=3.9,\t<4");
        full.set_yanked("broken\\build\nsee #1");
        full.set_upload_time(
            "2026-01-02T03:04:05.123456789Z"
                .parse()
                .expect("valid time"),
        );
        full.set_core_metadata(Some("not-hex"));
        let mut empty_reasons = file("demo-1.0.tar.gz");
        empty_reasons.set_yanked("");
        empty_reasons.set_core_metadata(None);
        empty_reasons.set_sha256(&"cd".repeat(32));
        let renamed = IndexFile::new(
            "demo-0.9.tar.gz",
            Url::parse("https://files.example/download?file=demo-0.9.tar.gz")
                .expect("valid URL")
                .into(),
        );
        assert_eq!(renamed.filename(), "demo-0.9.tar.gz");
        assert_eq!(full.filename(), "demo-1.0-py3-none-any.whl");
        let files = vec![full, empty_reasons, renamed, file("demo-0.8.tar.gz")];
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
