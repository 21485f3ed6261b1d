//! A Dockerfile as instructions and stages: `\` continuations joined, comments
//! dropped, global `ARG` defaults substituted into `FROM`, `FROM x AS name`
//! and `FROM name` chains followed. Not supported: the `# escape=` directive
//! (always `\`), heredocs, and build arguments given with `--build-arg`.

use std::collections::HashMap;

/// One instruction, its arguments joined across continuation lines.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// The 1-based line the instruction starts on.
    pub line: usize,
    /// Upper-cased (`RUN`, `FROM`).
    pub keyword: String,
    pub arguments: String,
    /// Where each physical line starts in `arguments`: (byte offset, line).
    pub segments: Vec<(usize, usize)>,
}

impl Instruction {
    /// The physical line holding byte `offset` of `arguments`.
    pub fn line_at(&self, offset: usize) -> usize {
        self.segments
            .iter()
            .take_while(|(start, _)| *start <= offset)
            .last()
            .map_or(self.line, |(_, line)| *line)
    }
}

/// A build stage: its `FROM` and the instructions after it.
#[derive(Debug, Clone)]
pub struct Stage {
    pub line: usize,
    /// The base as written after ARG substitution: an image or an earlier stage's name.
    pub base: String,
    /// `FROM --platform=...`, after ARG substitution.
    pub platform: Option<String>,
    /// `AS name`, lowercased.
    pub name: Option<String>,
    pub instructions: Vec<Instruction>,
}

#[derive(Debug, Default)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    pub fn parse(text: &str) -> Self {
        let mut arguments = HashMap::new();
        let mut stages: Vec<Stage> = Vec::new();
        for instruction in instructions(text) {
            match instruction.keyword.as_str() {
                "ARG" if stages.is_empty() => {
                    for word in split_words(&instruction.arguments) {
                        if let Some((name, value)) = word.split_once('=') {
                            arguments.insert(name.to_string(), unquote(value));
                        }
                    }
                }
                "FROM" => {
                    let words = split_words(&substitute(&instruction.arguments, &arguments));
                    let mut platform = None;
                    let mut rest = Vec::new();
                    for word in words {
                        if let Some(value) = word.strip_prefix("--platform=") {
                            platform = Some(value.to_string());
                        } else if !word.starts_with("--") {
                            rest.push(word);
                        }
                    }
                    let name = match rest.as_slice() {
                        [_, keyword, name] if keyword.eq_ignore_ascii_case("as") => {
                            Some(name.to_ascii_lowercase())
                        }
                        _ => None,
                    };
                    stages.push(Stage {
                        line: instruction.line,
                        base: rest.first().cloned().unwrap_or_default(),
                        platform,
                        name,
                        instructions: Vec::new(),
                    });
                }
                _ => {
                    if let Some(stage) = stages.last_mut() {
                        stage.instructions.push(instruction);
                    }
                }
            }
        }
        Self { stages }
    }

    /// Whether `base` of the stage at `index` names an earlier stage.
    pub fn base_stage(&self, index: usize) -> Option<usize> {
        let base = self.stages.get(index)?.base.to_ascii_lowercase();
        self.stages[..index]
            .iter()
            .rposition(|stage| stage.name.as_deref() == Some(base.as_str()))
    }

    /// The image the stage at `index` is built on, through `FROM name` chains,
    /// with the first `--platform` met on the way.
    pub fn base_image(&self, mut index: usize) -> (&Stage, Option<&str>) {
        let mut platform = None;
        loop {
            let stage = &self.stages[index];
            platform = platform.or(stage.platform.as_deref());
            match self.base_stage(index) {
                Some(earlier) => index = earlier,
                None => return (stage, platform),
            }
        }
    }
}

type Pending = (usize, String, Vec<(usize, usize)>);

/// The instructions of a Dockerfile, continuations joined (the line of the
/// first physical line kept), comment lines dropped (also inside a continued
/// instruction, as Docker does).
pub fn instructions(text: &str) -> Vec<Instruction> {
    let mut found = Vec::new();
    // The instruction being continued: its first line, its text, its segments.
    let mut current: Option<Pending> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_none()) {
            continue;
        }
        let (content, continued) = match trimmed.strip_suffix('\\') {
            Some(content) => (content, true),
            None => (trimmed, false),
        };
        let (line, mut joined, mut segments) =
            current
                .take()
                .unwrap_or((index + 1, String::new(), Vec::new()));
        if !joined.is_empty() && !content.is_empty() {
            joined.push(' ');
        }
        segments.push((joined.len(), index + 1));
        joined.push_str(content.trim());
        if continued {
            current = Some((line, joined, segments));
        } else {
            push(&mut found, line, &joined, &segments);
        }
    }
    if let Some((line, joined, segments)) = current {
        push(&mut found, line, &joined, &segments);
    }
    found
}

fn push(found: &mut Vec<Instruction>, line: usize, joined: &str, segments: &[(usize, usize)]) {
    let joined = joined.trim_end();
    let keyword_end = joined.find(char::is_whitespace).unwrap_or(joined.len());
    if joined.is_empty() {
        return;
    }
    let arguments = joined[keyword_end..].trim_start();
    let shift = joined.len() - arguments.len();
    found.push(Instruction {
        line,
        keyword: joined[..keyword_end].to_ascii_uppercase(),
        arguments: arguments.to_string(),
        segments: segments
            .iter()
            .map(|(start, line)| (start.saturating_sub(shift), *line))
            .collect(),
    });
}

/// Words split on whitespace, honouring single and double quotes (removed).
pub fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn unquote(value: &str) -> String {
    split_words(value).join(" ")
}

/// `$NAME`, `${NAME}` and `${NAME:-default}` replaced from `arguments`; an
/// unknown name is left as written.
pub fn substitute(text: &str, arguments: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(body) = after.strip_prefix('{')
            && let Some(end) = body.find('}')
        {
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            match (
                arguments.get(name).filter(|value| !value.is_empty()),
                default,
            ) {
                (Some(value), _) => out.push_str(value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => out.push_str(&rest[start..start + 2 + end + 1]),
            }
            rest = &body[end + 1..];
            continue;
        }
        let length = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        match arguments.get(&after[..length]) {
            Some(value) if length > 0 => out.push_str(value),
            _ => out.push_str(&rest[start..=start + length]),
        }
        rest = &after[length..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_args_and_continuations() {
        let dockerfile = Dockerfile::parse(
            "# syntax=docker/dockerfile:1\nARG PY=3.11\nARG DEBIAN=\"bookworm\"\n\
             FROM --platform=linux/arm64 python:${PY}-slim-$DEBIAN AS Base\n\
             RUN apt-get update \\\n  # a comment\n  && apt-get install -y curl\n\
             FROM base AS build\nRUN pip install -r requirements.txt\n\
             FROM python:${MISSING:-3.12}-alpine3.20\n",
        );
        let stages: Vec<_> = dockerfile
            .stages
            .iter()
            .map(|stage| (stage.line, stage.base.as_str(), stage.name.as_deref()))
            .collect();
        assert_eq!(
            stages,
            [
                (4, "python:3.11-slim-bookworm", Some("base")),
                (8, "base", Some("build")),
                (10, "python:3.12-alpine3.20", None),
            ]
        );
        let run = &dockerfile.stages[0].instructions[0];
        assert_eq!(run.line, 5);
        assert_eq!(run.arguments, "apt-get update && apt-get install -y curl");
        assert_eq!(run.line_at(run.arguments.find("&&").expect("a chain")), 7);
        assert_eq!(run.line_at(0), 5);
        let (base, platform) = dockerfile.base_image(1);
        assert_eq!(base.base, "python:3.11-slim-bookworm");
        assert_eq!(platform, Some("linux/arm64"));
    }

    #[test]
    fn substitution_leaves_unknown_names() {
        let arguments = HashMap::from([("A".to_string(), "x".to_string())]);
        assert_eq!(
            substitute("$A-${A}-$B-${B}-${B:-d}-$", &arguments),
            "x-x-$B-${B}-d-$"
        );
    }
}
