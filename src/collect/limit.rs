//! Who is asking and how often: the client address (from the socket, or from a proxy header
//! only when the operator configured one) and per-address rate limits.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

/// The client address of a request, as decided by [`client_address`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// How many failures and open-link answers an address may make.
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    /// Unknown, malformed or closed links an address may try in a burst before 429s.
    pub bad_links_burst: u32,
    /// How long it takes to earn one more bad-link try.
    pub bad_links_period: Duration,
    /// Open-link answers an address may post in a burst.
    pub open_link_burst: u32,
    /// How long it takes to earn one more open-link answer.
    pub open_link_period: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            bad_links_burst: 20,
            bad_links_period: Duration::from_secs(6),
            open_link_burst: 10,
            open_link_period: Duration::from_secs(30),
        }
    }
}

/// The keyed rate limiters of the server.
#[derive(Debug)]
pub struct Limiters {
    bad_links: DefaultKeyedRateLimiter<IpAddr>,
    open_link: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limiters {
    /// Builds the limiters.
    pub fn new(settings: &LimitSettings) -> Limiters {
        Limiters {
            bad_links: RateLimiter::keyed(quota(
                settings.bad_links_burst,
                settings.bad_links_period,
            )),
            open_link: RateLimiter::keyed(quota(
                settings.open_link_burst,
                settings.open_link_period,
            )),
        }
    }

    /// Counts one unknown, malformed or closed link from `ip`; once it tried too many, the
    /// wait until it may try again.
    pub fn bad_link(&self, ip: IpAddr) -> Result<(), Duration> {
        self.bad_links.check_key(&ip).map_err(|no| wait(&no))
    }

    /// Counts one open-link answer from `ip`; once it posted too many, the wait until it may
    /// post again.
    pub fn open_link(&self, ip: IpAddr) -> Result<(), Duration> {
        self.open_link.check_key(&ip).map_err(|no| wait(&no))
    }

    /// Forgets addresses whose budget is full again, so memory does not grow forever.
    pub fn forget_idle(&self) {
        self.bad_links.retain_recent();
        self.open_link.retain_recent();
    }
}

/// How long until a refused address is let through again.
fn wait(refusal: &NotUntil<<DefaultClock as Clock>::Instant>) -> Duration {
    refusal.wait_time_from(DefaultClock::default().now())
}

/// The `Retry-After` value for a wait: whole seconds, rounded up, so a client that waits
/// that long is let through.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs();
    if wait.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole.max(1)
    }
}

fn quota(burst: u32, period: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period.max(Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// The client's address: the last entry of the configured proxy header when there is one
/// (the address the trusted proxy saw), else the socket's peer address.
pub fn client_address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    proxy_header: Option<&HeaderName>,
) -> IpAddr {
    let from_proxy = proxy_header
        .and_then(|name| headers.get_all(name).iter().next_back())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    from_proxy
        .or_else(|| peer.map(|p| p.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Middleware that records [`ClientIp`] in the request for the handlers.
pub async fn attach_client_ip(
    State(proxy_header): State<Option<HeaderName>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let ip = client_address(request.headers(), peer, proxy_header.as_ref());
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_header_is_used_only_when_configured() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().expect("header value"),
        );
        let peer = Some(SocketAddr::from(([10, 0, 0, 1], 4000)));
        let name = HeaderName::from_static("x-forwarded-for");
        assert_eq!(
            client_address(&headers, peer, None),
            IpAddr::from([10, 0, 0, 1])
        );
        assert_eq!(
            client_address(&headers, peer, Some(&name)),
            IpAddr::from([198, 51, 100, 7])
        );
        assert_eq!(
            client_address(&HeaderMap::new(), peer, Some(&name)),
            IpAddr::from([10, 0, 0, 1])
        );
    }

    #[test]
    fn bad_links_are_limited_per_address() {
        let limiters = Limiters::new(&LimitSettings {
            bad_links_burst: 2,
            bad_links_period: Duration::from_secs(3600),
            ..LimitSettings::default()
        });
        let a = IpAddr::from([192, 0, 2, 1]);
        let b = IpAddr::from([192, 0, 2, 2]);
        assert!(limiters.bad_link(a).is_ok());
        assert!(limiters.bad_link(a).is_ok());
        let wait = limiters.bad_link(a).expect_err("limited");
        assert!(wait > Duration::from_secs(3590) && wait <= Duration::from_secs(3600));
        assert!(limiters.bad_link(b).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(5_001)), 6);
        assert_eq!(retry_after_seconds(Duration::from_secs(6)), 6);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }
}
