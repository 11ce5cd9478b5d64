//! The thread a connection lives on. The `postgres` client blocks on a runtime of its own,
//! which cannot run inside another runtime (the recorder's and the board's threads each run
//! one): so the client stays on a plain thread, and the store hands it jobs over a channel
//! and waits for each answer. The thread ends when the store (the last sender) is dropped.

use std::sync::mpsc;

use super::prepared::Prepared;
use super::session::Session;
use crate::StoreError;

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// The sending end: jobs in, answers back on a channel per job.
pub(super) struct Worker {
    jobs: mpsc::Sender<Job>,
    url: String,
}

impl Worker {
    /// Starts the thread that owns `session`.
    pub(super) fn spawn(mut session: Session) -> Result<Self, StoreError> {
        let url = session.url().to_owned();
        let (jobs, inbox) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("postgres".into())
            .spawn(move || {
                for job in inbox {
                    job(&mut session);
                }
            })
            .map_err(|err| StoreError::Unreachable {
                url: url.clone(),
                detail: format!("cannot start the connection's thread: {err}"),
            })?;
        Ok(Worker { jobs, url })
    }

    /// Runs `query` with the connection (connecting first if needed), waits for its answer.
    pub(super) fn ask<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.ask_prepared(|client, _| query(client))
    }

    /// [`ask`](Self::ask), with the statements the connection has prepared (`prepared.rs`).
    pub(super) fn ask_prepared<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut postgres::Client, &mut Prepared) -> Result<T, postgres::Error>
        + Send
        + 'static,
    ) -> Result<T, StoreError> {
        let (reply_to, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |session| {
            // The asker waits on `answer` until this is sent: it is always there.
            let _ = reply_to.send(session.run(query));
        });
        let gone = || StoreError::ConnectionLost {
            url: self.url.clone(),
            detail: "the connection's thread is gone".into(),
        };
        self.jobs.send(job).map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}
