//! Playing the game over raw TCP lines: the classic netcat session, the race, pushes,
//! scores, chat and rooms.

mod common;

use common::{Client, TestServer, room_of};

#[tokio::test]
async fn the_greeting_says_who_you_are_and_seats_you() {
    let server = TestServer::start(|c| c).await;
    let mut client = Client::connect(server.addr).await;
    assert_eq!(client.line().await, "Welcome to Referee! You are player 1.");
    assert_eq!(
        client.line().await,
        "Type a number to guess; /help lists the commands."
    );
    assert_eq!(
        client.line().await,
        "* You joined room 1 (1/3 players: Player 1)."
    );
    let round = client.line().await;
    assert!(
        round.starts_with("Round 1: guess a number from 0 to 19. Commitment: "),
        "{round}"
    );
}

#[tokio::test]
async fn a_classic_session_finds_the_number_by_halving() {
    let server = TestServer::start(|c| c).await;
    let (mut me, _, _) = server.player().await;
    let won = me.play_round(20).await;
    assert_eq!(won, Some(1), "alone in the room, the player wins round 1");
    let round = me.line().await;
    assert!(round.starts_with("Round 2: guess a number from 0 to 19. Commitment: "));
}

#[tokio::test]
async fn three_players_race_and_exactly_one_wins_while_the_others_are_told_at_once() {
    let server = TestServer::start(|c| c).await;
    let (mut watcher, _, _) = server.player().await;
    let (a, _, _) = server.player().await;
    let (b, _, _) = server.player().await;
    let racers: Vec<_> = [a, b]
        .into_iter()
        .map(|mut racer| tokio::spawn(async move { racer.play_round(20).await }))
        .collect();
    let mut winners = 0;
    for racer in racers {
        if let Ok(Some(round)) = racer.await {
            assert_eq!(round, 1);
            winners += 1;
        }
    }
    // The watcher typed nothing: the win still reaches it, pushed.
    let (won, skipped) = watcher
        .until_contains(" won round 1: the number was ")
        .await;
    assert!(won.starts_with("* Player "), "{won}");
    assert!(
        skipped
            .iter()
            .all(|line| line.ends_with("joined the room.")),
        "{skipped:?}"
    );
    let round = watcher.line().await;
    assert!(round.starts_with("Round 2: guess a number from 0 to 19. Commitment: "));
    assert_eq!(winners, 1, "exactly one winner");
}

#[tokio::test]
async fn a_guess_for_a_round_already_won_hears_another_player_won_in_the_meantime() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut winner, winner_id, _) = server.player().await;
    let (mut late, _, _) = server.player().await;
    assert_eq!(winner.play_round(20).await, Some(1));
    // The late player's guess was made for round 1 (said explicitly: `@1`).
    late.send("5 @1").await;
    let (sorry, _) = late.until("Sorry").await;
    assert_eq!(
        sorry,
        format!("Sorry, another player won in the meantime! (Player {winner_id} won round 1.)")
    );
}

#[tokio::test]
async fn scores_add_up_across_rounds() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut ann, ann_id, _) = server.player().await;
    let (mut bo, bo_id, _) = server.player().await;
    ann.send("/name Ann").await;
    assert_eq!(
        ann.until("* You are").await.0,
        "* You are now known as Ann."
    );
    assert_eq!(
        bo.until("* ").await.0,
        format!("* Player {ann_id} is now known as Ann.")
    );
    for round in 1..=3 {
        assert_eq!(ann.play_round(20).await, Some(round));
        ann.until("Round").await;
    }
    ann.send("/score").await;
    assert_eq!(
        ann.line().await,
        format!("Scores in room 1: Ann 3, Player {bo_id} 0.")
    );
}

#[tokio::test]
async fn chat_reaches_the_room_and_only_the_room() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut ann, ann_id, _) = server.player().await;
    let (mut bo, _, _) = server.player().await;
    let (mut other_room, _, seat) = server.player().await;
    assert_eq!(room_of(&seat), 2);
    ann.send("/say hello \u{1b}[2J there").await;
    let said = format!("<Player {ann_id}> hello ?[2J there");
    assert_eq!(ann.until("<").await.0, said);
    assert_eq!(bo.until("<").await.0, said);
    other_room.send("/score").await;
    let (scores, skipped) = other_room.until("Scores").await;
    assert!(scores.starts_with("Scores in room 2"));
    assert!(
        skipped.iter().all(|line| !line.starts_with('<')),
        "{skipped:?}"
    );
}

#[tokio::test]
async fn quick_match_fills_a_room_before_opening_the_next() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (_a, _, first) = server.player().await;
    let (_b, _, second) = server.player().await;
    let (mut c, _, third) = server.player().await;
    assert_eq!(
        (room_of(&first), room_of(&second), room_of(&third)),
        (1, 1, 2)
    );
    c.send("/rooms").await;
    assert_eq!(
        c.line().await,
        "Public rooms: room 1 (2/2 players), room 2 (1/2 players). Join one with /join ROOM."
    );
}

#[tokio::test]
async fn private_rooms_are_joined_by_code_and_not_listed() {
    let server = TestServer::start(|c| c).await;
    let (mut host, host_id, _) = server.player().await;
    host.send("/new").await;
    let (opened, _) = host.until("* You joined private room").await;
    let code = opened
        .rsplit("/join ")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(code.len(), 11, "ten letters in two groups: {opened}");
    let (mut guest, guest_id, _) = server.player().await;
    guest.send(&format!("/join {}", code.to_lowercase())).await;
    let (seated, _) = guest.until("* You joined").await;
    assert_eq!(
        seated,
        format!(
            "* You joined private room {code} (2/3 players: Player {host_id}, Player {guest_id}). Friends join with: /join {code}"
        )
    );
    assert_eq!(
        host.until("* ").await.0,
        format!("* Player {guest_id} joined the room.")
    );
    guest.send("/rooms").await;
    let (listing, _) = guest.until("No public room").await;
    assert!(listing.starts_with("No public room is open"), "{listing}");
}

#[tokio::test]
async fn leaving_and_joining_a_room_by_number() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut a, a_id, _) = server.player().await;
    let (_b, _, _) = server.player().await;
    let (mut c, c_id, _) = server.player().await;
    c.send("/join 1").await;
    assert_eq!(c.line().await, "error: room 1 is full");
    a.send("/leave").await;
    assert_eq!(
        a.until("* You left").await.0,
        "* You left room 1. Type /play for a new game, or /rooms to see the rooms."
    );
    a.send("7").await;
    assert_eq!(
        a.line().await,
        "error: you are not in a room: type /play to join one."
    );
    c.send("/join 1").await;
    let (seated, _) = c.until("* You joined").await;
    assert!(
        seated.starts_with("* You joined room 1 (2/2 players"),
        "{seated}"
    );
    assert!(!seated.contains(&format!("Player {a_id}")));
    assert!(seated.contains(&format!("Player {c_id}")));
}

#[tokio::test]
async fn help_lists_every_command() {
    let server = TestServer::start(|c| c).await;
    let (mut me, _, _) = server.player().await;
    me.send("/help").await;
    assert_eq!(me.line().await, "Commands:");
    let mut listed = Vec::new();
    loop {
        let line = me.line().await;
        if line.starts_with("Anything else") {
            break;
        }
        listed.push(line);
    }
    for (usage, _) in referee_protocol::command::COMMANDS {
        assert!(listed.iter().any(|line| line.contains(usage)), "{usage}");
    }
}
