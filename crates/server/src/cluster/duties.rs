//! What a node does in the background ([`NodeDuties`]): its heartbeat in the database (and,
//! after each, which nodes' players are gone: `liveness.rs`, the token key rotated when due:
//! `key_age.rs`, and the token keys and revoked tokens re-read: `keys.rs`, `revocations.rs`),
//! and
//! closing the rooms whose lease the keeper gave up; and, at the very end of a graceful
//! stop, giving back every claim still held.

use std::sync::Arc;
use std::time::Duration;

use referee_actor::{ActorHandle, WeakActorHandle};
use referee_cluster::LeaseLost;
use referee_rules::Render;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::gossip::{self, Addresses};
use super::seats::lobby_subject;
use super::{
    ClusterNode, HEARTBEAT, RoomServing, adopt, claimed_room, cut_off, key_age, keys, liveness,
    revocations,
};
use crate::lobby::{JoinCluster, Lobby, LobbyCall, LoseRoom};
use crate::metrics::ClusterCounters;

/// A cluster node's duties besides serving: started with the server, stopped after the
/// rooms and the recorder.
pub(crate) struct NodeDuties {
    node: Arc<ClusterNode>,
    /// Cancelled when the node starts to shut down: it stops announcing its rooms,
    /// adopting others', and serving its lobby to the other nodes.
    serving: CancellationToken,
    lobby_served: Option<referee_remote::Serving>,
    /// Cancelled to end the heartbeat (which then marks the node gone).
    heartbeat: CancellationToken,
    beating: tokio::task::JoinHandle<()>,
}

impl NodeDuties {
    /// Starts the heartbeat, and the closing of the rooms whose lease is lost (told to
    /// `lobby`, held weakly: it must not keep the lobby from stopping).
    pub(crate) fn start<G: Render>(
        node: Arc<ClusterNode>,
        lost_rx: mpsc::UnboundedReceiver<LeaseLost>,
        lobby: WeakActorHandle<Lobby<G>>,
        connections: impl Fn() -> u64 + Send + 'static,
        counters: ClusterCounters,
    ) -> NodeDuties {
        let heartbeat = CancellationToken::new();
        let serving = CancellationToken::new();
        tokio::spawn(lose_rooms(lost_rx, lobby.clone(), counters.clone()));
        let beating = tokio::spawn(beat(node.clone(), lobby.clone(), heartbeat.clone()));
        let addresses = Addresses {
            tcp: node.addresses.tcp.clone(),
            http: node.addresses.http.clone(),
        };
        tokio::spawn(gossip::run(
            node.clone(),
            lobby.clone(),
            addresses,
            connections,
            serving.clone(),
        ));
        let cut_off = counters.cut_off.clone();
        tokio::spawn(cut_off::watch(
            node.clone(),
            lobby.clone(),
            cut_off,
            serving.clone(),
        ));
        tokio::spawn(adopt::run(
            node.clone(),
            node.keeper.clone(),
            lobby,
            counters.adopted,
            serving.clone(),
        ));
        NodeDuties {
            node,
            serving,
            lobby_served: None,
            heartbeat,
            beating,
        }
    }

    /// Serves `lobby` to the other nodes (seats reserved for their players), and has it
    /// serve its rooms and save their snapshots.
    pub(crate) async fn serve_lobby<G: Render>(&mut self, lobby: &ActorHandle<Lobby<G>>) {
        let serving = RoomServing::new(
            self.node.client.clone(),
            self.node.prefix.clone(),
            self.node.saver.clone(),
        );
        if lobby.tell(JoinCluster(serving)).await.is_err() {
            return;
        }
        let subject = lobby_subject(&self.node.prefix, &self.node.name);
        let recipient = lobby.recipient::<LobbyCall>();
        match referee_remote::serve(self.node.client.clone(), subject, recipient).await {
            Ok(served) => {
                crate::room::wire::settled(&self.node.client).await;
                self.lobby_served = Some(served);
            }
            Err(err) => {
                tracing::error!(%err, "the lobby is not served: other nodes cannot seat players here")
            }
        }
    }

    /// The node starts to shut down: it stops announcing and adopting rooms, and stops
    /// serving its lobby (which then can stop once its rooms are done).
    pub(crate) async fn quiesce(&mut self) {
        self.serving.cancel();
        if let Some(served) = self.lobby_served.take() {
            served.stop().await;
        }
    }

    /// Hands every room that can be over to the other nodes (`handover.rs`), before the
    /// node's players are told `bye`: each goes on elsewhere exactly where it stood.
    pub(crate) async fn hand_over<G: Render>(&self, lobby: &WeakActorHandle<Lobby<G>>) {
        super::handover::hand_over_all(&self.node, lobby).await;
    }

    /// Gives back every claim still held (the rooms are done, their results committed):
    /// other nodes may claim them at once. Then ends the heartbeat and marks the node gone.
    pub(crate) async fn stop(self) {
        // The rooms are gone: their claims' releases are under way; wait for them (bounded).
        self.node.releasing.close();
        let releasing = self.node.releasing.wait();
        if tokio::time::timeout(Duration::from_secs(5), releasing)
            .await
            .is_err()
        {
            tracing::warn!("some claims were not given back in time; their leases run out");
        }
        let keeper = &self.node.keeper;
        let held = keeper.held().await.unwrap_or_default();
        for lease in &held {
            if let Err(err) = keeper.release(&lease.fence.room).await {
                tracing::warn!(room = %lease.fence.room, %err, "claim not released");
            }
        }
        tracing::info!(claims = held.len(), "claims released");
        self.heartbeat.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.beating).await;
    }
}

/// Moves the node's `last_seen` every [`HEARTBEAT`] until `stop`, and then tells the lobby
/// which nodes' players are gone (`liveness.rs`), rotates the token key if it is due
/// (`key_age.rs`), and re-reads the token keys (`keys.rs`) and the revoked tokens
/// (`revocations.rs`); at the end, marks the node gone.
async fn beat<G: Render>(
    node: Arc<ClusterNode>,
    lobby: WeakActorHandle<Lobby<G>>,
    stop: CancellationToken,
) {
    let mut schedule = key_age::Schedule::new(node.token_key_max_age);
    let mut ticks = tokio::time::interval(HEARTBEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => break,
        }
        let beat = blocking(&node, |nodes, name| nodes.heartbeat(name)).await;
        if let Err(err) = beat {
            tracing::warn!(%err, "heartbeat not recorded");
        }
        liveness::tell_rooms(&node, &lobby).await;
        schedule.tick(&node).await;
        keys::refresh(&node).await;
        revocations::refresh(&node).await;
    }
    if let Err(err) = blocking(&node, |nodes, name| nodes.leave(name)).await {
        tracing::warn!(%err, "leave not recorded; the node shows as not live soon");
    }
}

async fn blocking(
    node: &Arc<ClusterNode>,
    call: impl FnOnce(&mut referee_store::PgNodes, &str) -> Result<bool, referee_store::StoreError>
    + Send
    + 'static,
) -> Result<bool, String> {
    let node = node.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut nodes = node
            .nodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        call(&mut nodes, &node.name)
    });
    match done.await {
        Ok(outcome) => outcome.map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    }
}

/// Closes the room of every lease lost, until the keeper or the lobby is gone.
async fn lose_rooms<G: Render>(
    mut lost_rx: mpsc::UnboundedReceiver<LeaseLost>,
    lobby: WeakActorHandle<Lobby<G>>,
    counters: ClusterCounters,
) {
    while let Some(lost) = lost_rx.recv().await {
        counters.leases_lost.inc();
        let Some(room) = claimed_room(&lost.fence.room) else {
            continue;
        };
        let Some(lobby) = lobby.upgrade() else {
            return;
        };
        tracing::warn!(room, why = ?lost.why, "lease lost: closing the room");
        // Waits for room in a busy lobby's mailbox: a lost room must always be closed (and
        // taken off NATS), or two nodes would serve it once another adopts it.
        if lobby.tell(LoseRoom(room)).await.is_err() {
            return;
        }
    }
}
