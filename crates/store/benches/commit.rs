//! Group commit against one transaction per round, on a real SQLite file with full sync and
//! on PostgreSQL (a fresh schema in the database of `REFEREE_TEST_POSTGRES`; left out,
//! saying so, when none is reachable), with the memory store as the floor, in the same run.
//!
//! Run: `cargo bench -p referee-store --bench commit` (results: docs/PERFORMANCE.md).

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use referee_store::pg_testing::TestSchema;
use referee_store::{MemoryStore, RoundResult, SqliteStore, Store};

const ROUNDS: u64 = 64;

fn rounds(from: u64) -> Vec<RoundResult> {
    (from..from + ROUNDS)
        .map(|round| RoundResult {
            game: "guess".into(),
            key: format!("bench/1/{round}"),
            room: 1,
            round,
            winner: format!("player{}", round % 7),
            named: true,
            guesses: 5,
            won_at_ms: 1_000,
            log: None,
            credit: None,
        })
        .collect()
}

/// Stores `ROUNDS` rounds in transactions of `batch` rounds each; returns the elapsed time.
fn store_rounds(store: &mut dyn Store, next: &mut u64, batch: usize) -> Duration {
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
    let pg = TestSchema::create("bench").expect("PostgreSQL");
    let mut group = c.benchmark_group("commit_64_rounds");
    group.throughput(Throughput::Elements(ROUNDS));
    group.sample_size(10);
    for batch in [1_usize, 8, 64] {
        let path = dir.path().join(format!("batch{batch}.db"));
        let mut stores: Vec<(&str, Box<dyn Store>)> = vec![
            ("memory", Box::new(MemoryStore::default())),
            (
                "sqlite",
                Box::new(SqliteStore::open(&path, 1).expect("open")),
            ),
        ];
        if let Some(pg) = &pg {
            stores.push(("postgres", Box::new(pg.store().expect("PostgreSQL store"))));
        }
        for (name, store) in &mut stores {
            let mut next = 1;
            group.bench_with_input(
                BenchmarkId::new(format!("{name}/rounds_per_transaction"), batch),
                &batch,
                |b, &batch| {
                    b.iter_custom(|iters| {
                        (0..iters)
                            .map(|_| store_rounds(&mut **store, &mut next, batch))
                            .sum()
                    })
                },
            );
        }
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
