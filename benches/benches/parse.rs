//! Parsing what plinth reads: full simple-API project pages as PyPI serves
//! them (PEP 691 JSON and PEP 503 HTML, fixtures/bench/pages/), a
//! `requirements.in`, and an annotated lockfile (as read back for its pins
//! by `plinth compile`, `upgrade` and `check`).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plinth_benches::{BenchSet, fixtures_dir, render};
use plinth_index::{parse_html, parse_json};
use url::Url;

fn pages(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_page");
    let dir = fixtures_dir().join("pages");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/bench/pages/")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).expect("a readable page");
        let project = path.file_stem().expect("a file name").to_string_lossy();
        let base = Url::parse(&format!("https://pypi.org/simple/{project}/")).expect("a URL");
        let file_name = path.file_name().expect("a file name").to_string_lossy();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("json") => {
                let files = parse_json(&bytes, &base).expect("a valid JSON page");
                group.bench_function(format!("{file_name} ({} files)", files.len()), |b| {
                    b.iter(|| parse_json(black_box(&bytes), &base).expect("a valid JSON page"));
                });
            }
            Some("html") => {
                let text = String::from_utf8(bytes.clone()).expect("a UTF-8 page");
                let files = parse_html(&text, &base).expect("a valid HTML page");
                group.bench_function(format!("{file_name} ({} files)", files.len()), |b| {
                    b.iter(|| parse_html(black_box(&text), &base).expect("a valid HTML page"));
                });
            }
            _ => {}
        }
    }
    group.finish();
}

fn requirements(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_requirements");
    for name in BenchSet::names().expect("fixtures/bench/ lists the sets") {
        let set = BenchSet::load(&name).expect("a readable recording");
        let input = std::fs::read_to_string(&set.requirements).expect("a readable input");
        let path = Path::new("requirements.in");
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("{name}/requirements.in"), |b| {
            b.iter(|| plinth_requirements::parse_str(black_box(&input), path).expect("valid"));
        });
        let resolution = set.resolve_checked().expect("the live run's pins");
        let lockfile = render(&resolution, Some("plinth compile requirements.in".into()));
        let path = Path::new("requirements.txt");
        group.throughput(Throughput::Bytes(lockfile.len() as u64));
        group.bench_function(
            format!(
                "{name}/requirements.txt ({} pins)",
                resolution.packages.len()
            ),
            |b| {
                b.iter(|| {
                    plinth_requirements::parse_str(black_box(&lockfile), path).expect("valid")
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, pages, requirements);
criterion_main!(benches);
