//! A real WebSocket client (tokio-tungstenite) for the JSON protocol: tests send requests and
//! read the server's messages as JSON values.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TIMEOUT;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the server sent, when it was not a JSON text message.
#[derive(Debug)]
pub enum Received {
    Json(Value),
    Closed(Option<CloseFrame>),
}

/// A WebSocket player.
pub struct WsClient {
    socket: Socket,
    next_id: u64,
    /// The welcome message.
    pub welcome: Value,
}

impl WsClient {
    /// Connects to `http` as the player of `token`, naming `room` (`/ws?token=…&room=…`).
    pub async fn come_back(http: SocketAddr, token: &str, room: u64) -> WsClient {
        WsClient::connect(http, Some(&format!("{token}&room={room}"))).await
    }

    /// Reads until the error notice; the messages read meanwhile must not seat the player.
    pub async fn refusal(&mut self) -> Value {
        let (error, before) = self.until(|m| m["type"] == "error").await;
        assert!(
            before.iter().all(|m| m["type"] != "joined"),
            "seated: {before:?}"
        );
        error
    }

    /// Connects to `/ws` (with `?token=` if given) and reads the welcome.
    pub async fn connect(http: SocketAddr, token: Option<&str>) -> Self {
        let mut client = Self::connect_raw(http, token).await;
        client.welcome = client.expect("welcome").await;
        client
    }

    /// Connects without reading anything.
    pub async fn connect_raw(http: SocketAddr, token: Option<&str>) -> Self {
        let url = match token {
            Some(token) => format!("ws://{http}/ws?token={token}"),
            None => format!("ws://{http}/ws"),
        };
        let connected = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url));
        let socket = match connected.await {
            Ok(Ok((socket, _response))) => socket,
            Ok(Err(err)) => panic!("cannot open a websocket to {http}: {err}"),
            Err(_) => panic!("no websocket within {TIMEOUT:?}"),
        };
        WsClient {
            socket,
            next_id: 0,
            welcome: Value::Null,
        }
    }

    /// This player's number, from the welcome.
    pub fn player(&self) -> u64 {
        self.welcome["player"]
            .as_u64()
            .unwrap_or_else(|| panic!("no player in {}", self.welcome))
    }

    /// This player's token, from the welcome.
    pub fn token(&self) -> String {
        self.welcome["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {}", self.welcome))
            .to_owned()
    }

    /// Sends any message.
    pub async fn send_message(&mut self, message: Message) {
        if !self.try_send_message(message).await {
            panic!("cannot send: the connection is gone");
        }
    }

    /// Sends any message; `false` if the connection is gone.
    pub async fn try_send_message(&mut self, message: Message) -> bool {
        self.socket.send(message).await.is_ok()
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: &str) {
        self.send_message(Message::text(text)).await;
    }

    /// Sends a request `{"v":1,"id":…,"op":op, …fields}` and returns its id.
    pub async fn request(&mut self, op: &str, fields: Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let mut request = json!({"v": 1, "id": id, "op": op});
        if let (Some(request), Some(fields)) = (request.as_object_mut(), fields.as_object()) {
            request.extend(fields.clone());
        }
        self.send_text(&request.to_string()).await;
        id
    }

    /// The next thing the server sent (pings and pongs skipped).
    pub async fn receive(&mut self) -> Received {
        loop {
            let next = match tokio::time::timeout(TIMEOUT, self.socket.next()).await {
                Ok(next) => next,
                Err(_) => panic!("no message within {TIMEOUT:?}"),
            };
            match next {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|err| panic!("not JSON: {text}: {err}"));
                    assert_eq!(value["v"], 1, "every message has the version: {value}");
                    assert!(value["text"].is_string(), "every message has text: {value}");
                    return Received::Json(value);
                }
                Some(Ok(Message::Close(frame))) => return Received::Closed(frame),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(other)) => panic!("unexpected message: {other:?}"),
                None | Some(Err(_)) => return Received::Closed(None),
            }
        }
    }

    /// The next JSON message; fails the test if the connection closed.
    pub async fn next(&mut self) -> Value {
        match self.receive().await {
            Received::Json(value) => value,
            Received::Closed(frame) => panic!("the server closed the connection: {frame:?}"),
        }
    }

    /// Reads until a message of type `kind`; returns it.
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.until(|m| m["type"] == kind).await.0
    }

    /// Reads until a message matches; returns it and the messages skipped.
    pub async fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let mut skipped = Vec::new();
        loop {
            let message = self.next().await;
            if wanted(&message) {
                return (message, skipped);
            }
            skipped.push(message);
        }
    }

    /// Reads until the message answering request `id`; returns it.
    pub async fn reply(&mut self, id: u64) -> Value {
        self.until(|m| m["re"] == id).await.0
    }

    /// Reads until the connection closes; returns the close frame and the messages before it.
    pub async fn until_closed(&mut self) -> (Option<CloseFrame>, Vec<Value>) {
        let mut messages = Vec::new();
        loop {
            match self.receive().await {
                Received::Json(value) => messages.push(value),
                Received::Closed(frame) => return (frame, messages),
            }
        }
    }

    /// Quick match; returns the `joined` message (the `state` after it is read too).
    pub async fn play(&mut self) -> Value {
        let id = self.request("play", json!({})).await;
        let joined = self.reply(id).await;
        assert_eq!(joined["type"], "joined", "{joined}");
        let state = self.reply(id).await;
        assert_eq!(state["type"], "state", "{state}");
        joined
    }

    /// Joins a room by number or code; returns the reply.
    pub async fn join(&mut self, room: &str) -> Value {
        let id = self.request("join", json!({"room": room})).await;
        self.reply(id).await
    }

    /// Plays the current round by binary search until this player wins it or hears that
    /// someone else did. Returns `Some(round)` if this player won.
    pub async fn play_round(&mut self, max: u64) -> Option<u64> {
        let me = self.player();
        let (mut low, mut high) = (0_i64, i64::try_from(max).unwrap_or(20) - 1);
        loop {
            let guess = (low + high) / 2;
            let id = self.request("guess", json!({"value": guess})).await;
            loop {
                let message = self.next().await;
                let event = &message["event"];
                if message["type"] == "event" && event["type"] == "won" {
                    return (event["player"] == me).then(|| event["round"].as_u64().unwrap_or(0));
                }
                if message["type"] == "rejected" && message["re"] == id {
                    return None;
                }
                if message["type"] == "event" && event["type"] == "hint" && message["re"] == id {
                    if event["hint"] == "higher" {
                        low = guess + 1;
                    } else {
                        high = guess - 1;
                    }
                    break;
                }
            }
        }
    }

    /// Closes the connection abruptly (no close frame): a dropped network.
    pub fn drop_connection(self) {
        drop(self);
    }

    /// Closes the connection cleanly, as a page does when it reloads.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
