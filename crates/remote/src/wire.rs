//! What crosses the wire: the [`RemoteMessage`] trait, the envelopes around a message and
//! its reply, and [`WireError`] for bytes that cannot be read.
//!
//! Two nodes may run different builds during a rolling upgrade, so every message carries
//! three labels before its body: the envelope's own format version ([`FORMAT_VERSION`]),
//! the message type's wire name and that type's version. A receiver checks all three before
//! it decodes the body and answers a mismatch with a typed refusal, never a guess. The body
//! is JSON (serde): readable with `nats sub` when debugging, and small next to the NATS hop.
//!
//! A request: `{"v":1,"kind":"scores.get","ver":1,"timeout_ms":5000,"body":{…}}`.
//! A reply: `{"v":1,"outcome":{"ok":…}}` or `{"v":1,"outcome":{"err":…}}`.

use std::time::Duration;

use bytes::Bytes;
use referee_actor::Message;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The version of the envelope format this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// A [`Message`] that may cross nodes: serde both ways, for itself and its reply, with a
/// stable wire name and a version.
///
/// Bump [`VERSION`](Self::VERSION) whenever the body or the reply changes shape: a node on
/// the old version then refuses the new one with [`WireError::Version`] instead of
/// misreading it.
///
/// ```
/// use referee_actor::Message;
/// use referee_remote::RemoteMessage;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct GetScore { player: u32 }
/// impl Message for GetScore { type Reply = u32; }
/// impl RemoteMessage for GetScore {
///     const NAME: &'static str = "scores.get";
///     const VERSION: u32 = 1;
/// }
/// ```
pub trait RemoteMessage:
    Message<Reply: Serialize + DeserializeOwned> + Serialize + DeserializeOwned
{
    /// The type's name on the wire; unique among the types served on one subject.
    const NAME: &'static str;
    /// The version of the body's and the reply's shape.
    const VERSION: u32;

    /// Whether the server drops this message rather than wait for room in the actor's
    /// mailbox: a tell of it is dropped, an ask answered `Full` at once. One message waiting
    /// for room holds every message behind it on the subject (they are delivered in order),
    /// so a message that may go unsent (a chat line) should not wait. `false` by default.
    fn droppable(&self) -> bool {
        false
    }
}

/// Bytes that could not be read as the message or reply expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireError {
    /// The envelope is of a format this build does not read.
    #[error("envelope format {got}, this build reads {expected}")]
    Format {
        /// The format version found.
        got: u16,
        /// [`FORMAT_VERSION`] of the reader.
        expected: u16,
    },
    /// A message of another type than the one served on this subject.
    #[error("message kind '{got}' where '{expected}' is served")]
    Kind {
        /// The wire name found.
        got: String,
        /// The wire name served.
        expected: String,
    },
    /// The right type in another version.
    #[error("'{kind}' version {got}, this node reads version {expected}")]
    Version {
        /// The message's wire name.
        kind: String,
        /// The version found.
        got: u32,
        /// The version this node reads.
        expected: u32,
    },
    /// Not a readable envelope, or a body of the wrong shape.
    #[error("malformed: {0}")]
    Malformed(String),
}

/// Why an ask got no reply, as the serving node says it (the reply's `err`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Failure {
    NotRunning,
    Full,
    Panicked(String),
    Stopped(String),
    Dropped,
    Timeout { ms: u64 },
    ServerStopped,
    Rejected(WireError),
}

#[derive(Serialize)]
struct RequestOut<'a, M> {
    v: u16,
    kind: &'static str,
    ver: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<u64>,
    body: &'a M,
}

/// The labels, read before the body (whose shape depends on them).
#[derive(Deserialize)]
struct Head {
    v: u16,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    ver: u32,
}

#[derive(Deserialize)]
struct RequestIn<B> {
    #[serde(default)]
    timeout_ms: Option<u64>,
    body: B,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome<R> {
    Ok(R),
    Err(Failure),
}

#[derive(Serialize, Deserialize)]
struct ReplyEnvelope<R> {
    v: u16,
    outcome: Outcome<R>,
}

/// A request as read by the serving side.
pub(crate) struct Request<M> {
    pub(crate) msg: M,
    /// The asker's timeout, so the serving side stops waiting when the asker has.
    pub(crate) timeout: Option<Duration>,
}

/// Encodes `msg` in a request envelope.
pub(crate) fn encode_request<M: RemoteMessage>(
    msg: &M,
    timeout: Option<Duration>,
) -> Result<Bytes, WireError> {
    let out = RequestOut {
        v: FORMAT_VERSION,
        kind: M::NAME,
        ver: M::VERSION,
        timeout_ms: timeout.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        body: msg,
    };
    serde_json::to_vec(&out)
        .map(Bytes::from)
        .map_err(|err| WireError::Malformed(err.to_string()))
}

/// Reads a request envelope: labels first, then the body.
pub(crate) fn decode_request<M: RemoteMessage>(bytes: &[u8]) -> Result<Request<M>, WireError> {
    let head: Head = serde_json::from_slice(bytes).map_err(malformed)?;
    check_head::<M>(&head)?;
    let request: RequestIn<M> = serde_json::from_slice(bytes).map_err(malformed)?;
    Ok(Request {
        msg: request.body,
        timeout: request.timeout_ms.map(Duration::from_millis),
    })
}

fn check_head<M: RemoteMessage>(head: &Head) -> Result<(), WireError> {
    if head.v != FORMAT_VERSION {
        return Err(WireError::Format {
            got: head.v,
            expected: FORMAT_VERSION,
        });
    }
    if head.kind != M::NAME {
        return Err(WireError::Kind {
            got: head.kind.clone(),
            expected: M::NAME.to_owned(),
        });
    }
    if head.ver != M::VERSION {
        return Err(WireError::Version {
            kind: head.kind.clone(),
            got: head.ver,
            expected: M::VERSION,
        });
    }
    Ok(())
}

/// Encodes a reply, or the failure that stands in for it.
pub(crate) fn encode_reply<R: Serialize>(outcome: Result<&R, Failure>) -> Bytes {
    let encoded = match outcome {
        Ok(reply) => serde_json::to_vec(&ReplyEnvelope {
            v: FORMAT_VERSION,
            outcome: Outcome::Ok(reply),
        }),
        Err(failure) => encode_failure(failure),
    };
    // A reply that cannot be encoded (a map with non-string keys…) is the server's bug; the
    // asker is told so rather than left to time out.
    encoded.map(Bytes::from).unwrap_or_else(|err| {
        let failure = Failure::Rejected(WireError::Malformed(format!("reply: {err}")));
        Bytes::from(encode_failure(failure).unwrap_or_default())
    })
}

fn encode_failure(failure: Failure) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&ReplyEnvelope::<()> {
        v: FORMAT_VERSION,
        outcome: Outcome::Err(failure),
    })
}

/// Reads a reply envelope.
pub(crate) fn decode_reply<R: DeserializeOwned>(
    bytes: &[u8],
) -> Result<Result<R, Failure>, WireError> {
    let head: Head = serde_json::from_slice(bytes).map_err(malformed)?;
    if head.v != FORMAT_VERSION {
        return Err(WireError::Format {
            got: head.v,
            expected: FORMAT_VERSION,
        });
    }
    let reply: ReplyEnvelope<R> = serde_json::from_slice(bytes).map_err(malformed)?;
    Ok(match reply.outcome {
        Outcome::Ok(reply) => Ok(reply),
        Outcome::Err(failure) => Err(failure),
    })
}

fn malformed(err: serde_json::Error) -> WireError {
    WireError::Malformed(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Ping(u32);
    impl Message for Ping {
        type Reply = String;
    }
    impl RemoteMessage for Ping {
        const NAME: &'static str = "ping";
        const VERSION: u32 = 2;
    }

    #[test]
    fn a_request_round_trips_with_its_timeout() {
        let bytes = encode_request(&Ping(7), Some(Duration::from_millis(250))).unwrap();
        let request = decode_request::<Ping>(&bytes).unwrap();
        assert_eq!(request.msg, Ping(7));
        assert_eq!(request.timeout, Some(Duration::from_millis(250)));
    }

    #[test]
    fn labels_are_checked_before_the_body() {
        let other_version = br#"{"v":1,"kind":"ping","ver":1,"body":"not a number"}"#;
        assert!(matches!(
            decode_request::<Ping>(other_version),
            Err(WireError::Version {
                got: 1,
                expected: 2,
                ..
            })
        ));
        let other_kind = br#"{"v":1,"kind":"pong","ver":2,"body":3}"#;
        assert!(matches!(
            decode_request::<Ping>(other_kind),
            Err(WireError::Kind { .. })
        ));
        let other_format = br#"{"v":9}"#;
        assert!(matches!(
            decode_request::<Ping>(other_format),
            Err(WireError::Format {
                got: 9,
                expected: 1
            })
        ));
    }

    #[test]
    fn bad_bytes_are_malformed() {
        assert!(matches!(
            decode_request::<Ping>(b"\xff\x00garbage"),
            Err(WireError::Malformed(_))
        ));
        let wrong_body = br#"{"v":1,"kind":"ping","ver":2,"body":"seven"}"#;
        assert!(matches!(
            decode_request::<Ping>(wrong_body),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn replies_and_failures_round_trip() {
        let ok = encode_reply(Ok(&"pong".to_owned()));
        assert_eq!(decode_reply::<String>(&ok).unwrap(), Ok("pong".to_owned()));
        let failed = encode_reply::<String>(Err(Failure::Timeout { ms: 5 }));
        assert_eq!(
            decode_reply::<String>(&failed).unwrap(),
            Err(Failure::Timeout { ms: 5 })
        );
    }
}
