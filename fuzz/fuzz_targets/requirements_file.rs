//! The requirements-file parser never panics, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Includes resolve against this directory; a missing file is an error, not a panic.
        let _ = plinth_requirements::parse_str(text, std::path::Path::new("/nonexistent/fuzz.in"));
    }
});
