//! A fixed match's record, byte for byte, as the recorder writes and stores it: what the
//! store keeps of a match must not change with who writes it (replays and the fairness
//! checks read it). The expected text is what the room itself wrote, on its own task, before
//! the recorder took the writing over (same match, at ff5387a).

use std::sync::Arc;

use referee_actor::Timeout;
use referee_rules::{
    Game, GuessAction, GuessConfig, GuessNumber, LogEntry, Millis, PlayerId, match_rng,
};
use referee_store::{MemoryStore, RoundResult, StoreReader};

use super::recording::{Recording, Unwritten};
use crate::records::{Recorder, Save, StoreStatus};

/// A guess-the-number round two players play, guessing 0, 1, 2 ... in turn until one wins:
/// its recording and the state the deciding guess reached.
fn fixed_match() -> (Recording<GuessNumber>, GuessNumber) {
    let config = GuessConfig::new(12).unwrap_or_else(|e| panic!("{e}"));
    let mut game = GuessNumber::new(&config, &mut match_rng(5));
    let mut recording = Recording::begin(4, config, 77, game.clone());
    recording.name(PlayerId(1), "Ann");
    let mut entries = vec![
        LogEntry::Seat {
            player: PlayerId(1),
            at: Millis(10),
        },
        LogEntry::Seat {
            player: PlayerId(2),
            at: Millis(11),
        },
    ];
    for value in 0..=13 {
        entries.push(LogEntry::Act {
            player: PlayerId(1 + value as u64 % 2),
            seen_round: 1,
            action: GuessAction::Guess { value, round: None },
            at: Millis(20 + value as u64),
        });
    }
    for entry in entries {
        let Ok(events) = entry.clone().apply(&mut game, &mut recording.rng) else {
            continue;
        };
        recording.push(entry);
        if events
            .iter()
            .any(|event| GuessNumber::outcome(event).is_some())
        {
            return (recording, game);
        }
    }
    panic!("nobody won");
}

const CONFIG: &str = r#"{"max":12}"#;
const ACTIONS: &str = concat!(
    r#"{"game":"guess","round":3,"players":[{"id":1,"name":"Ann"},{"id":2,"name":"Player 2"}],"#,
    r#""state_hash":"4007af105ca4f6311c78012bec8b21f84118ed246d17378e4452f5c05dc93610","#,
    r#""start":{"config":{"max":12},"round":1,"secret":2,"seal":{"salt":"be198533f7c7ec46651216b762e6d47e","#,
    r#""commitment":"02e0fabf838bdfdc035ac6d0fe16910de61d45fc4906d41d234417087782ee1a"},"#,
    r#""guesses_this_round":0,"scores":{},"winners":{"winners":[]}},"#,
    r#""entries":[{"type":"seat","player":1,"at":10},{"type":"seat","player":2,"at":11},"#,
    r#"{"type":"act","player":1,"seen_round":1,"action":{"type":"guess","value":0,"round":null},"at":20},"#,
    r#"{"type":"act","player":2,"seen_round":1,"action":{"type":"guess","value":1,"round":null},"at":21},"#,
    r#"{"type":"act","player":1,"seen_round":1,"action":{"type":"guess","value":2,"round":null},"at":22}]}"#,
);

#[tokio::test]
async fn the_recorder_stores_the_log_the_room_wrote_before_byte_for_byte() {
    let (recording, reached) = fixed_match();
    let finished = recording
        .finish(reached)
        .unwrap_or_else(|| panic!("not recorded"));
    let mut stored = MemoryStore::default();
    let status = Arc::new(StoreStatus::default());
    let recorder =
        Recorder::spawn(Box::new(stored.clone()), 16, status).unwrap_or_else(|e| panic!("{e}"));
    let save = Save {
        result: RoundResult {
            game: "guess".into(),
            key: "fixed".into(),
            room: 8,
            round: 3,
            winner: "Ann".into(),
            named: true,
            guesses: 3,
            won_at_ms: 1,
            log: None,
            credit: None,
        },
        log: Some(Box::new(Unwritten { finished, round: 3 })),
        fence: None,
    };
    let saved = recorder.ask_with(save, Timeout::Never).await;
    assert!(matches!(saved, Ok(Ok(()))), "{saved:?}");
    let record = stored
        .match_by_id("fixed")
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no log stored"));
    assert_eq!(record.config, CONFIG);
    assert_eq!(record.seed, 77);
    assert_eq!(record.actions, ACTIONS);
}
