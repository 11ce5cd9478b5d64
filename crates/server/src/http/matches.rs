//! `GET /api/matches/{id}` (one recorded match: its log, replayed step by step) and
//! `GET /api/matches[?game=GAME&limit=N]` (the latest ones), read from the board actor.
//!
//! **Only what is over.** A match is in the records only once it was decided (its log is
//! saved with its result, `room/recording.rs`), so nothing of a match in play can be read
//! here; and since the next match draws from a seed of its own, a finished match's log tells
//! nothing about the one that follows.
//!
//! **Replayed here.** The answer carries the log (`log`: game, config, seed, start state,
//! entries), enough to replay the match through the rules anywhere and compare the
//! `state_hash`; and `steps`: for each entry, what a spectator following the live feed was
//! shown (each event as JSON and as its text line) and the spectator's view after it. The
//! server computes them by replaying the log through the same rules (`replay_steps`), so the
//! replay page (`web/replay.js`) shows the table without reimplementing any game. The last
//! step stops at the outcome: what the deciding step's replay draws after it is a round that
//! was never played (see `referee_rules::replay`'s module docs).
//!
//! **Hostile ids.** An id is a result's key (`RUN/WON_AT/ROOM/ROUND`, `records.rs`): at most [`MAX_ID`] bytes of
//! `[A-Za-z0-9_/-]`, or a `400` before anything is read; an unknown id is a `404`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use referee_rules::{Game, LogEntry, MatchLog, Millis, PlayerId, Render, Viewer, replay_steps};
use referee_store::MatchRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{bad_query, error};
use crate::board::{MAX_LIMIT, ReadMatch, ReadRecentMatches};
use crate::room::{Recorded, RecordedPlayer};
use crate::shared::Shared;

/// The longest match id read (keys are ~40 bytes).
pub(crate) const MAX_ID: usize = 100;

/// Whom the replay shows the match to: a spectator following the live feed (no player has
/// this id).
const SPECTATOR: PlayerId = PlayerId(u64::MAX);

#[derive(Debug, Deserialize)]
pub(super) struct RecentQuery {
    game: Option<String>,
    limit: Option<usize>,
}

/// One line of `GET /api/matches`.
#[derive(Debug, Serialize)]
struct Summary {
    id: String,
    game: String,
    room: u64,
    winner: String,
    ended_at_ms: i64,
}

/// `{"matches":[{"id":..,"game":..,"room":..,"winner":..,"ended_at_ms":..}]}`, newest first.
pub(super) async fn recent<G: Render>(
    State(shared): State<Arc<Shared<G>>>,
    query: Result<Query<RecentQuery>, QueryRejection>,
) -> Response {
    let query = match query {
        Ok(Query(query)) => query,
        Err(rejection) => return bad_query(&rejection),
    };
    let Some(board) = &shared.board else {
        return error(StatusCode::NOT_FOUND, "this server keeps no records");
    };
    let game = match query.game.as_deref().map(crate::session::hosted::<G>) {
        None => None,
        Some(Ok(game)) => Some(game),
        Some(Err(refusal)) => return error(StatusCode::BAD_REQUEST, refusal),
    };
    let limit = query.limit.unwrap_or(10).clamp(1, MAX_LIMIT);
    let read = ReadRecentMatches::new(game, limit, board.timeout());
    match board.ask(read).await {
        Ok(Ok(matches)) => {
            let matches: Vec<Summary> = matches.into_iter().map(summary).collect();
            Json(serde_json::json!({ "matches": matches })).into_response()
        }
        Ok(Err(err)) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    }
}

fn summary(record: MatchRecord) -> Summary {
    Summary {
        id: record.id,
        game: record.game,
        room: record.room,
        winner: record.winner,
        ended_at_ms: record.ended_at_ms,
    }
}

/// Whether `id` may be a result's key: bounded, and of the characters keys are made of.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/'))
}

/// One recorded match, replayed (see the module docs).
pub(super) async fn one<G: Render>(
    State(shared): State<Arc<Shared<G>>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    // A path that does not decode (`%FF`) is refused as any bad id is.
    let id = id.map(|Path(id)| id).unwrap_or_default();
    if !valid_id(&id) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("a match id is 1 to {MAX_ID} characters of A-Z a-z 0-9 _ - /"),
        );
    }
    let Some(board) = &shared.board else {
        return error(StatusCode::NOT_FOUND, "this server keeps no records");
    };
    match board.ask(ReadMatch::new(id, board.timeout())).await {
        Ok(Ok(Some(record))) => {
            // Replaying a long match (up to 50,000 steps) and writing it out takes a while:
            // off the runtime's workers, so that one client asking for it again and again
            // (within its rate limit) cannot stall everyone else's connections.
            let answer = tokio::task::spawn_blocking(move || {
                replayed::<G>(record)
                    .and_then(|answer| serde_json::to_vec(&answer).map_err(|err| err.to_string()))
            })
            .await;
            match answer {
                Ok(Ok(body)) => {
                    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
                }
                Ok(Err(reason)) => error(StatusCode::INTERNAL_SERVER_ERROR, reason),
                Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
            }
        }
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "no finished match has this id"),
        Ok(Err(err)) => error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    }
}

/// The answer for one match.
#[derive(Serialize)]
#[serde(bound(serialize = ""))]
struct Replayed<G: Game> {
    id: String,
    game: String,
    room: u64,
    round: u64,
    winner: String,
    ended_at_ms: i64,
    /// As a decimal string: a seed exceeds JavaScript's exact integers (the page shows it;
    /// `log.seed` keeps the number for Rust).
    seed: String,
    players: Vec<RecordedPlayer>,
    /// The hash the room recorded when the match was decided.
    state_hash: Option<String>,
    log: MatchLog<G>,
    steps: Vec<Step>,
}

/// One entry of the log as a spectator saw it.
#[derive(Serialize)]
struct Step {
    /// The entry, as in the log.
    entry: Value,
    /// What the spectator was shown: each event as JSON, with its text line.
    events: Vec<ShownEvent>,
    /// The spectator's view after the step (none after the deciding step, whose end
    /// belongs to a round never played).
    view: Option<Value>,
    /// The spectator's status line after it.
    status: Option<String>,
}

#[derive(Serialize)]
struct ShownEvent {
    event: Value,
    text: String,
}

/// The record's log, replayed through the rules.
fn replayed<G: Render>(record: MatchRecord) -> Result<Replayed<G>, String> {
    let recorded: Recorded<G> = serde_json::from_str(&record.actions)
        .map_err(|err| format!("the match's log cannot be read: {err}"))?;
    let config: G::Config = serde_json::from_str(&record.config)
        .map_err(|err| format!("the match's config cannot be read: {err}"))?;
    let log = MatchLog {
        game: recorded.game,
        config,
        seed: record.seed,
        start: recorded.start,
        entries: recorded.entries,
    };
    let names = names(&recorded.players);
    let mut steps = Vec::with_capacity(log.entries.len());
    let mut decided = false;
    let mut entries = log.entries.iter();
    replay_steps(&log, |game, events| {
        let entry = entries.next();
        if !decided {
            steps.push(step::<G>(game, entry, &events, &mut decided, &names));
        }
    })
    .map_err(|err| format!("the match's log does not replay: {err}"))?;
    Ok(Replayed {
        id: record.id,
        game: log.game.clone(),
        room: record.room,
        round: recorded.round,
        winner: record.winner,
        ended_at_ms: record.ended_at_ms,
        seed: record.seed.to_string(),
        players: recorded.players.clone(),
        state_hash: recorded.state_hash,
        log,
        steps,
    })
}

/// One step as the spectator saw it; sets `decided` at the outcome, and stops there.
fn step<G: Render>(
    game: &G,
    entry: Option<&LogEntry<G::Action>>,
    events: &[G::Event],
    decided: &mut bool,
    names: &dyn Fn(PlayerId) -> String,
) -> Step {
    let mut shown = Vec::new();
    for event in events {
        if G::audience(event).reaches(SPECTATOR, true) {
            shown.push(ShownEvent {
                event: serde_json::to_value(event).unwrap_or(Value::Null),
                text: G::describe(event, SPECTATOR, names),
            });
        }
        if G::outcome(event).is_some() {
            *decided = true;
            break;
        }
    }
    let after = (!*decided).then(|| {
        let view = serde_json::to_value(game.view(Viewer::Spectator)).unwrap_or(Value::Null);
        let at = entry.map_or(Millis::ZERO, LogEntry::at);
        (view, game.status(Viewer::Spectator, at, names))
    });
    let (view, status) = after.unzip();
    Step {
        entry: entry
            .and_then(|entry| serde_json::to_value(entry).ok())
            .unwrap_or(Value::Null),
        events: shown,
        view,
        status,
    }
}

/// Display names by player id, as recorded.
fn names(players: &[RecordedPlayer]) -> impl Fn(PlayerId) -> String + '_ {
    move |id| {
        players.iter().find(|player| player.id == id).map_or_else(
            || crate::ids::default_name(id),
            |player| player.name.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_and_plain() {
        assert!(valid_id("0123456789abcdef0123456789abcdef/2/1"));
        assert!(valid_id("sqlite-run-3/1/4"));
        assert!(!valid_id(""));
        assert!(!valid_id(&"a".repeat(MAX_ID + 1)));
        assert!(!valid_id("1' OR '1'='1"));
        assert!(!valid_id("../etc/passwd"));
        assert!(!valid_id("é"));
    }
}
