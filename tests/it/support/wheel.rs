//! Real, installable wheels (PEP 427) built from a [`DistSpec`].
//!
//! Bytes are deterministic (fixed timestamps and compression), so hashes in
//! snapshots stay stable from run to run.

use std::io::{Cursor, Write};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::DistSpec;

/// Builds `{name}-{version}-{tag}.whl`; returns its filename and bytes.
pub fn build_wheel(spec: &DistSpec, tag: &str) -> (String, Vec<u8>) {
    let name = spec.filename_name();
    let filename = format!("{name}-{}-{tag}.whl", spec.version);
    let dist_info = format!("{name}-{}.dist-info", spec.version);
    let mut files = vec![(
        format!("{name}/__init__.py"),
        if spec.is_backend {
            super::sdist::INSTALLED_BACKEND.to_string()
        } else {
            format!("__version__ = \"{}\"\n", spec.version)
        },
    )];
    for module in 0..spec.extra_modules {
        files.push((format!("{name}/module_{module:05}.py"), String::new()));
    }
    files.extend([
        (format!("{dist_info}/METADATA"), wheel_metadata(spec)),
        (format!("{dist_info}/WHEEL"), wheel_file(tag)),
    ]);

    let mut record = String::new();
    for (path, content) in &files {
        let hash = urlsafe_base64_no_pad(&Sha256::digest(content.as_bytes()));
        record.push_str(&format!("{path},sha256={hash},{}\n", content.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));

    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    files.push((format!("{dist_info}/RECORD"), record));
    for (path, content) in &files {
        writer
            .start_file(path.as_str(), options)
            .expect("start a wheel entry");
        writer
            .write_all(content.as_bytes())
            .expect("write a wheel entry");
    }
    let bytes = writer.finish().expect("finish the wheel zip").into_inner();
    (filename, bytes)
}

/// The wheel's `.dist-info/METADATA` (also served as the PEP 658 file).
pub fn wheel_metadata(spec: &DistSpec) -> String {
    spec.core_metadata("2.1", &[])
}

/// The `.dist-info/WHEEL` file; compressed tag sets are expanded to one `Tag:` each.
fn wheel_file(tag: &str) -> String {
    let mut parts = tag.split('-');
    let (pythons, abis, platforms) = match (parts.next(), parts.next(), parts.next()) {
        (Some(pythons), Some(abis), Some(platforms)) => (pythons, abis, platforms),
        _ => panic!("wheel tag `{tag}` is not python-abi-platform"),
    };
    let mut lines = vec![
        "Wheel-Version: 1.0".to_string(),
        "Generator: plinth-tests".to_string(),
        format!("Root-Is-Purelib: {}", platforms == "any"),
    ];
    for python in pythons.split('.') {
        for abi in abis.split('.') {
            for platform in platforms.split('.') {
                lines.push(format!("Tag: {python}-{abi}-{platform}"));
            }
        }
    }
    lines.push(String::new());
    lines.join("\n")
}

/// The encoding of RECORD hashes: URL-safe base64 without `=` padding.
pub fn urlsafe_base64_no_pad(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut encoded = String::new();
    for chunk in bytes.chunks(3) {
        let group = chunk.iter().enumerate().fold(0u32, |group, (index, byte)| {
            group | u32::from(*byte) << (16 - 8 * index)
        });
        // A chunk of n bytes yields n + 1 characters.
        for position in 0..=chunk.len() {
            let index = (group >> (18 - 6 * position)) & 0b11_1111;
            encoded.push(char::from(ALPHABET[index as usize]));
        }
    }
    encoded
}
