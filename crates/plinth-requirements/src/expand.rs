//! `${NAME}` references to environment variables, expanded as pip does in requirements files.
//!
//! pip (`req_file.py`, `expand_env_variables`) replaces `${NAME}` where `NAME` is made of
//! uppercase ASCII letters, digits and `_`, with the variable's value; a variable that is
//! unset or empty is left as written. `$NAME`, `${lower}` and `%NAME%` are never expanded.

use std::borrow::Cow;

/// `text` with every `${NAME}` replaced by the value of the environment variable `NAME`
/// (uppercase ASCII letters, digits, `_`), as pip expands requirements files. A variable
/// that is unset, empty or not valid Unicode is left as written.
pub fn expand_env_vars(text: &str) -> Cow<'_, str> {
    if !text.contains("${") {
        return Cow::Borrowed(text);
    }
    Cow::Owned(expand_mapped(text, &process_env).text)
}

/// Looks a variable up in the process environment; empty and non-Unicode values count as unset.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A text after expansion, with where each of its chars came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub(crate) text: String,
    /// For each char of `text`, and one more for its end: the index of the char of the
    /// original text it came from. The chars of a value map to the `$` of its reference,
    /// the end of a value to the char after the reference's `}`.
    pub(crate) origins: Vec<usize>,
}

impl Expanded {
    /// Maps `start..start + len` (chars of the expanded text) to the original text.
    pub(crate) fn original_span(&self, start: usize, len: usize) -> (usize, usize) {
        let last = self.origins.len().saturating_sub(1);
        let original_start = self.origins[start.min(last)];
        let end = start.saturating_add(len).min(last);
        let original_end = if end > start {
            // The original index just after the last char of the span.
            let last_char = self.origins[end - 1];
            let next = self.origins[end];
            if next > last_char {
                next
            } else {
                last_char + 1
            }
        } else {
            original_start
        };
        (
            original_start,
            original_end.saturating_sub(original_start).max(1),
        )
    }
}

/// Expands `${NAME}` in `text` with `lookup` (see [`expand_env_vars`]).
pub(crate) fn expand_mapped(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Expanded {
    let chars: Vec<char> = text.chars().collect();
    let mut expanded = String::with_capacity(text.len());
    let mut origins = Vec::with_capacity(chars.len() + 1);
    let mut index = 0;
    while index < chars.len() {
        if let Some((name, end)) = reference_at(&chars, index)
            && let Some(value) = lookup(&name).filter(|value| !value.is_empty())
        {
            for c in value.chars() {
                expanded.push(c);
                origins.push(index);
            }
            index = end;
            continue;
        }
        expanded.push(chars[index]);
        origins.push(index);
        index += 1;
    }
    origins.push(chars.len());
    Expanded {
        text: expanded,
        origins,
    }
}

/// When `chars[start..]` begins with `${NAME}`: `NAME` and the index after the `}`.
fn reference_at(chars: &[char], start: usize) -> Option<(String, usize)> {
    if chars.get(start) != Some(&'$') || chars.get(start + 1) != Some(&'{') {
        return None;
    }
    let name_start = start + 2;
    let name_len = chars[name_start..]
        .iter()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == '_')
        .count();
    let close = name_start + name_len;
    if name_len == 0 || chars.get(close) != Some(&'}') {
        return None;
    }
    Some((chars[name_start..close].iter().collect(), close + 1))
}
