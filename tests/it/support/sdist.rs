//! Source distributions built from a [`DistSpec`]: PKG-INFO (unless left out),
//! a setuptools `pyproject.toml` declaring the same metadata, and a one-file
//! package. Bytes are deterministic.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

use super::DistSpec;

/// 2025-01-01T00:00:00Z, the modification time of every member.
const MTIME: u64 = 1_735_689_600;

/// Builds `{name}-{version}.tar.gz`; returns its filename and bytes.
pub fn build_sdist(spec: &DistSpec) -> (String, Vec<u8>) {
    let name = spec.filename_name();
    let root = format!("{name}-{}", spec.version);
    let mut files = Vec::new();
    if spec.sdist_pkg_info {
        files.push(("PKG-INFO".to_string(), pkg_info(spec)));
    }
    if spec.in_tree_backend {
        files.push((
            "pyproject.toml".to_string(),
            "[build-system]\nrequires = []\nbuild-backend = \"plinth_test_backend\"\nbackend-path = [\".\"]\n"
                .to_string(),
        ));
        files.push(("plinth_test_backend.py".to_string(), in_tree_backend(spec)));
    } else if let Some(backend) = &spec.installed_backend {
        files.push((
            "pyproject.toml".to_string(),
            format!(
                "[build-system]\nrequires = [{}]\nbuild-backend = {}\n",
                toml_string(backend),
                toml_string(backend)
            ),
        ));
        files.push((
            "plinth-test-metadata".to_string(),
            spec.core_metadata("2.1", &[]),
        ));
    } else {
        files.push(("pyproject.toml".to_string(), pyproject_toml(spec)));
    }
    if spec.egg_info {
        let mut requires = spec.requires_dist.join("\n");
        for (extra, requirements) in &spec.extras {
            requires.push_str(&format!("\n\n[{extra}]\n{}", requirements.join("\n")));
        }
        files.push((format!("{name}.egg-info/requires.txt"), requires + "\n"));
    }
    files.push((
        format!("{name}/__init__.py"),
        format!("__version__ = \"{}\"\n", spec.version),
    ));
    if spec.sdist_padding > 0 {
        let mut state: u32 = 2_463_534_242;
        let padding: String = (0..spec.sdist_padding)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                char::from(b'!' + u8::try_from(state % 90).unwrap_or(0))
            })
            .collect();
        files.push((format!("{name}/padding.txt"), padding));
    }

    let encoder: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::default());
    let mut archive = tar::Builder::new(encoder);
    for (path, content) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(MTIME);
        archive
            .append_data(&mut header, format!("{root}/{path}"), content.as_bytes())
            .expect("append an sdist member");
    }
    let mut encoder = archive.into_inner().expect("finish the sdist tar");
    encoder.flush().expect("flush the sdist gzip");
    let bytes = encoder.finish().expect("finish the sdist gzip");
    (format!("{root}.tar.gz"), bytes)
}

/// The sdist's PKG-INFO: the spec's Metadata-Version and `Dynamic:` fields.
pub fn pkg_info(spec: &DistSpec) -> String {
    spec.core_metadata(&spec.metadata_version, &spec.dynamic)
}

/// The module of a backend package ([`DistSpec::backend`]): its metadata
/// hook writes the `plinth-test-metadata` of the project it builds, and it
/// is installed from the index by each build that needs it.
pub const INSTALLED_BACKEND: &str = r#"import os, sys

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    with open("plinth-test-metadata") as file:
        text = file.read()
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    name = fields["Name"].replace("-", "_")
    dist_info = name + "-" + fields["Version"] + ".dist-info"
    os.makedirs(os.path.join(metadata_directory, dist_info))
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w") as file:
        file.write(text)
    return dist_info

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("this test backend only prepares metadata")
"#;

/// A PEP 517 backend whose metadata hook writes the spec's METADATA.
pub fn in_tree_backend(spec: &DistSpec) -> String {
    let metadata = spec.core_metadata("2.1", &[]);
    let dist_info = format!("{}-{}.dist-info", spec.filename_name(), spec.version);
    let wait = spec.build_waits_for.as_ref().map_or_else(String::new, |path| {
        format!(
            "    for _ in range(400):\n        if os.path.exists({path:?}):\n            break\n        time.sleep(0.05)\n    else:\n        raise RuntimeError('waited in vain for ' + {path:?})\n"
        )
    });
    [
        "import os, time".to_string(),
        String::new(),
        "def get_requires_for_build_wheel(config_settings=None):".to_string(),
        "    return []".to_string(),
        String::new(),
        "def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):"
            .to_string(),
        wait,
        format!("    path = os.path.join(metadata_directory, {dist_info:?})"),
        "    os.makedirs(path)".to_string(),
        "    with open(os.path.join(path, 'METADATA'), 'w') as file:".to_string(),
        format!("        file.write({metadata:?})"),
        format!("    return {dist_info:?}"),
        String::new(),
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):"
            .to_string(),
        "    raise RuntimeError('this test backend only prepares metadata')".to_string(),
        String::new(),
    ]
    .join("\n")
}

/// A setuptools project declaring the same name, version and requirements.
fn pyproject_toml(spec: &DistSpec) -> String {
    let mut toml = String::from(
        "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n",
    );
    if spec.pyproject_project {
        push_project_table(&mut toml, spec);
    }
    toml.push_str(&format!(
        "\n[tool.setuptools]\npackages = [{}]\n",
        toml_string(&spec.filename_name())
    ));
    toml
}

/// The `[project]` table (and its optional dependencies) declaring the spec's metadata.
fn push_project_table(toml: &mut String, spec: &DistSpec) {
    toml.push_str("[project]\n");
    toml.push_str(&format!("name = {}\n", toml_string(&spec.name)));
    toml.push_str(&format!("version = {}\n", toml_string(&spec.version)));
    if let Some(requires_python) = &spec.requires_python {
        toml.push_str(&format!(
            "requires-python = {}\n",
            toml_string(requires_python)
        ));
    }
    toml.push_str(&format!(
        "dependencies = {}\n",
        toml_array(&spec.requires_dist)
    ));
    if !spec.extras.is_empty() {
        toml.push_str("\n[project.optional-dependencies]\n");
        for (extra, requirements) in &spec.extras {
            toml.push_str(&format!(
                "{} = {}\n",
                toml_string(extra),
                toml_array(requirements)
            ));
        }
    }
}

fn toml_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", items.join(", "))
}

fn toml_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}
