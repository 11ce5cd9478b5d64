//! WebSocket close codes (RFC 6455 §7.4.1): what the endpoint's refusal and a connection's
//! last frame say about why the connection ends.

/// Normal closure.
pub(crate) const NORMAL: u16 = 1000;
/// The server is going away (shutting down).
pub(crate) const GOING_AWAY: u16 = 1001;
/// A message broke the policy (flooding).
pub(crate) const POLICY: u16 = 1008;
/// A message too big to process.
pub(crate) const TOO_BIG: u16 = 1009;
/// The server is at its connection limit.
pub(crate) const TRY_AGAIN_LATER: u16 = 1013;
