//! A project page's files grouped by version, each wheel with its tag sets:
//! the part of ranking a page that is the same for every target. Reading
//! the file names is most of the work; a universal resolution does it once
//! per page for all its environments (see [`crate::SharedRankings`]), and
//! each environment ranks the page's distinct tag sets, not every wheel.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use pep440_rs::Version;
use pep508_rs::PackageName;

use crate::filename::PageFileNames;
use crate::simple::IndexFile;

/// A file's position on the page and, for a wheel, the index of its tag
/// sets in [`Grouped::tag_sets`].
pub(crate) type GroupedFile = (usize, Option<usize>);

/// The files of a page by version.
#[derive(Debug, Default)]
pub(crate) struct Grouped {
    /// The distinct wheel tag sets (python, abi, platform) of the page.
    pub tag_sets: Vec<[Box<str>; 3]>,
    /// Each version, in order, with its files.
    pub versions: Vec<(Version, Vec<GroupedFile>)>,
    /// The positions of each version's files (in the order of `versions`),
    /// shared by the rankings of every target.
    pub positions: Vec<Arc<[usize]>>,
    /// The versions whose every file was uploaded after the cutoff.
    pub newer_than_cutoff: BTreeSet<Version>,
}

/// Groups the files of `page` (of `name`) by version, leaving out files
/// uploaded after `exclude_newer` and names that are not `name`'s files.
pub(crate) fn group(
    name: &PackageName,
    page: &[IndexFile],
    exclude_newer: Option<Timestamp>,
) -> Grouped {
    let mut by_version: BTreeMap<Version, Vec<GroupedFile>> = BTreeMap::new();
    let mut newer_than_cutoff = BTreeSet::new();
    let mut tag_ids: HashMap<[&str; 3], usize> = HashMap::new();
    let mut tag_sets = Vec::new();
    let mut names = PageFileNames::new(name);
    for (at, file) in page.iter().enumerate() {
        let Some(parsed) = names.read(file.filename()) else {
            continue;
        };
        if let (Some(cutoff), Some(uploaded)) = (exclude_newer, file.upload_time())
            && uploaded > cutoff
        {
            newer_than_cutoff.insert(parsed.version);
            continue;
        }
        let tags = parsed.wheel_tags.map(|tags| {
            *tag_ids.entry(tags).or_insert_with(|| {
                tag_sets.push(tags.map(Box::from));
                tag_sets.len() - 1
            })
        });
        by_version
            .entry(parsed.version)
            .or_default()
            .push((at, tags));
    }
    newer_than_cutoff.retain(|version| !by_version.contains_key(version));
    let positions = by_version
        .values()
        .map(|files| files.iter().map(|(at, _)| *at).collect())
        .collect();
    Grouped {
        tag_sets,
        versions: by_version.into_iter().collect(),
        positions,
        newer_than_cutoff,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn file(filename: &str, uploaded: &str) -> IndexFile {
        let url = url::Url::parse(&format!("https://files.example/{filename}")).expect("URL");
        let mut file = IndexFile::new(filename, url.into());
        file.set_upload_time(Timestamp::from_str(uploaded).expect("time"));
        file
    }

    #[test]
    fn files_are_grouped_by_version_with_shared_tag_sets() {
        let name = PackageName::from_str("demo").expect("name");
        let page = [
            file("demo-1.0.tar.gz", "2024-01-01T00:00:00Z"),
            file("demo-1.0-cp311-cp311-win_amd64.whl", "2024-01-01T00:00:00Z"),
            file("README.txt", "2024-01-01T00:00:00Z"),
            file("demo-2.0-cp311-cp311-win_amd64.whl", "2025-01-01T00:00:00Z"),
            file("demo-2.0-py3-none-any.whl", "2025-01-01T00:00:00Z"),
            file("demo-3.0-py3-none-any.whl", "2027-01-01T00:00:00Z"),
            file("demo-1.5-py3-none-any.whl", "2024-06-01T00:00:00Z"),
            file("demo-1.5.tar.gz", "2027-01-01T00:00:00Z"),
        ];
        let cutoff = Timestamp::from_str("2026-01-01T00:00:00Z").expect("time");
        let grouped = group(&name, &page, Some(cutoff));
        let version = |text: &str| Version::from_str(text).expect("version");
        assert_eq!(
            grouped.versions,
            [
                (version("1.0"), vec![(0, None), (1, Some(0))]),
                (version("1.5"), vec![(6, Some(1))]),
                (version("2.0"), vec![(3, Some(0)), (4, Some(1))]),
            ]
        );
        let positions: Vec<&[usize]> = grouped.positions.iter().map(|all| &all[..]).collect();
        assert_eq!(positions, [&[0, 1][..], &[6], &[3, 4]]);
        let tags: Vec<[&str; 3]> = grouped
            .tag_sets
            .iter()
            .map(|[python, abi, platform]| [&**python, &**abi, &**platform])
            .collect();
        assert_eq!(
            tags,
            [["cp311", "cp311", "win_amd64"], ["py3", "none", "any"]]
        );
        assert_eq!(
            grouped.newer_than_cutoff,
            [version("3.0")].into(),
            "1.5 has a file from before the cutoff"
        );
        assert!(group(&name, &page, None).newer_than_cutoff.is_empty());
    }
}
