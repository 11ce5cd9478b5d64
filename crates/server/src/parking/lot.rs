//! The parked seats' bookkeeping: which tokens hold a seat, since when, for which client
//! address, and which to give up when a cap is reached.
//!
//! Pure, as the rules are: no timers, no channels, no actor. What is parked under a token is
//! the type parameter `T` (a player's [`Parked`](super::Parked) state in the server); the
//! parking actor decides what a given-up seat means (the room is told the player left).
//!
//! **Held seats are bounded.** At most `total` seats at once, at most `per_ip` for the
//! players of one client address; one more past either cap gives up the *oldest* held seat
//! under that cap (of that address first, then of all).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// How many seats may be held at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParkLimits {
    /// In all.
    pub(crate) total: usize,
    /// For the players of one client address.
    pub(crate) per_ip: usize,
}

/// One parked seat.
struct Spot<T> {
    held: T,
    /// Tells this parking from a later one of the same token (and orders them).
    since: u64,
    /// The dropped connection's address.
    peer: Option<IpAddr>,
}

/// The parked seats, by token.
pub(super) struct Lot<T> {
    spots: HashMap<String, Spot<T>>,
    /// Numbers each parking, so that an expiry can tell if it is still the one.
    parkings: u64,
    /// The parked tokens by `since`: oldest first.
    order: BTreeMap<u64, String>,
    /// The parked `since`s of each client address.
    by_ip: HashMap<IpAddr, BTreeSet<u64>>,
    limits: ParkLimits,
}

impl<T> Lot<T> {
    /// An empty lot; each limit is at least one.
    pub(super) fn new(limits: ParkLimits) -> Self {
        Lot {
            spots: HashMap::new(),
            parkings: 0,
            order: BTreeMap::new(),
            by_ip: HashMap::new(),
            limits: ParkLimits {
                total: limits.total.max(1),
                per_ip: limits.per_ip.max(1),
            },
        }
    }

    /// Gives up the oldest held seats until one more from `peer` fits under both caps:
    /// each one given up, with the cap that pushed it out (`"ip"` or `"total"`).
    pub(super) fn make_room(&mut self, peer: Option<IpAddr>) -> Vec<(T, &'static str)> {
        let mut released = Vec::new();
        if let Some(ip) = peer {
            while let Some(set) = self
                .by_ip
                .get(&ip)
                .filter(|s| s.len() >= self.limits.per_ip)
            {
                let Some(token) = set.first().and_then(|since| self.order.get(since)) else {
                    break;
                };
                if let Some((held, _)) = self.take(&token.clone()) {
                    released.push((held, "ip"));
                }
            }
        }
        while self.order.len() >= self.limits.total {
            let Some(token) = self.order.values().next().cloned() else {
                break;
            };
            if let Some((held, _)) = self.take(&token) {
                released.push((held, "total"));
            }
        }
        released
    }

    /// Parks `held` under `token` (make room first); returns its `since`, for its expiry.
    pub(super) fn insert(&mut self, token: String, held: T, peer: Option<IpAddr>) -> u64 {
        self.parkings += 1;
        let since = self.parkings;
        self.order.insert(since, token.clone());
        if let Some(ip) = peer {
            self.by_ip.entry(ip).or_default().insert(since);
        }
        self.spots.insert(token, Spot { held, since, peer });
        since
    }

    /// Takes what is parked under `token` back out, with the address it was parked from.
    pub(super) fn take(&mut self, token: &str) -> Option<(T, Option<IpAddr>)> {
        let spot = self.spots.remove(token)?;
        self.order.remove(&spot.since);
        if let Some(ip) = &spot.peer {
            if let Some(set) = self.by_ip.get_mut(ip) {
                set.remove(&spot.since);
                if set.is_empty() {
                    self.by_ip.remove(ip);
                }
            }
        }
        shrink(&mut self.spots);
        shrink(&mut self.by_ip);
        Some((spot.held, spot.peer))
    }

    /// Takes what is parked under `token` if it is still the parking numbered `since`.
    pub(super) fn expire(&mut self, token: &str, since: u64) -> Option<T> {
        let current = self
            .spots
            .get(token)
            .is_some_and(|spot| spot.since == since);
        if !current {
            return None;
        }
        self.take(token).map(|(held, _)| held)
    }

    /// Whether something is parked under `token`.
    pub(super) fn contains(&self, token: &str) -> bool {
        self.spots.contains_key(token)
    }

    /// Seats held.
    pub(super) fn len(&self) -> usize {
        self.spots.len()
    }
}

/// Gives memory back once a map is much smaller than what it grew to (after a flood).
pub(super) fn shrink<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > 64 && map.capacity() > 4 * map.len() {
        map.shrink_to(2 * map.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot(total: usize, per_ip: usize) -> Lot<u64> {
        Lot::new(ParkLimits { total, per_ip })
    }

    /// Parks players `players` from `peer`, making room first as the actor does; returns the
    /// players given up.
    fn park(lot: &mut Lot<u64>, players: std::ops::Range<u64>, peer: Option<IpAddr>) -> Vec<u64> {
        let mut given_up = Vec::new();
        for player in players {
            given_up.extend(lot.make_room(peer).into_iter().map(|(held, _)| held));
            lot.insert(format!("t{player}"), player, peer);
        }
        given_up
    }

    #[test]
    fn past_the_total_cap_the_oldest_seats_are_given_up() {
        let mut lot = lot(3, 100);
        assert_eq!(park(&mut lot, 1..6, None), vec![1, 2]);
        assert_eq!(lot.len(), 3);
        assert!(!lot.contains("t2"));
        assert_eq!(lot.take("t3").map(|(held, _)| held), Some(3));
    }

    #[test]
    fn past_the_address_cap_only_that_address_loses_seats() {
        let mut lot = lot(100, 2);
        let honest = Some(IpAddr::from([127, 0, 0, 2]));
        let flood = Some(IpAddr::from([127, 0, 0, 3]));
        park(&mut lot, 1..2, honest);
        let given_up = park(&mut lot, 2..12, flood);
        assert_eq!(given_up, (2..10).collect::<Vec<u64>>());
        assert_eq!(lot.len(), 3);
        assert!(lot.contains("t1"));
    }

    #[test]
    fn a_cap_names_itself() {
        let mut lot = lot(1, 1);
        lot.insert("a".into(), 1, Some(IpAddr::from([127, 0, 0, 2])));
        let released = lot.make_room(Some(IpAddr::from([127, 0, 0, 2])));
        assert_eq!(released, vec![(1, "ip")]);
        lot.insert("b".into(), 2, None);
        assert_eq!(lot.make_room(None), vec![(2, "total")]);
    }

    #[test]
    fn an_expiry_ends_only_the_parking_it_was_set_for() {
        let mut lot = lot(10, 10);
        let first = lot.insert("t".into(), 5, None);
        assert_eq!(lot.take("t").map(|(held, _)| held), Some(5));
        let second = lot.insert("t".into(), 5, None);
        assert_eq!(lot.expire("t", first), None);
        assert!(lot.contains("t"));
        assert_eq!(lot.expire("t", second), Some(5));
        assert_eq!(lot.len(), 0);
    }
}
