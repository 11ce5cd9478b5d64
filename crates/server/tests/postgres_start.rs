//! The real binary with `--db postgres://…`: an unreachable database stops the start-up with
//! an error naming the URL without its password; a reachable one is used, and its password
//! appears nowhere — not in the log, `/api/status` or `/metrics`.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Command, Stdio};

use referee_store::pg_testing::TestSchema;

const PASSWORD: &str = "hunter2-secret";

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(1);
    drop(listener);
    port
}

fn referee() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_referee"));
    command
        .args(["serve", "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1");
    command
}

#[test]
fn an_unreachable_database_stops_the_start_with_the_url_but_not_the_password() {
    for scheme in ["postgres", "postgresql"] {
        let url = format!(
            "{scheme}://referee:{PASSWORD}@127.0.0.1:{}/referee",
            closed_port()
        );
        let output = referee()
            .args(["--db", &url])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run the server: {e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(
            stderr.contains("cannot reach PostgreSQL at")
                && stderr.contains(&format!("{scheme}://referee@127.0.0.1:")),
            "{stderr}"
        );
        assert!(!stderr.contains(PASSWORD), "the password leaked: {stderr}");
        assert!(
            !stderr.contains("listening"),
            "no port was opened: {stderr}"
        );
    }
}

/// `GET path` on `addr`, the whole response as text.
fn get(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[test]
fn the_password_appears_in_no_log_status_or_metric() {
    let Some(pg) = TestSchema::create("password").unwrap_or_else(|e| panic!("{e}")) else {
        return;
    };
    // Trust authentication takes any password: the URL carries one all the same.
    let url = pg
        .url()
        .replacen("://postgres@", &format!("://postgres:{PASSWORD}@"), 1);
    assert!(url.contains(PASSWORD), "{url}");
    let url = format!("{url}?options=-c%20search_path%3D{}", pg.schema());
    let mut child = referee()
        .args(["--db", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the server: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut log = BufReader::new(stderr);
    let mut seen = Vec::new();
    let mut line = String::new();
    let mut http = None;
    while http.is_none() && log.read_line(&mut line).unwrap_or(0) > 0 {
        if line.contains("serving the web page") {
            http = line
                .split("addr=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|addr| addr.parse::<std::net::SocketAddr>().ok());
        }
        seen.push(std::mem::take(&mut line));
    }
    let http = http.unwrap_or_else(|| panic!("no HTTP address in {seen:?}"));
    let status = get(http, "/api/status");
    let metrics = get(http, "/metrics");
    let _ = child.kill();
    let _ = child.wait();
    let mut rest = String::new();
    let _ = log.read_to_string(&mut rest);
    let log = seen.concat() + &rest;
    assert!(log.contains("results are saved in PostgreSQL"), "{log}");
    assert!(status.contains("200 OK"), "{status}");
    for (what, text) in [("log", &log), ("status", &status), ("metrics", &metrics)] {
        assert!(
            !text.contains(PASSWORD),
            "the password is in the {what}: {text}"
        );
    }
}
