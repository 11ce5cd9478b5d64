//! `--transport colyseus` end to end on 127.0.0.1, without Node: a fake Colyseus room
//! (HTTP `joinOrCreate`, then the room's WebSocket: `JOIN_ROOM`, confirmation, binary
//! frames with msgpack) with a fixed secret, played by the real bots; and `--server-pid`
//! sampling this very process (the fake server runs in it).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{args, within};
use futures_util::{SinkExt, StreamExt};
use referee_load::colyseus::msgpack;
use referee_load::{Mode, Report, RunReport, Transport, run};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

/// The secret of every round: the bots find it in a few guesses.
const SECRET: u64 = 7;

/// `JOIN_ROOM` as the real server sends it (captured: token `hsMaLIuBK`, serializer `none`).
const JOIN_ROOM: [u8; 17] = [
    0x0a, 0x09, b'h', b's', b'M', b'a', b'L', b'I', b'u', b'B', b'K', 0x04, b'n', b'o', b'n', b'e',
    0x00,
];

/// What the fake saw: seats confirmed, leaves, and the feed options asked for.
#[derive(Default)]
struct Seen {
    confirmed: AtomicU64,
    left: AtomicU64,
    declined_feed: AtomicU64,
}

/// A value as msgpack (the subset the room's messages use), like msgpackr's output.
fn pack(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => msgpack::encode(out, &n.as_u64().unwrap()).unwrap(),
        Value::String(s) => msgpack::encode(out, s).unwrap(),
        Value::Array(_) => unimplemented!("no arrays in these messages"),
        Value::Object(map) => {
            out.push(0xde); // map16, as msgpackr writes it
            out.extend_from_slice(&(map.len() as u16).to_be_bytes());
            for (key, item) in map {
                msgpack::encode(out, key).unwrap();
                pack(item, out);
            }
        }
    }
}

/// `ROOM_DATA` of type `m` carrying `message`.
fn data(message: Value) -> Message {
    let mut out = vec![13];
    msgpack::encode(&mut out, "m").unwrap();
    pack(&message, &mut out);
    Message::binary(out)
}

async fn start_fake_colyseus() -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let shared = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, Arc::clone(&shared)));
        }
    });
    (addr, seen)
}

/// Matchmaking (a POST) or a room's WebSocket (a GET), told apart by the first bytes.
async fn serve(stream: TcpStream, seen: Arc<Seen>) {
    let mut first = [0; 4];
    if stream.peek(&mut first).await.unwrap_or(0) < 4 {
        return;
    }
    if &first == b"POST" {
        matchmake(stream, &seen).await;
    } else {
        room(stream, &seen).await;
    }
}

async fn matchmake(mut stream: TcpStream, seen: &Seen) {
    let mut request = vec![0; 4096];
    let mut len = 0;
    while !String::from_utf8_lossy(&request[..len]).contains('}') {
        let read = stream.read(&mut request[len..]).await.unwrap();
        assert!(read > 0, "request cut short");
        len += read;
    }
    let request = String::from_utf8_lossy(&request[..len]).into_owned();
    assert!(request.starts_with("POST /matchmake/joinOrCreate/guess HTTP/1.1\r\n"));
    if request.ends_with(r#"{"feed":false}"#) {
        seen.declined_feed.fetch_add(1, Ordering::Relaxed);
    }
    let body = r#"{"name":"guess","sessionId":"s1","roomId":"r1","processId":"p1"}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await.unwrap();
}

async fn room(stream: TcpStream, seen: &Seen) {
    let mut ws = tokio_tungstenite::accept_hdr_async(stream, check_path)
        .await
        .unwrap();
    ws.send(Message::binary(JOIN_ROOM.to_vec())).await.unwrap();
    let mut round = 1;
    while let Some(Ok(message)) = ws.next().await {
        let Message::Binary(bytes) = message else {
            continue;
        };
        let replies = match bytes[0] {
            10 => {
                seen.confirmed.fetch_add(1, Ordering::Relaxed);
                vec![json!({"v":1,"re":1,"type":"state","view":{"round":round,"max":20}})]
            }
            12 => {
                seen.left.fetch_add(1, Ordering::Relaxed);
                return;
            }
            13 => answer(&bytes, &mut round),
            other => panic!("unexpected code {other}"),
        };
        for reply in replies {
            ws.send(data(reply)).await.unwrap();
        }
    }
}

/// The bot's WebSocket goes where the reservation said. (The callback's type is
/// tungstenite's, large error and all.)
#[allow(clippy::result_large_err)]
fn check_path(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    assert_eq!(request.uri().to_string(), "/p1/r1?sessionId=s1");
    Ok(response)
}

/// The answers to a guess frame: a hint, or the win and the next round.
fn answer(bytes: &[u8], round: &mut u64) -> Vec<Value> {
    assert_eq!(&bytes[1..7], b"\xa5guess");
    let (guess, _) = msgpack::decode(&bytes[7..]).unwrap();
    let (id, value) = (
        guess["id"].as_u64().unwrap(),
        guess["value"].as_u64().unwrap(),
    );
    if value == SECRET {
        *round += 1;
        let won = json!({"type":"won","round":*round - 1,"player":1,"secret":SECRET});
        let started = json!({"type":"round_started","round":*round,"max":20});
        return vec![
            json!({"v":1,"re":id,"type":"event","round":*round,"event":won}),
            json!({"v":1,"type":"event","round":*round,"event":started}),
        ];
    }
    let hint = if value < SECRET { "higher" } else { "lower" };
    let event = json!({"type":"hint","round":*round,"player":1,"value":value,"hint":hint});
    vec![json!({"v":1,"re":id,"type":"event","round":*round,"event":event})]
}

fn single(report: Report) -> RunReport {
    match report {
        Report::Run(run) => *run,
        Report::Compare(_) => panic!("expected a single phase"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colyseus_bots_take_their_seats_win_rounds_and_leave() {
    let (addr, seen) = start_fake_colyseus().await;
    let addr = addr.to_string();
    let pid = std::process::id().to_string();
    let options = [
        "--transport",
        "colyseus",
        "--addr",
        &addr,
        "--clients",
        "5",
        "--duration",
        "0.5",
        "--no-feed",
        "--server-pid",
        &pid,
    ];
    let report = single(within(run(args(&options))).await.unwrap());

    assert_eq!(
        (report.mode, report.transport),
        (Mode::Server, Transport::Colyseus)
    );
    assert_eq!((report.connected, report.errors), (5, 0), "{report}");
    assert!(report.rounds_won > 0, "{report}");
    assert!(report.guesses > report.rounds_won, "{report}");
    assert_eq!(seen.confirmed.load(Ordering::Relaxed), 5);
    assert_eq!(seen.declined_feed.load(Ordering::Relaxed), 5);
    assert_eq!(seen.left.load(Ordering::Relaxed), 5, "bots say LEAVE_ROOM");

    let usage = report
        .server_usage
        .expect("--server-pid samples the server");
    assert_eq!(usage.pid, std::process::id());
    assert!(usage.window_guesses > 0 && usage.window_guesses <= report.guesses);
    assert!(usage.rss_kib > 0, "{usage:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_server_pid_nothing_is_sampled() {
    let (addr, _seen) = start_fake_colyseus().await;
    let addr = addr.to_string();
    let options = [
        "--transport",
        "colyseus",
        "--addr",
        &addr,
        "--clients",
        "2",
        "--duration",
        "0.3",
    ];
    let report = single(within(run(args(&options))).await.unwrap());
    assert_eq!(report.connected, 2, "{report}");
    assert_eq!(report.server_usage, None);
    assert!(!report.to_string().contains("server usage"));
}
