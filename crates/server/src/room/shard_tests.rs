//! Rooms on shards (`shard.rs`): a room runs on the shard of the player who opened it, and a
//! player served on another shard plays in it all the same (every ask crosses threads).

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use referee_actor::{Context, Handler, Message};
use referee_rules::{GuessConfig, GuessNumber, Render};

use super::tests::{guess, lines, seat};
use super::{Room, RoomLink};
use crate::lobby::{Lobby, QuickMatch};
use crate::shard::{self, ShardThreads};

/// The name of the thread the room's handler runs on.
struct Thread;

impl Message for Thread {
    type Reply = Option<String>;
}

impl<G: Render> Handler<Thread> for Room<G> {
    fn handle(&mut self, _: Thread, _: &mut Context<Self>) -> Option<String> {
        std::thread::current().name().map(str::to_owned)
    }
}

#[test]
fn a_room_runs_on_its_openers_shard_and_a_player_of_another_shard_plays_in_it() {
    let (shard0, threads) = ShardThreads::start(2).unwrap();
    let shards = threads.shards();
    let shard1 = shards.handle(1).unwrap().clone();
    shard0.block_on(async move {
        // The lobby on shard 0, as in the server.
        let lobby = Lobby::<GuessNumber>::spawn(
            3,
            GuessConfig::default(),
            (StdRng::seed_from_u64(1), StdRng::seed_from_u64(2)),
            None,
            Duration::from_secs(30),
        );
        // A player served on shard 1 quick-matches: the room opens on shard 1.
        let asking = lobby.clone();
        let seat_on_1 = shard1
            .spawn(async move {
                let home = shard::home();
                assert_eq!(home.as_ref().map(|home| home.index), Some(1));
                asking
                    .ask(QuickMatch::excluding("guess", None).from(home))
                    .await
            })
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let RoomLink::Local(room) = &seat_on_1.handle else {
            panic!("a room of this server is local");
        };
        assert_eq!(room.ask(Thread).await.unwrap().as_deref(), Some("shard-1"));

        // A player served here, on shard 0, sits in it and plays: each ask and each push
        // crosses from one shard's thread to the other's.
        assert_eq!(shard::home().map(|home| home.index), Some(0));
        let mut frames = seat(room, 1).await;
        lines(&mut frames);
        guess(room, 1, 10).await;
        let answer = lines(&mut frames).concat();
        assert!(
            ["Higher!", "Lower!", "Correct!"]
                .iter()
                .any(|verdict| answer.starts_with(verdict)),
            "{answer:?}"
        );
    });
    threads.stop();
}
