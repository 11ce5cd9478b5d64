//! Restarting an actor after a panic, within a limit.
//!
//! The run loop keeps the mailbox; only the actor's state is rebuilt, by calling the factory
//! given to [`ActorBuilder::spawn_supervised`](crate::ActorBuilder::spawn_supervised). Handles
//! stay valid and queued messages are served by the new instance. As in OTP, a restart
//! intensity bounds the restarts: more than `max_restarts` within `within` and the actor
//! stops for good with [`StopReason::RestartLimit`](crate::StopReason::RestartLimit).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// How often a supervised actor may be restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Restarts allowed inside any window of length `within`.
    pub max_restarts: u32,
    /// The window's length.
    pub within: Duration,
}

impl RestartPolicy {
    /// At most `max_restarts` restarts in any period of `within`.
    pub fn new(max_restarts: u32, within: Duration) -> Self {
        RestartPolicy {
            max_restarts,
            within,
        }
    }
}

impl Default for RestartPolicy {
    /// OTP's supervisor default: one restart in five seconds.
    fn default() -> Self {
        RestartPolicy::new(1, Duration::from_secs(5))
    }
}

/// Rebuilds the actor and keeps the restart history.
pub(crate) struct Supervisor<A> {
    factory: Box<dyn FnMut() -> A + Send>,
    policy: RestartPolicy,
    /// When recent restarts happened, oldest first; only those inside the window are kept.
    recent: VecDeque<Instant>,
}

impl<A> Supervisor<A> {
    pub(crate) fn new(policy: RestartPolicy, factory: Box<dyn FnMut() -> A + Send>) -> Self {
        Supervisor {
            factory,
            policy,
            recent: VecDeque::new(),
        }
    }

    pub(crate) fn build(&mut self) -> A {
        (self.factory)()
    }

    /// Records a restart at `now` if the policy still allows one.
    pub(crate) fn allow_restart(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.recent.front() {
            if now.duration_since(oldest) >= self.policy.within {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        let within_limit = self.recent.len() < self.policy.max_restarts as usize;
        if within_limit {
            self.recent.push_back(now);
        }
        within_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supervisor(max: u32, secs: u64) -> Supervisor<()> {
        Supervisor::new(
            RestartPolicy::new(max, Duration::from_secs(secs)),
            Box::new(|| ()),
        )
    }

    #[test]
    fn allows_up_to_the_limit_inside_the_window() {
        let mut sup = supervisor(2, 5);
        let t0 = Instant::now();
        assert!(sup.allow_restart(t0));
        assert!(sup.allow_restart(t0 + Duration::from_secs(1)));
        assert!(!sup.allow_restart(t0 + Duration::from_secs(2)));
    }

    #[test]
    fn old_restarts_leave_the_window() {
        let mut sup = supervisor(1, 5);
        let t0 = Instant::now();
        assert!(sup.allow_restart(t0));
        assert!(!sup.allow_restart(t0 + Duration::from_secs(4)));
        assert!(sup.allow_restart(t0 + Duration::from_secs(5)));
    }

    #[test]
    fn zero_restarts_means_never() {
        assert!(!supervisor(0, 5).allow_restart(Instant::now()));
    }

    #[test]
    fn default_is_otp_intensity() {
        assert_eq!(
            RestartPolicy::default(),
            RestartPolicy::new(1, Duration::from_secs(5))
        );
    }
}
