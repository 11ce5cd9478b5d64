//! The member's side: on the player's node, one task per seat in a remote room reads the
//! seat's member subject and puts each frame into the connection's real outbox, with its
//! round, stamped with the seat's epoch (the outbox is `for_seat(epoch)`). So `seen.rs`,
//! `/who` and "answers after pushes" hold as for a local room: the frames arrive in the
//! order the room made them, and the session's own answers share the same queue.
//!
//! Every `ack_every` frames the task tells the host how many it has drained (`forward.rs`).
//! It ends on the host's last word ([`MemberPush::End`], or [`MemberPush::Dropped`], which
//! also ends the connection), on a close frame, when the connection's outbox is gone or
//! full (the connection is then kicked, as the room would kick it), or [`GRACE`] after the
//! session let go of the seat ([`MemberFeed`] dropped) — time for the frames the room sent
//! before it answered the session's `Leave` to arrive.

use std::time::Duration;

use async_nats::Client;
use referee_remote::Pushes;
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::back::{BackTx, RoomBack};
use super::{Drained, MemberPush, drained_subject};
use crate::outbox::{Frame, Outbox};

/// How long the member task still reads once the seat is let go, for frames on their way.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// The member task of one seat: dropping it (the last link to the seat) lets it end.
#[derive(Debug)]
pub(crate) struct MemberFeed {
    _stop: DropGuard,
    /// Frames the task has put into the connection's queue so far; closed when it ends.
    fed: watch::Receiver<u64>,
}

impl MemberFeed {
    /// A view of how many frames have been fed, to wait on (see [`caught_up`]).
    pub(crate) fn fed(&self) -> watch::Receiver<u64> {
        self.fed.clone()
    }
}

/// Waits, at most [`GRACE`], until `fed` reaches `pushed` (`None`: until the task ends). A
/// task that ends first (the member was dropped, the connection went) stops the wait.
/// Whether `pushed` frames were fed: `false` when some never came — the room's host died after
/// answering, before its forwarder sent them — or the task ended first. Nothing more is worth
/// waiting for either way; the player must be told (`link.rs`).
pub(crate) async fn caught_up(mut fed: watch::Receiver<u64>, pushed: Option<u64>) -> bool {
    let reached = fed.wait_for(|&fed| pushed.is_some_and(|pushed| fed >= pushed));
    matches!(tokio::time::timeout(GRACE, reached).await, Ok(Ok(_)))
}

/// Subscribes to `subject` and starts the task that feeds `outbox` (the connection's, for
/// this seat). Call before the join: the room pushes the welcome while it seats the member.
///
/// # Errors
/// The client is closed.
pub(crate) async fn follow(
    client: &Client,
    subject: String,
    outbox: Outbox,
    capacity: usize,
    back: Option<BackTx>,
) -> Result<MemberFeed, async_nats::SubscribeError> {
    let pushes = referee_remote::subscribe::<MemberPush>(client, subject.clone()).await?;
    let stop = CancellationToken::new();
    let (fed_tx, fed) = watch::channel(0);
    let feeder = Feeder {
        client: client.clone(),
        drained: drained_subject(&subject),
        outbox,
        ack_every: (capacity as u64 / 4).max(1),
        fed: fed_tx,
        back,
    };
    tokio::spawn(feeder.run(pushes, stop.clone()));
    Ok(MemberFeed {
        _stop: stop.drop_guard(),
        fed,
    })
}

/// The member task's state.
struct Feeder {
    client: Client,
    drained: String,
    outbox: Outbox,
    ack_every: u64,
    /// See [`MemberFeed::fed`].
    fed: watch::Sender<u64>,
    /// Where the word that the seat's room is back goes: the session (`back.rs`).
    back: Option<BackTx>,
}

/// What the task does after one push.
enum Next {
    Read,
    End,
}

impl Feeder {
    async fn run(self, mut pushes: Pushes<MemberPush>, stop: CancellationToken) {
        let mut count = 0_u64;
        let mut deadline = None;
        loop {
            let push = match deadline {
                None => tokio::select! {
                    push = pushes.next() => push,
                    () = stop.cancelled() => {
                        deadline = Some(tokio::time::Instant::now() + GRACE);
                        continue;
                    }
                },
                Some(deadline) => match tokio::time::timeout_at(deadline, pushes.next()).await {
                    Ok(push) => push,
                    Err(_) => break,
                },
            };
            let push = match push {
                None => break,
                Some(Ok(push)) => push,
                Some(Err(err)) => {
                    tracing::warn!(%err, "unreadable push from a remote room");
                    continue;
                }
            };
            if let Next::End = self.feed(push, &mut count).await {
                break;
            }
        }
    }

    async fn feed(&self, push: MemberPush, count: &mut u64) -> Next {
        let (text, round, close) = match push {
            MemberPush::Frame { text, round, close } => (text, round, close),
            MemberPush::End => return Next::End,
            MemberPush::Dropped => {
                self.outbox.kick();
                return Next::End;
            }
            MemberPush::RoomBack { room } => {
                // The seat is this task's own, not one the word could name.
                let epoch = self.outbox.epoch();
                if let Some(back) = &self.back {
                    back.tell(RoomBack { room, epoch });
                }
                return Next::Read;
            }
        };
        let frame = Frame {
            text,
            round,
            epoch: 0,
            close,
        };
        // A full outbox kicks the connection; a gone one ends it: either way, nothing more.
        if self.outbox.push(frame).is_err() || close.is_some() {
            return Next::End;
        }
        *count += 1;
        self.fed.send_replace(*count);
        if *count % self.ack_every == 0 {
            let drained = Drained(*count);
            if let Err(err) = referee_remote::push(&self.client, &self.drained, &drained).await {
                tracing::debug!(%err, "could not say what was drained");
            }
        }
        Next::Read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_answer_waits_until_the_frames_before_it_are_fed() {
        let (fed_tx, fed) = watch::channel(0);
        let waiting = tokio::spawn(caught_up(fed, Some(2)));
        fed_tx.send_replace(1);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "one frame of two is not enough");
        fed_tx.send_replace(2);
        assert!(waiting.await.unwrap(), "both fed");
    }

    #[tokio::test(start_paused = true)]
    async fn a_feed_that_ends_stops_the_wait_and_a_stuck_one_is_waited_for_at_most_the_grace() {
        let (fed_tx, fed) = watch::channel(0);
        let ended = tokio::spawn(caught_up(fed.clone(), Some(5)));
        drop(fed_tx);
        assert!(!ended.await.unwrap(), "ended short: not caught up");
        let (_stuck_tx, stuck) = watch::channel(0);
        let started = tokio::time::Instant::now();
        assert!(
            !caught_up(stuck, Some(5)).await,
            "frames lost: not caught up"
        );
        assert_eq!(started.elapsed(), GRACE);
    }
}
