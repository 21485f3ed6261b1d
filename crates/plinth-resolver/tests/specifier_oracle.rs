//! The specifier-to-range conversion against an independent oracle: a table of
//! (specifier, version, contained) generated with Python's `packaging`
//! (fixtures/oracle/generate_specifiers.py).

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use plinth_resolver::specifiers::specifiers_to_range;

const TABLE: &str = include_str!("../../../fixtures/oracle/specifiers.tsv");

#[test]
fn conversion_agrees_with_packaging() {
    let mut rows = 0;
    let mut mismatches = Vec::new();
    for line in TABLE
        .lines()
        .skip_while(|line| line.starts_with('#'))
        .skip(1)
    {
        let mut fields = line.split('\t');
        let (Some(specifier), Some(version), Some(expected)) =
            (fields.next(), fields.next(), fields.next())
        else {
            panic!("malformed row `{line}`");
        };
        // `===` is string equality in `packaging`; plinth treats it as `==`
        // without local versions (PEP 440 discourages `===`).
        if specifier.starts_with("===") {
            continue;
        }
        let specifiers = VersionSpecifiers::from_str(specifier)
            .unwrap_or_else(|error| panic!("{specifier}: {error}"));
        let version =
            Version::from_str(version).unwrap_or_else(|error| panic!("{version}: {error}"));
        let contained = specifiers_to_range(&specifiers).contains(&version);
        rows += 1;
        if contained != (expected == "true") {
            mismatches.push(format!(
                "{specifier} {version}: packaging {expected}, plinth {contained}"
            ));
        }
    }
    assert!(rows > 10_000, "only {rows} rows");
    assert!(
        mismatches.is_empty(),
        "{} of {rows} rows disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
