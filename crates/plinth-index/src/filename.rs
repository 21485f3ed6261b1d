//! Distribution file names: wheels (PEP 427) and sdists (PEP 625 and older forms).

use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;

/// What a file name says about a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistFilename {
    Wheel(WheelFilename),
    Sdist { name: PackageName, version: Version },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFilename {
    pub name: PackageName,
    pub version: Version,
    pub python_tags: Vec<String>,
    pub abi_tags: Vec<String>,
    pub platform_tags: Vec<String>,
}

impl DistFilename {
    /// Parse `filename` as a distribution of `package`; `None` for anything else
    /// (other packages, unknown archive kinds, unparseable versions).
    pub fn parse(filename: &str, package: &PackageName) -> Option<Self> {
        if let Some(stem) = filename.strip_suffix(".whl") {
            return WheelFilename::parse(stem).map(DistFilename::Wheel);
        }
        let stem = [".tar.gz", ".zip"]
            .iter()
            .find_map(|suffix| filename.strip_suffix(suffix))?;
        // The name part may itself contain `-`: split where the name matches.
        for (index, _) in stem.match_indices('-') {
            let (name, version) = (&stem[..index], &stem[index + 1..]);
            if PackageName::from_str(name).ok().as_ref() == Some(package) {
                let version = Version::from_str(version).ok()?;
                return Some(DistFilename::Sdist {
                    name: package.clone(),
                    version,
                });
            }
        }
        None
    }

    pub fn version(&self) -> &Version {
        match self {
            DistFilename::Wheel(wheel) => &wheel.version,
            DistFilename::Sdist { version, .. } => version,
        }
    }
}

impl WheelFilename {
    /// Parse the name of a wheel without its `.whl` suffix.
    pub(crate) fn parse(stem: &str) -> Option<Self> {
        let (name, version, tags) = wheel_parts(stem)?;
        let split = |tag: &str| tag.split('.').map(str::to_string).collect::<Vec<_>>();
        Some(Self {
            name: PackageName::from_str(name).ok()?,
            version: Version::from_str(version).ok()?,
            python_tags: split(tags[0]),
            abi_tags: split(tags[1]),
            platform_tags: split(tags[2]),
        })
    }
}

/// The name, version and tag sets (python, abi, platform; each possibly
/// `.`-joined) of a wheel's file name without its `.whl` suffix.
fn wheel_parts(stem: &str) -> Option<(&str, &str, [&str; 3])> {
    let mut parts = stem.split('-');
    let mut next = || parts.next();
    let (name, version, a, b, c) = (next()?, next()?, next()?, next()?, next()?);
    match (next(), next()) {
        (None, _) => Some((name, version, [a, b, c])),
        // A build tag after the version.
        (Some(d), None) => Some((name, version, [b, c, d])),
        _ => None,
    }
}

/// What ranking reads of a file name on a project page.
pub(crate) struct PageFile<'a> {
    pub version: Version,
    /// A wheel's tag sets (python, abi, platform); `None` for an sdist.
    pub wheel_tags: Option<[&'a str; 3]>,
}

/// Reads the file names of one project page. The files of a version are
/// listed together: its version, and the project's name, are parsed once
/// for all of them (a page can list 15,000 wheels).
pub(crate) struct PageFileNames<'a> {
    package: &'a PackageName,
    /// The last wheel name part seen, and whether it names a package.
    name: Option<(&'a str, bool)>,
    /// The last version text seen, parsed.
    version: Option<(&'a str, Option<Version>)>,
}

impl<'a> PageFileNames<'a> {
    pub(crate) fn new(package: &'a PackageName) -> Self {
        Self {
            package,
            name: None,
            version: None,
        }
    }

    /// What [`DistFilename::parse`] reads of `filename`; `None` likewise.
    pub(crate) fn read(&mut self, filename: &'a str) -> Option<PageFile<'a>> {
        let Some(stem) = filename.strip_suffix(".whl") else {
            let version = DistFilename::parse(filename, self.package)?
                .version()
                .clone();
            return Some(PageFile {
                version,
                wheel_tags: None,
            });
        };
        let (name, version, tags) = wheel_parts(stem)?;
        let valid = match self.name {
            Some((last, valid)) if last == name => valid,
            _ => {
                let valid = PackageName::from_str(name).is_ok();
                self.name = Some((name, valid));
                valid
            }
        };
        if !valid {
            return None;
        }
        let version = match &self.version {
            Some((last, parsed)) if *last == version => parsed.clone(),
            _ => {
                let parsed = Version::from_str(version).ok();
                self.version = Some((version, parsed.clone()));
                parsed
            }
        }?;
        Some(PageFile {
            version,
            wheel_tags: Some(tags),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(name: &str) -> PackageName {
        PackageName::from_str(name).expect("name")
    }

    #[test]
    fn page_file_names_read_as_file_names_parse() {
        let package = name("demo");
        let filenames = [
            "demo-1.0-py3-none-any.whl",
            "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "demo-1.0-1build-cp311-abi3-win_amd64.whl",
            "demo-1.0.tar.gz",
            "demo-1.0.post1-py3-none-any.whl",
            "demo-not.a.version-py3-none-any.whl",
            "demo-not.a.version-py3-none-any.whl",
            "other-2.0-py3-none-any.whl",
            "de mo-2.0-py3-none-any.whl",
            "demo-2.0-py3-none-any.exe",
            "demo-2.0-a-b-c-d-e.whl",
            "demo-2.0-py3-none.whl",
            "demo-2.0.zip",
        ];
        let mut names = PageFileNames::new(&package);
        for filename in filenames {
            let read = names
                .read(filename)
                .map(|file| (file.version, file.wheel_tags.map(|tags| tags.join("-"))));
            let parsed = DistFilename::parse(filename, &package).map(|parsed| match parsed {
                DistFilename::Wheel(wheel) => (
                    wheel.version,
                    Some(
                        [wheel.python_tags, wheel.abi_tags, wheel.platform_tags]
                            .map(|tags| tags.join("."))
                            .join("-"),
                    ),
                ),
                DistFilename::Sdist { version, .. } => (version, None),
            });
            assert_eq!(read, parsed, "{filename}");
        }
    }

    #[test]
    fn wheels_and_sdists() {
        let Some(DistFilename::Wheel(wheel)) = DistFilename::parse(
            "MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            &name("markupsafe"),
        ) else {
            panic!("not a wheel")
        };
        assert_eq!(wheel.version.to_string(), "3.0.2");
        assert_eq!(wheel.platform_tags.len(), 2);
        let sdist = DistFilename::parse("zope.interface-7.0.tar.gz", &name("zope-interface"));
        assert_eq!(
            sdist.map(|sdist| sdist.version().to_string()),
            Some("7.0".to_string())
        );
        let sdist = DistFilename::parse("django-filter-2.0.0.zip", &name("django-filter"));
        assert_eq!(
            sdist.map(|sdist| sdist.version().to_string()),
            Some("2.0.0".to_string())
        );
        assert_eq!(DistFilename::parse("foo-1.0.exe", &name("foo")), None);
        assert_eq!(
            DistFilename::parse("foo-1.0-py3-none-any", &name("foo")),
            None
        );
    }
}
