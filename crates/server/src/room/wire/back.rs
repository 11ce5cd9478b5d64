//! "Your room is back": how an idle remote member learns at once that its room came back on
//! another node after its host died.
//!
//! A player on node B in a room hosted on A hears nothing when A dies: nothing reaches B's
//! session until the player moves (then `seat_back` finds the room on its new host). The room's
//! snapshot carries, per remote seat, the [`Seating`] its player's session followed it by (node
//! run, connection, seat epoch): enough to rebuild the member subject that session still reads
//! (`member_subject`). Once the adopter serves the room, it publishes
//! [`MemberPush::RoomBack`](super::MemberPush::RoomBack) there ([`tell_back`]); B's member
//! task hands the word to the session ([`BackTx`]), which takes its seat back at once.
//!
//! A spectator on another node is told the same way: the snapshot carries each remote
//! spectator's seating too (`RoomSnapshot::watchers`), and the spectator's session, on the
//! word, watches the room again on its new host (`session/watching.rs`).
//!
//! What an attacker could do with it: nothing a client sends goes into a subject. A seating
//! comes from a node (the member address of a join or rejoin over NATS), the subject is built
//! here from the cluster's prefix and the seating's parts, and a node run that is not a plain
//! subject token (1–48 of `A-Z a-z 0-9 _ -`) is never used ([`subject_for`]). What the word
//! itself may make a session do is bounded too: it names no room or seat — the member task
//! adds the seat it follows — and the session only acts for the seat it holds now, by asking
//! that room for it back, as its next move would.

use std::sync::Arc;

use async_nats::Client;
use referee_actor::{Context, Handler, Message};
use referee_rules::Render;
use tokio::sync::watch;

use super::{MemberPush, member_subject};
use crate::ids::RoomId;
use crate::room::Room;
use crate::seating::Seating;

/// The longest node run a member subject is built with (a node name is at most 32, its run
/// suffix `_r<n>` a few more).
const MAX_RUN: usize = 48;

/// The word a member task passes to its session: the room of seat `epoch` is back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RoomBack {
    pub(crate) room: RoomId,
    pub(crate) epoch: u32,
}

/// A connection's side of the signal that its room came back: shared by the member tasks of
/// its seats. Only the latest word is kept: a session acts for its current seat only.
#[derive(Debug, Clone)]
pub(crate) struct BackTx(Arc<watch::Sender<Option<RoomBack>>>);

/// The session's side of [`BackTx`].
#[derive(Debug)]
pub(crate) struct BackRx(watch::Receiver<Option<RoomBack>>);

/// A new signal for one connection.
pub(crate) fn back_channel() -> (BackTx, BackRx) {
    let (tx, rx) = watch::channel(None);
    (BackTx(Arc::new(tx)), BackRx(rx))
}

impl BackTx {
    /// The room of seat `epoch` is back.
    pub(crate) fn tell(&self, back: RoomBack) {
        self.0.send_replace(Some(back));
    }
}

impl BackRx {
    /// The next word; pending for ever once nobody can send one.
    pub(crate) async fn next(&mut self) -> RoomBack {
        loop {
            if self.0.changed().await.is_err() {
                return std::future::pending().await;
            }
            if let Some(back) = *self.0.borrow_and_update() {
                return back;
            }
        }
    }
}

/// Whether `run` may stand as one token of a NATS subject.
fn plain_token(run: &str) -> bool {
    !run.is_empty()
        && run.len() <= MAX_RUN
        && run
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The member subject of `seating` under `prefix`; `None` for a seating of this node's own
/// handle (no subject) or one whose node run is not a plain token.
pub(crate) fn subject_for(prefix: &str, seating: &Seating) -> Option<String> {
    let run = seating.node.as_deref().filter(|run| plain_token(run))?;
    Some(member_subject(
        prefix,
        run,
        seating.connection,
        seating.epoch,
    ))
}

/// Publishes "room `room` is back" to each of `seatings`' member subjects, once each. A
/// member whose node is gone too hears nothing (NATS drops it): `room/ghosts.rs` frees it.
pub(crate) async fn tell_back(client: &Client, prefix: &str, room: RoomId, seatings: &[Seating]) {
    let push = MemberPush::RoomBack { room };
    for subject in seatings.iter().filter_map(|s| subject_for(prefix, s)) {
        if let Err(err) = referee_remote::push(client, &subject, &push).await {
            tracing::debug!(%err, member = %subject, "could not tell a member its room is back");
        }
    }
    if let Err(err) = client.flush().await {
        tracing::debug!(%err, "could not flush the room-back words");
    }
}

/// The room is served to the other nodes under subject prefix `.0`: its restored seats'
/// players on other nodes are told it is back (a room that was not adopted has none).
pub(crate) struct TellBack(pub(crate) String);

impl Message for TellBack {
    type Reply = ();
}

impl<G: Render> Handler<TellBack> for Room<G> {
    fn handle(&mut self, TellBack(prefix): TellBack, _: &mut Context<Self>) {
        let Some(client) = self.remote.get().cloned() else {
            return;
        };
        // Restored seats not taken back, and restored spectators not watching again: the
        // same word, their sessions take the seat back or watch again.
        let mut seatings: Vec<Seating> = self
            .members
            .members()
            .filter(|(_, member)| member.restored && member.away)
            .filter_map(|(_, member)| member.reach.clone())
            .collect();
        seatings.extend(self.members.restored_watchers());
        if seatings.is_empty() {
            return;
        }
        let room = self.label.id;
        tracing::info!(
            room,
            members = seatings.len(),
            "telling remote members their room is back"
        );
        tokio::spawn(async move { tell_back(&client, &prefix, room, &seatings).await });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_node_run_makes_a_subject() {
        let seating = |node: Option<&str>| Seating {
            node: node.map(str::to_owned),
            connection: 7,
            epoch: 2,
        };
        assert_eq!(
            subject_for("referee.x", &seating(Some("b_r3"))).as_deref(),
            Some("referee.x.member.b_r3.7.2")
        );
        for bad in [
            None,
            Some(""),
            Some("b.r3"),
            Some("b*"),
            Some(">"),
            Some("b r3"),
            Some("b\r\nPUB x 1"),
            Some(&*"b".repeat(MAX_RUN + 1)),
        ] {
            assert_eq!(subject_for("referee.x", &seating(bad)), None, "{bad:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_session_hears_the_latest_word_once() {
        let (tx, mut rx) = back_channel();
        let waiting = tokio::spawn(async move {
            let first = rx.next().await;
            (first, rx)
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "nothing said yet");
        tx.tell(RoomBack { room: 4, epoch: 1 });
        let (first, mut rx) = waiting.await.unwrap();
        assert_eq!(first, RoomBack { room: 4, epoch: 1 });
        let again = tokio::time::timeout(std::time::Duration::from_secs(1), rx.next()).await;
        assert!(again.is_err(), "heard once");
    }
}
