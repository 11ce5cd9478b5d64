//! Where the bots may go: loopback only, unless the user says otherwise.
//!
//! This tool opens thousands of connections as fast as it can. Pointed at someone else's
//! server by a typo it would be an attack, so any address outside 127.0.0.0/8 and `::1` is
//! refused with [`LoadError::NotLoopback`] unless `--allow-remote` is given. The check needs
//! no DNS: without `--allow-remote` only IP addresses and `localhost` are accepted.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::LoadError;

/// Resolves `addr` to the one address the bots connect to.
///
/// # Errors
///
/// [`LoadError::NotLoopback`] for a non-loopback address (or any host name but `localhost`)
/// without `allow_remote`; [`LoadError::BadAddress`] when `addr` has no valid port;
/// [`LoadError::Resolve`] when a host name does not resolve (with `allow_remote` only).
pub(crate) async fn resolve(addr: &str, allow_remote: bool) -> Result<SocketAddr, LoadError> {
    let target = match parse_local(addr)? {
        Some(target) => target,
        None if allow_remote => lookup(addr).await?,
        None => return Err(not_loopback(addr)),
    };
    if allow_remote || target.ip().to_canonical().is_loopback() {
        Ok(target)
    } else {
        Err(not_loopback(addr))
    }
}

/// `IP:PORT` or `localhost:PORT` without any lookup; `None` for another host name.
fn parse_local(addr: &str) -> Result<Option<SocketAddr>, LoadError> {
    if let Ok(target) = addr.parse::<SocketAddr>() {
        return Ok(Some(target));
    }
    let bad = || LoadError::BadAddress {
        addr: addr.to_owned(),
    };
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)));
    }
    Ok(None)
}

async fn lookup(addr: &str) -> Result<SocketAddr, LoadError> {
    let resolve = |source| LoadError::Resolve {
        addr: addr.to_owned(),
        source,
    };
    let mut found = tokio::net::lookup_host(addr).await.map_err(resolve)?;
    found
        .next()
        .ok_or_else(|| resolve(std::io::Error::other("no address found")))
}

fn not_loopback(addr: &str) -> LoadError {
    LoadError::NotLoopback {
        addr: addr.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_addresses_are_accepted() {
        for addr in [
            "127.0.0.1:7878",
            "127.9.8.7:1",
            "[::1]:7878",
            "[::ffff:127.0.0.1]:80",
        ] {
            let target = resolve(addr, false).await.unwrap();
            assert!(target.ip().to_canonical().is_loopback(), "{addr}");
        }
    }

    #[tokio::test]
    async fn localhost_needs_no_lookup() {
        let target = resolve("localhost:7878", false).await.unwrap();
        assert_eq!(target, "127.0.0.1:7878".parse().unwrap());
    }

    #[tokio::test]
    async fn other_addresses_and_host_names_are_refused() {
        for addr in [
            "10.0.0.1:7878",
            "0.0.0.0:7878",
            "[2001:db8::1]:80",
            "example.com:80",
        ] {
            let refused = resolve(addr, false).await.unwrap_err();
            assert!(
                matches!(refused, LoadError::NotLoopback { .. }),
                "{addr}: {refused}"
            );
        }
    }

    #[tokio::test]
    async fn allow_remote_lets_an_ip_through() {
        let target = resolve("192.0.2.1:7878", true).await.unwrap();
        assert_eq!(target, "192.0.2.1:7878".parse().unwrap());
    }

    #[tokio::test]
    async fn an_address_without_a_port_is_bad() {
        for addr in ["127.0.0.1", "localhost", "localhost:http", ""] {
            let refused = resolve(addr, false).await.unwrap_err();
            assert!(
                matches!(refused, LoadError::BadAddress { .. }),
                "{addr}: {refused}"
            );
        }
    }
}
