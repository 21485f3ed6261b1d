//! Records index data for the offline benches, from a live index.
//!
//! ```text
//! cargo run --release -p plinth-benches --bin record -- set NAME [INDEX_URL]
//! cargo run --release -p plinth-benches --bin record -- pages PROJECT... [--index INDEX_URL]
//! ```
//!
//! `set NAME` resolves `fixtures/bench/NAME/requirements.in` for the benches'
//! target (CPython 3.11, x86_64 manylinux_2_28, files uploaded before
//! 2026-11-01) through the real index client, and writes what the resolver
//! was told (`index.json`) and the pins it chose (`pins.txt`). Builds of
//! sdists without static metadata are allowed, as `plinth compile` allows
//! them. `pages PROJECT...` stores the full JSON and HTML project pages of
//! each project in `fixtures/bench/pages/`, for the parse bench.

use std::str::FromStr;

use anyhow::{Context, bail};
use jiff::Timestamp;
use plinth_benches::{
    EXCLUDE_NEWER, PLATFORM, PYTHON_VERSION, Recorder, Recording, fixtures_dir, pins,
    resolve_options, roots, target,
};
use plinth_index::{ClientOptions, FileOptions, IndexClient, IndexSource};
use url::Url;

const PYPI: &str = "https://pypi.org/simple/";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("set") if args.len() >= 2 => record_set(&args[1], args.get(2).map(String::as_str)),
        Some("pages") if args.len() >= 2 => record_pages(&args[1..]),
        _ => bail!("usage: record set NAME [INDEX_URL] | record pages PROJECT... [--index URL]"),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()?)
}

fn record_set(name: &str, index: Option<&str>) -> anyhow::Result<()> {
    let dir = fixtures_dir().join(name);
    let index = Url::parse(index.unwrap_or(PYPI))?;
    let target = target()?;
    let runtime = runtime()?;
    let client = IndexClient::new(ClientOptions::new(vec![index.clone()]))?;
    let file_options = FileOptions {
        exclude_newer: Some(Timestamp::from_str(EXCLUDE_NEWER)?),
        build: Some(plinth_build::BuildOptions::new(
            target.python_version.clone(),
        )),
        ..FileOptions::default()
    };
    let source = IndexSource::new(
        client.clone(),
        target.clone(),
        file_options,
        runtime.handle().clone(),
    );
    let recorder = Recorder::new(source);
    let roots = roots(&dir.join("requirements.in"))?;
    let options = resolve_options(&target)?;
    let started = std::time::Instant::now();
    let resolution = plinth_resolver::resolve(&recorder, &roots, &[], &options)?;
    let stats = client.stats();
    eprintln!(
        "{name}: {} packages in {:.2}s, {} requests",
        resolution.packages.len(),
        started.elapsed().as_secs_f64(),
        stats.requests
    );
    let recording = Recording {
        index: index.to_string(),
        python_version: PYTHON_VERSION.to_string(),
        platform: PLATFORM.to_string(),
        exclude_newer: EXCLUDE_NEWER.to_string(),
        packages: recorder.recording.into_inner().expect("recording lock"),
    };
    let metadata: usize = recording
        .packages
        .values()
        .map(|package| package.metadata.len())
        .sum();
    let json = recording.to_json()?;
    std::fs::write(dir.join("index.json"), &json)?;
    std::fs::write(dir.join("pins.txt"), pins(&resolution))?;
    eprintln!(
        "{name}: recorded {} packages, metadata of {metadata} versions, {} KiB",
        recording.packages.len(),
        json.len() / 1024
    );
    drop(runtime);
    Ok(())
}

fn record_pages(args: &[String]) -> anyhow::Result<()> {
    let mut index = PYPI.to_string();
    let mut projects = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--index" {
            index = args.next().context("--index needs a URL")?.clone();
        } else {
            projects.push(arg.clone());
        }
    }
    let index = Url::parse(&index)?;
    let dir = fixtures_dir().join("pages");
    std::fs::create_dir_all(&dir)?;
    let runtime = runtime()?;
    // The client's own page fetching parses as it goes; here the raw bytes are
    // wanted, so a plain HTTP client fetches them.
    runtime.block_on(async {
        let http = reqwest::Client::new();
        for project in &projects {
            let url = index.join(&format!("{project}/"))?;
            for (extension, accept) in [
                ("json", "application/vnd.pypi.simple.v1+json"),
                ("html", "text/html"),
            ] {
                let response = http
                    .get(url.clone())
                    .header("Accept", accept)
                    .send()
                    .await?
                    .error_for_status()?;
                let bytes = response.bytes().await?;
                let path = dir.join(format!("{project}.{extension}"));
                std::fs::write(&path, &bytes)?;
                eprintln!("{}: {} KiB", path.display(), bytes.len() / 1024);
            }
        }
        anyhow::Ok(())
    })
}
