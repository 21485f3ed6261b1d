//! The METADATA / PKG-INFO / pyproject.toml readers never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plinth_index::CoreMetadata;

fuzz_target!(|data: &[u8]| {
    let metadata = CoreMetadata::parse(data);
    let _ = metadata.is_static();
    let _ = metadata.to_metadata();
    if let Ok(Some(from_pyproject)) = CoreMetadata::from_pyproject(data) {
        let _ = CoreMetadata::parse(from_pyproject.to_text().as_bytes()).to_metadata();
    }
});
