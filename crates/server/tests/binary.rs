//! The `referee` binary itself: it serves on the address it is given, and on SIGTERM it
//! says goodbye to every player and exits with status 0.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::Client;

/// Reads the child's stderr until the "listening" line and returns the address in it.
fn listening_address(stderr: &mut impl BufRead) -> SocketAddr {
    let mut line = String::new();
    for _ in 0..50 {
        line.clear();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(at) = line.find("addr=") {
            let addr = line[at + 5..].trim().trim_matches('"');
            if let Ok(addr) = addr.parse() {
                return addr;
            }
        }
    }
    panic!("the server never said where it listens (last line: {line})");
}

#[tokio::test]
async fn sigterm_says_goodbye_to_every_player_and_exits_zero() {
    let mut child = match Command::new(env!("CARGO_BIN_EXE_referee"))
        .args(["serve", "--tcp", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => panic!("cannot start the binary: {err}"),
    };
    let mut stderr = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    let addr = listening_address(&mut stderr);
    let mut players = Vec::new();
    for _ in 0..3 {
        let mut player = Client::connect(addr).await;
        player.greeting().await;
        players.push(player);
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|status| status.success()));
    for player in &mut players {
        let rest = player.until_closed().await;
        assert_eq!(
            rest.last().map(String::as_str),
            Some("The server is shutting down. Goodbye!")
        );
    }
    let status = tokio::task::spawn_blocking(move || child.wait()).await;
    assert!(
        matches!(status, Ok(Ok(status)) if status.success()),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error_and_a_failure_status() {
    let taken = match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(listener) => listener,
        Err(err) => panic!("{err}"),
    };
    let addr = taken
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let output = Command::new(env!("CARGO_BIN_EXE_referee"))
        .args(["serve", "--tcp", &addr])
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) => panic!("{err}"),
    };
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("referee: cannot listen on {addr}")),
        "{stderr}"
    );
}
