//! The WebSocket echo: the least a JSON server can do that keeps the bots playing.
//!
//! The line echo answers a guess line with the same line, which a line bot counts as its
//! answer. Here a text message `{"v":1,"id":N,"op":"guess","value":V}` is parsed and
//! answered, like the real server answers a guess, with one own `hint` event carrying
//! `"re": N`:
//!
//! ```text
//! {"v":1,"re":N,"type":"event","round":1,"event":{"type":"hint","round":1,"player":0,"value":V,"hint":"higher"},"text":"Higher! The number is more than V."}
//! ```
//!
//! Anything else gets an `error` (`bad_request`, `unknown_op`, `not_text`). No `welcome`, no
//! rooms: a bot measuring the echo guesses from the first message on.
//!
//! The envelope is written here from `docs/protocol.md`, not taken from `referee-protocol`:
//! the load generator is a client independent of the server's crates (they are only its
//! dev-dependencies, for tests that hold its codec to the real one), so that a drift between
//! the document and the server shows up instead of being shared.

use std::borrow::Cow;

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_tungstenite::accept_async_with_config;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::ws;

/// The part of a request the echo reads.
#[derive(Deserialize)]
struct Request<'a> {
    id: Option<u64>,
    #[serde(borrow)]
    op: Option<Cow<'a, str>>,
    value: Option<serde_json::Value>,
}

/// A server message: version, the request it answers, its body, its text.
#[derive(Serialize)]
struct Envelope<'a, B> {
    v: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    re: Option<u64>,
    #[serde(flatten)]
    body: B,
    text: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body<'a> {
    Event { round: u64, event: Hint },
    Error { code: &'a str, message: &'a str },
}

/// Guess-the-number's `hint` event.
#[derive(Serialize)]
#[serde(tag = "type", rename = "hint")]
struct Hint {
    round: u64,
    player: u64,
    value: u64,
    hint: &'static str,
}

/// The echo's answer to one text message.
pub fn answer(text: &str) -> String {
    let request = match serde_json::from_str::<Request<'_>>(text) {
        Ok(request) => request,
        Err(_) => return error(None, "bad_request", "not a JSON request"),
    };
    match request.op.as_deref() {
        Some("guess") => hint(request.id, value(request.value.as_ref())),
        Some(_) => error(
            request.id,
            "unknown_op",
            "the echo server only answers guesses",
        ),
        None => error(request.id, "bad_request", "a request needs an \"op\""),
    }
}

/// The number a guess names: a JSON number, or the number that starts a string (`"7 @3"`).
fn value(value: Option<&serde_json::Value>) -> u64 {
    match value {
        Some(serde_json::Value::Number(number)) => number.as_u64().unwrap_or(0),
        Some(serde_json::Value::String(text)) => {
            let digits = text.split(|c: char| !c.is_ascii_digit()).next();
            digits.and_then(|digits| digits.parse().ok()).unwrap_or(0)
        }
        _ => 0,
    }
}

fn hint(re: Option<u64>, value: u64) -> String {
    let text = format!("Higher! The number is more than {value}.");
    let event = Hint {
        round: 1,
        player: 0,
        value,
        hint: "higher",
    };
    let body = Body::Event { round: 1, event };
    encode(re, body, &text)
}

fn error(re: Option<u64>, code: &str, message: &str) -> String {
    let text = format!("error: {message}");
    encode(re, Body::Error { code, message }, &text)
}

fn encode(re: Option<u64>, body: Body<'_>, text: &str) -> String {
    let envelope = Envelope {
        v: 1,
        re,
        body,
        text,
    };
    serde_json::to_string(&envelope).unwrap_or_default()
}

/// Serves one WebSocket connection until the client closes it.
pub(super) async fn connection(stream: TcpStream) {
    if let Err(error) = serve(stream).await {
        tracing::debug!(%error, "WebSocket echo connection ended");
    }
}

async fn serve(stream: TcpStream) -> Result<(), WsError> {
    stream.set_nodelay(true)?;
    let mut socket = accept_async_with_config(stream, Some(ws::config())).await?;
    while let Some(message) = socket.next().await {
        let reply = match message? {
            Message::Text(text) => answer(text.as_str()),
            Message::Binary(_) => error(None, "not_text", "the protocol is text"),
            // Pings are answered by tungstenite; a close is answered and ends the stream.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => {
                continue;
            }
        };
        socket.send(Message::text(reply)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_guess_gets_an_own_hint_carrying_its_id() {
        let reply = json(&answer(r#"{"v":1,"id":42,"op":"guess","value":10}"#));
        assert_eq!(reply["v"], 1);
        assert_eq!(reply["re"], 42);
        assert_eq!(reply["type"], "event");
        assert_eq!(reply["event"]["type"], "hint");
        assert_eq!(reply["event"]["value"], 10);
        assert_eq!(reply["event"]["hint"], "higher");
        assert_eq!(reply["text"], "Higher! The number is more than 10.");
    }

    #[test]
    fn a_guess_naming_its_round_is_answered_too() {
        let reply = json(&answer(r#"{"id":3,"op":"guess","value":"7 @3"}"#));
        assert_eq!(
            (reply["re"].as_u64(), reply["event"]["value"].as_u64()),
            (Some(3), Some(7))
        );
    }

    #[test]
    fn anything_else_gets_an_error() {
        let cases = [
            ("nonsense", "bad_request", None),
            (r#"{"id":1}"#, "bad_request", Some(1)),
            (r#"{"id":2,"op":"play"}"#, "unknown_op", Some(2)),
        ];
        for (text, code, re) in cases {
            let reply = json(&answer(text));
            assert_eq!(reply["type"], "error", "{text}");
            assert_eq!(reply["code"], code, "{text}");
            assert_eq!(reply["re"].as_u64(), re, "{text}");
        }
    }

    #[test]
    fn an_echo_bot_hears_the_echo_as_the_answer_to_its_guess() {
        use crate::bot::json::Codec;
        use crate::bot::{Answer, Brain, ECHO_GUESS};
        let (mut brain, mut codec) = (Brain::echo(), Codec::new());
        let mut guess = brain.start();
        for _ in 0..3 {
            let reply = answer(&codec.guess(guess.unwrap()));
            let reaction = brain.on_heard(codec.heard(&reply));
            assert_eq!(reaction.answer, Some(Answer::Echo));
            assert_eq!(reaction.send, Some(ECHO_GUESS));
            guess = reaction.send;
        }
    }
}
