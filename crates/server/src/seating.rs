//! Which connection holds a seat: a [`Seating`], told with every departure (`Leave`, `Away`)
//! so that a connection that no longer holds the seat cannot free it or mark it away.
//!
//! A player may take their seat back on another connection — of this node, or (with their
//! token, R20) of another node while the old one is still alive but out of their reach. The
//! old connection's node goes on believing it holds the seat: its session marks the player
//! away when its socket finally drops, its parking lot gives the seat up when the reconnect
//! window ends. Both name the player only, and before this they removed a player who was back
//! and playing elsewhere. Now each names the seating it speaks for — the connection and the
//! seat's epoch (`seen.rs`), and the node's run for a connection of another node — and the
//! room acts only if that is still the seat's holder. A seat whose holder is unknown (restored
//! from a snapshot and not taken back yet, or joined from a build that does not say) is given
//! up by any departure, as before.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One holding of a seat by one connection (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Seating {
    /// The run of the node whose connection it is (`a_r3`, `cluster::ClusterNode::run`), for
    /// a seat held from another node — or from this one through NATS; `None`: a connection
    /// of the room's own node, on the room's own handle.
    pub(crate) node: Option<String>,
    /// The connection's number on its node (`Shared::next_connection`).
    pub(crate) connection: u64,
    /// The seat's epoch on that connection: one more at every join or rejoin.
    pub(crate) epoch: u32,
}

impl Seating {
    /// Seat `epoch` of connection `connection` of this node.
    pub(crate) fn here(connection: u64, epoch: u32) -> Self {
        Seating {
            node: None,
            connection,
            epoch,
        }
    }

    /// The same seating, of a connection of node run `node`.
    pub(crate) fn on_node(self, node: &str) -> Self {
        Seating {
            node: Some(node.to_owned()),
            ..self
        }
    }
}

/// Where an outbox's frames go, as far as seatings are concerned: the connection, and the
/// node run for a remote member's outbox. The outbox's own epoch completes the [`Seating`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) node: Option<Arc<str>>,
    pub(crate) connection: u64,
}

impl Origin {
    /// The seating of this origin's seat `epoch`.
    pub(crate) fn seating(&self, epoch: u32) -> Seating {
        Seating {
            node: self.node.as_deref().map(str::to_owned),
            connection: self.connection,
            epoch,
        }
    }
}

/// Whether a departure from `from` may act on a seat held by `holder`: when either is
/// unknown, or they are the same seating.
pub(crate) fn speaks_for(from: Option<&Seating>, holder: Option<&Seating>) -> bool {
    match (from, holder) {
        (Some(from), Some(holder)) => from == holder,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_holding_seating_or_an_unknown_one_speaks_for_a_seat() {
        let held = Seating::here(4, 2).on_node("b_r1");
        assert!(speaks_for(Some(&held), Some(&held)));
        assert!(speaks_for(None, Some(&held)), "a departure naming nobody");
        assert!(
            speaks_for(Some(&held), None),
            "a seat whose holder is unknown"
        );
        for other in [
            Seating::here(4, 2),
            Seating::here(4, 2).on_node("a_r1"),
            Seating::here(4, 3).on_node("b_r1"),
            Seating::here(5, 2).on_node("b_r1"),
            Seating::here(4, 2).on_node("b_r2"),
        ] {
            assert!(!speaks_for(Some(&other), Some(&held)), "{other:?}");
        }
    }
}
