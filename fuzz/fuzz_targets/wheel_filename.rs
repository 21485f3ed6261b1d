//! Wheel and sdist filename parsing and tag matching never panic.
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use plinth_index::{DistFilename, Platform, Target};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(name) = pep508_rs::PackageName::from_str("pkg") else {
        return;
    };
    let Ok(platform) = Platform::from_str("x86_64-manylinux_2_28") else {
        return;
    };
    let Ok(version) = pep440_rs::Version::from_str("3.11") else {
        return;
    };
    let target = Target::new(version, platform);
    if let Some(DistFilename::Wheel(wheel)) = DistFilename::parse(text, &name) {
        let python: Vec<&str> = wheel.python_tags.iter().map(String::as_str).collect();
        let abi: Vec<&str> = wheel.abi_tags.iter().map(String::as_str).collect();
        let platform: Vec<&str> = wheel.platform_tags.iter().map(String::as_str).collect();
        let _ = target.wheel_rank(&python, &abi, &platform);
    }
    let _ = Platform::from_str(text);
});
