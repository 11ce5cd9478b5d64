//! Provably fair rounds over the real protocol (docs/protocol.md, "Provably fair rounds"):
//! every round line carries a commitment to the secret, every win reveals the secret and
//! salt, and the revealed values open the commitment published before the first guess —
//! for the winner, for the others in the room, for a player who joined mid-round, over JSON,
//! and with the `referee verify` binary.

mod common;

use std::process::{Command, Output};

use common::ws::WsClient;
use common::{Client, TestServer};
use referee_rules::{Commitment, Salt, verify_guess};
use serde_json::json;

/// What a won round reveals, with the commitment published at its start.
#[derive(Debug, Clone, Copy)]
struct Opened {
    round: u64,
    commitment: Commitment,
    secret: u32,
    salt: Salt,
}

impl Opened {
    fn verifies(&self) -> bool {
        verify_guess(&self.commitment, self.round, self.secret, &self.salt)
    }
}

fn parse<T: std::str::FromStr>(text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("cannot parse {text:?}"))
}

/// `Round N: guess a number from 0 to 19. Commitment: HEX` as `(N, HEX)`.
fn round_line(line: &str) -> (u64, Commitment) {
    let (head, commitment) = line
        .split_once(". Commitment: ")
        .unwrap_or_else(|| panic!("no commitment in {line:?}"));
    let round = head
        .strip_prefix("Round ")
        .and_then(|rest| rest.split(':').next());
    (parse(round.unwrap_or_default()), parse(commitment))
}

/// The secret and salt of a win line, the winner's (`Correct! S was the number. …`) or the
/// others' (`* NAME won round R: the number was S. Salt: HEX`).
fn revealed(line: &str) -> (u32, Salt) {
    let secret = match line.strip_prefix("Correct! ") {
        Some(rest) => rest.split(' ').next(),
        None => line
            .split("the number was ")
            .nth(1)
            .and_then(|rest| rest.split('.').next()),
    };
    let salt = line.split_once(" Salt: ").map(|(_, salt)| salt);
    (
        parse(secret.unwrap_or_default()),
        parse(salt.unwrap_or_default()),
    )
}

/// Connects a netcat player and reads its greeting; returns it and the round line's
/// round and commitment.
async fn seated(server: &TestServer) -> (Client, u64, Commitment) {
    let mut client = Client::connect(server.addr).await;
    let (line, _) = client.until("Round ").await;
    let (round, commitment) = round_line(&line);
    (client, round, commitment)
}

/// The answer to one guess, past notices about the room (`* …`).
async fn answer(client: &mut Client, guess: i64) -> String {
    client.send(&guess.to_string()).await;
    loop {
        let line = client.line().await;
        if !line.starts_with("* ") {
            return line;
        }
    }
}

/// Binary-searches the round on; returns the `Correct!` line (this player is alone in
/// guessing, so it wins).
async fn win(client: &mut Client) -> String {
    let (mut low, mut high) = (0, 19);
    loop {
        let guess = (low + high) / 2;
        let line = answer(client, guess).await;
        match line.split(' ').next() {
            Some("Higher!") => low = guess + 1,
            Some("Lower!") => high = guess - 1,
            Some("Correct!") => return line,
            _ => panic!("unexpected answer {line:?}"),
        }
    }
}

/// Ann plays `rounds` rounds alone (a watcher in the room sees every win); returns what each
/// round revealed to Ann and to the watcher.
async fn played_rounds(server: &TestServer, rounds: u64) -> Vec<(Opened, Opened)> {
    let (mut ann, mut round, mut commitment) = seated(server).await;
    let (mut watcher, watcher_round, watcher_commitment) = seated(server).await;
    assert_eq!((watcher_round, watcher_commitment), (round, commitment));
    let mut opened = Vec::new();
    for _ in 0..rounds {
        let (secret, salt) = revealed(&win(&mut ann).await);
        let (seen, _) = watcher.until_contains(" won round ").await;
        let (other_secret, other_salt) = revealed(&seen);
        opened.push((
            Opened {
                round,
                commitment,
                secret,
                salt,
            },
            Opened {
                round,
                commitment,
                secret: other_secret,
                salt: other_salt,
            },
        ));
        (round, commitment) = round_line(&ann.until("Round ").await.0);
        assert_eq!(
            round_line(&watcher.until("Round ").await.0),
            (round, commitment)
        );
    }
    opened
}

#[tokio::test]
async fn every_round_of_a_played_game_opens_its_published_commitment() {
    let server = TestServer::start(|c| c).await;
    let opened = played_rounds(&server, 6).await;
    for (ann, watcher) in &opened {
        assert!(ann.verifies(), "the winner's reveal does not open: {ann:?}");
        assert!(
            watcher.verifies(),
            "the room's reveal does not open: {watcher:?}"
        );
    }
    let rounds: Vec<u64> = opened.iter().map(|(ann, _)| ann.round).collect();
    assert_eq!(rounds, [1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn a_tampered_secret_salt_or_round_fails_verification() {
    let server = TestServer::start(|c| c).await;
    let (real, _) = played_rounds(&server, 1).await[0];
    assert!(real.verifies());
    let mut salt = *real.salt.as_bytes();
    salt[0] ^= 1;
    let tampered = [
        Opened {
            secret: (real.secret + 1) % 20,
            ..real
        },
        Opened {
            salt: Salt::from_bytes(salt),
            ..real
        },
        Opened {
            round: real.round + 1,
            ..real
        },
    ];
    for opened in tampered {
        assert!(!opened.verifies(), "tampered but verified: {opened:?}");
    }
}

#[tokio::test]
async fn a_player_who_joins_mid_round_can_check_its_win() {
    let server = TestServer::start(|c| c).await;
    let (mut ann, round, commitment) = seated(&server).await;
    let first = answer(&mut ann, 9).await;
    assert!(
        !first.starts_with("Correct!"),
        "won at once: pick another seed"
    );
    let (mut late, late_round, late_commitment) = seated(&server).await;
    assert_eq!((late_round, late_commitment), (round, commitment));
    win(&mut ann).await;
    let (secret, salt) = revealed(&late.until_contains(" won round ").await.0);
    assert!(verify_guess(&late_commitment, late_round, secret, &salt));
}

#[tokio::test]
async fn json_players_get_the_commitment_and_the_reveal_as_typed_fields() {
    let server = TestServer::start(|c| c).await;
    let mut web = WsClient::connect(server.http, None).await;
    let id = web.request("play", json!({})).await;
    web.reply(id).await;
    let state = web.reply(id).await;
    let commitment: Commitment = parse(state["view"]["commitment"].as_str().unwrap_or_default());
    let (mut low, mut high) = (0, 19);
    let won = loop {
        let guess = (low + high) / 2;
        let id = web.request("guess", json!({"value": guess})).await;
        let answer = web.reply(id).await;
        match answer["event"]["type"].as_str() {
            Some("hint") if answer["event"]["hint"] == "higher" => low = guess + 1,
            Some("hint") => high = guess - 1,
            _ => break (answer, id),
        }
    };
    let (won, id) = won;
    let event = &won["event"];
    assert_eq!(event["type"], "won", "{won}");
    let secret = u32::try_from(event["secret"].as_u64().unwrap_or(u64::MAX)).unwrap_or(u32::MAX);
    let salt: Salt = parse(event["salt"].as_str().unwrap_or_default());
    assert!(verify_guess(&commitment, 1, secret, &salt), "{won}");
    let next = web.reply(id).await;
    let next_commitment = next["event"]["commitment"].as_str().unwrap_or_default();
    assert_eq!(
        parse::<Commitment>(next_commitment).to_string(),
        next_commitment
    );
    assert!(
        next["text"]
            .as_str()
            .unwrap_or_default()
            .ends_with(next_commitment),
        "{next}"
    );
}

/// Runs `referee verify ARGS…`.
fn referee_verify(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_referee"))
        .arg("verify")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|err| panic!("cannot run the binary: {err}"))
}

fn arguments(opened: &Opened) -> Vec<String> {
    let Opened {
        round,
        commitment,
        secret,
        salt,
    } = opened;
    [
        commitment.to_string(),
        secret.to_string(),
        salt.to_string(),
        round.to_string(),
    ]
    .into()
}

#[tokio::test]
async fn the_verify_command_says_ok_mismatch_or_bad_input_by_exit_status() {
    let server = TestServer::start(|c| c).await;
    let (real, _) = played_rounds(&server, 2).await[1];
    let ok = referee_verify(&arguments(&real));
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "ok\n");

    let wrong_secret = Opened {
        secret: real.secret ^ 1,
        ..real
    };
    let wrong_round = Opened { round: 1, ..real };
    for wrong in [wrong_secret, wrong_round] {
        let mismatch = referee_verify(&arguments(&wrong));
        assert_eq!(mismatch.status.code(), Some(1), "{mismatch:?}");
        assert!(String::from_utf8_lossy(&mismatch.stderr).starts_with("mismatch:"));
        assert!(mismatch.stdout.is_empty());
    }

    let mut bad_hex = arguments(&real);
    bad_hex[2] = "zz".repeat(16);
    let bad = referee_verify(&bad_hex);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("not a hex digit"),
        "{bad:?}"
    );
}
