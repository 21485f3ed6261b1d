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
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, tags) = match parts.as_slice() {
            [name, version, python, abi, platform] => (name, version, [python, abi, platform]),
            [name, version, _build, python, abi, platform] => {
                (name, version, [python, abi, platform])
            }
            _ => return None,
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn name(name: &str) -> PackageName {
        PackageName::from_str(name).expect("name")
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
