//! Failed room lookups, limited: private rooms' codes cannot be found by trying them.
//!
//! A `join` or `watch` that names no room is a *failed lookup*. Each client (connection)
//! and each client address may fail only so often (`governor`'s GCRA: a burst of the limit,
//! then one more per `60 s / limit`). The failure the limiter refuses has already been made
//! (governor cannot say in advance that the next one would be refused), so it locks the
//! client or address out until the limiter would let one through *and* that one's interval
//! has passed too: it is paid for. While locked out, lookups are refused *before* they are
//! made (`too_many_attempts`). So at most `limit + 1` failures go through in the first
//! minute and `limit` a minute after that: trying codes faster learns nothing. Lookups that
//! find a room cost nothing, so an honest player who mistypes a code once or twice never
//! notices.
//!
//! The per-address state is one GCRA cell per address that failed lately (pruned every
//! minute with `retain_recent`), plus the addresses locked out now and until when.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota};

use crate::config::RoomGuards;

/// How often the per-address state is pruned, at most.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Who ran out of failed lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exhausted {
    /// This connection.
    Client,
    /// Its address, all connections together.
    Ip,
}

impl Exhausted {
    /// The metrics label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Exhausted::Client => "client",
            Exhausted::Ip => "ip",
        }
    }
}

/// The server's record of failed lookups by address, shared by every session.
#[derive(Debug)]
pub(crate) struct Attempts {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_client: Quota,
    locked: Mutex<Locked>,
}

#[derive(Debug)]
struct Locked {
    /// Addresses whose lookups are refused, and until when.
    until: HashMap<IpAddr, Instant>,
    pruned: Instant,
}

/// One connection's record of failed lookups.
#[derive(Debug)]
pub(crate) struct ClientAttempts {
    limiter: DefaultDirectRateLimiter,
    locked_until: Option<Instant>,
}

fn per_minute(limit: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN))
}

/// How long from now until the failure `refused` turned away is paid for: the limiter's
/// wait, plus one interval for that failure itself.
fn lockout(refused: &NotUntil<<DefaultClock as Clock>::Instant>) -> Duration {
    let wait = refused.wait_time_from(DefaultClock::default().now());
    wait + refused.quota().replenish_interval()
}

impl Attempts {
    pub(crate) fn new(guards: &RoomGuards) -> Self {
        Attempts {
            per_ip: DefaultKeyedRateLimiter::keyed(per_minute(guards.failed_lookups_per_ip)),
            per_client: per_minute(guards.failed_lookups_per_client),
            locked: Mutex::new(Locked {
                until: HashMap::new(),
                pruned: Instant::now(),
            }),
        }
    }

    /// A new connection's record.
    pub(crate) fn client(&self) -> ClientAttempts {
        ClientAttempts {
            limiter: DefaultDirectRateLimiter::direct(self.per_client),
            locked_until: None,
        }
    }

    /// Whether a lookup may be made now; if not, who used up the failures.
    pub(crate) fn check(
        &self,
        client: &ClientAttempts,
        ip: Option<IpAddr>,
    ) -> Result<(), Exhausted> {
        let now = Instant::now();
        if client.locked_until.is_some_and(|until| now < until) {
            return Err(Exhausted::Client);
        }
        let Some(ip) = ip else {
            return Ok(());
        };
        let locked = self.locked.lock().unwrap_or_else(PoisonError::into_inner);
        match locked.until.get(&ip) {
            Some(&until) if now < until => Err(Exhausted::Ip),
            _ => Ok(()),
        }
    }

    /// A lookup named no room: it counts against the client and its address.
    pub(crate) fn failed(&self, client: &mut ClientAttempts, ip: Option<IpAddr>) {
        let now = Instant::now();
        if let Err(refused) = client.limiter.check() {
            client.locked_until = Some(now + lockout(&refused));
        }
        let Some(ip) = ip else {
            return;
        };
        let refused = self.per_ip.check_key(&ip).err();
        let mut locked = self.locked.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(refused) = refused {
            locked.until.insert(ip, now + lockout(&refused));
        }
        if now.duration_since(locked.pruned) >= PRUNE_EVERY {
            locked.pruned = now;
            locked.until.retain(|_, until| *until > now);
            locked.until.shrink_to_fit();
            self.per_ip.retain_recent();
            self.per_ip.shrink_to_fit();
        }
    }

    /// Addresses with a failure counted now (for tests).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.per_ip.len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn attempts(per_client: u32, per_ip: u32) -> Attempts {
        Attempts::new(&RoomGuards {
            failed_lookups_per_client: per_client,
            failed_lookups_per_ip: per_ip,
            ..RoomGuards::default()
        })
    }

    const HOME: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
    const OTHER: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));

    #[test]
    fn a_client_is_refused_once_its_failures_are_used_up() {
        let attempts = attempts(3, 100);
        let mut client = attempts.client();
        for _ in 0..3 {
            assert_eq!(attempts.check(&client, HOME), Ok(()));
            attempts.failed(&mut client, HOME);
        }
        // The burst is spent: the next failure is refused by the limiter and locks.
        attempts.failed(&mut client, HOME);
        assert_eq!(attempts.check(&client, HOME), Err(Exhausted::Client));
        // Another connection from the same address is not this client.
        assert_eq!(attempts.check(&attempts.client(), HOME), Ok(()));
    }

    #[test]
    fn an_address_is_refused_whichever_connection_asks() {
        let attempts = attempts(100, 4);
        for _ in 0..5 {
            let mut client = attempts.client();
            attempts.failed(&mut client, HOME);
        }
        let fresh = attempts.client();
        assert_eq!(attempts.check(&fresh, HOME), Err(Exhausted::Ip));
        assert_eq!(attempts.check(&fresh, OTHER), Ok(()), "only that address");
        assert_eq!(attempts.check(&fresh, None), Ok(()));
        assert_eq!(attempts.tracked(), 1);
    }
}
