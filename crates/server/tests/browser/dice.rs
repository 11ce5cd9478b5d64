//! Liar's Dice in a real browser: the `referee` binary hosting both games (`--games
//! guess,dice --dice-players 4`, a SQLite store), three netcat players with a simple legal
//! strategy and one browser player clicking the page's bid and "Liar!" controls play a match
//! to its end. While each hand is in progress the page's DOM holds no die but the browser
//! player's own; the end shows the winner, and the dice leaderboard counts the win.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::common::{Client, TIMEOUT, listening_address};
use super::{Browser, ChromeDriver, POLL, screenshot_dir};

/// The longest a whole match may take (19 calls at most, every move made at once).
const MATCH: Duration = Duration::from_secs(100);

/// The `referee` binary, serving on free local ports; killed when dropped.
struct Serve {
    child: Child,
    tcp: SocketAddr,
    http: SocketAddr,
}

impl Serve {
    fn start(args: &[&std::ffi::OsStr]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_referee"))
            .args(["serve", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start the binary: {err}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let mut stderr = BufReader::new(stderr);
        let tcp = listening_address(&mut stderr);
        let http = listening_address(&mut stderr);
        // Keep reading its log, so that a full pipe never stalls the server.
        std::thread::spawn(move || for _ in stderr.lines().map_while(Result::ok) {});
        Serve { child, tcp, http }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A named netcat player moved from guess-the-number to the quick-match dice table.
async fn dice_player(addr: SocketAddr, name: &str) -> Client {
    let mut client = Client::connect(addr).await;
    client.greeting().await;
    client.send(&format!("/name {name}")).await;
    client.until_contains("known as").await;
    client.send("/play dice").await;
    let (joined, _) = client.until("* You joined").await;
    assert!(joined.contains("/4 players"), "{joined}");
    client
}

/// A simple legal strategy over the line protocol until match 1 ends: open a hand with one
/// die of its own first face, call liar on any bid made to it. Returns the match's last line,
/// and the client: still seated, so that the next match (a full table starts it at once) does
/// not end at once by forfeits while the test looks at the page.
async fn play_by_lines(mut client: Client) -> (String, Client) {
    let mut starting = false;
    loop {
        let line = client.line().await;
        if line.ends_with(" match 1!") {
            return (line, client);
        }
        if line.starts_with("Hand ") {
            starting = line.contains(": you start.");
        } else if let Some(faces) = line.strip_prefix("Your dice: ") {
            if std::mem::take(&mut starting) {
                let face = faces.split_whitespace().next().unwrap_or("1");
                client.send(&format!("bid 1 {face}")).await;
            }
        } else if line.contains(" bid") && line.ends_with("Your turn.") {
            client.send("liar").await;
        }
    }
}

/// One look at the dice table: its state, what the page may do, and every die it shows
/// outside the player's own, the bid ladder, the face buttons, and a reveal of an earlier
/// hand (none may be there: the page never has another player's dice before the call).
const LOOK: &str = r#"
const table = document.getElementById('dice-table');
const hand = Number(table.dataset.hand);
const reveal = document.getElementById('reveal');
const allowed = (d) => d.closest('#my-dice, #bids, #bid-faces')
  || (d.closest('#reveal') && Number(reveal.dataset.hand) < hand);
const leaks = [...document.querySelectorAll('.die')].filter((d) => !allowed(d))
  .map((d) => (d.closest('[data-player]') || d.parentElement).outerHTML.slice(0, 200));
const mine = [...document.querySelectorAll('#my-dice .die')].map((d) => Number(d.dataset.face));
const cup = document.querySelector('#cups li.me .cup-count');
return {
  phase: table.dataset.phase, hand, turn: table.dataset.turn, moves: table.dataset.moves,
  status: document.getElementById('dice-status').innerText,
  clock: document.getElementById('dice-clock').innerText,
  liar: !document.getElementById('liar-button').disabled,
  bid: !document.getElementById('bid-button').disabled,
  leaks, mine, count: cup ? cup.innerText : '',
  result: document.getElementById('dice-result').dataset.match || '',
};"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver: cargo test -p referee-server --test browser -- --ignored"]
async fn three_netcat_players_and_a_browser_finish_a_match_of_liars_dice() {
    let started = Instant::now();
    let shots = screenshot_dir();
    let db = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let db = db.path().join("referee.db");
    let args = ["--games", "guess,dice", "--dice-players", "4", "--db"];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    args.push(db.as_os_str());
    let server = Serve::start(&args);
    let mut driver = ChromeDriver::start().await;
    let web = driver.browser().await;
    web.open(&format!("http://{}/", server.http)).await;
    web.wait_text("#connection", "connected").await;
    web.wait_for("#play-dice:not([hidden])").await;
    web.wait_for(r#"#leaderboard[data-game="guess"]"#).await;
    web.type_into("#name-input", "Webby").await;
    web.click("#name-button").await;
    web.wait_text("#name-status", "Webby").await;
    web.click("#play-dice").await;
    web.wait_for(r#"body[data-view="room"][data-game="dice"]"#)
        .await;
    let me = web.player().await;
    web.wait_text("#dice-status", "Waiting for players").await;

    // Eve watches that table from the lobby's room list.
    let eve = driver.browser().await;
    eve.open(&format!("http://{}/", server.http)).await;
    eve.click_when(r#"#rooms li[data-game="dice"] button.watch"#)
        .await;
    eve.wait_for(r#"body[data-view="watching"][data-game="dice"]"#)
        .await;

    let mut lines = Vec::new();
    for name in ["Ann", "Bob", "Cid"] {
        let client = dice_player(server.tcp, name).await;
        lines.push(tokio::spawn(play_by_lines(client)));
    }
    web.wait_for(r#"#dice-table[data-phase="bidding"]"#).await;
    eve.wait_text("#dice-status", "Watching match 1").await;

    let (checks, moves) = play_in_browser(&web, me, &eve, &shots).await;
    println!("the pages were checked for hidden dice {checks} times; Webby made {moves} moves");
    assert!(moves > 0, "the browser player never moved");
    // The last call's hands open the commitments the page saw when the hand started.
    web.wait_for(r#"#reveal-hands .proof[data-proof="verified"]"#)
        .await;
    let proofs = "return [...document.querySelectorAll('#reveal-hands .proof')]\
        .map((p) => p.dataset.proof);";
    let proofs = web.script(proofs, json!([])).await;
    let proofs = proofs.as_array().cloned().unwrap_or_default();
    assert!(
        proofs.len() >= 2 && proofs.iter().all(|p| p == "verified"),
        "{proofs:?}"
    );

    // Everyone saw the same winner; the page says so.
    let (mut winners, mut seated) = (BTreeSet::new(), Vec::new());
    for (name, task) in ["Ann", "Bob", "Cid"].into_iter().zip(lines) {
        let (line, client) = tokio::time::timeout(TIMEOUT, task)
            .await
            .unwrap_or_else(|_| panic!("{name} saw no match end"))
            .unwrap_or_else(|err| panic!("{err}"));
        winners.insert(line.replace("You win", &format!("{name} wins")));
        seated.push(client);
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = winners
        .first()
        .and_then(|line| line.split(' ').next())
        .unwrap_or_default()
        .to_owned();
    let shown = if winner == "Webby" {
        "you win match 1!".to_owned()
    } else {
        format!("{winner} wins match 1!")
    };
    web.wait_text("#dice-result", &shown).await;
    eve.wait_text("#dice-result", &format!("{winner} wins match 1!"))
        .await;
    web.screenshot(&shots.join("dice-match-won.png")).await;
    // A phone's width: the table still fits (no sideways scrolling).
    if let Err(err) = web.client.set_window_size(390, 844).await {
        panic!("cannot resize the window: {err}");
    }
    let wide = "return document.documentElement.scrollWidth <= window.innerWidth;";
    let page = &web;
    web.wait("the page to fit a phone's width", || async move {
        page.script(wide, json!([])).await == true
    })
    .await;
    web.screenshot(&shots.join("dice-phone.png")).await;

    // The dice leaderboard counts the win; the guess board does not.
    web.click("#leave").await;
    web.wait_for(r#"body[data-view="lobby"]"#).await;
    web.click("#board-dice").await;
    web.wait_for(r#"#leaderboard[data-game="dice"]"#).await;
    web.wait_text("#leaderboard .leader-col li:first-child", &winner)
        .await;
    let wins = web
        .text_of("#leaderboard .leader-col li:first-child .wins")
        .await;
    assert_eq!(wins.as_deref(), Some("1"), "one match won");
    web.click("#board-guess").await;
    web.wait_for(r#"#leaderboard[data-game="guess"]"#).await;
    web.wait_text("#leaderboard", "No wins yet").await;

    for page in [&web, &eve] {
        assert_eq!(
            page.js_errors().await,
            Vec::<String>::new(),
            "uncaught errors"
        );
    }
    // The host's status page breaks rooms and players down by game: the dice table still
    // holds the three netcat players (match 2 under way).
    eve.open(&format!("http://{}/status", server.http)).await;
    eve.wait_text("#games", "dice").await;
    let dice_players = "return [...document.querySelectorAll('#games tr')]\
        .filter((row) => row.cells[0] && row.cells[0].textContent === 'dice')\
        .map((row) => row.cells[2].textContent);";
    let page = &eve;
    eve.wait("the status page to count the dice players", || async move {
        page.script(dice_players, json!([])).await == json!(["3"])
    })
    .await;

    // The match can be replayed step by step (`/replay/{id}`): the server's replay of its
    // recorded log, ending at the same winner.
    let (code, list) =
        super::common::http::http_get(server.http, "/api/matches?game=dice&limit=5").await;
    assert_eq!(code, 200, "{list}");
    let list: Value = serde_json::from_str(&list).unwrap_or_else(|err| panic!("{err}"));
    let matches = list["matches"].as_array().cloned().unwrap_or_default();
    let first = matches
        .iter()
        .filter_map(|m| m["id"].as_str())
        .find(|id| id.ends_with("/1")) // RUN/WON_AT/ROOM/ROUND
        .unwrap_or_else(|| panic!("match 1 is not listed: {list}"));
    eve.open(&format!("http://{}/replay/{first}", server.http))
        .await;
    eve.wait_text("#title", &format!("won by {winner}")).await;
    eve.wait_text("#counter", "step 0 of").await;
    eve.click("#last").await;
    eve.wait_text("#feed", &format!("{winner} wins match 1"))
        .await;
    let counter = eve.text_of("#counter").await.unwrap_or_default();
    let steps: Vec<&str> = counter.split_whitespace().collect();
    assert!(
        matches!(steps.as_slice(), ["step", n, "of", m] if n == m && *n != "0"),
        "the last step: {counter}"
    );
    eve.screenshot(&shots.join("dice-replay.png")).await;
    eve.close().await;
    web.close().await;
    drop(driver);
    drop(seated);
    drop(server);
    println!("dice browser test took {:.1?}", started.elapsed());
}

/// Plays the browser's seat by clicking until the page shows match 1's end (a full table
/// starts the next match at once; the result stays on the page): opens a hand
/// by picking its own first die's face, calls liar on any bid. Looks at the page every
/// [`POLL`] (and at the spectator `eve`'s, who must show no die at all but revealed ones)
/// and fails on any die it should not show. Returns (looks during hands, moves).
async fn play_in_browser(
    web: &Browser,
    me: u64,
    eve: &Browser,
    shots: &std::path::Path,
) -> (u32, u32) {
    let deadline = Instant::now() + MATCH;
    let me = me.to_string();
    let (mut checks, mut moves, mut shot) = (0, 0, false);
    loop {
        let look = web.script(LOOK, json!([])).await;
        if Instant::now() >= deadline {
            let body = web.text_of("body").await.unwrap_or_default();
            let shot = web.failure_screenshot().await;
            panic!("no match end within {MATCH:?} (see {shot}): {look}\n{body}");
        }
        if look["result"] == "1" {
            assert!(shot, "the turn clock never showed on the player's turn");
            return (checks, moves);
        }
        let phase = look["phase"].as_str().unwrap_or_default();
        if phase == "bidding" {
            checks += 1;
            assert_eq!(
                look["leaks"],
                json!([]),
                "dice shown before the call: {look}"
            );
            check_own_dice(&look);
            let seen = eve.script(LOOK, json!([])).await;
            if seen["phase"] == "bidding" {
                checks += 1;
                assert_eq!(seen["leaks"], json!([]), "a spectator saw dice: {seen}");
                assert_eq!(seen["mine"], json!([]), "a spectator has no dice: {seen}");
            }
        }
        if phase == "bidding" && look["turn"].as_str() == Some(me.as_str()) {
            if !shot && look["clock"].as_str().is_some_and(|c| c.ends_with(" s")) {
                web.screenshot(&shots.join("dice-table.png")).await;
                shot = true;
            }
            if act(web, &look).await {
                moves += 1;
                wait_moved(web, &look).await;
                continue;
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Browser {
    /// Waits until `css` selects an element, then clicks it (the room list refreshes every
    /// few seconds).
    async fn click_when(&self, css: &str) {
        self.wait_for(css).await;
        self.click(css).await;
    }
}

/// The page shows the player's own dice, as many as their cup says.
fn check_own_dice(look: &Value) {
    let count = look["count"].as_str().unwrap_or_default();
    let mine = look["mine"].as_array().map_or(0, Vec::len);
    if let Some(n) = count
        .split(' ')
        .next()
        .and_then(|n| n.parse::<usize>().ok())
    {
        assert!(
            mine == n || mine == 0,
            "{mine} dice shown for {count}: {look}"
        );
    }
}

/// One move through the controls, if the page allows one: "Liar!" on a standing bid, else
/// the face of its first die at the lowest quantity, then "Bid".
async fn act(web: &Browser, look: &Value) -> bool {
    if look["liar"] == true {
        web.click("#liar-button").await;
        return true;
    }
    if look["bid"] != true {
        return false;
    }
    if let Some(face) = look["mine"].get(0).and_then(Value::as_u64) {
        web.click(&format!(r#"#bid-faces button[data-face="{face}"]"#))
            .await;
        let label = web.text_of("#bid-button").await.unwrap_or_default();
        assert!(label.starts_with("Bid 1 "), "the lowest quantity: {label}");
    }
    web.click("#bid-button").await;
    true
}

/// Waits until the page has seen a move after `look` (its own, or the clock's).
async fn wait_moved(web: &Browser, look: &Value) {
    let before = look["moves"].clone();
    web.wait("the move to be shown", || {
        let before = before.clone();
        async move {
            let now = web.script(LOOK, json!([])).await;
            now["moves"] != before || now["phase"] != "bidding"
        }
    })
    .await;
}
