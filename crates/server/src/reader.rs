//! What a connection's reader waits for, whatever the transport: its switch, its idle limit,
//! or the client's next line or message.

use futures_util::{Stream, StreamExt};

use crate::idle::IdleTimer;
use crate::kick::{Kick, Reason};

/// The next thing a reader must act on.
pub(crate) enum Next<T> {
    /// The connection's switch was thrown, for this reason.
    Kicked(Reason),
    /// The client has been silent for the whole idle limit.
    Idle,
    /// The client's next input, or `None` once its stream has ended.
    Input(Option<T>),
}

/// Waits for the first of: the switch thrown, the client silent too long, input. When
/// several are ready they are taken in that order, so that a kicked or idle connection stops
/// at once, even while its client keeps sending. Input restarts the idle count.
pub(crate) async fn next<S>(input: &mut S, kick: &Kick, idle: &mut IdleTimer) -> Next<S::Item>
where
    S: Stream + Unpin,
{
    let next = tokio::select! {
        biased;
        reason = kick.for_reader() => Next::Kicked(reason),
        () = idle.expired() => Next::Idle,
        item = input.next() => Next::Input(item),
    };
    if let Next::Input(_) = next {
        idle.heard();
    }
    next
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::stream;
    use tokio::time::Instant;

    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn a_thrown_switch_wins_over_input_that_is_ready() {
        let kick = Kick::default();
        kick.kick(Reason::Shutdown);
        let mut input = stream::repeat("guess 5");
        let mut idle = IdleTimer::new(LIMIT);
        let next = next(&mut input, &kick, &mut idle).await;
        assert!(matches!(next, Next::Kicked(Reason::Shutdown)));
    }

    #[tokio::test]
    async fn input_comes_in_order_then_its_end() {
        let kick = Kick::default();
        let mut input = stream::iter(["a", "b"]);
        let mut idle = IdleTimer::new(LIMIT);
        let mut seen = Vec::new();
        loop {
            match next(&mut input, &kick, &mut idle).await {
                Next::Input(Some(item)) => seen.push(item),
                Next::Input(None) => break,
                Next::Kicked(_) | Next::Idle => panic!("only input was expected"),
            }
        }
        assert_eq!(seen, ["a", "b"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_is_idle_at_the_limit() {
        let kick = Kick::default();
        let mut input = stream::pending::<&str>();
        let start = Instant::now();
        let mut idle = IdleTimer::new(LIMIT);
        assert!(matches!(
            next(&mut input, &kick, &mut idle).await,
            Next::Idle
        ));
        assert_eq!(start.elapsed(), LIMIT);
    }
}
