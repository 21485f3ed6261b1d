//! Tests of the test support itself: the index speaks the simple API as pip
//! and uv expect, and the built distributions are valid.

use std::io::{Cursor, Read};
use std::panic::{self, AssertUnwindSafe};
use std::process::Command;
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use crate::support::sdist::{build_sdist, pkg_info};
use crate::support::wheel::{build_wheel, urlsafe_base64_no_pad, wheel_metadata};
use crate::support::{DistSpec, RunningIndex, ServerOptions, TestContext, TestIndex, sha256_hex};

/// What pip 23 sends.
const PIP_ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";

fn example_index() -> TestIndex {
    TestIndex::new()
        .package("Flask", "3.0.0", |p| {
            p.requires("werkzeug>=3")
                .requires("importlib-metadata>=3.6; python_version < \"3.10\"")
                .requires_python(">=3.8")
                .extra("async", &["asgiref>=3.2"])
                .extra("dotenv", &["python-dotenv; sys_platform != \"emscripten\""])
                .sdist(true)
        })
        .package("werkzeug", "3.0.1", |p| {
            p.yanked("broken <b>\"quoted\"</b>")
        })
        .package("werkzeug", "3.0.2", |p| p.yanked("").no_upload_time())
}

/// Snapshots `text` with every sha256 hex digest shown as `[SHA256]`.
macro_rules! assert_snapshot_without_hashes {
    ($text:expr, @$snapshot:literal) => {
        insta::with_settings!({ filters => vec![(r"[0-9a-f]{64}", "[SHA256]")] }, {
            insta::assert_snapshot!($text, @$snapshot);
        })
    };
}

fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("open the wheel as a zip");
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).expect("read a zip entry");
            let mut content = Vec::new();
            entry
                .read_to_end(&mut content)
                .expect("inflate a zip entry");
            (entry.name().to_string(), content)
        })
        .collect()
}

fn tar_gz_entries(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = tar::Archive::new(GzDecoder::new(bytes));
    archive
        .entries()
        .expect("read the sdist as tar.gz")
        .map(|entry| {
            let mut entry = entry.expect("read a tar entry");
            let path = entry.path().expect("tar entry path").display().to_string();
            let mut content = String::new();
            entry
                .read_to_string(&mut content)
                .expect("read a tar entry");
            (path, content)
        })
        .collect()
}

#[test]
fn project_page_json() {
    let index = example_index().serve();
    let response = index.get("/simple/flask/", &[("Accept", PIP_ACCEPT)]);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/vnd.pypi.simple.v1+json")
    );
    assert_snapshot_without_hashes!(response.text(), @r#"
        {
          "files": [
            {
              "core-metadata": false,
              "filename": "flask-3.0.0-py3-none-any.whl",
              "hashes": {
                "sha256": "[SHA256]"
              },
              "requires-python": ">=3.8",
              "size": 1041,
              "upload-time": "2025-01-01T00:00:00Z",
              "url": "../../files/flask-3.0.0-py3-none-any.whl",
              "yanked": false
            },
            {
              "core-metadata": false,
              "filename": "flask-3.0.0.tar.gz",
              "hashes": {
                "sha256": "[SHA256]"
              },
              "requires-python": ">=3.8",
              "size": 533,
              "upload-time": "2025-01-01T00:00:00Z",
              "url": "../../files/flask-3.0.0.tar.gz",
              "yanked": false
            }
          ],
          "meta": {
            "api-version": "1.1"
          },
          "name": "flask",
          "versions": [
            "3.0.0"
          ]
        }
        "#);
}

#[test]
fn project_page_html() {
    let index = example_index().serve();
    let response = index.get("/simple/werkzeug/", &[("Accept", "text/html")]);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/html"));
    assert_snapshot_without_hashes!(response.text(), @r#"
        <!DOCTYPE html>
        <html>
          <head>
            <meta name="pypi:repository-version" content="1.1">
            <title>Links for werkzeug</title>
          </head>
          <body>
            <h1>Links for werkzeug</h1>
            <a href="../../files/werkzeug-3.0.1-py3-none-any.whl#sha256=[SHA256]" data-yanked="broken &lt;b&gt;&quot;quoted&quot;&lt;/b&gt;">werkzeug-3.0.1-py3-none-any.whl</a><br/>
            <a href="../../files/werkzeug-3.0.2-py3-none-any.whl#sha256=[SHA256]" data-yanked="">werkzeug-3.0.2-py3-none-any.whl</a><br/>
          </body>
        </html>
        "#);
}

#[test]
fn listed_urls_serve_files_with_listed_hashes() {
    let index = example_index().serve();
    let page = index.get("/simple/flask/", &[("Accept", PIP_ACCEPT)]);
    let page: serde_json::Value = serde_json::from_slice(&page.body).expect("the JSON page parses");
    let files = page["files"].as_array().expect("files is a list");
    assert_eq!(files.len(), 2);
    for file in files {
        let filename = file["filename"].as_str().expect("filename is a string");
        let relative = file["url"].as_str().expect("url is a string");
        // Relative to /simple/flask/.
        let path = relative
            .strip_prefix("../..")
            .expect("the URL climbs out of /simple/flask/");
        let response = index.get(path, &[]);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            file["hashes"]["sha256"],
            sha256_hex(&response.body),
            "{filename}"
        );
        assert_eq!(file["size"], response.body.len(), "{filename}");
    }
}

#[test]
fn content_negotiation() {
    let servers = [
        ("json+html", ServerOptions::default()),
        (
            "json only",
            ServerOptions {
                html: false,
                ..ServerOptions::default()
            },
        ),
        (
            "html only",
            ServerOptions {
                json: false,
                ..ServerOptions::default()
            },
        ),
    ];
    let accepts = [
        None,
        Some("*/*"),
        Some(PIP_ACCEPT),
        Some("application/vnd.pypi.simple.v1+json"),
        Some("text/html"),
        Some("text/html, application/vnd.pypi.simple.v1+json; q=0.5"),
        Some("application/vnd.pypi.simple.v1+json; q=0, text/html"),
    ];
    let mut table = String::new();
    for (server, options) in servers {
        let index = TestIndex::new()
            .package("a", "1.0", |p| p)
            .serve_with(options);
        for accept in accepts {
            let headers: Vec<(&str, &str)> =
                accept.iter().map(|accept| ("Accept", *accept)).collect();
            let response = index.get("/simple/a/", &headers);
            let content_type = response.header("content-type").unwrap_or("-");
            table.push_str(&format!(
                "{server:9} | {:58} | {} {content_type}\n",
                accept.unwrap_or("(no Accept)"),
                response.status
            ));
        }
    }
    insta::assert_snapshot!(table, @r"
        json+html | (no Accept)                                                | 200 text/html
        json+html | */*                                                        | 200 text/html
        json+html | application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01 | 200 application/vnd.pypi.simple.v1+json
        json+html | application/vnd.pypi.simple.v1+json                        | 200 application/vnd.pypi.simple.v1+json
        json+html | text/html                                                  | 200 text/html
        json+html | text/html, application/vnd.pypi.simple.v1+json; q=0.5      | 200 text/html
        json+html | application/vnd.pypi.simple.v1+json; q=0, text/html        | 200 text/html
        json only | (no Accept)                                                | 200 application/vnd.pypi.simple.v1+json
        json only | */*                                                        | 200 application/vnd.pypi.simple.v1+json
        json only | application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01 | 200 application/vnd.pypi.simple.v1+json
        json only | application/vnd.pypi.simple.v1+json                        | 200 application/vnd.pypi.simple.v1+json
        json only | text/html                                                  | 406 -
        json only | text/html, application/vnd.pypi.simple.v1+json; q=0.5      | 200 application/vnd.pypi.simple.v1+json
        json only | application/vnd.pypi.simple.v1+json; q=0, text/html        | 406 -
        html only | (no Accept)                                                | 200 text/html
        html only | */*                                                        | 200 text/html
        html only | application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01 | 200 text/html
        html only | application/vnd.pypi.simple.v1+json                        | 406 -
        html only | text/html                                                  | 200 text/html
        html only | text/html, application/vnd.pypi.simple.v1+json; q=0.5      | 200 text/html
        html only | application/vnd.pypi.simple.v1+json; q=0, text/html        | 200 text/html
        ");
}

#[test]
fn redirects_and_not_found() {
    let index = TestIndex::new()
        .package("Foo_Bar.baz", "1.0", |p| p)
        .serve();
    let mut table = String::new();
    for path in [
        "/simple/foo-bar-baz/",
        "/simple/foo-bar-baz",
        "/simple/Foo_Bar.baz/",
        "/simple/FOO-BAR-BAZ",
        "/simple/missing/",
        "/simple/",
        "/files/foo_bar_baz-1.0-py3-none-any.whl",
        "/files/missing-1.0-py3-none-any.whl",
        "/files/foo_bar_baz-1.0-py3-none-any.whl.metadata",
        "/elsewhere",
    ] {
        let response = index.get(path, &[]);
        let location = response.header("location").unwrap_or("");
        let line = format!("{path:50} | {} {location}", response.status);
        table.push_str(&format!("{}\n", line.trim_end()));
    }
    let post = index.request("POST", "/simple/foo-bar-baz/", &[]);
    table.push_str(&format!(
        "POST {:45} | {} {}\n",
        "/simple/foo-bar-baz/",
        post.status,
        post.header("allow").unwrap_or("")
    ));
    insta::assert_snapshot!(table, @"
    /simple/foo-bar-baz/                               | 200
    /simple/foo-bar-baz                                | 301 /simple/foo-bar-baz/
    /simple/Foo_Bar.baz/                               | 301 /simple/foo-bar-baz/
    /simple/FOO-BAR-BAZ                                | 301 /simple/foo-bar-baz/
    /simple/missing/                                   | 404
    /simple/                                           | 200
    /files/foo_bar_baz-1.0-py3-none-any.whl            | 200
    /files/missing-1.0-py3-none-any.whl                | 404
    /files/foo_bar_baz-1.0-py3-none-any.whl.metadata   | 404
    /elsewhere                                         | 404
    POST /simple/foo-bar-baz/                          | 405 GET, HEAD
    ");
}

#[test]
fn range_requests() {
    let index = example_index().serve();
    let path = "/files/flask-3.0.0-py3-none-any.whl";
    let full = index.get(path, &[]).body;
    let length = full.len();
    assert!(length > 100, "the wheel is {length} bytes");

    let partial = |range: &str| index.get(path, &[("Range", range)]);

    let response = partial("bytes=0-9");
    assert_eq!(response.status, 206);
    assert_eq!(
        response.header("content-range"),
        Some(format!("bytes 0-9/{length}").as_str())
    );
    assert_eq!(response.body, full[..10]);

    let response = partial("bytes=10-");
    assert_eq!(response.status, 206);
    assert_eq!(
        response.header("content-range"),
        Some(format!("bytes 10-{}/{length}", length - 1).as_str())
    );
    assert_eq!(response.body, full[10..]);

    let response = partial("bytes=-22");
    assert_eq!(response.status, 206);
    assert_eq!(response.body, full[length - 22..]);
    assert_eq!(response.header("content-length"), Some("22"));

    let response = partial(&format!("bytes=-{}", length * 2));
    assert_eq!(response.status, 206);
    assert_eq!(
        response.header("content-range"),
        Some(format!("bytes 0-{}/{length}", length - 1).as_str())
    );
    assert_eq!(response.body, full);

    let response = partial(&format!("bytes=5-{}", length * 2));
    assert_eq!(response.status, 206);
    assert_eq!(response.body, full[5..]);

    for unsatisfiable in [format!("bytes={length}-"), "bytes=-0".to_string()] {
        let response = partial(&unsatisfiable);
        assert_eq!(response.status, 416, "{unsatisfiable}");
        assert_eq!(
            response.header("content-range"),
            Some(format!("bytes */{length}").as_str())
        );
        assert!(response.body.is_empty());
    }

    // Invalid or multiple ranges are ignored, as RFC 9110 allows.
    for ignored in ["bytes=9-3", "bytes=0-1,5-6", "items=0-1"] {
        let response = partial(ignored);
        assert_eq!(response.status, 200, "{ignored}");
        assert_eq!(response.body, full, "{ignored}");
    }
}

#[test]
fn range_header_ignored_without_range_support() {
    let index = example_index().serve_with(ServerOptions {
        range: false,
        ..ServerOptions::default()
    });
    let path = "/files/flask-3.0.0-py3-none-any.whl";
    let response = index.get(path, &[("Range", "bytes=-10")]);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("accept-ranges"), None);
    assert_eq!(response.header("content-range"), None);
    assert_eq!(
        response.body,
        index
            .file("flask-3.0.0-py3-none-any.whl")
            .expect("the wheel exists")
            .bytes
    );
}

#[test]
fn head_requests() {
    let index = example_index().serve();
    let file = index.file("flask-3.0.0.tar.gz").expect("the sdist exists");
    let response = index.request("HEAD", "/files/flask-3.0.0.tar.gz", &[]);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-length"),
        Some(file.bytes.len().to_string().as_str())
    );
    assert_eq!(response.header("accept-ranges"), Some("bytes"));
    assert!(response.body.is_empty());

    let response = index.request(
        "HEAD",
        "/files/flask-3.0.0.tar.gz",
        &[("Range", "bytes=-10")],
    );
    assert_eq!(response.status, 206);
    assert_eq!(response.header("content-length"), Some("10"));
    assert!(response.body.is_empty());
}

#[test]
fn pep658_metadata_files() {
    let index = example_index().serve_with(ServerOptions {
        pep658: true,
        ..ServerOptions::default()
    });
    let wheel = "flask-3.0.0-py3-none-any.whl";
    let metadata = index.get(&format!("/files/{wheel}.metadata"), &[]);
    assert_eq!(metadata.status, 200);
    // The same bytes as the METADATA inside the wheel.
    let entries = zip_entries(&index.file(wheel).expect("the wheel exists").bytes);
    let (_, inside) = entries
        .iter()
        .find(|(name, _)| name == "flask-3.0.0.dist-info/METADATA")
        .expect("the wheel has METADATA");
    assert_eq!(&metadata.body, inside);

    let page = index.get("/simple/flask/", &[("Accept", PIP_ACCEPT)]);
    let page: serde_json::Value = serde_json::from_slice(&page.body).expect("the JSON page parses");
    assert_eq!(page["files"][0]["filename"], wheel);
    assert_eq!(
        page["files"][0]["core-metadata"]["sha256"],
        sha256_hex(&metadata.body)
    );
    assert_eq!(page["files"][1]["filename"], "flask-3.0.0.tar.gz");
    assert_eq!(page["files"][1]["core-metadata"], false);
    assert_eq!(
        index.get("/files/flask-3.0.0.tar.gz.metadata", &[]).status,
        404
    );

    let html = index
        .get("/simple/flask/", &[("Accept", "text/html")])
        .text();
    let hash = sha256_hex(&metadata.body);
    assert!(
        html.contains(&format!("data-core-metadata=\"sha256={hash}\" data-dist-info-metadata=\"sha256={hash}\">{wheel}</a>")),
        "{html}"
    );
    assert_eq!(html.matches("data-core-metadata").count(), 1, "{html}");

    let without = example_index().serve();
    assert_eq!(
        without.get(&format!("/files/{wheel}.metadata"), &[]).status,
        404
    );
    assert!(
        !without
            .get("/simple/flask/", &[])
            .text()
            .contains("metadata")
    );
}

#[test]
fn request_log() {
    let index = example_index().serve();
    index.get("/simple/flask/", &[("Accept", "text/html")]);
    index.get("/files/flask-3.0.0.tar.gz", &[("Range", "bytes=-8")]);
    let logged = index.requests();
    assert_eq!(logged.len(), 2);
    assert_eq!(
        (
            logged[0].method.as_str(),
            logged[0].path.as_str(),
            logged[0].accept.as_deref(),
            logged[0].range.as_deref()
        ),
        ("GET", "/simple/flask/", Some("text/html"), None)
    );
    assert_eq!(
        (logged[1].path.as_str(), logged[1].range.as_deref()),
        ("/files/flask-3.0.0.tar.gz", Some("bytes=-8"))
    );
    index.clear_requests();
    assert!(index.requests().is_empty());
}

#[test]
fn many_concurrent_clients() {
    let index = example_index().serve();
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..4 {
                    assert_eq!(index.get("/files/flask-3.0.0.tar.gz", &[]).status, 200);
                }
            });
        }
    });
    assert_eq!(index.requests().len(), 64);
}

#[test]
fn wheel_contents_and_record() {
    let files = example_index().files();
    let wheel = &files[0];
    assert_eq!(wheel.filename, "flask-3.0.0-py3-none-any.whl");
    let entries = zip_entries(&wheel.bytes);
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "flask/__init__.py",
            "flask-3.0.0.dist-info/METADATA",
            "flask-3.0.0.dist-info/WHEEL",
            "flask-3.0.0.dist-info/RECORD"
        ]
    );

    let record = String::from_utf8(entries[3].1.clone()).expect("RECORD is UTF-8");
    let mut lines = record.lines();
    for (name, content) in &entries[..3] {
        let hash = urlsafe_base64_no_pad(&Sha256::digest(content));
        assert_eq!(
            lines.next(),
            Some(format!("{name},sha256={hash},{}", content.len()).as_str())
        );
    }
    assert_eq!(lines.next(), Some("flask-3.0.0.dist-info/RECORD,,"));
    assert_eq!(lines.next(), None);

    let metadata = String::from_utf8(entries[1].1.clone()).expect("METADATA is UTF-8");
    insta::assert_snapshot!(metadata, @r#"
        Metadata-Version: 2.1
        Name: Flask
        Version: 3.0.0
        Requires-Python: >=3.8
        Requires-Dist: werkzeug>=3
        Requires-Dist: importlib-metadata>=3.6; python_version < "3.10"
        Provides-Extra: async
        Requires-Dist: asgiref>=3.2; extra == "async"
        Provides-Extra: dotenv
        Requires-Dist: python-dotenv; (sys_platform != "emscripten") and extra == "dotenv"
        "#);
}

#[test]
fn wheel_names_and_tags() {
    let spec = DistSpec::new("Foo.Bar_baz", "1.0")
        .wheel_tags(&["cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"]);
    let (filename, bytes) = build_wheel(&spec, &spec.wheel_tags[0]);
    assert_eq!(
        filename,
        "foo_bar_baz-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    );
    let entries = zip_entries(&bytes);
    let (_, wheel) = entries
        .iter()
        .find(|(name, _)| name == "foo_bar_baz-1.0.dist-info/WHEEL")
        .expect("the wheel has WHEEL");
    insta::assert_snapshot!(String::from_utf8_lossy(wheel), @r"
        Wheel-Version: 1.0
        Generator: plinth-tests
        Root-Is-Purelib: false
        Tag: cp311-cp311-manylinux_2_17_x86_64
        Tag: cp311-cp311-manylinux2014_x86_64
        ");
    assert!(
        entries
            .iter()
            .any(|(name, _)| name == "foo_bar_baz/__init__.py")
    );
    assert_eq!(
        wheel_metadata(&spec),
        "Metadata-Version: 2.1\nName: Foo.Bar_baz\nVersion: 1.0\n"
    );
}

#[test]
fn urlsafe_base64() {
    assert_eq!(urlsafe_base64_no_pad(b""), "");
    assert_eq!(urlsafe_base64_no_pad(b"f"), "Zg");
    assert_eq!(urlsafe_base64_no_pad(b"fo"), "Zm8");
    assert_eq!(urlsafe_base64_no_pad(b"foo"), "Zm9v");
    assert_eq!(urlsafe_base64_no_pad(&[0xfb, 0xff, 0xbf]), "-_-_");
}

#[test]
fn sdist_contents() {
    let spec = DistSpec::new("Old_Package", "1.0")
        .requires("six>=1.0; python_version < \"3\"")
        .extra("test", &["pytest"])
        .requires_python(">=3.7")
        .metadata_version("2.2")
        .dynamic("Requires-Dist")
        .sdist(true);
    let (filename, bytes) = build_sdist(&spec);
    assert_eq!(filename, "old_package-1.0.tar.gz");
    let entries = tar_gz_entries(&bytes);
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "old_package-1.0/PKG-INFO",
            "old_package-1.0/pyproject.toml",
            "old_package-1.0/old_package/__init__.py"
        ]
    );
    assert_eq!(entries[0].1, pkg_info(&spec));
    insta::assert_snapshot!(entries[0].1, @r#"
        Metadata-Version: 2.2
        Name: Old_Package
        Version: 1.0
        Dynamic: Requires-Dist
        Requires-Python: >=3.7
        Requires-Dist: six>=1.0; python_version < "3"
        Provides-Extra: test
        Requires-Dist: pytest; extra == "test"
        "#);
    insta::assert_snapshot!(entries[1].1, @r#"
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "Old_Package"
        version = "1.0"
        requires-python = ">=3.7"
        dependencies = ["six>=1.0; python_version < \"3\""]

        [project.optional-dependencies]
        "test" = ["pytest"]

        [tool.setuptools]
        packages = ["old_package"]
        "#);

    let (_, bytes) = build_sdist(&spec.clone().no_sdist_pkg_info());
    let entries = tar_gz_entries(&bytes);
    assert!(entries.iter().all(|(name, _)| !name.ends_with("PKG-INFO")));
}

#[test]
fn built_files_are_deterministic() {
    let first = example_index().files();
    let second = example_index().files();
    assert_eq!(first.len(), 4);
    for (first, second) in first.iter().zip(&second) {
        assert_eq!(first.filename, second.filename);
        assert_eq!(first.sha256, second.sha256, "{}", first.filename);
    }
}

#[test]
fn write_files_for_find_links() {
    let context = TestContext::new();
    example_index().write_files(&context.path("dists"));
    let mut names: Vec<String> = std::fs::read_dir(context.path("dists"))
        .expect("list the dists")
        .map(|entry| {
            entry
                .expect("read a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "flask-3.0.0-py3-none-any.whl",
            "flask-3.0.0.tar.gz",
            "werkzeug-3.0.1-py3-none-any.whl",
            "werkzeug-3.0.2-py3-none-any.whl"
        ]
    );
}

#[test]
fn context_command_environment_and_filters() {
    let index = example_index().serve();
    let context = TestContext::new().with_index(&index);
    context.write("sub/requirements.in", "flask\n");
    assert_eq!(context.read("sub/requirements.in"), "flask\n");

    let command = context.command(["compile"]);
    assert_eq!(command.get_current_dir(), Some(context.root()));
    let environment: Vec<(String, Option<String>)> = command
        .get_envs()
        .map(|(key, value)| {
            (
                key.to_string_lossy().into_owned(),
                value.map(|value| value.to_string_lossy().into_owned()),
            )
        })
        .collect();
    assert!(environment.contains(&("NO_COLOR".to_string(), Some("1".to_string()))));
    let cache = context.cache_dir().display().to_string();
    assert!(environment.contains(&("PLINTH_CACHE_DIR".to_string(), Some(cache))));
    for (key, value) in &environment {
        assert!(
            !key.starts_with("PLINTH_") || key == "PLINTH_CACHE_DIR" || value.is_none(),
            "{key} is inherited"
        );
    }

    let text = format!(
        "{} via {}flask/\n",
        context.path("requirements.txt").display(),
        index.url()
    );
    assert_eq!(
        context.filter(&text),
        "[TEMP]/requirements.txt via http://[INDEX]/simple/flask/\n"
    );
}

#[cfg(unix)]
#[test]
fn context_runs_and_renders_commands() {
    let context = TestContext::new().with_filter("secret", "[REDACTED]");
    let mut command = Command::new("sh");
    command
        .args(["-c", "cat; echo \"$PWD\" secret >&2; exit 3"])
        .current_dir(context.root());
    let output = context.run_command_with_stdin(command, b"from stdin\n");
    insta::assert_snapshot!(context.render(&output), @r"
        success: false
        exit_code: 3
        ----- stdout -----
        from stdin

        ----- stderr -----
        [TEMP] [REDACTED]
        ");
}

#[cfg(unix)]
#[test]
fn context_fails_a_run_that_hangs() {
    let context = TestContext::new().with_timeout(Duration::from_millis(200));
    let mut command = Command::new("sleep");
    command.arg("30");
    let started = Instant::now();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| context.run_command(command)));
    let message = outcome.expect_err("the run times out");
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(message.contains("did not finish within 200ms"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// `python3 -m pip` with no user configuration, or `None` (and a note) when
/// pip is not available.
fn pip() -> Option<Command> {
    let available = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !available {
        println!("skipped: `python3 -m pip` is not available");
        return None;
    }
    let mut command = Command::new("python3");
    command.args(["-m", "pip"]);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PIP_") {
            command.env_remove(&key);
        }
    }
    command
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1")
        .env("NO_PROXY", "127.0.0.1");
    Some(command)
}

fn assert_pip_succeeds(mut command: Command) {
    let output = command.output().expect("run pip");
    assert!(
        output.status.success(),
        "{command:?} failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Downloads and installs `flask==3.0.0` from `index` with pip; false when
/// pip is not available.
fn pip_download_and_install(index: &RunningIndex) -> bool {
    let (Some(mut download), Some(mut install)) = (pip(), pip()) else {
        return false;
    };
    let context = TestContext::new();
    download
        .args([
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--only-binary",
            ":all:",
        ])
        .arg("--index-url")
        .arg(index.url())
        .arg("-d")
        .arg(context.path("downloads"))
        .arg("flask==3.0.0");
    assert_pip_succeeds(download);
    assert!(context.exists("downloads/flask-3.0.0-py3-none-any.whl"));

    install
        .args(["install", "--no-deps", "--no-cache-dir", "--index-url"])
        .arg(index.url())
        .arg("--target")
        .arg(context.path("target"))
        .arg("flask==3.0.0");
    assert_pip_succeeds(install);
    assert_eq!(
        context.read("target/flask/__init__.py"),
        "__version__ = \"3.0.0\"\n"
    );
    assert!(context.exists("target/flask-3.0.0.dist-info/RECORD"));
    true
}

#[test]
fn pip_accepts_json_index_and_wheel() {
    let index = example_index().serve_with(ServerOptions {
        pep658: true,
        ..ServerOptions::default()
    });
    if pip_download_and_install(&index) {
        let requests = index.requests();
        let page = requests
            .iter()
            .find(|request| request.path == "/simple/flask/")
            .expect("pip asked for the project page");
        assert!(
            page.accept
                .as_deref()
                .is_some_and(|accept| accept.contains("+json")),
            "{page:?}"
        );
        assert!(
            requests
                .iter()
                .any(|request| request.path.ends_with(".whl.metadata")),
            "pip used the PEP 658 metadata file: {requests:#?}"
        );
    }
}

#[test]
fn pip_accepts_html_index_and_wheel() {
    let index = example_index().serve_with(ServerOptions {
        json: false,
        ..ServerOptions::default()
    });
    pip_download_and_install(&index);
}

/// Building the sdist needs setuptools next to pip (no build isolation: the
/// test index has no setuptools to offer).
#[test]
fn pip_builds_sdist_metadata() {
    let index = TestIndex::new()
        .package("Old_Package", "1.0", |p| {
            p.no_wheels()
                .sdist(true)
                .metadata_version("2.1")
                .requires("six; python_version >= \"3\"")
                .requires_python(">=3.7")
                .extra("test", &["pytest"])
        })
        .serve();
    // setuptools builds wheels itself from 70.1 on, with the `wheel` package before.
    let can_build = "import setuptools\ntry:\n    import setuptools.command.bdist_wheel\nexcept ImportError:\n    import wheel.bdist_wheel";
    let has_setuptools = Command::new("python3")
        .args(["-c", can_build])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_setuptools {
        println!("skipped: python3 has no setuptools able to build wheels");
        return;
    }
    let Some(mut download) = pip() else { return };
    let context = TestContext::new();
    download
        .args([
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--no-build-isolation",
            "--index-url",
        ])
        .arg(index.url())
        .arg("-d")
        .arg(context.path("downloads"))
        .arg("old-package==1.0");
    assert_pip_succeeds(download);
    assert!(context.exists("downloads/old_package-1.0.tar.gz"));
}
