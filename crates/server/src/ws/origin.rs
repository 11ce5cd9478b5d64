//! Which pages may open a WebSocket: the server's own, and the origins the operator lists.
//!
//! A browser sends `Origin` with every WebSocket handshake and lets any page open a
//! WebSocket to any host, cookies and all: checking `Origin` is what stops a foreign page
//! from playing in its visitor's name (cross-site WebSocket hijacking). A handshake without
//! `Origin` does not come from a browser page (netcat-like tools, the load generator, bots);
//! such clients could send any `Origin` they like anyway, so refusing them would protect
//! nobody, and they are let in.
//!
//! The server's own origin is the request's `Host` with `http://` or `https://` in front (a
//! TLS proxy in front of the server changes the scheme, not the host); other origins must be
//! listed exactly (`--allowed-origin`), compared without case and without a trailing `/`.
//! On a cluster node, the other nodes' pages (their announced `--public-url`) are allowed
//! too: a page whose node died reconnects to another node with its token.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Whether the handshake with these headers may go on: `listed` origins, the server's own,
/// and (in a cluster) the pages of the other nodes, `node_page` says which.
pub(crate) fn allowed_in_cluster(
    headers: &HeaderMap,
    listed: &[String],
    node_page: impl Fn(&str) -> bool,
) -> bool {
    if allowed(headers, listed) {
        return true;
    }
    headers
        .get(ORIGIN)
        .and_then(|origin| origin.to_str().ok())
        .is_some_and(|origin| node_page(origin.trim_end_matches('/')))
}

/// Whether the handshake with these headers may go on.
pub(crate) fn allowed(headers: &HeaderMap, listed: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    if listed
        .iter()
        .any(|listed| listed.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some(host) = headers.get(HOST).and_then(|host| host.to_str().ok()) else {
        return false;
    };
    let lower = origin.to_ascii_lowercase();
    let authority = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn the_servers_own_page_may_connect() {
        let own = headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert!(allowed(&own, &[]));
        let behind_tls = headers(Some("https://play.example.com"), "play.example.com");
        assert!(allowed(&behind_tls, &[]));
    }

    #[test]
    fn a_foreign_page_may_not() {
        let foreign = headers(Some("http://evil.example"), "127.0.0.1:8080");
        assert!(!allowed(&foreign, &[]));
        let other_port = headers(Some("http://127.0.0.1:9999"), "127.0.0.1:8080");
        assert!(!allowed(&other_port, &[]));
        let opaque = headers(Some("null"), "127.0.0.1:8080");
        assert!(!allowed(&opaque, &[]));
    }

    #[test]
    fn a_listed_origin_may() {
        let listed = vec!["https://play.example.com/".to_owned()];
        let page = headers(Some("https://PLAY.example.com"), "10.0.0.5:8080");
        assert!(allowed(&page, &listed));
    }

    #[test]
    fn another_nodes_page_may_and_only_it() {
        let node_page = |origin: &str| origin == "http://127.0.0.1:9001";
        let sibling = headers(Some("http://127.0.0.1:9001/"), "127.0.0.1:8080");
        assert!(allowed_in_cluster(&sibling, &[], node_page));
        let foreign = headers(Some("http://127.0.0.1:9002"), "127.0.0.1:8080");
        assert!(!allowed_in_cluster(&foreign, &[], node_page));
        let own = headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert!(allowed_in_cluster(&own, &[], |_| false));
    }

    #[test]
    fn no_origin_is_not_a_browser_page_and_is_let_in() {
        assert!(allowed(&headers(None, "127.0.0.1:8080"), &[]));
    }
}
