//! The PEP 503 HTML and PEP 691 JSON project-page parsers never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(base) = url::Url::parse("https://example.org/simple/pkg/") else {
        return;
    };
    let _ = plinth_index::parse_json(data, &base);
    let _ = plinth_index::parse_html(&String::from_utf8_lossy(data), &base);
});
