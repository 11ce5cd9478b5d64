//! One WebSocket connection: a reader (this task) that feeds the player's requests to their
//! session, and a writer task that sends the outbox. Like a TCP connection, plus identity: a
//! new player gets a token, a returning one presents theirs and gets their seat back, and a
//! connection that drops parks the seat instead of giving it up.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use referee_protocol::json;
use referee_protocol::notice::{ByeReason, ErrorCode, Notice};
use referee_rules::Render;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::CapacityError;

use super::close;
use super::comeback::{self, Comeback};
use super::writer::write_frames;
use crate::encoding::Encoding;
use crate::idle::IdleTimer;
use crate::ids::RoomId;
use crate::kick::{Kick, Reason};
use crate::link::{Link, Opened};
use crate::lobby_timer::LobbyTimer;
use crate::metrics::{Refused, Transport};
use crate::outbox::Frame;
use crate::parking::signed::now_ms;
use crate::parking::{Forget, Park, Register, Resume, Resumed, Token};
use crate::reader::{self, Next};
use crate::session::{Flow, Session};
use crate::shared::Shared;

/// How long a returning player waits for their old connection to hand the seat over.
const RESUME_WAIT: Duration = Duration::from_secs(5);

/// Why the reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The connection dropped: closed by the client (a reload), reset, or broken. The
    /// player may come back.
    Dropped,
    /// The same player connected again elsewhere.
    Replaced,
    /// Disconnected by the server (too slow): the room has already dropped them.
    Kicked,
    Quit,
    Idle,
    /// In no room for longer than the lobby limit.
    Lobby,
    Shutdown,
    /// A message over the size limit.
    TooLarge,
    /// Far over the rate limit.
    Flooded,
}

impl End {
    /// Whether the player's seat is kept for them to come back.
    fn parks(self) -> bool {
        matches!(self, End::Dropped | End::Replaced | End::Kicked)
    }

    fn bye(self) -> Option<ByeReason> {
        match self {
            End::Quit => Some(ByeReason::Quit),
            End::Idle => Some(ByeReason::Idle),
            End::Lobby => Some(ByeReason::Lobby),
            End::Shutdown => Some(ByeReason::Shutdown),
            End::Replaced => Some(ByeReason::Replaced),
            End::Dropped | End::Kicked | End::TooLarge | End::Flooded => None,
        }
    }

    fn close_code(self) -> u16 {
        match self {
            End::Shutdown => close::GOING_AWAY,
            End::TooLarge => close::TOO_BIG,
            End::Flooded => close::POLICY,
            _ => close::NORMAL,
        }
    }
}

/// Serves one WebSocket player until they leave, drop, are replaced, or the server stops.
pub(crate) async fn serve<G: Render>(
    socket: WebSocket,
    returning: Returning,
    peer: IpAddr,
    shared: Arc<Shared<G>>,
) {
    let (sink, mut stream) = socket.split();
    let Opened {
        mut link,
        outbox,
        seen_round,
    } = Link::open(&shared, Transport::Ws, |frames, kick, seen_round| {
        write_frames(sink, frames, kick, seen_round)
    });
    let resumable = !shared.config.reconnect_window.is_zero();
    let outbox = outbox.with_encoding(Encoding::Json).resumable(resumable);
    let conn = shared.next_connection();
    let mut session = Session::for_connection(&shared, Some(peer), outbox.clone(), seen_round);
    // Boxed: coming back (perhaps through another node) is a large future, needed only at
    // the start; inline it would enlarge the task for the connection's whole life.
    let identified = Box::pin(identify(
        &mut session,
        returning,
        conn,
        link.kick(),
        &shared,
    ));
    let token = match identified.await {
        Identity::Token(token) => token,
        Identity::Gone => return,
        Identity::Replaced => {
            // A newer connection with the same token won the race before this one was
            // seated: it is told why, and closes.
            session.say(&Notice::Bye {
                reason: ByeReason::Replaced,
            });
            drop(session);
            let _ = outbox.push(Frame::close(close::NORMAL));
            drop(outbox);
            return link.linger().await;
        }
    };
    let end = read_requests(&mut stream, &mut session, link.kick(), &shared).await;
    let bye = end.bye().map(|reason| Notice::Bye { reason });
    if end.parks() && resumable {
        if let Some(bye) = &bye {
            session.say(bye);
        }
        let parked = session.park();
        let park = Park {
            token,
            conn,
            parked,
            peer: Some(crate::admission::group(peer)),
        };
        let _ = shared.parking.tell(park).await;
    } else {
        session.end().await;
        if let Some(bye) = &bye {
            session.say(bye);
        }
        let _ = shared.parking.tell(Forget { token, conn }).await;
        drop(session);
    }
    let _ = outbox.push(Frame::close(end.close_code()));
    drop(outbox);
    link.linger().await;
}

/// Who a connection turned out to be.
enum Identity {
    /// A new player, or the returning player: their token.
    Token(Token),
    /// A newer connection presented the same token before this one got the seat.
    Replaced,
    /// The parking actor is gone (the server is stopping).
    Gone,
}

/// What a connection says about who it was: `/ws?token=…&room=…`.
#[derive(Debug, Default)]
pub(crate) struct Returning {
    /// A returning player's token.
    pub(crate) token: Option<String>,
    /// The room they sat in (used only for a token another node of the cluster issued).
    pub(crate) room: Option<RoomId>,
}

/// Makes the session a new player (with a new token), or the returning player `token`
/// names: parked here, or (in a cluster) back from another node.
async fn identify<G: Render>(
    session: &mut Session<G>,
    returning: Returning,
    conn: u64,
    kick: &Kick,
    shared: &Shared<G>,
) -> Identity {
    // A signed token of a key revoked since resumes nothing, even parked here.
    let revoked = (returning.token.as_deref()).and_then(|token| comeback::revoked(token, shared));
    let refusal = match returning.token.filter(|_| revoked.is_none()) {
        Some(token) => match resume(token.clone(), conn, kick, shared).await {
            Resumed::Back(parked) => {
                session.resume(parked, token.clone()).await;
                return Identity::Token(token);
            }
            Resumed::Replaced => return Identity::Replaced,
            Resumed::Unknown => {
                let back = from_elsewhere(session, token, returning.room, conn, kick, shared);
                match back.await {
                    Ok(identity) => return identity,
                    Err(refusal) => Some(refusal),
                }
            }
        },
        None => revoked,
    };
    let signed = shared
        .cluster
        .as_ref()
        .map(|node| node.tokens.issue(session.player(), now_ms()));
    let Some(token) = register(conn, kick, signed, shared).await else {
        return Identity::Gone;
    };
    session.greet(Some(token.clone()), false);
    if let Some((code, why)) = refusal {
        session.say(&Notice::error(code, why));
    }
    Identity::Token(token)
}

/// A token this node does not know: the player back from another node (their token
/// registered here), or why not.
async fn from_elsewhere<G: Render>(
    session: &mut Session<G>,
    token: Token,
    room: Option<RoomId>,
    conn: u64,
    kick: &Kick,
    shared: &Shared<G>,
) -> Result<Identity, (ErrorCode, String)> {
    match comeback::come_back(session, &token, room, shared).await {
        Comeback::Back => Ok(match register(conn, kick, Some(token), shared).await {
            Some(token) => Identity::Token(token),
            None => Identity::Gone,
        }),
        Comeback::Refused(code, why) => Err((code, why)),
        Comeback::NotSigned => Err((
            ErrorCode::BadToken,
            "that session has expired: you are a new player".to_owned(),
        )),
    }
}

/// Registers the connection's token: `token` (signed, in a cluster) or a random one.
async fn register<G: Render>(
    conn: u64,
    kick: &Kick,
    token: Option<Token>,
    shared: &Shared<G>,
) -> Option<Token> {
    let register = Register {
        conn,
        kick: kick.clone(),
        token,
    };
    match shared.parking.ask(register).await {
        Ok(token) => Some(token),
        Err(err) => {
            tracing::warn!(%err, "the parking actor did not answer");
            None
        }
    }
}

/// Asks for the seat parked under `token`, waiting (boundedly) for a connection still holding
/// it to let go.
async fn resume<G: Render>(token: Token, conn: u64, kick: &Kick, shared: &Shared<G>) -> Resumed<G> {
    if token.len() > 128 {
        return Resumed::Unknown;
    }
    let resume = Resume::new(token, conn, kick.clone());
    // The parking lot answers once the connection holding the seat has let go; past the
    // deadline the seat stays parked for the next try.
    match shared.parking.ask_with(resume, RESUME_WAIT).await {
        Ok(resumed) => resumed,
        Err(err) => {
            tracing::debug!(%err, "no seat handed over");
            Resumed::Unknown
        }
    }
}

/// Reads messages and hands them to the session until something ends the connection.
async fn read_requests<G: Render>(
    stream: &mut SplitStream<WebSocket>,
    session: &mut Session<G>,
    kick: &Kick,
    shared: &Shared<G>,
) -> End {
    let mut idle = IdleTimer::new(shared.config.idle_timeout);
    let mut lobby = LobbyTimer::new(shared.config.lobby_timeout, session.in_room());
    loop {
        lobby.update(session.in_room());
        let next = tokio::select! {
            biased;
            next = reader::next(stream, kick, &mut idle) => next,
            () = lobby.expired() => {
                shared.metrics.refused(Refused::Lobby);
                return End::Lobby;
            }
            back = session.room_back() => {
                session.on_room_back(back).await;
                continue;
            }
        };
        let next = match next {
            Next::Kicked(Reason::Shutdown) => return End::Shutdown,
            Next::Kicked(Reason::Replaced) => return End::Replaced,
            Next::Kicked(Reason::TooSlow | Reason::Failed) => return End::Kicked,
            Next::Idle => return End::Idle,
            Next::Input(next) => next,
        };
        let flow = match next {
            None | Some(Ok(Message::Close(_))) => return End::Dropped,
            Some(Err(err)) => return broken(err, session),
            Some(Ok(Message::Text(text))) => {
                session.on_request(json::parse_request(text.as_str())).await
            }
            Some(Ok(Message::Binary(_))) => match session.over_budget() {
                Some(flow) => flow,
                None => {
                    session.say(&Notice::error(
                        ErrorCode::NotText,
                        "binary messages are not part of the protocol: send JSON text",
                    ));
                    Flow::Continue
                }
            },
            // Pings are answered by the WebSocket layer; they still count against the budget.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                session.over_budget().unwrap_or(Flow::Continue)
            }
        };
        match flow {
            Flow::Continue => {}
            Flow::Quit => return End::Quit,
            Flow::Flooded => return End::Flooded,
        }
    }
}

/// A read error: a message over the limit gets a last word; anything else is a drop.
fn broken<G: Render>(err: axum::Error, session: &Session<G>) -> End {
    let cause = err.into_inner();
    match cause.downcast_ref::<WsError>() {
        Some(WsError::Capacity(CapacityError::MessageTooLong { max_size, .. })) => {
            session.say(&Notice::error(
                ErrorCode::TooLarge,
                format_args!("message too large (the limit is {max_size} bytes)"),
            ));
            End::TooLarge
        }
        _ => {
            tracing::debug!(err = %cause, "websocket read failed");
            End::Dropped
        }
    }
}
