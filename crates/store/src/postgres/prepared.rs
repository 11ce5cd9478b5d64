//! The write path's statements, prepared once per connection.
//!
//! `Client::query` with a text prepares the statement on every call: a round trip to parse
//! it, then one to run it. A batch's commit sends four or five statements (the rounds, the
//! three totals, the logs; the claims' check in a cluster), so half of its round trips were
//! parsing the same texts again. Here each text is prepared the first time a connection runs
//! it and kept, by its text, for as long as that connection lives.
//!
//! A connection's statements die with it: the session drops the cache with the client, and
//! after any failed statement too (PostgreSQL plans a kept statement again after most schema
//! changes, but refuses one whose result would change shape — "cached plan must not change
//! result type" — so a failure forgets them all, and preparing again costs a round trip each).
//! PostgreSQL keeps a prepared statement when the transaction that prepared it rolls back, so
//! a fenced batch (rolled back, no error) keeps them.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{GenericClient, Row, Statement};

/// The statements a connection has prepared, by their text.
#[derive(Default)]
pub(super) struct Prepared {
    by_text: HashMap<&'static str, Statement>,
}

impl Prepared {
    /// The statement for `sql`, prepared on `client` (a connection or a transaction of the
    /// connection this cache belongs to) the first time.
    pub(super) fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.by_text.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.by_text.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Runs `sql` (prepared the first time) on `client`: its rows.
    pub(super) fn query(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.get(client, sql)?;
        client.query(&statement, params)
    }

    /// Runs `sql` (prepared the first time) on `client`: its row, if any.
    pub(super) fn query_opt(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.get(client, sql)?;
        client.query_opt(&statement, params)
    }

    /// Runs `sql` (prepared the first time) on `client`: the rows it changed.
    pub(super) fn execute(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = self.get(client, sql)?;
        client.execute(&statement, params)
    }

    /// Forgets every statement (the connection is gone, or a statement failed).
    pub(super) fn clear(&mut self) {
        self.by_text.clear();
    }

    /// How many statements are kept.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_text.len()
    }
}

#[cfg(test)]
mod tests {
    use postgres::{GenericClient, NoTls};

    use super::Prepared;
    use crate::postgres::session;
    use crate::postgres::testing::TestSchema;

    fn client(pg: &TestSchema) -> postgres::Client {
        let config =
            session::config(pg.url(), Some(pg.schema())).unwrap_or_else(|err| panic!("{err}"));
        config.connect(NoTls).unwrap_or_else(|err| panic!("{err}"))
    }

    const SELECT: &str = "SELECT $1::BIGINT + 1";

    /// Runs [`SELECT`] through `prepared` on `client`: `n + 1`.
    fn plus_one(prepared: &mut Prepared, client: &mut impl GenericClient, n: i64) -> i64 {
        let statement = prepared
            .get(client, SELECT)
            .unwrap_or_else(|e| panic!("{e}"));
        client
            .query_one(&statement, &[&n])
            .unwrap_or_else(|e| panic!("{e}"))
            .get(0)
    }

    /// A fenced write rolls its transaction back without an error, and the cache keeps what
    /// it prepared there: PostgreSQL must still know those statements afterwards.
    #[test]
    fn a_statement_prepared_in_a_rolled_back_transaction_still_serves() {
        let Some(pg) = TestSchema::create("prepared_rollback").unwrap_or_else(|e| panic!("{e}"))
        else {
            return;
        };
        let mut client = client(&pg);
        let mut prepared = Prepared::default();
        let mut tx = client.transaction().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plus_one(&mut prepared, &mut tx, 1), 2);
        tx.rollback().unwrap_or_else(|e| panic!("{e}"));
        let mut tx = client.transaction().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plus_one(&mut prepared, &mut tx, 41), 42);
        assert_eq!(prepared.len(), 1);
    }

    /// How many statements of `text` this connection has prepared (PostgreSQL's own view).
    fn kept(client: &mut postgres::Client, text: &str) -> i64 {
        client
            .query_one(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
                &[&text],
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .get(0)
    }

    #[test]
    fn a_text_is_prepared_once_per_cache() {
        let Some(pg) = TestSchema::create("prepared_once").unwrap_or_else(|e| panic!("{e}")) else {
            return;
        };
        let mut client = client(&pg);
        let mut prepared = Prepared::default();
        let first = prepared
            .get(&mut client, SELECT)
            .unwrap_or_else(|e| panic!("{e}"));
        let again = prepared
            .get(&mut client, SELECT)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kept(&mut client, SELECT),
            1,
            "the kept statement, not a new one"
        );
        prepared.clear();
        let fresh = prepared
            .get(&mut client, SELECT)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kept(&mut client, SELECT), 2, "cleared: prepared again");
        drop((first, again, fresh));
    }
}
