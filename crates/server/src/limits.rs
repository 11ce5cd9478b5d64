//! Fitting the connection limit to the file descriptors the process may open.
//!
//! Every connection is a socket, and a socket is a file descriptor. If `--max-connections`
//! is above what `RLIMIT_NOFILE` allows, the process runs out of descriptors before it
//! reaches its own limit, and `accept` fails instead of the client getting "server is full".
//! So at start-up the limit is lowered to what the descriptors allow, less a reserve for
//! everything else the process holds open (listeners, the database and its journal, the
//! runtime's own descriptors, refusals on their way out).

/// Descriptors kept for everything that is not a counted connection.
pub(crate) const DESCRIPTOR_RESERVE: u64 = 32;

/// `max_connections`, lowered (with a warning) if the descriptor limit cannot hold that many
/// connections plus the reserve. Never below 1.
pub(crate) fn clamp_to_descriptors(max_connections: usize) -> usize {
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, _hard)) => clamp(max_connections, soft),
        Err(err) => {
            tracing::debug!(%err, "cannot read the file descriptor limit");
            max_connections
        }
    }
}

fn clamp(max_connections: usize, descriptors: u64) -> usize {
    let room = descriptors.saturating_sub(DESCRIPTOR_RESERVE).max(1);
    let room = usize::try_from(room).unwrap_or(usize::MAX);
    if max_connections > room {
        tracing::warn!(
            max_connections,
            descriptors,
            clamped = room,
            "the file descriptor limit cannot hold --max-connections: serving fewer"
        );
        room
    } else {
        max_connections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_within_the_descriptors_is_kept() {
        assert_eq!(clamp(100, 1024), 100);
    }

    #[test]
    fn a_limit_beyond_the_descriptors_is_lowered_by_the_reserve() {
        assert_eq!(clamp(10_240, 1024), 1024 - 32);
        assert_eq!(clamp(10_240, 8), 1);
    }
}
