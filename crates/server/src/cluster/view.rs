//! What a node knows of the other nodes' rooms: the cluster-wide lobby's pure part.
//!
//! Every node announces its rooms a few times a second (`gossip.rs`); each node keeps the
//! latest announcement of every other node here, and forgets a node it has not heard from
//! for [`STALE_MS`]. The view is a hint, never the truth: a seat is only ever taken by
//! asking the room's own node, whose lobby counts its seats (`lobby/remote.rs`). A room seen
//! filling here may be full by the time it is asked — the asker then tries the next one, or
//! opens a room of its own. That keeps the lobby free of any cluster-wide agreement: each
//! node's directory stays the one authority on its rooms.
//!
//! Pure (STYLE §2): no tokio, no NATS, time passed in as milliseconds.

use std::cmp::Reverse;
use std::collections::HashMap;

use referee_protocol::notice::RoomListing;
use serde::{Deserialize, Serialize};

use crate::ids::RoomId;

/// A node not heard from for this long is left out of the view (its rooms, if it died,
/// come back under another node once their leases run out).
pub(crate) const STALE_MS: u64 = 2_000;

/// Rooms one announcement carries at most (the lowest numbers); the rest are not seen by
/// the other nodes: their players cannot quick-match, join or watch them from elsewhere
/// (a known limit: a node past this many rooms needs a directory that scales, not gossip).
pub(crate) const ADVERTISED: usize = 2_000;

/// One room, as its node announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoomAd {
    pub(crate) id: RoomId,
    /// The game it plays.
    pub(crate) game: String,
    /// Its join code, if private (nodes share codes: NATS must be the cluster's own).
    pub(crate) code: Option<String>,
    /// Seats taken and seats in all.
    pub(crate) seats: usize,
    pub(crate) capacity: usize,
}

/// A node's announcement: who it is, where players reach it, and its rooms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NodeAd {
    /// The announcement's format (this is 1).
    pub(crate) v: u32,
    pub(crate) node: String,
    pub(crate) index: u32,
    /// Where players reach it (`host:port`), if it listens there.
    pub(crate) tcp: Option<String>,
    pub(crate) http: Option<String>,
    /// Connections open on it.
    pub(crate) connections: u64,
    /// Its rooms (at most [`ADVERTISED`]) and how many it hosts in all.
    pub(crate) rooms: Vec<RoomAd>,
    pub(crate) rooms_total: usize,
}

/// The format of [`NodeAd`] this build reads and writes.
pub(crate) const AD_VERSION: u32 = 1;

/// Another node's room, found in the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Elsewhere {
    pub(crate) node: String,
    pub(crate) room: RoomId,
}

/// The latest announcement of every other node.
#[derive(Debug, Default)]
pub(crate) struct ClusterView {
    nodes: HashMap<String, (NodeAd, u64)>,
}

impl ClusterView {
    /// Takes `ad`, heard at `now_ms`. Announcements of another format are ignored.
    pub(crate) fn heard(&mut self, ad: NodeAd, now_ms: u64) {
        if ad.v == AD_VERSION {
            self.nodes.insert(ad.node.clone(), (ad, now_ms));
        }
    }

    /// Whether `origin` (`http://host:port`, no trailing `/`) is the page of a node this one
    /// has heard, lately or not: a page whose node died reconnects to another node.
    pub(crate) fn is_node_page(&self, origin: &str) -> bool {
        self.nodes.values().any(|(ad, _)| {
            ad.http
                .as_deref()
                .is_some_and(|page| page.trim_end_matches('/').eq_ignore_ascii_case(origin))
        })
    }

    /// The web pages (`--public-url`) of every node heard, lately or not, by name.
    pub(crate) fn pages(&self) -> Vec<String> {
        let mut ads: Vec<&NodeAd> = self.nodes.values().map(|(ad, _)| ad).collect();
        ads.sort_by(|a, b| a.node.cmp(&b.node));
        ads.into_iter().filter_map(|ad| ad.http.clone()).collect()
    }

    /// The nodes heard from within [`STALE_MS`] of `now_ms`, by name.
    pub(crate) fn live(&self, now_ms: u64) -> Vec<&NodeAd> {
        let mut live: Vec<&NodeAd> = self
            .nodes
            .values()
            .filter(|(_, at)| now_ms.saturating_sub(*at) <= STALE_MS)
            .map(|(ad, _)| ad)
            .collect();
        live.sort_by(|a, b| a.node.cmp(&b.node));
        live
    }

    /// The public rooms of `game` with a free seat on other nodes, fullest first (then the
    /// lowest number): where quick match goes when this node has none filling.
    pub(crate) fn filling(
        &self,
        game: &str,
        exclude: Option<RoomId>,
        now_ms: u64,
    ) -> Vec<Elsewhere> {
        let mut rooms: Vec<(&RoomAd, &str)> = self
            .live(now_ms)
            .into_iter()
            .flat_map(|ad| ad.rooms.iter().map(move |room| (room, ad.node.as_str())))
            .filter(|(room, _)| {
                room.code.is_none()
                    && room.game == game
                    && room.seats < room.capacity
                    && Some(room.id) != exclude
            })
            .collect();
        rooms.sort_by_key(|(room, _)| (Reverse(room.seats), room.id));
        rooms
            .into_iter()
            .map(|(room, node)| Elsewhere {
                node: node.to_owned(),
                room: room.id,
            })
            .collect()
    }

    /// The room `wanted` names on another node: a public room by number, a private one by
    /// its (canonical) code.
    pub(crate) fn find(
        &self,
        number: Option<RoomId>,
        code: Option<&str>,
        now_ms: u64,
    ) -> Option<Elsewhere> {
        self.live(now_ms).into_iter().find_map(|ad| {
            ad.rooms
                .iter()
                .find(|room| match (&room.code, code) {
                    (Some(own), Some(code)) => own == code,
                    (None, _) => Some(room.id) == number,
                    (Some(_), None) => false,
                })
                .map(|room| Elsewhere {
                    node: ad.node.clone(),
                    room: room.id,
                })
        })
    }

    /// The public rooms of other nodes as listings (`several`: name each room's game), and
    /// how many rooms they host in all.
    pub(crate) fn listings(&self, several: bool, now_ms: u64) -> (Vec<RoomListing>, usize) {
        let live = self.live(now_ms);
        let listings = live
            .iter()
            .flat_map(|ad| ad.rooms.iter())
            .filter(|room| room.code.is_none())
            .map(|room| RoomListing {
                id: room.id,
                players: room.seats,
                capacity: room.capacity,
                game: several.then(|| room.game.clone()),
            })
            .collect();
        let public: usize = live
            .iter()
            .map(|ad| {
                ad.rooms_total
                    .saturating_sub(ad.rooms.iter().filter(|r| r.code.is_some()).count())
            })
            .sum();
        (listings, public)
    }
}

/// Merges this node's listing with the others', lowest number first, the first `limit`.
pub(crate) fn merge_listings(
    (mut own, own_total): (Vec<RoomListing>, usize),
    (others, others_total): (Vec<RoomListing>, usize),
    limit: usize,
) -> (Vec<RoomListing>, usize) {
    own.extend(others);
    own.sort_by_key(|listing| listing.id);
    own.dedup_by_key(|listing| listing.id);
    own.truncate(limit);
    (own, own_total + others_total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: RoomId, game: &str, seats: usize, code: Option<&str>) -> RoomAd {
        RoomAd {
            id,
            game: game.to_owned(),
            code: code.map(str::to_owned),
            seats,
            capacity: 4,
        }
    }

    fn node(name: &str, rooms: Vec<RoomAd>) -> NodeAd {
        NodeAd {
            v: AD_VERSION,
            node: name.to_owned(),
            index: 1,
            tcp: None,
            http: None,
            connections: 0,
            rooms_total: rooms.len(),
            rooms,
        }
    }

    #[test]
    fn a_nodes_page_stays_known_after_the_node_goes_silent() {
        let mut view = ClusterView::default();
        let mut b = node("b", Vec::new());
        b.http = Some("http://127.0.0.1:9001".to_owned());
        view.heard(b, 0);
        assert!(view.live(10 * STALE_MS).is_empty());
        assert!(view.is_node_page("http://127.0.0.1:9001"));
        assert!(!view.is_node_page("http://127.0.0.1:9002"));
        assert_eq!(view.pages(), vec!["http://127.0.0.1:9001".to_owned()]);
    }

    #[test]
    fn quick_match_elsewhere_goes_to_the_fullest_public_room_of_the_game_with_a_seat() {
        let mut view = ClusterView::default();
        view.heard(
            node(
                "b",
                vec![room(1, "guess", 1, None), room(2, "guess", 3, None)],
            ),
            0,
        );
        view.heard(
            node(
                "c",
                vec![
                    room(3, "guess", 4, None),
                    room(4, "dice", 3, None),
                    room(5, "guess", 3, Some("ABCD")),
                ],
            ),
            0,
        );
        let filling = view.filling("guess", None, 10);
        let ids: Vec<RoomId> = filling.iter().map(|e| e.room).collect();
        // Room 3 is full, 4 plays dice, 5 is private.
        assert_eq!(ids, vec![2, 1]);
        assert_eq!(filling[0].node, "b");
        assert_eq!(view.filling("guess", Some(2), 10)[0].room, 1);
    }

    #[test]
    fn a_node_not_heard_from_for_the_stale_time_is_left_out() {
        let mut view = ClusterView::default();
        view.heard(node("b", vec![room(1, "guess", 1, None)]), 1_000);
        assert_eq!(view.filling("guess", None, 1_000 + STALE_MS).len(), 1);
        assert!(view.filling("guess", None, 1_001 + STALE_MS).is_empty());
        assert!(view.find(Some(1), None, 1_001 + STALE_MS).is_none());
    }

    #[test]
    fn rooms_are_found_by_number_when_public_and_by_code_only_when_private() {
        let mut view = ClusterView::default();
        view.heard(
            node(
                "b",
                vec![room(7, "guess", 1, None), room(8, "guess", 1, Some("KQXZ"))],
            ),
            0,
        );
        assert_eq!(view.find(Some(7), None, 0).map(|e| e.room), Some(7));
        assert_eq!(
            view.find(Some(8), None, 0),
            None,
            "a private room by its number"
        );
        assert_eq!(
            view.find(None, Some("KQXZ"), 0).map(|e| (e.node, e.room)),
            Some(("b".into(), 8))
        );
        assert_eq!(view.find(None, Some("AAAA"), 0), None);
    }

    #[test]
    fn another_format_of_announcement_is_ignored() {
        let mut view = ClusterView::default();
        let mut ad = node("b", vec![room(1, "guess", 1, None)]);
        ad.v = AD_VERSION + 1;
        view.heard(ad, 0);
        assert!(view.live(0).is_empty());
    }

    #[test]
    fn listings_merge_lowest_number_first_and_count_every_public_room() {
        let mut view = ClusterView::default();
        view.heard(
            node(
                "b",
                vec![
                    room(1_000_002, "guess", 2, None),
                    room(1_000_003, "guess", 1, Some("QQQQ")),
                ],
            ),
            0,
        );
        let own = vec![RoomListing {
            id: 1,
            players: 1,
            capacity: 4,
            game: None,
        }];
        let (merged, total) = merge_listings((own, 1), view.listings(false, 0), 20);
        let ids: Vec<RoomId> = merged.iter().map(|l| l.id).collect();
        assert_eq!(ids, vec![1, 1_000_002]);
        assert_eq!(total, 2);
    }
}
