//! Resolution of each recorded set (fixtures/bench/<set>/) from memory: the
//! whole PubGrub run with marker evaluation, specifier conversion and
//! `# via` bookkeeping, without any I/O. Before timing, each set is resolved
//! once and its pins compared with those of the live run that recorded it.

use criterion::{Criterion, criterion_group, criterion_main};
use plinth_benches::BenchSet;

fn resolve(c: &mut Criterion) {
    let mut group = c.benchmark_group("resolve");
    for name in BenchSet::names().expect("fixtures/bench/ lists the sets") {
        let set = BenchSet::load(&name).expect("a readable recording");
        let resolution = set.resolve_checked().expect("the live run's pins");
        let replay = set.replay().expect("a replayable recording");
        let label = format!("{name} ({} packages)", resolution.packages.len());
        group.bench_function(label, |b| {
            b.iter(|| replay.resolve().expect("a resolution"));
        });
    }
    group.finish();
}

criterion_group!(benches, resolve);
criterion_main!(benches);
