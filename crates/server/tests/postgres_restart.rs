//! PostgreSQL restarting while players play: a win is held, not announced, while the
//! database is down, and committed — once — when it is back. Against a private PostgreSQL
//! started for this test (`initdb` into a temporary directory), never the shared one,
//! which other tests use at the same time. Skipped (saying why) where no PostgreSQL is
//! installed, unless `REFEREE_REQUIRE_POSTGRES=1`.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use common::TestServer;
use referee_store::{PgStore, StoreReader};

/// A PostgreSQL of this test's own: its data in a temporary directory, on a free port.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    /// `None` (having said why) where PostgreSQL's programs are not installed.
    fn create() -> Option<Self> {
        let Some(bin) = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| versions.flatten().map(|v| v.path().join("bin")).max())
        else {
            let required = std::env::var("REFEREE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "PostgreSQL is required but /usr/lib/postgresql has no version"
            );
            let _ = writeln!(std::io::stderr(), "SKIPPED: no PostgreSQL installed here");
            return None;
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // PostgreSQL refuses to run as root: its files and process belong to `postgres`.
        run(Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path()));
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
            listener
                .local_addr()
                .map(|a| a.port())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let pg = PrivatePostgres { dir, bin, port };
        run(pg
            .as_postgres("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(pg.data()));
        pg.start();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn as_postgres(&self, program: &str) -> Command {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program));
        command
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts it and waits until it accepts connections (`pg_ctl -w`).
    fn start(&self) {
        let options = format!(
            "-p {} -h 127.0.0.1 -k {}",
            self.port,
            self.dir.path().display()
        );
        run(self
            .as_postgres("pg_ctl")
            .args(["-w", "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "-D"])
            .arg(self.data())
            .arg("start"));
    }

    /// Stops it, disconnecting every client (`-m fast`), and waits until it is down.
    fn stop(&self) {
        run(self
            .as_postgres("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(self.data())
            .arg("stop"));
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .as_postgres("pg_ctl")
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.data())
            .arg("stop")
            .output();
    }
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn wins(url: &str, name: &str) -> u64 {
    let url = url.to_owned();
    let name = name.to_owned();
    // A store of its own, off the test's runtime.
    std::thread::spawn(move || {
        let mut store = PgStore::connect(&url).unwrap_or_else(|e| panic!("{e}"));
        store.wins_of(&name).unwrap_or_else(|e| panic!("{e}"))
    })
    .join()
    .unwrap_or_else(|_| panic!("the reading thread panicked"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_win_while_postgres_restarts_is_held_then_committed_once() {
    let Some(pg) = PrivatePostgres::create() else {
        return;
    };
    let url = pg.url();
    let store = {
        let url = url.clone();
        std::thread::spawn(move || PgStore::connect(&url))
            .join()
            .unwrap_or_else(|_| panic!("panicked"))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let server = TestServer::start_with_store(|c| c, Box::new(store)).await;
    let (mut me, _, _) = server.player().await;
    me.send("/name Ann").await;
    me.until("* You are now known as").await;
    let won = me.play_round(20).await;
    assert!(won.is_some(), "alone in the room, Ann wins");
    me.until("Round 2").await;
    assert_eq!(wins(&url, "Ann"), 1);

    pg.stop();
    let secret = common::find_secret(&mut me).await;
    me.send(&secret.to_string()).await;
    // The session still answers; the room says nothing: the win is held, not announced.
    me.send("/help").await;
    assert_eq!(
        me.line().await,
        "Commands:",
        "announced while the database is down"
    );
    me.until("Anything else").await;

    pg.start();
    let (correct, _) = me.until("Correct!").await;
    assert!(
        correct.contains(&format!("{secret} was the number")),
        "{correct}"
    );
    let next = me.line().await;
    assert!(next.starts_with("Round 3"), "no storage error: {next}");
    assert_eq!(wins(&url, "Ann"), 2, "committed once, after the restart");
    assert!(server.shutdown().await.is_ok());
}
