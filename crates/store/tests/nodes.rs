//! The cluster's nodes in a real PostgreSQL (a fresh schema per test; skipped, saying why,
//! when none is reachable, unless `REFEREE_REQUIRE_POSTGRES=1`): each name gets an index of
//! its own — also when many register at once — and keeps it; liveness follows heartbeats and
//! a graceful leave.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use referee_store::pg_testing::TestSchema;
use referee_store::{NodeAddresses, Registration};

fn addresses(tcp: &str) -> NodeAddresses {
    NodeAddresses {
        tcp: Some(tcp.into()),
        ..NodeAddresses::default()
    }
}

#[test]
fn names_registering_at_once_get_distinct_indices_and_keep_them() {
    let Some(pg) = TestSchema::create("nodes_at_once").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    const NODES: usize = 6;
    let barrier = Arc::new(Barrier::new(NODES));
    let threads: Vec<_> = (0..NODES)
        .map(|n| {
            let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
                barrier.wait();
                let name = format!("node-{n}");
                let registered = nodes.register(&name, &addresses("127.0.0.1:1"));
                (name, registered.unwrap_or_else(|e| panic!("{e}")).index)
            })
        })
        .collect();
    let mut given: Vec<(String, u32)> = threads
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|_| panic!("thread")))
        .collect();
    let mut indices: Vec<u32> = given.iter().map(|(_, index)| *index).collect();
    indices.sort_unstable();
    assert_eq!(indices, (1..=NODES as u32).collect::<Vec<_>>());
    let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
    given.sort();
    let (name, index) = &given[2];
    let again = nodes.register(name, &addresses("127.0.0.1:2"));
    assert_eq!(
        again.ok().map(|again| again.index),
        Some(*index),
        "the same name, the same index"
    );
    let listed = nodes
        .nodes(Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.len(), NODES);
    let moved = listed.iter().find(|node| &node.name == name);
    assert_eq!(
        moved.and_then(|node| node.addresses.tcp.clone()).as_deref(),
        Some("127.0.0.1:2"),
        "addresses updated"
    );
}

#[test]
fn each_registration_of_a_name_is_its_next_run_also_when_they_race() {
    let Some(pg) = TestSchema::create("nodes_runs").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    // Eight registrations of one name at once (a node restarted in a loop, or started twice
    // by mistake), and one of another name: the name's runs are 1 to 8, each given once.
    const RUNS: usize = 8;
    let barrier = Arc::new(Barrier::new(RUNS + 1));
    let threads: Vec<_> = (0..=RUNS)
        .map(|n| {
            let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
                barrier.wait();
                let name = if n == RUNS { "other" } else { "restarted" };
                let registered = nodes.register(name, &addresses("127.0.0.1:1"));
                (name, registered.unwrap_or_else(|e| panic!("{e}")))
            })
        })
        .collect();
    let given: Vec<(&str, Registration)> = threads
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|_| panic!("thread")))
        .collect();
    let mut runs: Vec<u64> = given
        .iter()
        .filter(|(name, _)| *name == "restarted")
        .map(|(_, registered)| registered.run)
        .collect();
    runs.sort_unstable();
    assert_eq!(runs, (1..=RUNS as u64).collect::<Vec<_>>());
    let other = given.iter().find(|(name, _)| *name == "other");
    assert_eq!(other.map(|(_, registered)| registered.run), Some(1));
    let indices: std::collections::BTreeSet<u32> = given
        .iter()
        .filter(|(name, _)| *name == "restarted")
        .map(|(_, registered)| registered.index)
        .collect();
    assert_eq!(indices.len(), 1, "one index for every run of a name");
    // And once more, later: the next run.
    let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
    let again = nodes.register("restarted", &addresses("127.0.0.1:2"));
    assert_eq!(again.ok().map(|again| again.run), Some(RUNS as u64 + 1));
}

#[test]
fn a_node_is_live_while_it_beats_and_not_once_it_left_or_fell_silent() {
    let Some(pg) = TestSchema::create("nodes_live").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
    let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
    let live = |nodes: &mut referee_store::PgNodes, window| {
        let listed = nodes.nodes(window).unwrap_or_else(|e| panic!("{e}"));
        listed.iter().map(|node| node.live).collect::<Vec<_>>()
    };
    nodes
        .register("a", &addresses("127.0.0.1:1"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(live(&mut nodes, Duration::from_secs(5)), [true]);
    // Silent for longer than the window: shown as not live; a heartbeat brings it back.
    pg.execute("UPDATE cluster_nodes SET last_seen = clock_timestamp() - INTERVAL '10 seconds'")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(live(&mut nodes, Duration::from_secs(5)), [false]);
    assert_eq!(nodes.heartbeat("a").ok(), Some(true));
    assert_eq!(live(&mut nodes, Duration::from_secs(5)), [true]);
    assert_eq!(nodes.heartbeat("nobody").ok(), Some(false));
    assert_eq!(nodes.leave("a").ok(), Some(true));
    let listed = nodes
        .nodes(Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!listed[0].live && listed[0].left, "{listed:?}");
}

#[test]
fn every_node_of_a_database_reads_the_same_cluster_id_and_another_database_another() {
    let (Some(one), Some(two)) = (
        TestSchema::create("cluster_id_one").unwrap_or_else(|e| panic!("{e}")),
        TestSchema::create("cluster_id_two").unwrap_or_else(|e| panic!("{e}")),
    ) else {
        return;
    };
    let id = |pg: &TestSchema| {
        let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
        let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
        nodes.cluster_id().unwrap_or_else(|e| panic!("{e}"))
    };
    let first = id(&one);
    assert_eq!(first.len(), 16);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(id(&one), first, "a second node of the same database");
    assert_ne!(id(&two), first);
}

#[test]
fn every_node_of_a_database_signs_tokens_with_the_same_key_and_another_database_another() {
    let (Some(one), Some(two)) = (
        TestSchema::create("token_key_one").unwrap_or_else(|e| panic!("{e}")),
        TestSchema::create("token_key_two").unwrap_or_else(|e| panic!("{e}")),
    ) else {
        return;
    };
    let key = |pg: &TestSchema| {
        let store = pg.store().unwrap_or_else(|e| panic!("{e}"));
        let mut nodes = store.nodes().unwrap_or_else(|e| panic!("{e}"));
        nodes.token_keys().unwrap_or_else(|e| panic!("{e}")).current
    };
    let first = key(&one);
    assert_eq!(first.len(), 64, "{first}");
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(key(&one), first, "a second node of the same database");
    assert_ne!(key(&two), first);
}
