//! A project's versions as ranked for one target, cached beside its page.
//!
//! Ranking a page (grouping its files by version, dropping what the options
//! exclude, choosing for each version the file to read metadata from) reads
//! every file on it: thousands for botocore, tens of thousands over a large
//! resolution, most of a warm run's time. The result is stored per project,
//! sources, target and the options that decide it, naming the page it was
//! made from (its id, see the client's page entries), so that a later run
//! whose page comes from the cache as it is reads this record instead of
//! the page (a record of an older page is replaced, not kept beside it): what the resolver needs to
//! know of each version, the best file of each in full, and the positions
//! on the page of every file of a version (the page itself is read only
//! when those are needed: for hashes, and for pin records).
//!
//! Format (version 2; version 1 worded the reasons differently): the line
//! `plinth-ranked 2`, `page ID`, a line `newer` followed by the versions
//! left out by the cutoff (space-separated), then one line
//! per version with tab-separated fields: the version; yanked and unusable,
//! each `+` and the reason when present; `Requires-Python`; the positions of
//! its files on the page (comma-separated, runs as `first-last`); and, when
//! it has one, the fields of its best file as [`crate::compact`] writes
//! them. What follows `Requires-Python` is parsed only when asked for: most
//! versions are never looked at beyond that.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::Timestamp;
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;
use plinth_resolver::{PackageVersions, VersionInfo};
use sha2::{Digest, Sha256};

use crate::FreedApart;
use crate::compact::{self, escape, unescape};
use crate::grouped::Grouped;
use crate::simple::IndexFile;
use crate::target::Target;

const HEADER: &str = "plinth-ranked 2";

/// The files of one version: positions on the project page, and the file
/// to read metadata from.
#[derive(Debug, Clone)]
pub(crate) enum VersionFiles {
    /// Ranked in this run.
    Ranked {
        /// Every file of the version (after `--exclude-newer`), for hashes:
        /// the same for every target (see [`crate::grouped::Grouped`]).
        all: Arc<[usize]>,
        /// The best file's position: each of a universal resolution's
        /// environments keeps one of these per version, and a copy of the
        /// file in each would take 100 bytes more.
        best: Option<usize>,
    },
    /// Read from a stored ranking: the rest of the version's line in
    /// `text`, and the best file once it has been asked for.
    Stored {
        text: Arc<str>,
        at: Range<usize>,
        best: OnceLock<Option<Box<IndexFile>>>,
    },
}

impl VersionFiles {
    /// The positions of every file of the version on the page (an empty
    /// list for a damaged ranking: hashes then fail as for a missing file).
    pub(crate) fn all(&self) -> Vec<usize> {
        match self {
            Self::Ranked { all, .. } => all.to_vec(),
            Self::Stored { .. } => {
                let (positions, _) = self.stored_fields();
                parse_positions(positions).unwrap_or_default()
            }
        }
    }

    /// The file to read metadata from; `page` is the page a ranking made
    /// in this run was made from (a stored one names its best files).
    pub(crate) fn best(&self, page: &[IndexFile]) -> Option<IndexFile> {
        match self {
            Self::Ranked { best, .. } => best.and_then(|at| page.get(at)).cloned(),
            Self::Stored { best, .. } => best
                .get_or_init(|| match self.stored_fields() {
                    (_, "") => None,
                    (_, line) => compact::decode_line(line).map(Box::new),
                })
                .as_deref()
                .cloned(),
        }
    }

    /// Whether both were ranked in this run alike: the same files, the
    /// same best one.
    fn made_alike(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::Ranked { all, best },
                Self::Ranked {
                    all: other_all,
                    best: other_best,
                },
            ) => all == other_all && best == other_best,
            _ => false,
        }
    }

    /// The positions and the best file's fields of a stored version.
    fn stored_fields(&self) -> (&str, &str) {
        match self {
            Self::Ranked { .. } => ("", ""),
            Self::Stored { text, at, .. } => {
                let rest = &text[at.clone()];
                rest.split_once('\t').unwrap_or((rest, ""))
            }
        }
    }
}

/// A project ranked for a target; the environments of a universal
/// resolution that rank a page alike share one (see [`SharedRankings`]).
#[derive(Debug, Clone)]
pub(crate) struct Ranked {
    pub versions: Arc<PackageVersions>,
    pub files: Arc<BTreeMap<Version, VersionFiles>>,
}

/// What decides the ranking of a page besides the page.
pub(crate) struct RankedFor<'a> {
    /// The indexes and find-links the page comes from.
    pub sources: &'a str,
    pub name: &'a PackageName,
    pub target: &'a Target,
    pub exclude_newer: Option<Timestamp>,
    pub wheels_allowed: bool,
    pub sdists_allowed: bool,
    /// Whether sdists may be built (else their metadata is never read from
    /// another file of the version).
    pub builds_allowed: bool,
}

/// The cache key of the ranking of a project for `ranked_for`; the entry
/// names the page it was made from, and a ranking of another page (an
/// older one) is not used but replaced, so that no ranking is left behind.
pub(crate) fn key(ranked_for: &RankedFor<'_>) -> String {
    hashed_key(HEADER, Some(ranked_for.target), ranked_for)
}

/// The cache key of the rankings of a project for every target of a
/// universal resolution ([`SharedRankings`]): what decides them but the
/// target.
pub(crate) fn shared_key(ranked_for: &RankedFor<'_>) -> String {
    hashed_key(SHARED_HEADER, None, ranked_for)
}

/// A key naming `header` and what decides a ranking: with `target`, or
/// without it.
fn hashed_key(header: &str, target: Option<&Target>, ranked_for: &RankedFor<'_>) -> String {
    let mut text = format!("{header}\n{}\n{}\n", ranked_for.sources, ranked_for.name);
    if let Some(target) = target {
        text.push_str(&format!("{}\n{}\n", target.python_version, target.platform));
    }
    text.push_str(&format!(
        "{}\n{}\n{}\n{}",
        ranked_for
            .exclude_newer
            .map(|cutoff| cutoff.to_string())
            .unwrap_or_default(),
        ranked_for.wheels_allowed,
        ranked_for.sdists_allowed,
        ranked_for.builds_allowed,
    ));
    format!("ranked/{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// How a target is named in an entry of [`SharedRankings`].
pub(crate) fn target_id(target: &Target) -> String {
    format!("{} {}", target.python_version, target.platform)
}

const SHARED_HEADER: &str = "plinth-ranked-shared 1";

/// The rankings of a universal resolution, kept as one cache entry per
/// project for all its environments (each a ranking as [`encode`] writes
/// it) rather than one per project and environment: a grid of 25
/// environments would otherwise create thousands of files on a cold run,
/// and creating a file costs more than ranking a small page. Rankings made
/// in the run are stored by [`SharedRankings::store`] at its end.
///
/// Most targets of a project rank it alike (every environment ranks a
/// project of pure-Python wheels the same; a binary one differs by
/// platform and Python): a ranking is stored once per entry and decoded
/// once per run, and the targets that share it share the decoded ranking.
///
/// Entry format: the line `plinth-ranked-shared 1`, then per target a line
/// `TARGET<TAB>LENGTH` and that many bytes of its ranking, or a line
/// `TARGET<TAB>=OTHER` for a target whose ranking is that of the target
/// `OTHER` before it.
#[derive(Debug, Default)]
pub struct SharedRankings {
    /// Entries read from the cache this run, by key: each target's ranking
    /// (targets ranked alike share one text).
    stored: Mutex<HashMap<String, Arc<Sections>>>,
    /// The rankings decoded this run, by the address of their text (kept
    /// here with them), with the page they were checked against.
    decoded: FreedApart<Mutex<HashMap<usize, Decoded>>>,
    /// Rankings made this run, by key and target (targets ranked alike
    /// share one), written out as text only when stored.
    made: Mutex<BTreeMap<String, BTreeMap<String, Arc<Made>>>>,
    /// Each page ranked this run, grouped by version once for all targets.
    /// (This and `decoded` are freed apart, see [`FreedApart`]: at the end
    /// of an `--offline` universal run they were a tenth of its time.)
    grouped: FreedApart<Mutex<HashMap<PackageName, GroupedPage>>>,
}

/// A ranking made this run, and the page it was made from.
#[derive(Debug)]
struct Made {
    ranked: Ranked,
    page_id: String,
    page: Arc<Vec<IndexFile>>,
}

impl Made {
    /// Whether `ranked`, made from the page `page_id`, is this ranking: as
    /// [`encode`] would write both alike.
    fn is(&self, ranked: &Ranked, page_id: &str) -> bool {
        self.page_id == page_id
            && self.ranked.versions == ranked.versions
            && self.ranked.files.len() == ranked.files.len()
            && self.ranked.files.iter().zip(ranked.files.iter()).all(
                |((version, files), (other_version, other))| {
                    version == other_version && files.made_alike(other)
                },
            )
    }

    fn encode(&self) -> Arc<str> {
        let text = encode(
            &self.page_id,
            &self.ranked.versions,
            &self.ranked.files,
            &self.page,
        );
        String::from_utf8_lossy(&text).into()
    }
}

/// A page, and its files grouped by version.
type GroupedPage = (Arc<Vec<IndexFile>>, Arc<Grouped>);

/// A ranking's text, the page id it was decoded for, and the result.
type Decoded = (Arc<str>, String, Option<Ranked>);

/// Rankings by target, as text (shared with the projects decoded from them).
type Sections = BTreeMap<String, Arc<str>>;

impl SharedRankings {
    /// The stored ranking of the page `page_id` for `target` under `key`
    /// (see [`shared_key`], [`target_id`]); the entry is read from the
    /// cache (`read`) once per run.
    pub(crate) fn get(
        &self,
        key: &str,
        target: &str,
        page_id: &str,
        read: impl FnOnce(&str) -> Option<Vec<u8>>,
    ) -> Option<Ranked> {
        let sections = self.stored_sections(key, read);
        let text = sections.get(target)?.clone();
        let address = text.as_ptr() as usize;
        if let Some((_, decoded_for, ranked)) = lock(&self.decoded).get(&address)
            && decoded_for == page_id
        {
            return ranked.clone();
        }
        let ranked = decode_text(text.clone(), page_id);
        lock(&self.decoded).insert(address, (text, page_id.to_string(), ranked.clone()));
        ranked
    }

    fn stored_sections(
        &self,
        key: &str,
        read: impl FnOnce(&str) -> Option<Vec<u8>>,
    ) -> Arc<Sections> {
        if let Some(sections) = lock(&self.stored).get(key) {
            return sections.clone();
        }
        // Read outside the lock: two environments may both read an entry.
        let sections = Arc::new(read(key).and_then(split_sections).unwrap_or_default());
        lock(&self.stored)
            .entry(key.to_string())
            .or_insert(sections)
            .clone()
    }

    /// The files of `page` (of `name`) grouped by version: by `group` for
    /// the first target to rank the page, then as it grouped them.
    pub(crate) fn grouped(
        &self,
        name: &PackageName,
        page: &Arc<Vec<IndexFile>>,
        group: impl FnOnce() -> Grouped,
    ) -> Arc<Grouped> {
        if let Some((grouped_page, grouped)) = lock(&self.grouped).get(name)
            && Arc::ptr_eq(grouped_page, page)
        {
            return grouped.clone();
        }
        // Grouped outside the lock: two environments may both group a page.
        let grouped = Arc::new(group());
        lock(&self.grouped).insert(name.clone(), (page.clone(), grouped.clone()));
        grouped
    }

    /// Keeps `ranked` of `target` (made from `page`, stored as `page_id`)
    /// under `key` for [`Self::store`]. Gives the ranking for the target to
    /// keep: another target's that ranked the page alike, so that every
    /// environment that does (all of them, for a project of pure-Python
    /// wheels) shares one table of its versions.
    pub(crate) fn put(
        &self,
        key: String,
        target: String,
        ranked: Ranked,
        page_id: &str,
        page: &Arc<Vec<IndexFile>>,
    ) -> Ranked {
        let mut made = lock(&self.made);
        let sections = made.entry(key).or_default();
        let same = sections
            .values()
            .find(|other| other.is(&ranked, page_id))
            .cloned();
        let same = same.unwrap_or_else(|| {
            Arc::new(Made {
                ranked,
                page_id: page_id.to_string(),
                page: page.clone(),
            })
        });
        sections.insert(target, same.clone());
        same.ranked.clone()
    }

    /// Stores the entries of the projects ranked this run (written on the
    /// client's background writer), each with the rankings read from its
    /// entry for other targets of the same page.
    pub fn store(&self, client: &crate::IndexClient) {
        let made = std::mem::take(&mut *lock(&self.made));
        for (key, rankings) in made {
            let stored = self.stored_sections(&key, |key| client.cache_get(key));
            client.cache_put_later_with(key, move || {
                // Each ranking written out once, however many targets share it.
                let mut texts: HashMap<*const Made, Arc<str>> = HashMap::new();
                let sections = rankings
                    .iter()
                    .map(|(target, made)| {
                        let text = texts
                            .entry(Arc::as_ptr(made))
                            .or_insert_with(|| made.encode());
                        (target.clone(), text.clone())
                    })
                    .collect();
                entry(sections, &stored)
            });
        }
    }
}

/// The entry of the rankings `made` this run, with those of `stored` for
/// other targets of the same page (a project's rankings are all of one page).
fn entry(mut made: Sections, stored: &Sections) -> Vec<u8> {
    let page = made
        .values()
        .next()
        .and_then(|ranking| page_line(ranking))
        .map(str::to_string);
    for (target, ranking) in stored {
        if page.is_some() && page_line(ranking) == page.as_deref() {
            made.entry(target.clone())
                .or_insert_with(|| ranking.clone());
        }
    }
    let mut entry = format!("{SHARED_HEADER}\n").into_bytes();
    // The targets written out so far, by the length of their ranking.
    let mut written: HashMap<usize, Vec<(&str, &str)>> = HashMap::new();
    for (target, ranking) in &made {
        let same_length = written.entry(ranking.len()).or_default();
        match same_length.iter().find(|(_, other)| *other == &**ranking) {
            Some((other, _)) => entry.extend_from_slice(format!("{target}\t={other}\n").as_bytes()),
            None => {
                entry.extend_from_slice(format!("{target}\t{}\n", ranking.len()).as_bytes());
                entry.extend_from_slice(ranking.as_bytes());
                same_length.push((target, ranking));
            }
        }
    }
    entry
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The `page ID` line of a ranking.
fn page_line(ranking: &str) -> Option<&str> {
    ranking
        .strip_prefix(HEADER)?
        .strip_prefix('\n')?
        .lines()
        .next()
}

/// The rankings of an entry of [`SharedRankings`] by target; `None` for
/// anything else.
fn split_sections(entry: Vec<u8>) -> Option<Sections> {
    let mut rest = entry
        .strip_prefix(SHARED_HEADER.as_bytes())?
        .strip_prefix(b"\n")?;
    let mut sections = Sections::new();
    while !rest.is_empty() {
        let end = rest.iter().position(|byte| *byte == b'\n')?;
        let (target, length) = std::str::from_utf8(&rest[..end]).ok()?.split_once('\t')?;
        if let Some(other) = length.strip_prefix('=') {
            let ranking = sections.get(other)?.clone();
            sections.insert(target.to_string(), ranking);
            rest = &rest[end + 1..];
            continue;
        }
        let length: usize = length.parse().ok()?;
        let ranking = std::str::from_utf8(rest.get(end + 1..end + 1 + length)?).ok()?;
        sections.insert(target.to_string(), ranking.into());
        rest = &rest[end + 1 + length..];
    }
    Some(sections)
}

/// The ranking of the page `page_id`, made from `page`.
pub(crate) fn encode(
    page_id: &str,
    versions: &PackageVersions,
    files: &BTreeMap<Version, VersionFiles>,
    page: &[IndexFile],
) -> Vec<u8> {
    let mut text = String::with_capacity(files.len() * 200);
    text.push_str(HEADER);
    text.push_str("\npage ");
    text.push_str(page_id);
    text.push_str("\nnewer");
    for version in &versions.newer_than_cutoff {
        text.push(' ');
        text.push_str(&version.to_string());
    }
    text.push('\n');
    let present =
        |value: Option<&String>| value.map_or(String::new(), |value| format!("+{}", escape(value)));
    for (version, info) in &versions.versions {
        let files = files.get(version);
        let fields = [
            version.to_string(),
            present(info.yanked.as_ref()),
            present(info.unusable.as_ref()),
            info.requires_python
                .as_ref()
                .map(|specifiers| escape(&specifiers.to_string()))
                .unwrap_or_default(),
            files
                .map(|files| write_positions(&files.all()))
                .unwrap_or_default(),
        ];
        text.push_str(&fields.join("\t"));
        if let Some(best) = files.and_then(|files| files.best(page)) {
            text.push('\t');
            compact::encode_line(&best, &mut text);
        }
        text.push('\n');
    }
    text.into_bytes()
}

/// The ranking of the page `page_id`; `None` for a ranking of another
/// page, or anything that is not this format.
pub(crate) fn decode(bytes: Vec<u8>, page_id: &str) -> Option<Ranked> {
    decode_text(String::from_utf8(bytes).ok()?.into(), page_id)
}

/// [`decode`] of a ranking already read as text.
fn decode_text(text: Arc<str>, page_id: &str) -> Option<Ranked> {
    let mut lines = text.split_terminator('\n');
    if lines.next()? != HEADER || lines.next()?.strip_prefix("page ")? != page_id {
        return None;
    }
    let newer_than_cutoff = lines
        .next()?
        .strip_prefix("newer")?
        .split_whitespace()
        .map(|version| Version::from_str(version).ok())
        .collect::<Option<BTreeSet<_>>>()?;
    // Written in version order: collected and then built in one go, which
    // for sorted input costs one comparison a version, not a search each.
    let mut versions = Vec::new();
    let mut files = Vec::new();
    // Most versions of a project share a few `Requires-Python` values.
    let mut specifiers: HashMap<&str, VersionSpecifiers> = HashMap::new();
    for line in lines {
        let mut fields = line.splitn(5, '\t');
        let version = Version::from_str(fields.next()?).ok()?;
        let present = |field: &str| {
            field
                .strip_prefix('+')
                .map(|text| unescape(text).into_owned())
        };
        let yanked = present(fields.next()?);
        let unusable = present(fields.next()?);
        let requires_python = match fields.next()? {
            "" => None,
            text => Some(match specifiers.get(text) {
                Some(parsed) => parsed.clone(),
                None => {
                    let parsed = VersionSpecifiers::from_str(&unescape(text)).ok()?;
                    specifiers.insert(text, parsed.clone());
                    parsed
                }
            }),
        };
        let rest = fields.next()?;
        let start = rest.as_ptr() as usize - text.as_ptr() as usize;
        versions.push((
            version.clone(),
            VersionInfo {
                yanked,
                unusable,
                requires_python,
            },
        ));
        files.push((
            version,
            VersionFiles::Stored {
                text: text.clone(),
                at: start..start + rest.len(),
                best: OnceLock::new(),
            },
        ));
    }
    let (versions, files) = (BTreeMap::from_iter(versions), BTreeMap::from_iter(files));
    Some(Ranked {
        versions: Arc::new(PackageVersions {
            versions,
            newer_than_cutoff,
        }),
        files: Arc::new(files),
    })
}

/// `0-3,7` for positions 0, 1, 2, 3 and 7.
fn write_positions(positions: &[usize]) -> String {
    let mut text = String::new();
    let mut at = 0;
    while at < positions.len() {
        let first = positions[at];
        let mut last = first;
        while positions.get(at + 1) == Some(&(last + 1)) {
            last += 1;
            at += 1;
        }
        if !text.is_empty() {
            text.push(',');
        }
        text.push_str(&first.to_string());
        if last > first {
            text.push('-');
            text.push_str(&last.to_string());
        }
        at += 1;
    }
    text
}

fn parse_positions(text: &str) -> Option<Vec<usize>> {
    let mut positions = Vec::new();
    for run in text.split(',').filter(|run| !run.is_empty()) {
        let (first, last) = run.split_once('-').unwrap_or((run, run));
        let (first, last): (usize, usize) = (first.parse().ok()?, last.parse().ok()?);
        positions.extend(first..=last);
    }
    Some(positions)
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::target::Platform;

    fn file(filename: &str) -> IndexFile {
        let url =
            Url::parse(&format!("https://files.example/packages/{filename}")).expect("valid URL");
        let mut file = IndexFile::new(filename, url.into());
        file.set_sha256(&"ab".repeat(32));
        file
    }

    fn info(yanked: Option<&str>, unusable: Option<&str>, python: Option<&str>) -> VersionInfo {
        VersionInfo {
            yanked: yanked.map(str::to_string),
            unusable: unusable.map(str::to_string),
            requires_python: python.map(|text| text.parse().expect("valid specifiers")),
        }
    }

    #[test]
    fn a_ranking_round_trips() {
        let version = |text: &str| Version::from_str(text).expect("valid version");
        let mut versions = BTreeMap::new();
        versions.insert(version("1.0"), info(Some("broken\tbuild"), None, None));
        versions.insert(
            version("2.0"),
            info(None, Some("it has no wheel for the target"), None),
        );
        versions.insert(version("3.0rc1"), info(Some(""), None, Some(">=3.9, <4")));
        let page = [
            file("demo-1.0-py3-none-any.whl"),
            file("demo-3.0rc1.tar.gz"),
        ];
        let mut files = BTreeMap::new();
        files.insert(
            version("1.0"),
            VersionFiles::Ranked {
                all: Arc::from([0, 3, 4, 5, 9]),
                best: Some(0),
            },
        );
        files.insert(
            version("2.0"),
            VersionFiles::Ranked {
                all: Arc::from([1]),
                best: None,
            },
        );
        files.insert(
            version("3.0rc1"),
            VersionFiles::Ranked {
                all: Arc::from([2]),
                best: Some(1),
            },
        );
        let ranked = Ranked {
            versions: Arc::new(PackageVersions {
                versions,
                newer_than_cutoff: [version("4.0"), version("4.1")].into(),
            }),
            files: Arc::new(files),
        };
        let encoded = encode("page-1", &ranked.versions, &ranked.files, &page);
        assert!(
            String::from_utf8_lossy(&encoded).contains("\t0,3-5,9\t"),
            "runs of positions are written as ranges"
        );
        assert!(
            decode(encoded.clone(), "page-2").is_none(),
            "a ranking of another page is not used"
        );
        let decoded = decode(encoded, "page-1").expect("decodes");
        assert_eq!(decoded.versions, ranked.versions);
        for (version, files) in ranked.files.iter() {
            let other = &decoded.files[version];
            assert!(matches!(other, VersionFiles::Stored { .. }));
            assert_eq!(
                (other.all(), other.best(&[])),
                (files.all(), files.best(&page))
            );
        }
        assert_eq!(decoded.files.len(), 3);

        let empty = Ranked {
            versions: Arc::default(),
            files: Arc::default(),
        };
        let decoded =
            decode(encode("p", &empty.versions, &empty.files, &[]), "p").expect("decodes");
        assert_eq!(decoded.versions, empty.versions);
    }

    #[test]
    fn shared_rankings_keep_every_target_of_one_page() {
        let ranking = |page: &str, version: &str| {
            let versions = PackageVersions {
                versions: [(version_of(version), info(None, None, None))].into(),
                newer_than_cutoff: BTreeSet::new(),
            };
            encode(page, &versions, &BTreeMap::new(), &[])
        };
        let text = |bytes: Vec<u8>| -> Arc<str> { String::from_utf8(bytes).expect("text").into() };
        let made: Sections = [
            ("a".to_string(), text(ranking("p2", "2.0"))),
            ("d".to_string(), text(ranking("p2", "2.0"))),
        ]
        .into();
        let stored: Sections = [
            ("a".to_string(), text(ranking("p1", "1.0"))),
            ("b".to_string(), text(ranking("p2", "2.1"))),
            ("c".to_string(), text(ranking("p1", "1.1"))),
            ("e".to_string(), text(ranking("p2", "2.1"))),
        ]
        .into();
        let bytes = entry(made, &stored);
        let written = String::from_utf8_lossy(&bytes);
        assert_eq!(written.matches("2.0\t").count(), 1, "{written}");
        assert!(
            written.contains("\nd\t=a\n") && written.contains("\ne\t=b\n"),
            "{written}"
        );
        let sections = split_sections(bytes.clone()).expect("splits");
        assert_eq!(sections.keys().collect::<Vec<_>>(), ["a", "b", "d", "e"]);
        assert!(Arc::ptr_eq(&sections["a"], &sections["d"]));

        let shared = SharedRankings::default();
        let ranked =
            |target: &str, page: &str| shared.get("k", target, page, |_| Some(bytes.clone()));
        let versions = |target: &str, page: &str| {
            Some(
                ranked(target, page)?
                    .versions
                    .versions
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(versions("a", "p2"), Some(vec![version_of("2.0")]));
        assert_eq!(versions("b", "p2"), Some(vec![version_of("2.1")]));
        assert_eq!(versions("b", "p1"), None, "a ranking of another page");
        assert_eq!(versions("c", "p2"), None);
        let (a, d) = (ranked("a", "p2").expect("a"), ranked("d", "p2").expect("d"));
        assert!(Arc::ptr_eq(&a.files, &d.files), "decoded once for both");

        // Made in the run: a target that ranks the page as another did gets
        // that one's ranking to keep, and it is written out once.
        let page = Arc::new(vec![
            file("demo-2.0-py3-none-any.whl"),
            file("demo-2.0.tar.gz"),
        ]);
        let made_ranking = |version: &str, best: usize| Ranked {
            versions: Arc::new(PackageVersions {
                versions: [(version_of(version), info(None, None, None))].into(),
                newer_than_cutoff: BTreeSet::new(),
            }),
            files: Arc::new(
                [(
                    version_of(version),
                    VersionFiles::Ranked {
                        all: Arc::from([0, 1]),
                        best: Some(best),
                    },
                )]
                .into(),
            ),
        };
        let put = |target: &str, version: &str, best: usize, page_id: &str| {
            let ranked = made_ranking(version, best);
            shared.put("k".to_string(), target.to_string(), ranked, page_id, &page)
        };
        let x = put("x", "2.0", 0, "p2");
        let y = put("y", "2.0", 0, "p2");
        assert!(Arc::ptr_eq(&x.versions, &y.versions) && Arc::ptr_eq(&x.files, &y.files));
        let others = [
            put("z", "2.1", 0, "p2"),
            put("w", "2.0", 1, "p2"),
            put("v", "2.0", 0, "p3"),
        ];
        for other in others {
            assert!(!Arc::ptr_eq(&x.files, &other.files));
        }
        let made = lock(&shared.made);
        assert!(Arc::ptr_eq(&made["k"]["x"], &made["k"]["y"]));
        assert!(!Arc::ptr_eq(&made["k"]["x"], &made["k"]["w"]));
        let written = made["k"]["x"].encode();
        let expected = encode("p2", &x.versions, &x.files, &page);
        assert_eq!(written.as_bytes(), expected.as_slice());
        assert!(written.contains("demo-2.0-py3-none-any.whl"), "{written}");
        drop(made);

        assert!(split_sections(b"plinth-ranked-shared 1\na\t99\nshort".to_vec()).is_none());
        assert!(split_sections(b"plinth-ranked 2\n".to_vec()).is_none());
        assert!(split_sections(b"plinth-ranked-shared 1\na\t=b\n".to_vec()).is_none());
        assert_eq!(
            split_sections(b"plinth-ranked-shared 1\n".to_vec()),
            Some(Sections::new())
        );
    }

    #[test]
    fn a_page_is_grouped_once_for_every_target() {
        let shared = SharedRankings::default();
        let name = PackageName::from_str("demo").expect("valid name");
        let page = Arc::new(vec![file("demo-1.0-py3-none-any.whl")]);
        let calls = std::cell::Cell::new(0);
        let group = || {
            calls.set(calls.get() + 1);
            crate::grouped::group(&name, &page, None)
        };
        let first = shared.grouped(&name, &page, group);
        let again = shared.grouped(&name, &page, group);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(calls.get(), 1);
        // A page read anew (stored again by another run) is grouped anew.
        let newer = Arc::new(vec![file("demo-2.0-py3-none-any.whl")]);
        let regrouped =
            shared.grouped(&name, &newer, || crate::grouped::group(&name, &newer, None));
        assert_eq!(regrouped.versions[0].0, version_of("2.0"));
    }

    #[test]
    fn other_bytes_are_not_read() {
        let decode = |bytes: &[u8]| decode(bytes.to_vec(), "p");
        assert!(decode(b"").is_none());
        assert!(decode(b"plinth-ranked 2\npage p\nnewer\n1.0\t\t\n").is_none());
        assert!(decode(b"plinth-ranked 2\npage p\nnewer\nnot a version\t\t\t\t\n").is_none());
        assert!(decode(b"plinth-ranked 0\npage p\nnewer\n1.0\t\t\t\t\n").is_none());
        assert!(decode(b"plinth-ranked 2\nnewer\n1.0\t\t\t\t\n").is_none());
        assert!(decode(b"plinth-ranked 2\npage p\nnewer\n1.0\t\t\t\t\n").is_some());
    }

    #[test]
    fn the_key_changes_with_what_decides_the_ranking() {
        let name = PackageName::from_str("demo").expect("valid name");
        let linux = Target::new(
            version_of("3.11"),
            Platform::from_str("linux").expect("platform"),
        );
        let mac = Target::new(
            version_of("3.11"),
            Platform::from_str("macos").expect("platform"),
        );
        let ranked_for = |target, wheels_allowed| RankedFor {
            sources: "FirstIndex\nhttps://pypi.org/simple/",
            name: &name,
            target,
            exclude_newer: None,
            wheels_allowed,
            sdists_allowed: true,
            builds_allowed: true,
        };
        let base = key(&ranked_for(&linux, true));
        assert_eq!(base, key(&ranked_for(&linux, true)));
        assert_ne!(base, key(&ranked_for(&mac, true)));
        assert_ne!(base, key(&ranked_for(&linux, false)));
        let elsewhere = RankedFor {
            sources: "FirstIndex\nhttps://mirror.example/simple/",
            ..ranked_for(&linux, true)
        };
        assert_ne!(base, key(&elsewhere));
        let without_builds = RankedFor {
            builds_allowed: false,
            ..ranked_for(&linux, true)
        };
        assert_ne!(base, key(&without_builds));
        // A universal run's entry is one for every target.
        let shared = shared_key(&ranked_for(&linux, true));
        assert_eq!(shared, shared_key(&ranked_for(&mac, true)));
        assert_ne!(shared, base);
        assert_ne!(shared, shared_key(&ranked_for(&linux, false)));
        assert_ne!(shared, shared_key(&elsewhere));
    }

    fn version_of(text: &str) -> Version {
        Version::from_str(text).expect("valid version")
    }
}
