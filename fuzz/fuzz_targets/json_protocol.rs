//! The JSON protocol on arbitrary text: every message is read as a request or refused with a
//! typed error, never a panic. What is read must survive a round trip (encode, read again),
//! and an error must keep the request id whenever the id was readable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referee_protocol::json::{Request, parse_request};
use referee_protocol::notice::Notice;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_request(text) {
        Ok(request) => {
            let again = parse_request(&request.to_json());
            assert_eq!(again.as_ref(), Ok(&request), "round trip changed {text:?}");
            check_answerable(&request);
        }
        Err(err) => {
            // The error is itself sendable: it encodes to one JSON object with its code.
            let encoded = referee_protocol::json::notice(&err.to_notice(), err.id);
            let value: serde_json::Value =
                serde_json::from_str(&encoded).unwrap_or_else(|e| panic!("{encoded}: {e}"));
            assert_eq!(value["type"], "error");
            assert!(value["code"].is_string());
        }
    }
});

fn check_answerable(request: &Request) {
    let _ = request.op.as_input();
    let _ = referee_protocol::json::notice(&Notice::Pong, request.id);
}
