//! The PostgreSQL schema, as numbered migrations kept in the repository. The table
//! `referee_schema` says which have run; start-up applies the missing ones in one
//! transaction, under a transaction-scoped advisory lock, so that several nodes starting at
//! once migrate exactly once. A database at a newer version than this build knows is
//! refused ([`StoreError::TooNew`]).
//!
//! The first version is the whole of what SQLite reached in four (one key per round, per-game
//! totals, match logs): PostgreSQL stores start from there.

use postgres::Client;

use crate::StoreError;

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: players, rounds keyed to be stored once, totals all time, per game and per hour
    // (an hour is `floor(won_at / 3600000)`, computed by the store), match logs.
    "CREATE TABLE players (
         key TEXT PRIMARY KEY,          -- crate::player_key of the name
         name TEXT NOT NULL,            -- the name as first written
         first_win_at BIGINT NOT NULL,
         wins BIGINT NOT NULL DEFAULT 0
     );
     CREATE INDEX players_by_wins ON players (wins DESC, name);
     CREATE TABLE rounds (
         key TEXT PRIMARY KEY,          -- unique across servers and runs
         game TEXT NOT NULL,
         room BIGINT NOT NULL,
         round BIGINT NOT NULL,
         winner TEXT NOT NULL,
         -- NULL when the winner had no name; checked at commit, the round goes in first
         player TEXT REFERENCES players (key) DEFERRABLE INITIALLY DEFERRED,
         won_at BIGINT NOT NULL,
         guesses BIGINT NOT NULL
     );
     CREATE INDEX rounds_by_player ON rounds (player, won_at);
     CREATE INDEX rounds_by_game_time ON rounds (game, won_at);
     CREATE INDEX rounds_by_time ON rounds (won_at);
     CREATE TABLE player_games (
         player TEXT NOT NULL REFERENCES players (key) DEFERRABLE INITIALLY DEFERRED,
         game TEXT NOT NULL,
         wins BIGINT NOT NULL,
         PRIMARY KEY (player, game)
     );
     CREATE INDEX player_games_by_wins ON player_games (game, wins DESC);
     CREATE TABLE player_hours (
         hour BIGINT NOT NULL,
         player TEXT NOT NULL REFERENCES players (key) DEFERRABLE INITIALLY DEFERRED,
         game TEXT NOT NULL,
         wins BIGINT NOT NULL,
         PRIMARY KEY (hour, player, game)
     );
     CREATE TABLE matches (
         id TEXT PRIMARY KEY REFERENCES rounds (key),
         game TEXT NOT NULL,
         room BIGINT NOT NULL,
         config TEXT NOT NULL,
         seed BIGINT NOT NULL,
         actions TEXT NOT NULL,
         winner TEXT NOT NULL,
         ended_at BIGINT NOT NULL
     );
     CREATE INDEX matches_by_time ON matches (ended_at);",
    // 2: rooms claimed by nodes (crate::claims): the claim with its epoch and lease, every
    // claim won, the room's last snapshot, and the claim each result was committed under
    // (NULL: unfenced) with when.
    "CREATE TABLE room_claims (
         room TEXT PRIMARY KEY,
         node TEXT NOT NULL,
         epoch BIGINT NOT NULL,           -- raised by one at each new claim
         expires_at TIMESTAMPTZ NOT NULL, -- the database's clock; released: set to now
         claimed_at TIMESTAMPTZ NOT NULL
     );
     CREATE TABLE room_snapshots (
         room TEXT PRIMARY KEY,
         epoch BIGINT NOT NULL,
         node TEXT NOT NULL,
         body TEXT NOT NULL,
         saved_at TIMESTAMPTZ NOT NULL
     );
     CREATE TABLE room_claim_history (  -- every claim won, for audits
         room TEXT NOT NULL,
         epoch BIGINT NOT NULL,
         node TEXT NOT NULL,
         claimed_at TIMESTAMPTZ NOT NULL,   -- taken once the claim's row was locked
         PRIMARY KEY (room, epoch)
     );
     ALTER TABLE rounds ADD COLUMN claim_room TEXT, ADD COLUMN claim_node TEXT,
         ADD COLUMN claim_epoch BIGINT, ADD COLUMN committed_at TIMESTAMPTZ;
     CREATE INDEX rounds_by_claim ON rounds (claim_room, claim_epoch);",
    // 3: the nodes of a cluster (crate::nodes): each name keeps its index for good (room and
    // player numbers are derived from it); last_seen is moved by the node's heartbeat.
    "CREATE TABLE cluster_nodes (
         name TEXT PRIMARY KEY,
         node_index BIGINT NOT NULL UNIQUE,  -- 1, 2, 3... in the order names first came
         http_addr TEXT,
         tcp_addr TEXT,
         ws_addr TEXT,
         started_at TIMESTAMPTZ NOT NULL,
         last_seen TIMESTAMPTZ NOT NULL,      -- the database's clock
         left_at TIMESTAMPTZ                  -- set by a graceful leave, cleared at start
     );",
    // 4: the cluster's name, drawn once: the nodes sharing this database prefix their NATS
    // subjects with it, so that two clusters (or two test runs) on one NATS never meet.
    "CREATE TABLE cluster_meta (
         id TEXT NOT NULL
     );
     INSERT INTO cluster_meta (id)
         SELECT substr(md5(random()::text || clock_timestamp()::text), 1, 16);",
    // 5: a snapshot handed over by a node leaving gracefully (crate::Claims::hand_over): set
    // only in the transaction that releases the claim, cleared by every other save, so that
    // a snapshot is trusted to go on exactly only if its host let go of the room itself.
    "ALTER TABLE room_snapshots ADD COLUMN handed_over BOOLEAN NOT NULL DEFAULT false;",
    // 6: the key every node of the cluster signs players' tokens with (a token one node
    // issued is checked by any other): 64 hex digits from two version-4 UUIDs, which
    // PostgreSQL draws from its strong random source (`pg_strong_random`), 244 random bits.
    "ALTER TABLE cluster_meta ADD COLUMN token_key TEXT;
     UPDATE cluster_meta SET token_key =
         replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');",
    // 7: how many times each node registered (crate::Registration::run): a node numbers
    // its players from a slice derived from it, so no two runs of one node share numbers.
    "ALTER TABLE cluster_nodes ADD COLUMN runs BIGINT NOT NULL DEFAULT 0;",
    // 8: what each round gave whom on its room's scoreboard (crate::Credit): the winner's
    // player id in the room and the points, so that a room restored from a snapshot taken
    // before the round was committed gives them again. NULL for the rounds stored before.
    "ALTER TABLE rounds ADD COLUMN credit_player BIGINT, ADD COLUMN credit_points BIGINT;",
    // 9: the token key can be rotated (crate::rotate_token_key): the key before the last
    // rotation, still accepted until the tokens it signed expire (NULL: none, or revoked),
    // and when the last rotation was.
    "ALTER TABLE cluster_meta ADD COLUMN previous_token_key TEXT,
         ADD COLUMN token_key_rotated_at TIMESTAMPTZ;",
    // 10: tokens revoked one player at a time (crate::revoke_token): every token of `player`
    // issued up to `issued_up_to_ms` is refused; the row is kept only as long as such a
    // token can live (`expires_at`), and `revocations_version` is raised by every change so
    // that nodes re-read the list only when it changed. The current key's age
    // (`token_key_drawn_at`, set by every rotation) for the rotation on a schedule
    // (crate::PgNodes::rotate_token_key_if_older); the key drawn before is dated now.
    "CREATE TABLE token_revocations (
         player BIGINT PRIMARY KEY,
         issued_up_to_ms BIGINT NOT NULL,
         expires_at TIMESTAMPTZ NOT NULL,
         revoked_at TIMESTAMPTZ NOT NULL
     );
     ALTER TABLE cluster_meta ADD COLUMN revocations_version BIGINT NOT NULL DEFAULT 0,
         ADD COLUMN token_key_drawn_at TIMESTAMPTZ;
     UPDATE cluster_meta SET token_key_drawn_at =
         COALESCE(token_key_rotated_at, clock_timestamp());",
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// The advisory lock every Referee node takes to migrate (`'Referee1'` as a number).
const LOCK: i64 = 0x5265_6665_7265_6531;

/// Brings the schema up to date, or refuses a newer one. `url` (without password) names the
/// database in the error.
pub(super) fn migrate(
    client: &mut Client,
    url: &str,
) -> Result<Result<(), StoreError>, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS referee_schema (
             version BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let found: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM referee_schema", &[])?
        .get(0);
    if found > LATEST {
        return Ok(Err(StoreError::TooNew {
            db: url.to_owned(),
            found,
            known: LATEST,
        }));
    }
    for (version, sql) in (1..).zip(MIGRATIONS) {
        if version <= found {
            continue;
        }
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO referee_schema (version) VALUES ($1)",
            &[&version],
        )?;
        tracing::info!(version, "database schema migrated");
    }
    tx.commit()?;
    Ok(Ok(()))
}
