//! One connection to PostgreSQL, made again after it was lost, and the translation of the
//! driver's errors into [`StoreError`]s that never carry the password.

use std::str::FromStr;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, NoTls};

use super::prepared::Prepared;
use crate::StoreError;

/// How long connecting may take before PostgreSQL counts as unreachable (unless the URL
/// says otherwise with `connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The connection settings from `url`, with `schema` as the search path if given.
pub(super) fn config(url: &str, schema: Option<&str>) -> Result<postgres::Config, String> {
    let mut config = postgres::Config::from_str(url)
        .map_err(|err| format!("not a PostgreSQL URL ({})", scrub(&err.to_string(), url)))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.application_name("referee");
    if let Some(schema) = schema {
        config.options(&format!("-c search_path={schema}"));
        // Lets a test find (and cut) the connections of its own store.
        config.application_name(schema);
    }
    Ok(config)
}

/// A connection, or none yet (made at the next use), with the statements it has prepared.
pub(super) struct Session {
    config: postgres::Config,
    url: String,
    client: Option<Client>,
    prepared: Prepared,
}

impl Session {
    /// A session that connects at its first use.
    pub(super) fn new(config: postgres::Config, url: String) -> Self {
        Session {
            config,
            url,
            client: None,
            prepared: Prepared::default(),
        }
    }

    /// The URL without its password.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// Runs `query` on the connection, connecting first if there is none (or it closed),
    /// with the statements this connection has prepared: kept while the connection lives,
    /// forgotten with it and after any failed statement (`prepared.rs`). A connection that
    /// failed is dropped, for the next call to make a new one.
    pub(super) fn run<T>(
        &mut self,
        query: impl FnOnce(&mut Client, &mut Prepared) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        self.connect()?;
        let Some(client) = self.client.as_mut() else {
            return Err(self.unreachable("no connection".into()));
        };
        let outcome = query(client, &mut self.prepared);
        outcome.map_err(|err| {
            self.prepared.clear();
            let err = self.classify(&err);
            if !matches!(err, StoreError::Statement { .. }) {
                self.client = None;
            }
            err
        })
    }

    /// Makes a connection if there is none (or it closed); a new one has prepared nothing.
    fn connect(&mut self) -> Result<(), StoreError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = None;
            self.prepared.clear();
            let client = self
                .config
                .connect(NoTls)
                .map_err(|err| self.unreachable(describe(&err)))?;
            self.client = Some(client);
        }
        Ok(())
    }

    fn unreachable(&self, detail: String) -> StoreError {
        StoreError::Unreachable {
            url: self.url.clone(),
            detail,
        }
    }

    /// What a failed statement means: the server refused it, or the connection is gone
    /// (closed, reset, or the server shutting down).
    fn classify(&self, err: &postgres::Error) -> StoreError {
        let shutting_down = [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ];
        match err.as_db_error() {
            Some(db) if !shutting_down.contains(db.code()) => StoreError::Statement {
                code: db.code().code().to_owned(),
                detail: db.message().to_owned(),
            },
            _ => StoreError::ConnectionLost {
                url: self.url.clone(),
                detail: describe(err),
            },
        }
    }
}

/// The driver's message with its cause (`error connecting to server: Connection refused`).
pub(super) fn describe(err: &postgres::Error) -> String {
    match std::error::Error::source(err) {
        Some(source) if !err.to_string().contains(&source.to_string()) => {
            format!("{err}: {source}")
        }
        _ => err.to_string(),
    }
}

/// `url` without its password: `postgres://user:secret@host/db` → `postgres://user@host/db`,
/// and a `password=` parameter dropped. For errors, logs and status pages.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, tail) = rest
        .find(['/', '?'])
        .map_or((rest, ""), |at| rest.split_at(at));
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| !pair.to_ascii_lowercase().starts_with("password="))
                .collect();
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_owned(),
    };
    if scheme.is_empty() {
        format!("{authority}{tail}")
    } else {
        format!("{scheme}://{authority}{tail}")
    }
}

/// `text` with the password of `url` (if any) blanked out, should a message quote it.
fn scrub(text: &str, url: &str) -> String {
    match postgres::Config::from_str(url).ok().and_then(|c| {
        c.get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }) {
        Some(password) if !password.is_empty() => text.replace(&password, "***"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn the_password_is_dropped_from_the_url() {
        assert_eq!(
            redact("postgres://ref:s3cret@127.0.0.1:5432/referee"),
            "postgres://ref@127.0.0.1:5432/referee"
        );
        assert_eq!(
            redact("postgresql://ref:p@ss@db/x?sslmode=disable&password=s3cret"),
            "postgresql://ref@db/x?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://ref@127.0.0.1/referee"),
            "postgres://ref@127.0.0.1/referee"
        );
        assert_eq!(redact("postgres://h/db?password=x"), "postgres://h/db");
    }
}
