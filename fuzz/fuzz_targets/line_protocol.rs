//! The whole line protocol on arbitrary bytes: framing (cut into arbitrary chunks), then every
//! line through the command parser, the game's move parser and the text cleaners. Nothing may
//! panic, no line may exceed the limit, nothing cleaned may keep a control character.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use referee_protocol::command;
use referee_protocol::framing::LineFramer;
use referee_protocol::text;
use referee_rules::{Game, GuessNumber};

const MAX: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&chunking, input)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunking % 64) + 1;
    let mut framer = LineFramer::new(MAX);
    let mut buf = BytesMut::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match framer.next_line(&mut buf) {
                Ok(Some(line)) => check_line(&line),
                Ok(None) => break,
                Err(err) if err.is_fatal() => return,
                Err(_) => {}
            }
        }
    }
    if let Ok(Some(line)) = framer.last_line(&mut buf) {
        check_line(&line);
    }
});

fn check_line(line: &str) {
    assert!(line.len() <= MAX, "a line over the limit got through");
    let _ = command::parse(line);
    let _ = GuessNumber::parse_action(line);
    assert!(!text::sanitize(line).chars().any(char::is_control));
    if let Ok(chat) = text::chat(line) {
        assert!(!chat.chars().any(char::is_control));
    }
    if let Ok(name) = text::name(line) {
        assert!(!name.is_empty() && !name.chars().any(char::is_control));
    }
}
