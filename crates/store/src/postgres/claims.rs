//! Claims in PostgreSQL (`room_claims`, `room_snapshots`): the statements behind
//! [`crate::Claims`] and the fence check of every fenced write. Why it is safe:
//! `crate::claims`. Every expiry is computed with the database's `clock_timestamp()`.
//!
//! **Lock order.** A transaction locks claim rows before snapshot and result rows; one that
//! locks several claims locks them in the rooms' order; one that ends a claim locks its row
//! for update at once. Any other order lets two nodes' (or one node's two connections')
//! transactions deadlock (PostgreSQL's 40P01): `tests/claim_locks.rs`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use postgres::{Client, Row, Transaction};

use super::prepared::Prepared;
use super::session::Session;
use super::worker::Worker;
use crate::claims::deadline;
use crate::{
    ClaimRecord, Claimed, Claims, CommittedRound, Credit, Fence, Holder, Lease, StoreError,
    StoredSnapshot,
};

type Result<T> = std::result::Result<T, postgres::Error>;

/// Claims over a connection of their own ([`crate::PgStore::claims`]): a renewal never waits
/// behind a commit of the store.
pub struct PgClaims {
    worker: Worker,
}

impl std::fmt::Debug for PgClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgClaims").finish_non_exhaustive()
    }
}

impl PgClaims {
    pub(super) fn new(session: Session) -> std::result::Result<Self, StoreError> {
        Ok(PgClaims {
            worker: Worker::spawn(session)?,
        })
    }
}

/// An epoch as the statements take it (epochs count claims: never near `i64::MAX`).
fn to_i64(epoch: u64) -> i64 {
    i64::try_from(epoch).unwrap_or(i64::MAX)
}

/// A lease's length as the statements take it: milliseconds, as a float.
fn millis(lease: Duration) -> f64 {
    lease.as_secs_f64() * 1_000.0
}

/// A claim as `SELECT room, node, epoch, live, expires_in_ms` reads it.
fn record(row: &Row) -> ClaimRecord {
    ClaimRecord {
        room: row.get(0),
        node: row.get(1),
        epoch: epoch_of(row, 2),
        live: row.get(3),
        expires_in_ms: row.get(4),
    }
}

fn epoch_of(row: &Row, column: usize) -> u64 {
    row.get::<_, i64>(column).unsigned_abs()
}

impl Claims for PgClaims {
    fn claim(
        &mut self,
        room: &str,
        node: &str,
        lease: Duration,
    ) -> std::result::Result<Claimed, StoreError> {
        let (room, node) = (room.to_owned(), node.to_owned());
        let sent = Instant::now();
        self.worker
            .ask(move |client| claim(client, room, node, lease, sent))
    }

    fn renew(
        &mut self,
        fence: &Fence,
        lease: Duration,
    ) -> std::result::Result<Option<Lease>, StoreError> {
        let fence = fence.clone();
        let sent = Instant::now();
        self.worker.ask(move |client| {
            let renewed = client.execute(
                "UPDATE room_claims
                 SET expires_at = clock_timestamp() + $4::FLOAT8 * INTERVAL '1 millisecond'
                 WHERE room = $1 AND node = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
                &[
                    &fence.room,
                    &fence.node,
                    &to_i64(fence.epoch),
                    &millis(lease),
                ],
            )?;
            Ok((renewed == 1).then(|| Lease {
                fence,
                valid_until: deadline(sent, lease),
            }))
        })
    }

    fn renew_all(
        &mut self,
        fences: &[Fence],
        lease: Duration,
    ) -> std::result::Result<Vec<Option<Lease>>, StoreError> {
        if fences.is_empty() {
            return Ok(Vec::new());
        }
        let fences = fences.to_vec();
        let sent = Instant::now();
        self.worker.ask(move |client| {
            let rooms: Vec<&str> = fences.iter().map(|f| f.room.as_str()).collect();
            let nodes: Vec<&str> = fences.iter().map(|f| f.node.as_str()).collect();
            let epochs: Vec<i64> = fences.iter().map(|f| to_i64(f.epoch)).collect();
            // One statement, one commit, however many rooms; the rows locked in the rooms'
            // order first, as every statement locking several claims does (`holding`).
            let renewed: HashSet<(String, i64)> = client
                .query(
                    "WITH locked AS (
                         SELECT c.room FROM room_claims AS c
                         JOIN unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[]) AS f(room, node, epoch)
                           ON c.room = f.room AND c.node = f.node AND c.epoch = f.epoch
                         WHERE c.expires_at > clock_timestamp()
                         ORDER BY c.room
                         FOR UPDATE OF c
                     )
                     UPDATE room_claims AS c
                     SET expires_at = clock_timestamp() + $4::FLOAT8 * INTERVAL '1 millisecond'
                     FROM locked
                     WHERE c.room = locked.room AND c.expires_at > clock_timestamp()
                     RETURNING c.room, c.epoch",
                    &[&rooms, &nodes, &epochs, &millis(lease)],
                )?
                .iter()
                .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1)))
                .collect();
            let valid_until = deadline(sent, lease);
            Ok(fences
                .into_iter()
                .map(|fence| {
                    renewed
                        .contains(&(fence.room.clone(), to_i64(fence.epoch)))
                        .then_some(Lease { fence, valid_until })
                })
                .collect())
        })
    }

    fn release(&mut self, fence: &Fence) -> std::result::Result<bool, StoreError> {
        let fence = fence.clone();
        self.worker.ask(move |client| {
            let released = client.execute(
                "UPDATE room_claims SET expires_at = clock_timestamp()
                 WHERE room = $1 AND node = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
                &[&fence.room, &fence.node, &to_i64(fence.epoch)],
            )?;
            Ok(released == 1)
        })
    }

    fn retire(&mut self, fence: &Fence) -> std::result::Result<bool, StoreError> {
        let fence = fence.clone();
        self.worker.ask(move |client| {
            let mut tx = client.transaction()?;
            if !holds_to_let_go(&mut tx, &fence)? {
                return Ok(false);
            }
            tx.execute("DELETE FROM room_snapshots WHERE room = $1", &[&fence.room])?;
            let_go(&mut tx, &fence)?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn hand_over(&mut self, fence: &Fence, body: &str) -> std::result::Result<bool, StoreError> {
        let (fence, body) = (fence.clone(), body.to_owned());
        self.worker
            .ask(move |client| hand_over(client, &fence, &body))
    }

    fn orphans(&mut self) -> std::result::Result<Vec<ClaimRecord>, StoreError> {
        self.worker.ask(|client| {
            let rows = client.query(
                "SELECT c.room, c.node, c.epoch, false,
                        (EXTRACT(EPOCH FROM c.expires_at - clock_timestamp()) * 1000)::BIGINT
                 FROM room_claims c JOIN room_snapshots s ON s.room = c.room
                 WHERE c.expires_at <= clock_timestamp()
                 ORDER BY c.room",
                &[],
            )?;
            Ok(rows.iter().map(record).collect())
        })
    }

    fn claims(&mut self) -> std::result::Result<Vec<ClaimRecord>, StoreError> {
        self.worker.ask(|client| {
            let rows = client.query(
                "SELECT room, node, epoch, expires_at > clock_timestamp(),
                        (EXTRACT(EPOCH FROM expires_at - clock_timestamp()) * 1000)::BIGINT
                 FROM room_claims ORDER BY room",
                &[],
            )?;
            Ok(rows.iter().map(record).collect())
        })
    }

    fn snapshot_of(
        &mut self,
        room: &str,
    ) -> std::result::Result<Option<StoredSnapshot>, StoreError> {
        let room = room.to_owned();
        self.worker.ask(move |client| {
            let row = client.query_opt(
                "SELECT room, epoch, node, body,
                        (EXTRACT(EPOCH FROM saved_at) * 1000)::BIGINT, handed_over,
                        (SELECT MAX(round) FROM rounds WHERE claim_room = $1)
                 FROM room_snapshots WHERE room = $1",
                &[&room],
            )?;
            Ok(row.map(|row| StoredSnapshot {
                room: row.get(0),
                epoch: epoch_of(&row, 1),
                node: row.get(2),
                body: row.get(3),
                saved_at_ms: row.get(4),
                handed_over: row.get(5),
                last_round: row
                    .get::<_, Option<i64>>(6)
                    .and_then(|round| u64::try_from(round).ok()),
            }))
        })
    }

    fn rounds_since(
        &mut self,
        room: &str,
        epoch: u64,
        round: u64,
    ) -> std::result::Result<Vec<CommittedRound>, StoreError> {
        let room = room.to_owned();
        self.worker.ask(move |client| {
            let rows = client.query(
                "SELECT round, claim_epoch, winner, credit_player, credit_points
                 FROM rounds WHERE claim_room = $1 AND claim_epoch >= $2 AND round >= $3
                 ORDER BY round, claim_epoch, key",
                &[&room, &to_i64(epoch), &to_i64(round)],
            )?;
            Ok(rows.iter().map(committed_round).collect())
        })
    }
}

/// A round as [`Claims::rounds_since`]'s statement reads it. The player id is stored bit for
/// bit (ids use all 64 bits); points that do not fit are no credit.
fn committed_round(row: &Row) -> CommittedRound {
    let player = row.get::<_, Option<i64>>(3);
    let points = row
        .get::<_, Option<i64>>(4)
        .and_then(|points| u32::try_from(points).ok());
    CommittedRound {
        round: epoch_of(row, 0),
        epoch: epoch_of(row, 1),
        winner: row.get(2),
        credit: player.zip(points).map(|(player, points)| Credit {
            player: u64::from_ne_bytes(player.to_ne_bytes()),
            points,
        }),
    }
}

impl PgClaims {
    /// The audit of the fence: every result committed under an epoch of a room *after* a
    /// later epoch of that room was claimed. Always empty when the fence works; a cluster's
    /// tests check it after killing nodes.
    ///
    /// # Errors
    /// The store's failure.
    pub fn commits_after_takeover(&mut self) -> std::result::Result<Vec<LateCommit>, StoreError> {
        self.worker.ask(|client| {
            let rows = client.query(
                "SELECT r.key, r.claim_room, r.claim_epoch, h.epoch
                 FROM rounds r JOIN room_claim_history h
                   ON h.room = r.claim_room AND h.epoch > r.claim_epoch
                 WHERE r.committed_at >= h.claimed_at
                 ORDER BY r.claim_room, r.claim_epoch, r.key",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|row| LateCommit {
                    key: row.get(0),
                    room: row.get(1),
                    epoch: epoch_of(row, 2),
                    after_epoch: epoch_of(row, 3),
                })
                .collect())
        })
    }
}

/// A result committed under a claim that a later claim had already replaced
/// ([`PgClaims::commits_after_takeover`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateCommit {
    /// The result's key.
    pub key: String,
    /// The room.
    pub room: String,
    /// The epoch it was committed under.
    pub epoch: u64,
    /// The later epoch, already claimed when it was committed.
    pub after_epoch: u64,
}

/// Takes the room if nobody holds a live lease on it (inserting its first claim, or raising
/// the epoch of an expired or released one), else says who holds it. One statement: two
/// nodes claiming at once cannot both win (the second waits on the row, then finds it live).
fn claim(
    client: &mut Client,
    room: String,
    node: String,
    lease: Duration,
    sent: Instant,
) -> Result<Claimed> {
    // `clock_timestamp()` in SET is read once the row is locked, after any fenced commit
    // holding it has committed: the history's `claimed_at` is later than every write of the
    // epochs before (what `commits_after_takeover` audits).
    let won = client.query_opt(
        "WITH won AS (
             INSERT INTO room_claims AS c (room, node, epoch, expires_at, claimed_at)
             VALUES ($1, $2, 1, clock_timestamp() + $3::FLOAT8 * INTERVAL '1 millisecond',
                     clock_timestamp())
             ON CONFLICT (room) DO UPDATE
                 SET node = EXCLUDED.node, epoch = c.epoch + 1,
                     expires_at = clock_timestamp() + $3::FLOAT8 * INTERVAL '1 millisecond',
                     claimed_at = clock_timestamp()
                 WHERE c.expires_at <= clock_timestamp()
             RETURNING room, epoch, node, claimed_at
         )
         INSERT INTO room_claim_history (room, epoch, node, claimed_at)
         SELECT room, epoch, node, claimed_at FROM won
         RETURNING epoch",
        &[&room, &node, &millis(lease)],
    )?;
    if let Some(row) = won {
        let epoch = epoch_of(&row, 0);
        return Ok(Claimed::Won(Lease {
            fence: Fence { room, node, epoch },
            valid_until: deadline(sent, lease),
        }));
    }
    let row = client.query_one(
        "SELECT node, epoch, (EXTRACT(EPOCH FROM expires_at - clock_timestamp()) * 1000)::BIGINT
         FROM room_claims WHERE room = $1",
        &[&room],
    )?;
    Ok(Claimed::Held(Holder {
        node: row.get(0),
        epoch: epoch_of(&row, 1),
        expires_in_ms: row.get(2),
    }))
}

/// The claim check of [`holds`] and [`holds_to_let_go`], the claim's row locked with `$lock`
/// (one of two fixed clauses: never text from elsewhere).
macro_rules! holds_sql {
    ($lock:literal) => {
        concat!(
            "SELECT 1 FROM room_claims
             WHERE room = $1 AND node = $2 AND epoch = $3 AND expires_at > clock_timestamp() ",
            $lock
        )
    };
}

/// Whether `fence` is the room's live claim, taking a share lock on the claim's row until the
/// transaction ends: a takeover (which updates the row) waits for this transaction's commit.
pub(super) fn holds(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    fence: &Fence,
) -> Result<bool> {
    let row = prepared.query_opt(
        tx,
        holds_sql!("FOR SHARE"),
        &[&fence.room, &fence.node, &to_i64(fence.epoch)],
    )?;
    Ok(row.is_some())
}

/// [`holds`] for a transaction that ends the claim ([`let_go`]): the claim's row locked for
/// update at once, not shared. A fenced save of the same room running beside (a share lock on
/// the claim, then the snapshot's row) would otherwise deadlock with this transaction's upgrade
/// of its share lock once it touched the snapshot's row (PostgreSQL's 40P01, seen when many
/// rooms closed at once at the end of a load run). That save waits, then finds the claim
/// released.
fn holds_to_let_go(tx: &mut Transaction<'_>, fence: &Fence) -> Result<bool> {
    let row = tx.query_opt(
        holds_sql!("FOR UPDATE"),
        &[&fence.room, &fence.node, &to_i64(fence.epoch)],
    )?;
    Ok(row.is_some())
}

/// Ends `fence`'s claim now, inside `tx` (which checked that it holds): another node may
/// claim the room as soon as `tx` commits.
fn let_go(tx: &mut Transaction<'_>, fence: &Fence) -> Result<u64> {
    tx.execute(
        "UPDATE room_claims SET expires_at = clock_timestamp()
         WHERE room = $1 AND node = $2 AND epoch = $3",
        &[&fence.room, &fence.node, &to_i64(fence.epoch)],
    )
}

/// Which of `fences` are their room's live claim, as [`holds`] for each, in one statement:
/// the share lock is taken on every claim row that holds, until the transaction ends, in the
/// rooms' order — the order every statement locking several claims takes them in
/// (`renew_all`): two such statements taking rows in opposite orders deadlock. The answer:
/// the `(room, epoch)` of each fence that holds.
pub(super) fn holding(
    tx: &mut Transaction<'_>,
    prepared: &mut Prepared,
    fences: &[&Fence],
) -> Result<std::collections::HashSet<(String, u64)>> {
    let rooms: Vec<&str> = fences.iter().map(|f| f.room.as_str()).collect();
    let nodes: Vec<&str> = fences.iter().map(|f| f.node.as_str()).collect();
    let epochs: Vec<i64> = fences.iter().map(|f| to_i64(f.epoch)).collect();
    let rows = prepared.query(
        tx,
        "SELECT room, epoch FROM room_claims
         WHERE (room, node, epoch) IN
               (SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[]))
           AND expires_at > clock_timestamp()
         ORDER BY room
         FOR SHARE",
        &[&rooms, &nodes, &epochs],
    )?;
    Ok(rows
        .iter()
        .map(|row| (row.get::<_, String>(0), epoch_of(row, 1)))
        .collect())
}

/// The error of a write refused by its fence.
pub(super) fn fenced(fence: &Fence) -> StoreError {
    StoreError::Fenced {
        room: fence.room.clone(),
        node: fence.node.clone(),
        epoch: fence.epoch,
    }
}

/// Replaces the room's snapshot, if `fence` holds (the inner `Err`: fenced, nothing saved).
pub(super) fn save_snapshot(
    client: &mut Client,
    prepared: &mut Prepared,
    fence: &Fence,
    body: &str,
) -> Result<std::result::Result<(), StoreError>> {
    let mut tx = client.transaction()?;
    if !holds(&mut tx, prepared, fence)? {
        return Ok(Err(fenced(fence)));
    }
    prepared.execute(
        &mut tx,
        "INSERT INTO room_snapshots (room, epoch, node, body, saved_at)
         VALUES ($1, $2, $3, $4, clock_timestamp())
         ON CONFLICT (room) DO UPDATE
             SET epoch = EXCLUDED.epoch, node = EXCLUDED.node, body = EXCLUDED.body,
                 saved_at = EXCLUDED.saved_at, handed_over = false",
        &[&fence.room, &to_i64(fence.epoch), &fence.node, &body],
    )?;
    tx.commit()?;
    Ok(Ok(()))
}

/// [`save_snapshot`] for several rooms in one transaction: every claim checked in one
/// statement (each holding one share-locked to `COMMIT`, as [`holding`] does), the snapshots
/// of those that hold written in one more, and one commit for all; `Fenced` for the others.
/// Of two snapshots of one room, the later is kept.
pub(super) fn save_snapshots(
    client: &mut Client,
    prepared: &mut Prepared,
    snapshots: &[(Fence, String)],
) -> Result<Vec<std::result::Result<(), StoreError>>> {
    let mut tx = client.transaction()?;
    let fences: Vec<&Fence> = snapshots.iter().map(|(fence, _)| fence).collect();
    let holding = holding(&mut tx, prepared, &fences)?;
    let mut newest: std::collections::BTreeMap<&str, (&Fence, &str)> =
        std::collections::BTreeMap::new();
    let answers = snapshots
        .iter()
        .map(|(fence, body)| {
            if holding.contains(&(fence.room.clone(), fence.epoch)) {
                newest.insert(fence.room.as_str(), (fence, body.as_str()));
                Ok(())
            } else {
                Err(fenced(fence))
            }
        })
        .collect();
    if !newest.is_empty() {
        let rooms: Vec<&str> = newest.keys().copied().collect();
        let epochs: Vec<i64> = newest.values().map(|(f, _)| to_i64(f.epoch)).collect();
        let nodes: Vec<&str> = newest.values().map(|(f, _)| f.node.as_str()).collect();
        let bodies: Vec<&str> = newest.values().map(|(_, body)| *body).collect();
        prepared.execute(
            &mut tx,
            "INSERT INTO room_snapshots (room, epoch, node, body, saved_at)
             SELECT room, epoch, node, body, clock_timestamp()
             FROM unnest($1::TEXT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[])
                  AS s(room, epoch, node, body)
             ON CONFLICT (room) DO UPDATE
                 SET epoch = EXCLUDED.epoch, node = EXCLUDED.node, body = EXCLUDED.body,
                     saved_at = EXCLUDED.saved_at, handed_over = false",
            &[&rooms, &epochs, &nodes, &bodies],
        )?;
    }
    tx.commit()?;
    Ok(answers)
}

/// Saves the room's last snapshot marked as handed over and releases the claim, in one
/// transaction, if `fence` holds: both or neither (see [`Claims::hand_over`]).
fn hand_over(client: &mut Client, fence: &Fence, body: &str) -> Result<bool> {
    let mut tx = client.transaction()?;
    if !holds_to_let_go(&mut tx, fence)? {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO room_snapshots (room, epoch, node, body, saved_at, handed_over)
         VALUES ($1, $2, $3, $4, clock_timestamp(), true)
         ON CONFLICT (room) DO UPDATE
             SET epoch = EXCLUDED.epoch, node = EXCLUDED.node, body = EXCLUDED.body,
                 saved_at = EXCLUDED.saved_at, handed_over = true",
        &[&fence.room, &to_i64(fence.epoch), &fence.node, &body],
    )?;
    let_go(&mut tx, fence)?;
    tx.commit()?;
    Ok(true)
}
