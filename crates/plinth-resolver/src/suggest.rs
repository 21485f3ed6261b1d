//! Close names for a package no index has ("did you mean `requests`?").

use std::borrow::Cow;
use std::str::FromStr;

use pep508_rs::PackageName;

/// How many names a suggestion offers at most.
pub const MAX_SUGGESTIONS: usize = 3;

/// Up to [`MAX_SUGGESTIONS`] of `candidates` close to `wanted`, closest first
/// (then by name). Names are compared normalized (PEP 503). A name is close
/// when a few edits (insertions, deletions, substitutions, swaps of adjacent
/// characters) turn one into the other: 1 for names of up to 4 characters,
/// 2 up to 10, 3 above; or when one is the other with a usual prefix or
/// suffix (`python-`, `py`, `-python`, `-py`), which counts as one edit.
pub fn similar_names<'c>(
    wanted: &PackageName,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Vec<PackageName> {
    let wanted = wanted.as_ref();
    let limit = match wanted.chars().count() {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    let wanted_cores = cores(wanted);
    let mut close: Vec<(usize, String)> = Vec::new();
    // Index lists hold hundreds of thousands of names: the common case
    // (already normalized, much longer or shorter) costs no allocation.
    for candidate in candidates {
        let difference = candidate.len().abs_diff(wanted.len());
        // `python-` is the longest affix.
        if difference > limit + "python-".len() {
            continue;
        }
        let normalized: Cow<str> = if is_normalized(candidate) {
            Cow::Borrowed(candidate)
        } else {
            match PackageName::from_str(candidate) {
                Ok(name) => Cow::Owned(name.to_string()),
                Err(_) => continue,
            }
        };
        if normalized == wanted {
            continue;
        }
        let variant = cores(&normalized)
            .iter()
            .any(|core| !core.is_empty() && wanted_cores.contains(core));
        let distance = if variant {
            Some(1)
        } else if normalized.len().abs_diff(wanted.len()) <= limit {
            edit_distance(wanted, &normalized, limit)
        } else {
            None
        };
        if let Some(distance) = distance {
            close.push((distance, normalized.into_owned()));
        }
    }
    close.sort();
    close.dedup();
    close
        .into_iter()
        .filter_map(|(_, name)| PackageName::from_str(&name).ok())
        .take(MAX_SUGGESTIONS)
        .collect()
}

/// Whether `name` is already in its PEP 503 form (`a-b`, not `A_b`).
fn is_normalized(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// The name and what is left of it without a usual prefix or suffix.
fn cores(name: &str) -> Vec<&str> {
    let mut cores = vec![name];
    cores.extend(
        ["python-", "py"]
            .iter()
            .filter_map(|prefix| name.strip_prefix(prefix)),
    );
    cores.extend(
        ["-python", "-py"]
            .iter()
            .filter_map(|suffix| name.strip_suffix(suffix)),
    );
    cores
}

/// Edits that turn `left` into `right` (insertions, deletions,
/// substitutions and swaps of two adjacent characters: the optimal string
/// alignment distance), or `None` when that is more than `limit`. Package
/// names are ASCII, so bytes are characters.
fn edit_distance(left: &str, right: &str, limit: usize) -> Option<usize> {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    // Three rows of the table: two rows back (for swaps), the previous one, this one.
    let mut before: Vec<usize> = vec![0; right.len() + 1];
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    let mut current: Vec<usize> = vec![0; right.len() + 1];
    for row in 1..=left.len() {
        current[0] = row;
        for column in 1..=right.len() {
            let cost = usize::from(left[row - 1] != right[column - 1]);
            let mut best = (previous[column - 1] + cost)
                .min(previous[column] + 1)
                .min(current[column - 1] + 1);
            if row > 1
                && column > 1
                && left[row - 1] == right[column - 2]
                && left[row - 2] == right[column - 1]
            {
                best = best.min(before[column - 2] + 1);
            }
            current[column] = best;
        }
        // Every later row is at least the smallest of the last two.
        if current.iter().min().is_some_and(|low| *low > limit)
            && previous.iter().min().is_some_and(|low| *low > limit)
        {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    Some(previous[right.len()]).filter(|distance| *distance <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn similar(wanted: &str, candidates: &[&str]) -> Vec<String> {
        let wanted = PackageName::from_str(wanted).expect("a valid name");
        similar_names(&wanted, candidates.iter().copied())
            .into_iter()
            .map(|name| name.to_string())
            .collect()
    }

    #[test]
    fn distances() {
        let distance = |left, right| edit_distance(left, right, 10);
        assert_eq!(distance("requests", "requests"), Some(0));
        assert_eq!(distance("reqests", "requests"), Some(1));
        assert_eq!(
            distance("reuqests", "requests"),
            Some(1),
            "a swap is one edit"
        );
        assert_eq!(distance("flask", "falsk"), Some(1));
        assert_eq!(distance("", "abc"), Some(3));
        assert_eq!(distance("kitten", "sitting"), Some(3));
        assert_eq!(distance("ca", "abc"), Some(3), "no edit of a swapped pair");
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("abcdef", "zyxwvu", 1), None);
    }

    #[test]
    fn close_names_closest_first_then_by_name() {
        let index = [
            "requests",
            "requests-oauthlib",
            "request",
            "django",
            "flask",
            "Re_Quests",
            "numpy",
        ];
        assert_eq!(
            similar("reqests", &index),
            ["requests", "re-quests", "request"]
        );
        // A name listed in several spellings is suggested once.
        assert_eq!(
            similar("reqests", &["Requests", "requests", "REQUESTS"]),
            ["requests"]
        );
        assert_eq!(similar("Djnago", &index), ["django"]);
        assert_eq!(similar("missing-package", &index), Vec::<String>::new());
        // The name itself is no suggestion, however it is spelled.
        assert_eq!(similar("re-quests", &index), ["requests", "request"]);
    }

    #[test]
    fn short_names_allow_one_edit() {
        let index = ["six", "sax", "attrs", "tox", "nose"];
        assert_eq!(similar("sx", &index), ["sax", "six"]);
        assert_eq!(similar("siz", &index), ["six"]);
        assert_eq!(similar("abcd", &index), Vec::<String>::new());
    }

    #[test]
    fn usual_prefixes_and_suffixes() {
        let index = ["python-dateutil", "pyyaml", "yaml-py", "zmq", "pyzmq"];
        assert_eq!(similar("dateutil", &index), ["python-dateutil"]);
        assert_eq!(similar("yaml", &index), ["pyyaml", "yaml-py"]);
        assert_eq!(similar("python-zmq", &index), ["pyzmq", "zmq"]);
        assert_eq!(similar("test", &["pytest", "tests"]), ["pytest", "tests"]);
    }

    #[test]
    fn at_most_three() {
        let index = ["aaaa1", "aaaa2", "aaaa3", "aaaa4", "aaaa"];
        assert_eq!(similar("aaaax", &index), ["aaaa", "aaaa1", "aaaa2"]);
    }
}
