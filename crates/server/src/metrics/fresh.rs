//! [`Fresh`]: the last answer of an expensive look (`/api/cluster` reads PostgreSQL and asks
//! every node over NATS), served again to whoever asks within a time limit, and refreshed by
//! one asker at a time.
//!
//! Why: the endpoint is public. One address hammering it, or a crowd of status pages open at
//! once, must cost the database and NATS one read per period, not one per request. The
//! refresh runs under an async lock: whoever finds the answer stale refreshes it, and the
//! askers that come meanwhile wait for that refresh and share it (single flight). A failed
//! read is kept too, for the same time: a database that is down is not asked again by every
//! request either.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// One answer, as it was read.
#[derive(Debug)]
pub(crate) struct Read<T> {
    /// The answer, or why there is none.
    pub(crate) answer: Result<T, String>,
    /// The read's number: 1 for the first read, one more for each refresh.
    pub(crate) number: u64,
    /// When it was read.
    pub(crate) at: Instant,
}

/// The last read of a `T`, refreshed at most once per `max_age`.
#[derive(Debug)]
pub(crate) struct Fresh<T> {
    max_age: Duration,
    last: Mutex<Option<Arc<Read<T>>>>,
    reads: std::sync::atomic::AtomicU64,
}

impl<T> Fresh<T> {
    /// Reads are kept for `max_age`.
    pub(crate) fn new(max_age: Duration) -> Self {
        Fresh {
            max_age,
            last: Mutex::new(None),
            reads: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many reads were made (`/metrics` counts them as `referee_cluster_status_reads`).
    #[cfg(test)]
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The last read if it is younger than `max_age`; else a new one, made by `read`. Askers
    /// that come while a read runs wait for it.
    pub(crate) async fn get<F>(&self, read: impl FnOnce() -> F) -> Arc<Read<T>>
    where
        F: Future<Output = Result<T, String>>,
    {
        let mut last = self.last.lock().await;
        if let Some(kept) = last
            .as_ref()
            .filter(|kept| kept.at.elapsed() < self.max_age)
        {
            return kept.clone();
        }
        let number = self
            .reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let fresh = Arc::new(Read {
            answer: read().await,
            number,
            at: Instant::now(),
        });
        *last = Some(fresh.clone());
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_read_is_served_again_until_it_is_stale() {
        let fresh = Fresh::new(Duration::from_millis(1_000));
        let first = fresh.get(|| async { Ok::<_, String>(1) }).await;
        tokio::time::advance(Duration::from_millis(999)).await;
        let again = fresh.get(|| async { Ok(2) }).await;
        assert_eq!((again.number, again.answer.clone()), (1, Ok(1)));
        tokio::time::advance(Duration::from_millis(1)).await;
        let next = fresh.get(|| async { Ok(3) }).await;
        assert_eq!((next.number, next.answer.clone()), (2, Ok(3)));
        assert_eq!(first.number, 1);
        assert_eq!(fresh.reads(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn askers_that_come_during_a_read_share_it() {
        let fresh = Arc::new(Fresh::new(Duration::from_millis(1_000)));
        let asks: Vec<_> = (0..20)
            .map(|i| {
                let fresh = fresh.clone();
                tokio::spawn(async move {
                    let read = fresh
                        .get(|| async move {
                            tokio::time::sleep(Duration::from_millis(300)).await;
                            Ok::<_, String>(i)
                        })
                        .await;
                    read.number
                })
            })
            .collect();
        for ask in asks {
            assert_eq!(ask.await.ok(), Some(1));
        }
        assert_eq!(fresh.reads(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_read_is_kept_as_long_as_a_good_one() {
        let fresh = Fresh::new(Duration::from_millis(500));
        let failed = fresh
            .get(|| async { Err::<u8, _>("down".to_owned()) })
            .await;
        assert_eq!(failed.answer, Err("down".to_owned()));
        let again = fresh.get(|| async { Ok(1) }).await;
        assert_eq!(
            (again.number, again.answer.clone()),
            (1, Err("down".into()))
        );
    }
}
