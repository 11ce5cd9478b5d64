//! Admission: whether a new connection, whatever its transport, may take a seat in the house.
//!
//! Two budgets, checked together when a connection is accepted:
//!
//! * the **connection slots** (`--max-connections`), one semaphore shared by TCP, WebSocket
//!   and plain HTTP connections, so that no transport can starve the others of descriptors;
//! * the **connections per address** (`--max-per-ip`), so that one client cannot take every
//!   slot. Addresses are grouped as a host is usually given them: an IPv4 address on its own,
//!   an IPv6 address by its /64 (one host's SLAAC addresses, privacy addresses included, share
//!   a /64, and a host often has the whole of one to pick from). An IPv4 address mapped into
//!   IPv6 counts as the IPv4 address.
//!
//! A connection admitted holds a [`Ticket`]; dropping it gives back the slot and the address's
//! share. The map of addresses keeps only addresses with a connection open: an entry is
//! removed when its count returns to zero, so an attack's memory is returned when it ends.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every connection slot is taken.
    Full,
    /// The client's address (or its IPv6 /64) already has its share of connections.
    TooManyFromAddress,
}

/// The gate every new connection passes.
#[derive(Debug)]
pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    /// Connections one address may have open at once; 0 for no limit.
    max_per_address: usize,
}

/// A connection's right to be served: its slot and its address's share. Dropping it gives
/// both back.
#[derive(Debug)]
pub(crate) struct Ticket {
    _slot: OwnedSemaphorePermit,
    _address: Option<AddressShare>,
}

/// One connection counted against an address.
#[derive(Debug)]
struct AddressShare {
    key: IpAddr,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressShare {
    fn drop(&mut self) {
        let mut map = self
            .per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = map.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                map.remove(&self.key);
            }
        }
    }
}

impl Admission {
    /// A gate over these slots, letting each address have `max_per_address` connections
    /// (0: any number).
    pub(crate) fn new(slots: Arc<Semaphore>, max_per_address: usize) -> Self {
        Admission {
            slots,
            per_address: Arc::default(),
            max_per_address,
        }
    }

    /// Admits a connection from `peer`, or says why not.
    ///
    /// # Errors
    /// [`Refusal::TooManyFromAddress`] when the address has its share (checked first: an
    /// address over its share is told so even when the house is full too), [`Refusal::Full`]
    /// when every slot is taken.
    pub(crate) fn admit(&self, peer: IpAddr) -> Result<Ticket, Refusal> {
        let address = self.share(peer)?;
        let slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Full)?;
        Ok(Ticket {
            _slot: slot,
            _address: address,
        })
    }

    /// Addresses with a connection open now.
    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn share(&self, peer: IpAddr) -> Result<Option<AddressShare>, Refusal> {
        if self.max_per_address == 0 {
            return Ok(None);
        }
        let key = group(peer);
        let mut map = self
            .per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = map.entry(key).or_insert(0);
        if *count >= self.max_per_address {
            return Err(Refusal::TooManyFromAddress);
        }
        *count += 1;
        Ok(Some(AddressShare {
            key,
            per_address: self.per_address.clone(),
        }))
    }
}

/// The key an address is counted under: IPv4 as is (mapped IPv6 included), IPv6 by its /64.
pub(crate) fn group(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = v6.to_bits() & !u128::from(u64::MAX);
                IpAddr::V6(Ipv6Addr::from_bits(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    fn gate(slots: usize, per_address: usize) -> Admission {
        Admission::new(Arc::new(Semaphore::new(slots)), per_address)
    }

    #[test]
    fn an_address_over_its_share_is_refused_while_another_gets_in() {
        let gate = gate(10, 2);
        let _one = gate.admit(A).unwrap();
        let _two = gate.admit(A).unwrap();
        assert_eq!(gate.admit(A).unwrap_err(), Refusal::TooManyFromAddress);
        assert!(gate.admit(B).is_ok());
    }

    #[test]
    fn a_full_house_refuses_everyone() {
        let gate = gate(1, 5);
        let _one = gate.admit(A).unwrap();
        assert_eq!(gate.admit(B).unwrap_err(), Refusal::Full);
        // A refused connection leaves no share behind.
        assert_eq!(gate.addresses(), 1);
    }

    #[test]
    fn dropping_tickets_returns_shares_and_forgets_the_address() {
        let gate = gate(10, 2);
        let tickets: Vec<_> = (0..2).map(|_| gate.admit(A).unwrap()).collect();
        assert_eq!(gate.addresses(), 1);
        drop(tickets);
        assert_eq!(gate.addresses(), 0);
        assert!(gate.admit(A).is_ok());
    }

    #[test]
    fn zero_means_no_limit_per_address() {
        let gate = gate(100, 0);
        let tickets: Vec<_> = (0..100).map(|_| gate.admit(A).unwrap()).collect();
        assert_eq!(tickets.len(), 100);
        assert_eq!(gate.addresses(), 0);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other_in_the_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let next_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(group(one), group(other_in_the_64));
        assert_ne!(group(one), group(next_64));
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(group(mapped), A);
    }
}
