//! The Colyseus wire on bytes captured from the real server (`benches/colyseus/server.mjs`
//! on `@colyseus/core` 0.18.17, read with the `ws` package) and on what it must refuse.

use serde_json::json;

use super::frame::{self, Frame, FrameError};
use super::matchmake;
use super::msgpack::{self, DecodeError};
use crate::bot::json::Codec;
use crate::bot::{Answer, Brain, Heard};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// `JOIN_ROOM`: reconnection token `hsMaLIuBK`, serializer `none`, no handshake.
const JOIN_ROOM: &str = "0a0968734d614c4975424b046e6f6e6500";

/// `ROOM_DATA` "m": the `state` sent on joining (round 1, max 20, a commitment).
const STATE: &str = "0da16dde0005a17601a2726501a474797065a57374617465a476696577de0005a5726f756e6401a36d617814a6706f696e747300b2677565737365735f746869735f726f756e6400aa636f6d6d69746d656e74d94032313638623333626637376166663638633631366461643862326465643763336430353237623934333232323963363938373636653638626364336631353531a474657874d972526f756e6420313a2067756573732061206e756d6265722066726f6d203020746f2031392e20436f6d6d69746d656e743a2032313638623333626637376166663638633631366461643862326465643763336430353237623934333232323963363938373636653638626364336631353531";

/// `ROOM_DATA` "m": the answer to guess id 2 (9): `hint` `lower`.
const HINT: &str = "0da16dde0007a17601a2726502a474797065a56576656e74a5726f756e6401a36e6f77cd185fa56576656e74de0005a474797065a468696e74a5726f756e6401a6706c6179657201a576616c756509a468696e74a56c6f776572a474657874d9214c6f7765722120546865206e756d626572206973206c657373207468616e20392e";

/// The guess `{"v":1,"id":2,"op":"guess","value":9}` as msgpackr packs it (map16), which
/// the server took and answered with [`HINT`].
const GUESS_BY_MSGPACKR: &str =
    "0da56775657373de0004a17601a2696402a26f70a56775657373a576616c756509";

#[test]
fn join_room_is_recognised_and_confirmed_with_its_code() {
    let parsed = frame::parse(&hex(JOIN_ROOM)).unwrap();
    assert_eq!(
        parsed,
        Frame::JoinRoom {
            serializer: "none".into()
        }
    );
    assert_eq!(frame::join_ack(), vec![10]);
    assert_eq!(frame::leave(), vec![12]);
}

#[test]
fn the_captured_state_starts_the_bots_search() {
    let Frame::Data { kind, message } = frame::parse(&hex(STATE)).unwrap() else {
        panic!("not data");
    };
    assert_eq!(kind, json!("m"));
    let message = message.unwrap();
    assert_eq!(message["view"]["max"], json!(20));
    let mut codec = Codec::new();
    let heard = codec.heard_value(&message);
    assert_eq!(
        heard,
        Heard::Round {
            round: 1,
            min: 0,
            max: 19
        }
    );
    assert_eq!(Brain::new().on_heard(heard).send, Some(9));
}

#[test]
fn the_captured_hint_answers_the_outstanding_guess() {
    let mut codec = Codec::new();
    codec.guess_id(); // 1: the ids the bot's first two requests take
    assert_eq!(codec.guess_id(), 2);
    let Frame::Data {
        message: Some(message),
        ..
    } = frame::parse(&hex(HINT)).unwrap()
    else {
        panic!("not data");
    };
    assert_eq!(message["now"], json!(6239)); // uint16
    assert_eq!(codec.heard_value(&message), Heard::Answer(Answer::Lower));
    assert_eq!(codec.outstanding(), None);
}

#[test]
fn the_guess_frame_carries_what_msgpackr_packs() {
    let ours = frame::guess(2, 9).unwrap();
    let theirs = hex(GUESS_BY_MSGPACKR);
    assert_eq!(&ours[..7], &theirs[..7], "code and type");
    // the same entries in the same order, under a fixmap where msgpackr writes a map16
    assert_eq!((ours[7], &theirs[7..10]), (0x84, &[0xde, 0, 4][..]));
    assert_eq!(&ours[8..], &theirs[10..]);
    let decoded = |bytes: &[u8]| msgpack::decode(&bytes[7..]).unwrap().0;
    assert_eq!(decoded(&ours), decoded(&theirs));
    assert_eq!(
        decoded(&ours),
        json!({"v": 1, "id": 2, "op": "guess", "value": 9})
    );
}

/// The bytes `value` packs into.
fn packed<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    msgpack::encode(&mut out, value).unwrap();
    out
}

#[test]
fn integers_of_every_width_decode() {
    for (value, width) in [
        (0_u64, 1),
        (127, 1),
        (128, 2),
        (255, 2),
        (256, 3),
        (65_535, 3),
        (65_536, 5),
        (u32::MAX.into(), 5),
        (u64::MAX, 9),
    ] {
        let out = packed(&value);
        assert_eq!(out.len(), width, "{value} in its shortest form");
        assert_eq!(msgpack::decode(&out).unwrap(), (json!(value), width));
    }
    assert_eq!(msgpack::decode(&[0xff]).unwrap().0, json!(-1));
    assert_eq!(msgpack::decode(&[0xd0, 0x80]).unwrap().0, json!(-128));
    assert_eq!(msgpack::decode(&[0xd1, 0xff, 0x00]).unwrap().0, json!(-256));
    let half = [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0];
    assert_eq!(msgpack::decode(&half).unwrap().0, json!(0.5));
    let half32 = [0xca, 0x3f, 0, 0, 0];
    assert_eq!(msgpack::decode(&half32).unwrap().0, json!(0.5));
}

#[test]
fn strings_of_every_width_decode() {
    for (len, header) in [(0, 1), (31, 1), (32, 2), (255, 2), (256, 3), (65_536, 5)] {
        let text = "x".repeat(len);
        let out = packed(&text);
        assert_eq!(out.len(), header + len);
        assert_eq!(msgpack::decode(&out).unwrap(), (json!(text), out.len()));
    }
}

#[test]
fn decoding_stops_at_the_end_of_the_first_value() {
    let mut bytes = packed("m");
    bytes.extend_from_slice(&[0xde, 0, 1, 0xa1, b'a', 0x01, 0xc0]);
    assert_eq!(msgpack::decode(&bytes).unwrap(), (json!("m"), 2));
    let rest = &bytes[2..];
    assert_eq!(msgpack::decode(rest).unwrap(), (json!({"a": 1}), 6));
    assert_eq!(msgpack::decode(&rest[6..]).unwrap(), (json!(null), 1));
}

/// `depth` arrays, each holding the next, around a 0.
fn nested(depth: usize) -> Vec<u8> {
    let mut bytes = vec![0x91; depth];
    bytes.push(0x00);
    bytes
}

#[test]
fn nesting_is_taken_up_to_the_limit_and_refused_past_it() {
    let deepest = msgpack::decode(&nested(msgpack::MAX_DEPTH)).unwrap();
    assert_eq!(deepest.1, msgpack::MAX_DEPTH + 1);
    assert_eq!(
        msgpack::decode(&nested(msgpack::MAX_DEPTH + 1)),
        Err(DecodeError::TooDeep)
    );
    // far past it, as a hostile server would: refused, and no stack overflow
    assert_eq!(msgpack::decode(&nested(100_000)), Err(DecodeError::TooDeep));
    let maps = [0x81, 0xa1, b'k'].repeat(100_000);
    assert_eq!(msgpack::decode(&maps), Err(DecodeError::TooDeep));
}

#[test]
fn bad_msgpack_is_refused_not_panicked_on() {
    assert_eq!(msgpack::decode(&[]), Err(DecodeError::Truncated));
    assert_eq!(msgpack::decode(&[0xa5, b'a']), Err(DecodeError::Truncated));
    assert_eq!(msgpack::decode(&[0xcd, 0x01]), Err(DecodeError::Truncated));
    // lengths claiming far more than is there allocate for nothing and fail
    assert_eq!(
        msgpack::decode(&[0xde, 0xff, 0xff]),
        Err(DecodeError::Truncated)
    );
    for claims_4_gib in [
        [0xdb, 0xff, 0xff, 0xff, 0xff],
        [0xdd, 0xff, 0xff, 0xff, 0xff],
    ] {
        assert_eq!(msgpack::decode(&claims_4_gib), Err(DecodeError::Truncated));
    }
    let invalid = |bytes: &[u8]| matches!(msgpack::decode(bytes), Err(DecodeError::Invalid(_)));
    assert!(invalid(&[0xc4, 1, 0]), "binary");
    assert!(invalid(&[0xd4, 1, 0]), "fixext 1");
    assert!(invalid(&[0xc7, 1, 1, 0]), "ext 8");
    assert!(invalid(&[0xc1]), "reserved format byte");
    assert!(invalid(&[0x81, 1, 1]), "integer map key");
    assert!(invalid(&[0xa1, 0xff]), "not UTF-8");
    // JSON has no NaN: serde_json makes it null
    let nan = [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0];
    assert_eq!(msgpack::decode(&nan).unwrap(), (json!(null), 9));
}

#[test]
fn bad_frames_are_refused() {
    assert_eq!(frame::parse(&[]), Err(FrameError::Empty));
    assert_eq!(frame::parse(&[10, 9, b'a']), Err(FrameError::ShortJoin));
    assert_eq!(frame::parse(&[13, 0xda, 0, 1]), Err(FrameError::Type(0xda)));
    assert!(matches!(
        frame::parse(&[13, 0xa1, b'm', 0xa5]),
        Err(FrameError::Content(_))
    ));
    assert_eq!(frame::parse(&[18]), Ok(Frame::Ping));
    assert_eq!(frame::parse(&[15, 1, 2]), Ok(Frame::Other(15)));
}

#[test]
fn an_error_frame_counts_as_an_error_answer() {
    let mut bytes = vec![11, 0xcd, 0x10, 0x02];
    msgpack::encode(&mut bytes, "bad").unwrap();
    let Frame::Error { code, message } = frame::parse(&bytes).unwrap() else {
        panic!("not an error");
    };
    assert_eq!((code, message), (json!(4098), json!("bad")));
    let mut codec = Codec::new();
    codec.guess_id();
    let heard = codec.heard_value(&json!({"type": "error"}));
    assert_eq!(heard, Heard::Answer(Answer::Error));
}

#[test]
fn matchmaking_asks_join_or_create_with_the_feed_option() {
    let request = matchmake::request("127.0.0.1:2567".parse().unwrap(), "guess", false);
    assert!(request.starts_with("POST /matchmake/joinOrCreate/guess HTTP/1.1\r\n"));
    assert!(request.contains("Content-Length: 14\r\n"));
    assert!(request.ends_with("\r\n\r\n{\"feed\":false}"));
}

#[test]
fn the_captured_reservation_gives_the_rooms_path() {
    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 84\r\n\
                  Connection: close\r\n\r\n\
                  {\"name\":\"guess\",\"sessionId\":\"K6KKu-WyK\",\"roomId\":\"NTyOwnf4Y\",\"processId\":\"IT-Alav_X\"}";
    let seat = matchmake::reservation(answer.as_bytes()).unwrap();
    assert_eq!(seat.path(), "/IT-Alav_X/NTyOwnf4Y?sessionId=K6KKu-WyK");
}

#[test]
fn a_refused_reservation_is_an_error_naming_the_status() {
    let answer = b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}";
    let error = matchmake::reservation(answer).unwrap_err();
    assert!(error.to_string().contains("404"), "{error}");
    assert!(matchmake::reservation(b"HTTP/1.1 200 OK\r\n").is_err());
    assert!(matchmake::reservation(b"HTTP/1.1 200 OK\r\n\r\n{\"roomId\":1}").is_err());
}
