//! How a node reaches NATS: the URL, and the TLS it requires.
//!
//! Everything between nodes crosses NATS: moves, pushes with player names, the lobby's
//! announcements with private room codes. On one machine's loopback that is private; across
//! machines it is not. So a node can require TLS (`--cluster-ca`: the server's certificate
//! must chain to this CA, and a plain connection is refused) and prove itself with a client
//! certificate (`--cluster-cert`, `--cluster-key`: for a NATS server run with
//! `--tlsverify`, which then admits only nodes holding a certificate its CA signed). A user
//! and password, or a token, go in the URL (`nats://user:password@host:4222`,
//! `nats://token@host:4222`, percent-encoded), as NATS's own tools take them. async-nats
//! 0.46 sends none of them by itself (its CONNECT carries no user), so [`with_credentials`]
//! reads them and hands them over; they are never written to a log or an error:
//! [`redacted`] hides them.
//!
//! The files are checked before any connection is tried, so a typo reads as a typo, not as a
//! TLS failure.

use std::path::{Path, PathBuf};

use async_nats::{ConnectOptions, ServerAddr};
use percent_encoding::percent_decode_str;

/// The TLS a node requires of NATS, from `--cluster-ca`, `--cluster-cert`, `--cluster-key`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsTls {
    /// The CA that signed the NATS server's certificate. With it, TLS is required.
    pub ca: Option<PathBuf>,
    /// This node's certificate (PEM), for a server that verifies its clients.
    pub cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    pub key: Option<PathBuf>,
}

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NatsTlsError {
    /// A certificate without its key, or a key without its certificate.
    #[error("--cluster-cert and --cluster-key go together: give both or neither")]
    HalfAPair,
    /// A file that cannot be read.
    #[error("cannot read {what} {path}: {detail}")]
    Unreadable {
        /// Which file it was meant to be.
        what: &'static str,
        /// Where it was looked for.
        path: String,
        /// Why not.
        detail: String,
    },
}

impl NatsTls {
    /// Whether this asks for TLS at all.
    pub fn is_required(&self) -> bool {
        self.ca.is_some() || self.cert.is_some()
    }

    /// `options` with this TLS: the CA's roots added and TLS required, the client
    /// certificate presented.
    ///
    /// # Errors
    /// [`NatsTlsError`] when a certificate comes without its key (or the reverse), or a file
    /// cannot be read.
    pub fn apply(&self, mut options: ConnectOptions) -> Result<ConnectOptions, NatsTlsError> {
        if let Some(ca) = &self.ca {
            readable("CA certificate", ca)?;
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                readable("certificate", cert)?;
                readable("private key", key)?;
                options = options
                    .add_client_certificate(cert.clone(), key.clone())
                    .require_tls(true);
            }
            (None, None) => {}
            _ => return Err(NatsTlsError::HalfAPair),
        }
        Ok(options)
    }
}

fn readable(what: &'static str, path: &Path) -> Result<(), NatsTlsError> {
    std::fs::File::open(path)
        .map(drop)
        .map_err(|err| NatsTlsError::Unreadable {
            what,
            path: path.display().to_string(),
            detail: err.to_string(),
        })
}

/// `options` with the user and password, or the token, of the first of the comma-separated
/// `url`s that carries any; `options` as they are when none does (or a URL does not parse:
/// the connection will say so).
pub(crate) fn with_credentials(options: ConnectOptions, url: &str) -> ConnectOptions {
    let found = url.split(',').find_map(|one| {
        let addr: ServerAddr = one.trim().parse().ok()?;
        let user = decoded(addr.username()?);
        Some((user, addr.password().map(decoded)))
    });
    match found {
        Some((user, Some(password))) => options.user_and_password(user, password),
        Some((token, None)) => options.token(token),
        None => options,
    }
}

fn decoded(part: &str) -> String {
    percent_decode_str(part).decode_utf8_lossy().into_owned()
}

/// `url` as it may be shown: a user, password or token in it replaced by `***`
/// (`nats://***@host:4222`); several comma-separated URLs each.
pub fn redacted(url: &str) -> String {
    url.split(',')
        .map(|one| match (one.find("://"), one.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}***{}", &one[..scheme + 3], &one[at..])
            }
            (None, Some(at)) => format!("***{}", &one[at..]),
            _ => one.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        assert_eq!(
            redacted("nats://ann:s3cret@10.0.0.1:4222"),
            "nats://***@10.0.0.1:4222"
        );
        assert_eq!(redacted("tls://tok@host:4222"), "tls://***@host:4222");
        assert_eq!(redacted("u:p@host:4222"), "***@host:4222");
        assert_eq!(
            redacted("nats://a:b@h1:4222,nats://h2:4222"),
            "nats://***@h1:4222,nats://h2:4222"
        );
        assert_eq!(redacted("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        // A password holding an '@': everything before the last one is hidden.
        assert_eq!(redacted("nats://a:b@c@h:1"), "nats://***@h:1");
    }

    #[test]
    fn a_certificate_needs_its_key() {
        let half = NatsTls {
            cert: Some("cert.pem".into()),
            ..NatsTls::default()
        };
        assert_eq!(
            half.apply(ConnectOptions::new()).err(),
            Some(NatsTlsError::HalfAPair)
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let tls = NatsTls {
            ca: Some("/nonexistent/ca.pem".into()),
            ..NatsTls::default()
        };
        match tls.apply(ConnectOptions::new()) {
            Err(NatsTlsError::Unreadable { what, path, .. }) => {
                assert_eq!(
                    (what, path.as_str()),
                    ("CA certificate", "/nonexistent/ca.pem")
                );
            }
            other => panic!("expected the CA named, got {:?}", other.err()),
        }
    }

    #[test]
    fn no_tls_asked_is_no_tls_required() {
        assert!(!NatsTls::default().is_required());
        assert!(NatsTls::default().apply(ConnectOptions::new()).is_ok());
    }
}
