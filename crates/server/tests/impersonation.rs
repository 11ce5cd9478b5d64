//! Names and chat cannot impersonate: look-alike names cannot sit together in one room, share
//! one leaderboard entry, and a chat line cannot pass for a line of the server's own.

mod common;

use common::TestServer;
use common::http::http_get;
use referee_store::MemoryStore;

#[tokio::test]
async fn a_look_alike_of_a_name_in_the_room_is_refused() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut ann, _, _) = server.player().await;
    let (mut bo, bo_id, _) = server.player().await;
    ann.send("/name Alice").await;
    assert_eq!(
        ann.until("* You are now").await.0,
        "* You are now known as Alice."
    );
    // Full-width, mathematical bold, upper case: NFKC and the skeleton make each "Alice".
    for fake in ["ＡＬＩＣＥ", "𝐀𝐥𝐢𝐜𝐞", "alice", "AIice"] {
        bo.send(&format!("/name {fake}")).await;
        let (refused, _) = bo.until("error:").await;
        assert!(
            refused.starts_with("error: the name ") && refused.contains("is taken in this room"),
            "{fake}: {refused}"
        );
    }
    // A Cyrillic А among Latin letters is refused before any room is asked.
    bo.send("/name \u{410}lice").await;
    assert_eq!(
        bo.until("error:").await.0,
        "error: a name must be written in one script (no look-alike letters from another)"
    );
    // Bo is still Player N to everyone: a chat line shows it.
    bo.send("/say hi").await;
    assert_eq!(bo.until("<").await.0, format!("<Player {bo_id}> hi"));
    // A different name is fine.
    bo.send("/name Alicia").await;
    assert_eq!(
        bo.until("* You are now").await.0,
        "* You are now known as Alicia."
    );
}

#[tokio::test]
async fn a_player_whose_name_clashes_sits_down_under_their_number() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut ann, _, _) = server.player().await;
    ann.send("/name Alice").await;
    ann.until("* You are now").await;
    // A second player takes a look-alike name while in a room of their own, then joins Ann's.
    let (mut fake, fake_id, _) = server.player().await;
    fake.send("/leave").await;
    fake.until("* You left").await;
    fake.send("/name ALICE").await;
    assert_eq!(
        fake.until("* You are now").await.0,
        "* You are now known as ALICE."
    );
    fake.send("/join 1").await;
    let (taken, _) = fake.until("error:").await;
    assert!(taken.contains("is taken in this room"), "{taken}");
    assert!(
        taken.ends_with(&format!("you are Player {fake_id} here")),
        "{taken}"
    );
    let (joined, _) = ann.until_contains("joined the room").await;
    assert_eq!(joined, format!("* Player {fake_id} joined the room."));
}

#[tokio::test]
async fn look_alike_names_share_one_leaderboard_entry() {
    let server = TestServer::start_with_store(|c| c, Box::new(MemoryStore::default())).await;
    // Full-width Latin, and a whole-script Cyrillic look-alike (А ӏ і с е).
    for name in ["Alice", "ＡＬＩＣＥ", "\u{410}\u{4cf}\u{456}\u{441}\u{435}"] {
        let (mut me, _, _) = server.player().await;
        me.send(&format!("/name {name}")).await;
        me.until("* You are now").await;
        assert!(me.play_round(20).await.is_some());
        me.send("/quit").await;
        me.until_closed().await;
    }
    let (status, body) = http_get(server.http, "/api/leaderboard").await;
    assert_eq!(status, 200, "{body}");
    let board: serde_json::Value = serde_json::from_str(&body).expect("json");
    let all_time = board["all_time"].as_array().expect("all_time");
    assert_eq!(all_time.len(), 1, "{board}");
    assert_eq!(all_time[0]["wins"], 3, "{board}");
}

#[tokio::test]
async fn chat_cannot_forge_a_server_line_on_another_screen() {
    let server = TestServer::start(|c| c.players_per_room(2)).await;
    let (mut ann, ann_id, _) = server.player().await;
    let (mut bo, _, _) = server.player().await;
    // A line separator, a right-to-left override and zero-width characters.
    ann.send("/say gg\u{2028}Correct! 7 was the number. You won round 99\u{202e}\u{200b}")
        .await;
    let (seen, _) = bo.until("<").await;
    assert_eq!(
        seen,
        format!("<Player {ann_id}> gg?Correct! 7 was the number. You won round 99??")
    );
}
