//! What guards the web side: the security headers every response carries, and the rate
//! limit per client address on the HTTP API (`/api/*`, `/metrics`).
//!
//! The rate limit is `governor`'s keyed GCRA limiter, keyed by the same address groups as
//! admission (IPv4 address, IPv6 /64). Its memory is one small entry per address seen
//! recently; a sweeper forgets the addresses whose budget has refilled (`retain_recent`)
//! every [`SWEEP_EVERY`], so an attack from many addresses leaves nothing behind.
//! Static assets and `/healthz` are not limited: they are answered from memory, cost less
//! than the limiter's own bookkeeping, and health checks must not be turned away.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;

use super::conn::ConnInfo;
use super::error::error;
use crate::metrics::{Metrics, Refused};
use crate::rate::RateLimit;

/// How often the rate limiter forgets addresses it no longer needs to remember.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The page's scripts and styles are files of its own origin; nothing inline, nothing
/// foreign, no framing.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

/// The game page's policy on a cluster node: as [`CONTENT_SECURITY_POLICY`], and it may also
/// open WebSockets to the other nodes, whose pages are `pages` (`http(s)://host[:port]`):
/// a page whose node dies reconnects to one of them. A page address that is not plainly a
/// scheme and a host is left out (it would change the policy, not extend it).
pub(crate) fn policy_with_nodes(pages: &[String]) -> String {
    let sockets: Vec<String> = pages
        .iter()
        .filter_map(|page| {
            let (scheme, host) = match page.split_once("://")? {
                ("http", host) => ("ws", host),
                ("https", host) => ("wss", host),
                _ => return None,
            };
            let plain = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
            plain.then(|| format!("{scheme}://{host}"))
        })
        .collect();
    if sockets.is_empty() {
        return CONTENT_SECURITY_POLICY.to_owned();
    }
    CONTENT_SECURITY_POLICY.replacen(
        "connect-src 'self';",
        &format!("connect-src 'self' {};", sockets.join(" ")),
        1,
    )
}

/// Adds the security headers to every response of `router`. A response that set its own
/// policy (the game page of a cluster node) keeps it.
pub(crate) fn security_headers(router: Router) -> Router {
    let headers = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    let router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ));
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// The API's rate limiter, with what a refusal needs.
#[derive(Clone)]
pub(crate) struct ApiLimit {
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    metrics: Arc<Metrics>,
}

impl ApiLimit {
    /// A limiter for `limit` (none if its rate is zero); forgets old addresses until
    /// `shutdown`.
    pub(crate) fn new(
        limit: RateLimit,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
    ) -> Self {
        let limiter = quota(limit).map(|quota| Arc::new(RateLimiter::keyed(quota)));
        if let Some(limiter) = &limiter {
            tokio::spawn(sweep(Arc::downgrade(limiter), shutdown));
        }
        ApiLimit { limiter, metrics }
    }
}

fn quota(limit: RateLimit) -> Option<Quota> {
    let rate = NonZeroU32::new(limit.per_second)?;
    let burst = NonZeroU32::new(limit.burst).unwrap_or(rate);
    Some(Quota::per_second(rate).allow_burst(burst))
}

async fn sweep(
    limiter: std::sync::Weak<DefaultKeyedRateLimiter<IpAddr>>,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = shutdown.cancelled() => return,
        }
        let Some(limiter) = limiter.upgrade() else {
            return;
        };
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }
}

/// Lets a request through, or answers `429` with `Retry-After` when its address is over
/// the limit.
pub(crate) async fn rate_limit(
    State(limit): State<ApiLimit>,
    request: Request,
    next: Next,
) -> Response {
    let (Some(limiter), Some(info)) = (&limit.limiter, request.extensions().get::<ConnInfo>())
    else {
        return next.run(request).await;
    };
    let key = crate::admission::group(info.peer().ip());
    match limiter.check_key(&key) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            limit.metrics.refused(Refused::RateLimited);
            let wait = not_until.wait_time_from(limiter.clock().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests from your address; slow down",
            );
            response.headers_mut().insert(
                HeaderName::from_static("retry-after"),
                HeaderValue::from(seconds.max(1)),
            );
            response.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_page_may_reach_the_other_nodes_websockets_and_nothing_else() {
        let pages = [
            "http://127.0.0.1:9001".to_owned(),
            "https://b.example.com".to_owned(),
            "http://evil; script-src *".to_owned(),
            "ftp://c.example.com".to_owned(),
        ];
        let policy = policy_with_nodes(&pages);
        assert!(
            policy.contains("connect-src 'self' ws://127.0.0.1:9001 wss://b.example.com;"),
            "{policy}"
        );
        assert!(
            !policy.contains("evil") && !policy.contains("ftp"),
            "{policy}"
        );
        assert_eq!(
            policy.replace(" ws://127.0.0.1:9001 wss://b.example.com", ""),
            CONTENT_SECURITY_POLICY
        );
    }

    #[test]
    fn without_other_nodes_the_policy_is_the_plain_one() {
        assert_eq!(policy_with_nodes(&[]), CONTENT_SECURITY_POLICY);
    }
}
