//! Where the server may send: http(s) URLs whose host resolves only to public addresses,
//! unless the configuration allows private targets (`channels_allow_private`). The check runs
//! on the addresses actually connected to (a resolver for the HTTP client), so a name that
//! resolves to 127.0.0.1 at send time is refused too, not only at subscription time.

use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute http(s) URL with a host, or it carries a user name or password.
    Malformed,
    /// A literal address (or, at send time, every resolved one) is loopback, private or
    /// link-local.
    PrivateTarget,
}

/// Parses a channel URL; a literal IP host is checked here (a resolver never sees it).
pub fn parse(url: &str, allow_private: bool) -> Result<Url, UrlProblem> {
    if url.len() > 2000 {
        return Err(UrlProblem::Malformed);
    }
    let parsed = Url::parse(url).map_err(|_| UrlProblem::Malformed)?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.fragment().is_some()
    {
        return Err(UrlProblem::Malformed);
    }
    match parsed.host() {
        None => return Err(UrlProblem::Malformed),
        Some(url::Host::Ipv4(ip)) if !ip_allowed(IpAddr::V4(ip), allow_private) => {
            return Err(UrlProblem::PrivateTarget);
        }
        Some(url::Host::Ipv6(ip)) if !ip_allowed(IpAddr::V6(ip), allow_private) => {
            return Err(UrlProblem::PrivateTarget);
        }
        Some(url::Host::Domain(d)) if !allow_private && is_local_name(d) => {
            return Err(UrlProblem::PrivateTarget);
        }
        _ => {}
    }
    Ok(parsed)
}

fn is_local_name(domain: &str) -> bool {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    d == "localhost" || d.ends_with(".localhost") || d.ends_with(".local") || !d.contains('.')
}

/// What may be shown of a URL: scheme, host, port and path, never the query (a robot's
/// access token or key is there).
pub fn hint(url: &Url) -> String {
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(url.path());
    out.chars().take(200).collect()
}

/// Whether the server may connect to `ip`.
pub fn ip_allowed(ip: IpAddr, allow_private: bool) -> bool {
    if allow_private {
        return !ip.is_unspecified() && !ip.is_multicast();
    }
    match ip {
        IpAddr::V4(v4) => v4_public(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_public(v4),
            None => v6_public(v6),
        },
    }
}

fn v4_public(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        // 100.64.0.0/10 carrier-grade NAT, 198.18.0.0/15 benchmarking, 240/4 reserved.
        || (o[0] == 100 && (o[1] & 0xC0) == 64)
        || (o[0] == 198 && (o[1] & 0xFE) == 18)
        || o[0] >= 240
        // 192.0.0.0/24 protocol assignments.
        || (o[0] == 192 && o[1] == 0 && o[2] == 0))
}

fn v6_public(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation.
        || (s[0] & 0xFE00) == 0xFC00
        || (s[0] & 0xFFC0) == 0xFE80
        || (s[0] == 0x2001 && s[1] == 0x0DB8)
        // ::ffff:0:0/96 handled by the caller; 64:ff9b::/96 NAT64 may embed a private v4.
        || (s[0] == 0x64 && s[1] == 0xFF9B))
}

/// The HTTP client's resolver: resolves, then keeps only allowed addresses; none left is an
/// error, so nothing is sent into the school's network on a subscriber's say-so.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| ip_allowed(a.ip(), allow_private))
                .collect();
            if found.is_empty() {
                return Err(Box::new(RefusedTarget) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Every address of the host is one the configuration does not allow.
#[derive(Debug, thiserror::Error)]
#[error("the target resolves only to loopback, private or link-local addresses")]
pub struct RefusedTarget;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_targets_are_refused() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/hook",
            "http://172.16.0.1/",
            "http://192.168.1.10/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://localhost:9000/",
            "http://intranet/",
            "http://printer.local/",
        ] {
            assert_eq!(parse(url, false), Err(UrlProblem::PrivateTarget), "{url}");
        }
        assert!(parse("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(parse("http://localhost:9000/", true).is_ok());
    }

    #[test]
    fn only_http_urls_with_a_host() {
        for url in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "not a url",
            "https://example.com/#frag",
        ] {
            assert_eq!(parse(url, false), Err(UrlProblem::Malformed), "{url}");
        }
        assert!(parse("https://oapi.dingtalk.com/robot/send?access_token=x", false).is_ok());
        assert!(parse("https://8.8.8.8/hook", false).is_ok());
    }

    #[test]
    fn hints_never_show_the_query() {
        let url = parse(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key",
            false,
        )
        .unwrap();
        assert_eq!(
            hint(&url),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
        );
    }

    #[test]
    fn public_addresses_pass() {
        assert!(ip_allowed("8.8.8.8".parse().unwrap(), false));
        assert!(ip_allowed("2400:3200::1".parse().unwrap(), false));
        assert!(!ip_allowed("224.0.0.1".parse().unwrap(), true));
    }
}
