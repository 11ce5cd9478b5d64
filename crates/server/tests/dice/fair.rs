//! Checks a match's text lines the way a netcat player would: every hand line's
//! `Commitments: Ann #1 …` opens with the faces and salt the next call reveals, in process
//! and with `referee verify-dice`.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use referee_rules::{Commitment, PlayerId, Salt, verify_dice};

/// One revealed hand, as `referee verify-dice` takes it.
struct Opened {
    commitment: Commitment,
    match_no: u64,
    hand: u64,
    player: u64,
    faces: String,
    salt: Salt,
}

impl Opened {
    fn verify_with_the_binary(&self, faces: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_referee"))
            .arg("verify-dice")
            .args([
                self.commitment.to_string(),
                self.match_no.to_string(),
                self.hand.to_string(),
                self.player.to_string(),
                faces.to_owned(),
                self.salt.to_string(),
            ])
            .output()
            .unwrap_or_else(|err| panic!("cannot run the binary: {err}"))
    }
}

fn parse<T: std::str::FromStr<Err: std::fmt::Debug>>(text: &str) -> T {
    text.parse()
        .unwrap_or_else(|err| panic!("{text:?}: {err:?}"))
}

/// Every hand revealed in match 1 of `lines`, with the commitment published for it.
fn opened(lines: &[String]) -> Vec<Opened> {
    let (mut hand, mut committed) = (0, BTreeMap::new());
    let mut opened = Vec::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix("Hand ") {
            hand = parse(rest.split(':').next().unwrap_or_default());
            let list = line.split("Commitments: ").nth(1).unwrap_or_default();
            committed = list
                .trim_end_matches('.')
                .split(", ")
                .map(|entry| {
                    let parts: Vec<&str> = entry.split(' ').collect();
                    let id: u64 = parse(parts[1].trim_start_matches('#'));
                    (parts[0].to_owned(), (id, parse::<Commitment>(parts[2])))
                })
                .collect();
        } else if line.contains(" salt ") {
            let start = line[..line.find(" salt ").unwrap_or(0)]
                .rfind('(')
                .unwrap_or(0);
            let end = line[start..].find(").").unwrap_or(0) + start;
            for shown in line[start + 1..end].split(" · ") {
                let (name, rest) = shown.split_once(": ").unwrap_or_default();
                let (faces, salt) = rest.split_once(" salt ").unwrap_or_default();
                let (player, commitment) = committed[name];
                opened.push(Opened {
                    commitment,
                    match_no: 1,
                    hand,
                    player,
                    faces: faces.to_owned(),
                    salt: parse(salt),
                });
            }
        }
    }
    opened
}

/// Every hand a call revealed in `lines` opens its commitment; the binary agrees, and
/// refuses a changed die.
pub(crate) fn check_every_reveal(lines: &[String]) {
    let opened = opened(lines);
    assert!(opened.len() >= 2, "no call revealed hands: {lines:?}");
    for hand in &opened {
        let faces: Vec<u8> = hand.faces.split(' ').map(parse).collect();
        let player = PlayerId(hand.player);
        assert!(
            verify_dice(
                &hand.commitment,
                hand.match_no,
                hand.hand,
                player,
                &faces,
                &hand.salt
            ),
            "hand {} of {player} ({}) does not open {}",
            hand.hand,
            hand.faces,
            hand.commitment
        );
    }
    let first = &opened[0];
    let ok = first.verify_with_the_binary(&first.faces);
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "ok\n");
    let changed = if first.faces.starts_with('6') {
        "1"
    } else {
        "6"
    };
    let tampered = format!("{changed}{}", &first.faces[1..]);
    let mismatch = first.verify_with_the_binary(&tampered);
    assert_eq!(mismatch.status.code(), Some(1), "{mismatch:?}");
    assert!(String::from_utf8_lossy(&mismatch.stderr).starts_with("mismatch:"));
    let bad = first.verify_with_the_binary("7 7");
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}
