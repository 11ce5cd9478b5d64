//! How long a seat is held for a player who is not connected, across failovers.
//!
//! A seat is *held* while its player is away: their connection dropped (`Away`), or the room
//! came back from a snapshot on another node and they have not rejoined yet. The hold ends at
//! an absolute, wall-clock deadline (`Member::held_until`), set once — when the player left,
//! on whichever node saw it — and carried in the room's snapshot. A room failed over again
//! and again therefore frees a departed player's seat when their first window ends, not a
//! full window after each failover: before, every adoption granted every held seat a fresh
//! window, and a room whose host was killed every few seconds filled with seats nobody would
//! take back ("room is full" after ~10 kills in the kills test).
//!
//! A player who was connected when the snapshot was taken did not leave: their node may be
//! alive, and their session takes the seat back at its next move — after the stalled move
//! (`link::MOVE_WAIT`) and the retries of `seat_back` while the room is adopted. Their seat is
//! held from the restore for the reconnect window, and at least [`SEAT_BACK`]: at
//! `--reconnect-window 2` a live player's seat went before their session could take it back.
//!
//! Deadlines are wall-clock (milliseconds since 1970): the room's own clocks are per process.
//! Two nodes' clocks disagreeing by *d* move a deadline carried between them by *d*; NTP keeps
//! that well under the window. A snapshot without deadlines (written before they were kept)
//! holds every seat for a fresh window, as before.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use referee_actor::{Context, Handler, Message};
use referee_protocol::notice::Notice;
use referee_rules::{PlayerId, Render};

use super::Room;
use super::link::MOVE_WAIT;

/// How long a player connected to a room whose host died may take to be seated again: their
/// stalled move's wait, then `session::cluster::COMEBACK` (8 s) of `seat_back`'s retries.
pub(crate) const SEAT_BACK: Duration = Duration::from_secs(10);

const _: () = assert!(SEAT_BACK.as_millis() >= MOVE_WAIT.as_millis() + 8_000);

/// Now, by the wall clock, in milliseconds since 1970 (0 on a clock set before it).
pub(crate) fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The deadline of a hold of `window` starting `now_ms`.
pub(crate) fn until(now_ms: u64, window: Duration) -> u64 {
    now_ms.saturating_add(u64::try_from(window.as_millis()).unwrap_or(u64::MAX))
}

/// What is left at `now_ms` of a hold ending at `until_ms`.
pub(crate) fn left(until_ms: u64, now_ms: u64) -> Duration {
    Duration::from_millis(until_ms.saturating_sub(now_ms))
}

/// The deadline of a seat restored from a snapshot: the one it carries (its player had left
/// before), or, for a player connected when the snapshot was taken, the reconnect window
/// from `now_ms` and at least [`SEAT_BACK`].
pub(crate) fn restored_until(carried: Option<u64>, now_ms: u64, window: Duration) -> u64 {
    carried.unwrap_or_else(|| until(now_ms, window.max(SEAT_BACK)))
}

impl<G: Render> Room<G> {
    /// A room with seats that came with a snapshot, as its referee starts (again, after a
    /// panic): arms the end of each seat's hold, and the game's clock and bots, which must
    /// run whether or not anyone is back yet.
    pub(super) fn resume_restored(&mut self, ctx: &Context<Self>) {
        let now_ms = wall_ms();
        let mut due: BTreeMap<u64, Vec<PlayerId>> = BTreeMap::new();
        for (player, member) in self.members.members() {
            if member.restored && member.away {
                let until_ms = member.held_until.unwrap_or(now_ms);
                due.entry(until_ms).or_default().push(player);
            }
        }
        if due.is_empty() {
            return;
        }
        for (until_ms, players) in due {
            let window = tokio::time::sleep(left(until_ms, now_ms));
            ctx.pipe_to_self(window, move |()| SeatsExpired(players));
        }
        // The head count is posted as the state is checkpointed.
        self.members_changed = true;
        self.settle(ctx);
    }
}

/// The hold of these seats, restored from a snapshot, is over: those still empty are freed,
/// as a parked seat is when its window closes.
pub(crate) struct SeatsExpired(pub(crate) Vec<PlayerId>);

impl Message for SeatsExpired {
    type Reply = ();
}

impl<G: Render> Handler<SeatsExpired> for Room<G> {
    fn handle(&mut self, expired: SeatsExpired, ctx: &mut Context<Self>) {
        for player in expired.0 {
            let still_held = self
                .members
                .get(player)
                .is_some_and(|member| member.restored && member.away);
            if !still_held {
                continue;
            }
            if let Some(member) = self.remove(player) {
                let left = Notice::MemberLeft {
                    player,
                    name: member.name,
                };
                self.tell_all(None, &left);
            }
        }
        self.settle(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carried_deadline_stands_and_a_connected_player_gets_at_least_the_seat_back_time() {
        let now = 1_000_000;
        assert_eq!(
            restored_until(Some(now + 2_000), now, Duration::from_secs(30)),
            now + 2_000
        );
        assert_eq!(
            restored_until(None, now, Duration::from_secs(30)),
            now + 30_000
        );
        assert_eq!(
            restored_until(None, now, Duration::from_secs(2)),
            now + 10_000
        );
        assert_eq!(
            left(now - 1, now),
            Duration::ZERO,
            "a deadline passed: nothing left"
        );
        assert_eq!(left(now + 1_500, now), Duration::from_millis(1_500));
    }
}
