//! End to end in a real browser: headless Chromium, driven over WebDriver by ChromeDriver,
//! plays the page of `crates/server/web/` against the real server, next to a netcat player.
//!
//! Ignored by default because it needs Chromium and ChromeDriver (Debian: `apt-get install
//! chromium chromium-driver`). Run it with
//!
//! ```text
//! cargo test -p referee-server --test browser -- --ignored --nocapture
//! ```
//!
//! `CHROMEDRIVER` and `CHROMIUM` override the paths of the two programs (defaults
//! `/usr/bin/chromedriver` and `/usr/bin/chromium`). The test starts its own ChromeDriver on a
//! free local port, one Chromium per player (each with a fresh profile, so each has its own
//! `sessionStorage`), and kills them all when it ends, failing or not. Screenshots land in
//! `target/browser/` (`$CARGO_TARGET_DIR/browser/` if that is set).
//!
//! `browser/dice.rs` plays a Liar's Dice match in the browser against the `referee` binary;
//! `browser/cluster.rs` kills the node a browser player is on and sees the page reconnect to
//! another node, into the same seat (needs PostgreSQL and NATS too; skipped without them).
//!
//! The page is driven through the DOM hooks listed at the top of `web/app.js`. Every wait
//! polls the DOM and gives up after [`WAIT`]; nothing sleeps a fixed time to synchronise.
//!
//! The WebDriver client is fantoccini, over plain HTTP (a `hyper-util` connector: ChromeDriver
//! listens on 127.0.0.1 only, no TLS needed).

#[path = "browser/cluster.rs"]
mod cluster;
mod common;
#[path = "browser/dice.rs"]
mod dice;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Client, TestServer, room_of};
use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpStream;

/// How long any wait on the page may take before the test fails.
const WAIT: Duration = Duration::from_secs(30);
/// How often a wait looks at the page again.
const POLL: Duration = Duration::from_millis(100);
/// How long starting a browser may take.
const START: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver: cargo test -p referee-server --test browser -- --ignored"]
async fn two_browsers_and_a_netcat_player_play_a_round_and_a_reload_keeps_the_seat() {
    let started = Instant::now();
    let shots = screenshot_dir();
    let _ = std::fs::remove_file(shots.join("failure.png")); // from an earlier failed run
    let server = TestServer::start(|config| config).await;
    let url = format!("http://{}/", server.http);
    let mut driver = ChromeDriver::start().await;

    // Two players open the page: each lands in the lobby, connected.
    let ann = driver.browser().await;
    let bo = driver.browser().await;
    for page in [&ann, &bo] {
        page.open(&url).await;
        page.wait_for(r#"body[data-view="lobby"]"#).await;
        page.wait_text("#connection", "connected").await;
    }
    ann.wait_text("#rooms", "No public room is open").await;
    ann.wait_text("#leaderboard", "keeps no records").await;
    ann.screenshot(&shots.join("lobby.png")).await;

    // Quick play seats Ann in room 1, then Bo in the same room, then a netcat player.
    ann.click("#quick-play").await;
    ann.wait_for(r#"body[data-view="room"]"#).await;
    ann.wait_text("#room-title", "room 1").await;
    let ann_id = ann.player().await;
    bo.click("#quick-play").await;
    bo.wait_for(r#"body[data-view="room"]"#).await;
    bo.wait_text("#room-title", "room 1").await;
    let mut nc = Client::connect(server.addr).await;
    let (nc_id, seat) = nc.greeting().await;
    assert_eq!(room_of(&seat), 1, "{seat}");
    assert!(seat.contains("(3/3 players"), "{seat}");
    ann.wait_text("#room-meta", "3/3 players").await;
    ann.wait_for(&format!(r#"#scoreboard [data-player="{nc_id}"]"#))
        .await;

    // Ann plays by binary search through the page; nobody else guesses, so she wins.
    let guesses = ann.play_round(20).await;
    println!("Ann (player {ann_id}) won round 1 in {guesses} guesses");
    ann.wait_text("#banner", "You won round 1").await;
    ann.wait_text("#my-points", "1").await;
    // The page checked the revealed secret and salt against the round's commitment.
    let verified = r#".proof[data-proof="verified"]"#;
    ann.wait_for(&format!("#answers li.won {verified}")).await;
    ann.wait_text("#answers li.won .proof", "✓ verified").await;
    ann.screenshot(&shots.join("you-won.png")).await;

    // Bo's page, never reloaded, hears it: banner and scoreboard. So does the netcat player.
    bo.wait_text("#banner", "won round 1").await;
    bo.wait_text(&points_of(ann_id), "1").await;
    bo.wait_for(&format!("#feed .won {verified}")).await;
    let (won, _) = nc.until_contains(" won round 1").await;
    assert!(won.contains(&format!("Player {ann_id}")), "{won}");
    bo.screenshot(&shots.join("round-won.png")).await;

    // Ann reloads: the page comes back to the same seat with the same score.
    ann.refresh().await;
    ann.wait_for(r#"body[data-view="room"]"#).await;
    ann.wait_text("#connection", "connected").await;
    assert_eq!(ann.player().await, ann_id, "the reload kept the player");
    ann.wait_text("#room-title", "room 1").await;
    ann.wait_text(&points_of(ann_id), "1").await;
    ann.wait_text("#my-points", "1").await;
    ann.wait_text("#round", "2").await;
    ann.screenshot(&shots.join("reloaded.png")).await;

    // The others saw Ann drop and come back.
    bo.wait_text("#feed", &format!("Player {ann_id} lost their connection"))
        .await;
    bo.wait_text("#feed", &format!("Player {ann_id} is back"))
        .await;
    let away = format!("* Player {ann_id} lost their connection; their seat is kept for 30 s.");
    nc.until(&away).await;
    nc.until(&format!("* Player {ann_id} is back.")).await;

    for page in [&ann, &bo] {
        assert_eq!(
            page.js_errors().await,
            Vec::<String>::new(),
            "uncaught errors in the page"
        );
    }
    ann.close().await;
    bo.close().await;
    drop(driver);
    let _ = server.shutdown().await;
    println!("browser test took {:.1?}", started.elapsed());
}

/// The points of `player` on a page's scoreboard.
fn points_of(player: u64) -> String {
    format!(r#"#scoreboard [data-player="{player}"] .points"#)
}

/// `target/browser/`, created.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")));
    let dir = target.join("browser");
    if let Err(err) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {err}", dir.display());
    }
    dir.canonicalize().unwrap_or(dir)
}

/// A ChromeDriver process of our own, and the browser profiles it used. Dropping it kills
/// ChromeDriver and every browser it started (they share its process group), then deletes
/// the profiles.
struct ChromeDriver {
    child: Child,
    addr: SocketAddr,
    profiles: Vec<TempDir>,
}

impl ChromeDriver {
    /// Starts ChromeDriver on a free local port and waits until it accepts connections.
    async fn start() -> Self {
        use std::os::unix::process::CommandExt as _;

        let program = env_or("CHROMEDRIVER", "/usr/bin/chromedriver");
        let addr = free_port();
        let child = Command::new(&program)
            .arg(format!("--port={}", addr.port()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {program}: {err}"));
        let driver = ChromeDriver {
            child,
            addr,
            profiles: Vec::new(),
        };
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(addr).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "{program} not listening within {WAIT:?}"
            );
            tokio::time::sleep(POLL).await;
        }
        driver
    }

    /// A new headless Chromium with a fresh profile.
    async fn browser(&mut self) -> Browser {
        let profile = match tempfile::Builder::new()
            .prefix("referee-chromium-")
            .tempdir()
        {
            Ok(dir) => dir,
            Err(err) => panic!("cannot make a browser profile: {err}"),
        };
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,900",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        self.profiles.push(profile);
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": env_or("CHROMIUM", "/usr/bin/chromium"),
                "args": args,
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("json!({{}}) is an object")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let webdriver = format!("http://{}", self.addr);
        match tokio::time::timeout(START, builder.connect(&webdriver)).await {
            Ok(Ok(client)) => Browser { client },
            Ok(Err(err)) => panic!("cannot start Chromium: {err}"),
            Err(_) => panic!("Chromium did not start within {START:?}"),
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole process group: Chromium outlives a killed ChromeDriver otherwise.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser window on the page: a fantoccini client.
struct Browser {
    client: fantoccini::Client,
}

impl Browser {
    /// Goes to `url` (returns once the page has loaded).
    async fn open(&self, url: &str) {
        if let Err(err) = self.client.goto(url).await {
            panic!("cannot open {url}: {err}");
        }
    }

    /// Reloads the page (returns once it has loaded again).
    async fn refresh(&self) {
        if let Err(err) = self.client.refresh().await {
            panic!("cannot reload: {err}");
        }
    }

    /// Clicks the element `css` selects.
    async fn click(&self, css: &str) {
        if let Err(err) = self.element(css).await.click().await {
            panic!("cannot click {css}: {err}");
        }
    }

    /// Types `text` into the element `css` selects, as keystrokes.
    async fn type_into(&self, css: &str, text: &str) {
        if let Err(err) = self.element(css).await.send_keys(text).await {
            panic!("cannot type into {css}: {err}");
        }
    }

    /// The rendered text of the element `css` selects, `None` if there is none.
    async fn text_of(&self, css: &str) -> Option<String> {
        let script = "const e = document.querySelector(arguments[0]); return e && e.innerText;";
        let text = self.script(script, json!([css])).await;
        text.as_str().map(str::to_owned)
    }

    /// Waits until `css` selects an element.
    async fn wait_for(&self, css: &str) {
        let found = self.client.wait().at_most(WAIT).every(POLL);
        if let Err(err) = found.for_element(Locator::Css(css)).await {
            let body = self.text_of("body").await.unwrap_or_default();
            panic!("waited {WAIT:?} for {css}: {err}; the page says:\n{body}");
        }
    }

    /// Waits until the element `css` selects exists and its text contains `part`.
    async fn wait_text(&self, css: &str, part: &str) {
        self.wait(&format!("{css} to contain {part:?}"), || async move {
            self.text_of(css)
                .await
                .is_some_and(|text| text.contains(part))
        })
        .await;
    }

    /// Polls `ready` until it holds; fails the test after [`WAIT`], showing `what`.
    async fn wait<F, Fut>(&self, what: &str, mut ready: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + WAIT;
        while !ready().await {
            if Instant::now() >= deadline {
                let body = self.text_of("body").await.unwrap_or_default();
                let shot = self.failure_screenshot().await;
                panic!("waited {WAIT:?} for {what} (see {shot}); the page says:\n{body}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// This page's player number (`body[data-player]`).
    async fn player(&self) -> u64 {
        let player = self
            .script("return document.body.dataset.player;", json!([]))
            .await;
        match player.as_str().and_then(|id| id.parse().ok()) {
            Some(id) => id,
            None => panic!("no player number on the page: {player}"),
        }
    }

    /// Plays the current round through the guess box, by binary search over `0..max`, until
    /// this page's newest answer says it won. Returns the number of guesses.
    async fn play_round(&self, max: u32) -> u32 {
        let count = "return document.querySelectorAll('#answers > li').length;";
        // Answers of earlier rounds in this room may be listed already.
        let before = self.script(count, json!([])).await.as_u64().unwrap_or(0);
        let (mut low, mut high) = (0, max - 1);
        for guess_no in 1..=max {
            let guess = (low + high) / 2;
            // Alternate the two ways to submit: the Enter key and the button.
            if guess_no % 2 == 1 {
                self.type_into("#guess-input", &format!("{guess}\u{E007}"))
                    .await;
            } else {
                self.type_into("#guess-input", &guess.to_string()).await;
                self.click("#guess-button").await;
            }
            let shown = before + u64::from(guess_no);
            self.wait(&format!("an answer to guess {guess}"), || async move {
                let error = self.text_of("#guess-error").await.unwrap_or_default();
                assert!(error.is_empty(), "guess {guess} was refused: {error}");
                self.script(count, json!([])).await.as_u64() == Some(shown)
            })
            .await;
            let newest = self.text_of("#answers > li").await.unwrap_or_default();
            if newest.contains("won") {
                return guess_no;
            } else if newest.contains("higher") {
                low = guess + 1;
            } else if newest.contains("lower") {
                high = guess - 1;
            } else {
                panic!("unexpected answer to guess {guess}: {newest}");
            }
            assert!(low <= high, "the answers contradict each other");
        }
        panic!("no win after {max} guesses");
    }

    /// Saves a PNG of the window to `path`, once the page's animations (such as the banner's
    /// pop) have finished.
    async fn screenshot(&self, path: &Path) {
        let settled = "return document.getAnimations().every((a) => \
            a.playState !== 'running' || a.effect.getComputedTiming().iterations === Infinity);";
        self.wait("the animations to finish", || async move {
            self.script(settled, json!([])).await == true
        })
        .await;
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(err) => panic!("cannot take a screenshot: {err}"),
        };
        if let Err(err) = std::fs::write(path, png) {
            panic!("cannot write {}: {err}", path.display());
        }
        println!("screenshot: {}", path.display());
    }

    /// Best effort, when the test is about to fail: a screenshot in `failure.png`.
    async fn failure_screenshot(&self) -> String {
        let path = screenshot_dir().join("failure.png");
        match self.client.screenshot().await {
            Ok(png) if std::fs::write(&path, &png).is_ok() => path.display().to_string(),
            _ => "no screenshot".to_owned(),
        }
    }

    /// Ends the session: Chromium quits.
    async fn close(self) {
        if let Err(err) = self.client.close().await {
            panic!("cannot close the browser: {err}");
        }
    }

    /// The uncaught errors the page collected (`window.__refereeErrors`, see `web/app.js`).
    async fn js_errors(&self) -> Vec<String> {
        let errors = self
            .script(
                "return window.__refereeErrors || ['no error list']",
                json!([]),
            )
            .await;
        serde_json::from_value(errors).unwrap_or_else(|err| panic!("{err}"))
    }

    /// Runs `script` in the page (arguments in `args`) and returns what it returns.
    async fn script(&self, script: &str, args: Value) -> Value {
        let args = match args {
            Value::Array(args) => args,
            other => vec![other],
        };
        match self.client.execute(script, args).await {
            Ok(value) => value,
            Err(err) => panic!("script failed: {err}\n{script}"),
        }
    }

    /// The element `css` selects; fails the test if there is none.
    async fn element(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(err) => panic!("no element for {css}: {err}"),
        }
    }
}

/// A free local port (free when asked: ChromeDriver takes it right after).
fn free_port() -> SocketAddr {
    match TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()) {
        Ok(addr) => addr,
        Err(err) => panic!("no free local port: {err}"),
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}
