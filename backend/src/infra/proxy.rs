//! What a request says about its client and about the address it was sent to. Forwarded
//! headers (`X-Forwarded-For`, `-Host`, `-Proto`) are believed only when the peer is one of
//! `trusted_proxies`: from anyone else they are forgeries (a printed label pointing at another
//! site, a throttle counting the wrong address).

use actix_web::HttpRequest;
use actix_web::http::header;
use std::net::IpAddr;

/// `::ffff:127.0.0.1` and `127.0.0.1` are the same peer.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// True when the direct peer is a trusted reverse proxy.
pub fn from_trusted_proxy(req: &HttpRequest, trusted: &[IpAddr]) -> bool {
    req.peer_addr().is_some_and(|peer| {
        trusted
            .iter()
            .any(|t| canonical(*t) == canonical(peer.ip()))
    })
}

/// The client's address: the peer, or the last `X-Forwarded-For` hop when the peer is a
/// trusted proxy (the hop that proxy saw; earlier hops are the client's to invent).
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if from_trusted_proxy(req, trusted)
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(last) = forwarded.rsplit(',').next()
        && let Ok(ip) = last.trim().parse()
    {
        return Some(ip);
    }
    Some(peer)
}

/// A host[:port] fit to put into a URL: letters, digits, `.-:[]` (an IPv6 literal), bounded.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
}

fn header_first<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
}

/// `scheme://host` this request was addressed to: the forwarded scheme and host from a
/// trusted proxy, else the connection's own scheme and the `Host` header.
pub fn origin(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let conn_scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let direct_host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .filter(|h| valid_host(h));
    let (scheme, host) = if from_trusted_proxy(req, trusted) {
        let scheme = match header_first(req, "x-forwarded-proto") {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            Some(p) if p.eq_ignore_ascii_case("http") => "http",
            _ => conn_scheme,
        };
        let host = header_first(req, "x-forwarded-host")
            .filter(|h| valid_host(h))
            .or(direct_host);
        (scheme, host)
    } else {
        (conn_scheme, direct_host)
    };
    let host = host.map_or_else(|| req.app_config().host().to_owned(), str::to_owned);
    format!("{scheme}://{host}")
}
