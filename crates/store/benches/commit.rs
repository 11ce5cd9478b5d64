//! Group commit against one transaction per round, on a real SQLite file with full sync,
//! measured in the same run.
//!
//! Run: `cargo bench -p referee-store --bench commit` (results: docs/PERFORMANCE.md).

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use referee_store::{RoundResult, SqliteStore, Store};

const ROUNDS: u64 = 64;

fn rounds(from: u64) -> Vec<RoundResult> {
    (from..from + ROUNDS)
        .map(|round| RoundResult {
            room: 1,
            round,
            winner: format!("player{}", round % 7),
            named: true,
            guesses: 5,
            won_at_ms: 1_000,
            log: None,
        })
        .collect()
}

/// Stores `ROUNDS` rounds in transactions of `batch` rounds each; returns the elapsed time.
fn store_rounds(store: &mut SqliteStore, next: &mut u64, batch: usize) -> Duration {
    let all = rounds(*next);
    *next += ROUNDS;
    let start = Instant::now();
    for chunk in all.chunks(batch) {
        store.record(chunk).expect("commit");
    }
    start.elapsed()
}

fn commit(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("commit_64_rounds");
    group.throughput(Throughput::Elements(ROUNDS));
    group.sample_size(10);
    for batch in [1_usize, 8, 64] {
        let path = dir.path().join(format!("batch{batch}.db"));
        let mut store = SqliteStore::open(&path, 1).expect("open");
        let mut next = 1;
        group.bench_with_input(
            BenchmarkId::new("rounds_per_transaction", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| store_rounds(&mut store, &mut next, batch))
                        .sum()
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = commit
}
criterion_main!(benches);
