//! Why a load run could not start. Failures of single bots are not errors of the run: they
//! are counted in the [`Report`](crate::Report).

use std::io;

/// A load run that could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// `--addr` is not `IP:PORT` (or `localhost:PORT`).
    #[error("{addr:?} is not an address: give IP:PORT, like 127.0.0.1:7878")]
    BadAddress {
        /// The address as given.
        addr: String,
    },
    /// `--addr` is outside the loopback range and `--allow-remote` was not given.
    #[error(
        "{addr} is not a loopback address (127.0.0.0/8 or ::1): refusing to load a server \
         that may not be yours; pass --allow-remote if it is"
    )]
    NotLoopback {
        /// The refused address.
        addr: String,
    },
    /// Resolving a host name (allowed with `--allow-remote` only) failed.
    #[error("cannot resolve {addr}: {source}")]
    Resolve {
        /// The address as given.
        addr: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The in-process echo server could not bind `127.0.0.1:0`.
    #[error("cannot start the echo server: {0}")]
    EchoBind(#[source] io::Error),
    /// `--game dice` with `--transport ws`: dice bots speak the line protocol only.
    #[error(
        "dice bots speak the line protocol only: drop --transport ws (or load guess-the-number)"
    )]
    DiceOverWebSocket,
    /// `--nodes` or `--remote-rooms` with dice or WebSocket bots: forming rooms across nodes
    /// is done for guess-the-number over the line protocol only.
    #[error("--nodes and --remote-rooms load guess-the-number over TCP only")]
    NodesNeedGuessOverTcp,
    /// The latency histograms could not be made (a bug: their bounds are constants).
    #[error("cannot create the latency histograms: {0}")]
    Histogram(String),
}
