//! Rendering the annotated lockfile (`# via` in split style, with a header)
//! of each recorded set's resolution.

use criterion::{Criterion, criterion_group, criterion_main};
use plinth_benches::{BenchSet, render};

fn render_lockfile(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for name in BenchSet::names().expect("fixtures/bench/ lists the sets") {
        let set = BenchSet::load(&name).expect("a readable recording");
        let resolution = set.resolve_checked().expect("the live run's pins");
        let header = format!("plinth compile fixtures/bench/{name}/requirements.in");
        let label = format!("{name} ({} packages)", resolution.packages.len());
        group.bench_function(label, |b| {
            b.iter(|| render(&resolution, Some(header.clone())));
        });
    }
    group.finish();
}

criterion_group!(benches, render_lockfile);
criterion_main!(benches);
