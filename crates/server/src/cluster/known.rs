//! The node's [`ClusterView`], shared by its sessions and its gossip task, on the node's
//! own monotonic clock.
//!
//! A plain mutex rather than an actor: the view is a cache of hints read by every lookup
//! and written a few times a second, each access a few microseconds under the lock, and no
//! access ever waits on anything else while holding it.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use referee_protocol::notice::RoomListing;

use super::view::{ClusterView, Elsewhere, NodeAd};
use crate::ids::RoomId;

/// What this node knows of the others.
#[derive(Debug)]
pub(crate) struct KnownNodes {
    view: Mutex<ClusterView>,
    started: Instant,
}

impl Default for KnownNodes {
    fn default() -> Self {
        KnownNodes {
            view: Mutex::new(ClusterView::default()),
            started: Instant::now(),
        }
    }
}

impl KnownNodes {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn view(&self) -> MutexGuard<'_, ClusterView> {
        // Nothing under the lock can leave the view half-changed: a poisoned lock is fine.
        self.view.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Another node's announcement, heard now.
    pub(crate) fn heard(&self, ad: NodeAd) {
        let now = self.now_ms();
        self.view().heard(ad, now);
    }

    /// Whether `origin` is the web page of another node of the cluster (heard at any time).
    pub(crate) fn is_node_page(&self, origin: &str) -> bool {
        self.view().is_node_page(origin)
    }

    /// The web pages of the other nodes (heard at any time).
    pub(crate) fn pages(&self) -> Vec<String> {
        self.view().pages()
    }

    /// The other nodes heard from lately.
    pub(crate) fn live(&self) -> Vec<NodeAd> {
        let now = self.now_ms();
        self.view().live(now).into_iter().cloned().collect()
    }

    /// Public rooms of `game` with a free seat on other nodes, fullest first.
    pub(crate) fn filling(&self, game: &str, exclude: Option<RoomId>) -> Vec<Elsewhere> {
        let now = self.now_ms();
        self.view().filling(game, exclude, now)
    }

    /// The room on another node that a number (public) or a canonical code (private) names.
    pub(crate) fn find(&self, number: Option<RoomId>, code: Option<&str>) -> Option<Elsewhere> {
        let now = self.now_ms();
        self.view().find(number, code, now)
    }

    /// The other nodes' public rooms as listings, and how many public rooms they host.
    pub(crate) fn listings(&self, several: bool) -> (Vec<RoomListing>, usize) {
        let now = self.now_ms();
        self.view().listings(several, now)
    }
}
