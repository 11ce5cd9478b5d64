//! Seats held across a failover (`held.rs`): a seat whose player had left keeps the deadline it
//! had on the old host; a seat whose player was connected is held for the window from the
//! restore; a snapshot written before deadlines were kept still loads, every seat held for a
//! fresh window. Paused time: the room's timers run on it; the wall clock the deadlines are
//! written in barely moves meanwhile.

use std::time::Duration;

use crate::queue;
use referee_rules::{GuessNumber, PlayerId};

use super::snapshot_tests::{guess_setup, rejoin, snapshot_of};
use super::tests::{lines, seat};
use super::{Away, Resume, Room, RoomHandle, RoomSnapshot};
use crate::outbox::Frame;

const WINDOW: Duration = Duration::from_secs(10);

/// Ann, Bob and Cy seated in a room with a 10 s window; Bob's connection dropped. The room's
/// snapshot with Bob's deadline moved `earlier_ms` back (as if he had left that long before),
/// and Ann's frames.
async fn bob_away(earlier_ms: u64) -> (RoomSnapshot<GuessNumber>, queue::Receiver<Frame>) {
    let (mut first, _records) = guess_setup(7);
    first.reconnect_window = WINDOW;
    let old = Room::spawn(first);
    let ann = seat(&old, 1).await;
    let _bob = seat(&old, 2).await;
    let _cy = seat(&old, 3).await;
    old.tell(Away(PlayerId(2), None)).await.unwrap();
    let mut snapshot = snapshot_of(&old).await;
    let held: Vec<Option<u64>> = snapshot.seats.iter().map(|s| s.held_until_ms).collect();
    assert!(
        held[0].is_none() && held[1].is_some() && held[2].is_none(),
        "only the away seat carries a deadline: {held:?}"
    );
    if let Some(until) = &mut snapshot.seats[1].held_until_ms {
        *until -= earlier_ms;
    }
    (snapshot, ann)
}

/// The room of `snapshot` restored after a failover, Ann back in her seat.
async fn failed_over(
    snapshot: RoomSnapshot<GuessNumber>,
) -> (RoomHandle<GuessNumber>, queue::Receiver<Frame>) {
    let (mut second, _records) = guess_setup(99);
    second.reconnect_window = WINDOW;
    let restored = Room::spawn_from(second, snapshot, Resume::Failover);
    let mut ann = rejoin(&restored, 1).await;
    lines(&mut ann);
    (restored, ann)
}

async fn seated(room: &RoomHandle<GuessNumber>) -> Vec<u64> {
    let seats = snapshot_of(room).await.seats;
    seats.iter().map(|seat| seat.player.0).collect()
}

#[tokio::test(start_paused = true)]
async fn a_seat_held_8_s_of_10_before_the_failover_is_gone_2_s_after() {
    // Bob left 8 s before the snapshot: 2 s of his window remain.
    let (snapshot, _old_ann) = bob_away(8_000).await;
    let json = snapshot.to_json().unwrap();
    let snapshot = RoomSnapshot::from_json(&json).unwrap();
    let (restored, mut ann) = failed_over(snapshot).await;
    tokio::time::sleep(Duration::from_millis(1_900)).await;
    assert_eq!(seated(&restored).await, [1, 2, 3], "Bob's 2 s are not over");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(seated(&restored).await, [1, 3], "his first window is over");
    assert_eq!(lines(&mut ann), ["* P2 left the room."]);
    // Cy was connected when the snapshot was taken: held for the window from the restore.
    tokio::time::sleep(Duration::from_millis(7_800)).await;
    assert_eq!(seated(&restored).await, [1, 3]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(seated(&restored).await, [1]);
}

#[tokio::test(start_paused = true)]
async fn a_seat_restored_twice_keeps_its_first_deadline() {
    let (snapshot, _old_ann) = bob_away(0).await;
    let (second, _ann) = failed_over(snapshot).await;
    // The second host dies 6 s into Bob's window (by the wall clock, which paused time does
    // not move: the deadlines are moved back instead); its snapshot carries his deadline on.
    let mut again = snapshot_of(&second).await;
    for seat in &mut again.seats {
        if let Some(until) = &mut seat.held_until_ms {
            *until -= 6_000;
        }
    }
    assert!(
        again.seats[1].held_until_ms.is_some(),
        "Bob's seat still held"
    );
    let (third, _ann) = failed_over(again).await;
    tokio::time::sleep(Duration::from_millis(3_900)).await;
    assert!(
        seated(&third).await.contains(&2),
        "4 s of his window are left"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!seated(&third).await.contains(&2), "not a fresh window");
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_without_deadlines_holds_every_seat_for_a_fresh_window() {
    let (snapshot, _old_ann) = bob_away(8_000).await;
    let mut json: serde_json::Value = serde_json::from_str(&snapshot.to_json().unwrap()).unwrap();
    for seat in json["seats"].as_array_mut().unwrap() {
        seat.as_object_mut().unwrap().remove("held_until_ms");
    }
    let old_format = RoomSnapshot::from_json(&json.to_string()).unwrap();
    let (restored, _ann) = failed_over(old_format).await;
    tokio::time::sleep(Duration::from_millis(9_900)).await;
    assert_eq!(seated(&restored).await, [1, 2, 3]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(seated(&restored).await, [1]);
}
