//! The packages PubGrub decides: real distributions plus virtual ones.

use std::fmt;

use pep508_rs::{ExtraName, PackageName};

/// A node of the resolution.
///
/// `Python` stands for the target interpreter (its only version is the
/// target's), and `Extra` for `name[extra]`, which depends on `name` at the same
/// version plus the requirements the extra turns on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Package {
    Root,
    Python,
    Dist(PackageName),
    Extra(PackageName, ExtraName),
}

impl Package {
    /// The distribution this package belongs to, if any.
    pub fn name(&self) -> Option<&PackageName> {
        match self {
            Package::Root | Package::Python => None,
            Package::Dist(name) | Package::Extra(name, _) => Some(name),
        }
    }
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Package::Root => f.write_str("your requirements"),
            Package::Python => f.write_str("Python"),
            Package::Dist(name) => write!(f, "{name}"),
            Package::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}
