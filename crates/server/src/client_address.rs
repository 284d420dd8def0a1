//! The real client address (SPEC §8.1): the TCP peer, unless the peer is a
//! trusted proxy — then `Forwarded` (RFC 7239) or, without it,
//! `X-Forwarded-For`, read right to left, skipping trusted hops. Rate
//! limits, the request log and audit records use the result; a trusted
//! proxy's `X-Forwarded-Proto: https` (or `proto=https`) counts as TLS for
//! cookies (SPEC §6.2).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr as _;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use serde::Deserialize;

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses and CIDR ranges.
    ///
    /// # Errors
    /// The entry that is neither.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let net = IpNet::from_str(entry)
                .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                .map_err(|_| format!("`{entry}` is not an IP address or a CIDR range"))?;
            nets.push(net);
        }
        Ok(Self(nets))
    }

    /// Whether `address` is one of them.
    #[must_use]
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// Whether none is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(ToString::to_string)).finish()
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            List(Vec<String>),
            Text(String),
        }
        let parsed = match Raw::deserialize(deserializer)? {
            Raw::List(list) => Self::parse(list.iter().map(String::as_str)),
            Raw::Text(text) => Self::parse(text.split(',')),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

/// An IPv4 address mapped into IPv6 is the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// Where a request came from, as [`client_address`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress {
    /// The client's address.
    pub address: IpAddr,
    /// Whether the client reached us over TLS (our own, or a trusted proxy's).
    pub https: bool,
}

/// Marks a request that arrived over this server's own TLS.
#[derive(Clone, Copy, Debug)]
pub struct ServedOverTls;

/// Finds the client address of every request and puts it in the request's
/// extensions as [`ClientAddress`]; its state is the configured
/// `trusted_proxies` (given by the router, so this module sits below the
/// host's state).
pub async fn client_address(State(trusted): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| canonical(c.0.ip()));
    let tls = request.extensions().get::<ServedOverTls>().is_some();
    let found = resolve(&trusted, peer, tls, request.headers());
    request.extensions_mut().insert(found);
    next.run(request).await
}

/// The client address of a request from `peer` with `headers`.
#[must_use]
pub fn resolve(trusted: &TrustedProxies, peer: IpAddr, tls: bool, headers: &HeaderMap) -> ClientAddress {
    let mut found = ClientAddress {
        address: peer,
        https: tls,
    };
    if !trusted.contains(peer) {
        return found;
    }
    let forwarded = forwarded_elements(headers);
    let (hops, protos): (Vec<Option<IpAddr>>, Vec<Option<String>>) = if forwarded.is_empty() {
        let hops = header_list(headers, "x-forwarded-for")
            .map(|hop| parse_node(&hop))
            .collect();
        (hops, Vec::new())
    } else {
        forwarded
            .into_iter()
            .map(|e| (e.for_node.as_deref().and_then(parse_node), e.proto))
            .unzip()
    };
    // Right to left: skip trusted hops; the first untrusted one is the
    // client. A hop that is not an address (`unknown`, an obfuscated
    // name) ends the walk at the last address known.
    for (index, hop) in hops.iter().enumerate().rev() {
        let Some(hop) = hop else { break };
        found.address = canonical(*hop);
        if let Some(Some(proto)) = protos.get(index) {
            found.https = tls || proto.eq_ignore_ascii_case("https");
        }
        if !trusted.contains(*hop) {
            break;
        }
    }
    if protos.is_empty()
        && let Some(proto) = header_list(headers, "x-forwarded-proto").last()
    {
        // Set by the proxy nearest to us, which we trust.
        found.https = tls || proto.eq_ignore_ascii_case("https");
    }
    found
}

/// The comma-separated values of every `name` header, in order.
fn header_list<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = String> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// One element of a `Forwarded` header: its `for` and `proto`.
#[derive(Debug, Default)]
struct Element {
    for_node: Option<String>,
    proto: Option<String>,
}

/// The elements of every `Forwarded` header, in order (RFC 7239 §4:
/// `element *( "," element )`, `element = pair *( ";" pair )`, values
/// tokens or quoted strings).
fn forwarded_elements(headers: &HeaderMap) -> Vec<Element> {
    let mut elements = Vec::new();
    for value in headers.get_all("forwarded").iter().filter_map(|v| v.to_str().ok()) {
        let mut element = Element::default();
        let mut pair = String::new();
        let mut quoted = false;
        let mut escaped = false;
        let finish_pair = |pair: &mut String, element: &mut Element| {
            if let Some((name, value)) = pair.split_once('=') {
                let value = value.trim().to_owned();
                match name.trim().to_ascii_lowercase().as_str() {
                    "for" => element.for_node = Some(value),
                    "proto" => element.proto = Some(value),
                    _ => {}
                }
            }
            pair.clear();
        };
        for c in value.chars() {
            if quoted {
                if escaped {
                    escaped = false;
                    pair.push(c);
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    quoted = false;
                } else {
                    pair.push(c);
                }
                continue;
            }
            match c {
                '"' => quoted = true,
                ';' => finish_pair(&mut pair, &mut element),
                ',' => {
                    finish_pair(&mut pair, &mut element);
                    elements.push(std::mem::take(&mut element));
                }
                _ => pair.push(c),
            }
        }
        finish_pair(&mut pair, &mut element);
        elements.push(element);
    }
    elements
}

/// A node (`192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`,
/// `2001:db8::1`) as an address; `None` for `unknown` and obfuscated names.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Ok(address) = IpAddr::from_str(node) {
        return Some(address);
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return IpAddr::from_str(inside).ok();
    }
    SocketAddr::from_str(node).ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use axum::http::{HeaderMap, HeaderValue};

    use super::{TrustedProxies, resolve};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!("{s}"))
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let trusted = TrustedProxies::parse(["10.0.0.0/8"]).unwrap_or_default();
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8;proto=https")]);
        let found = resolve(&trusted, ip("192.0.2.9"), false, &h);
        assert_eq!(found.address, ip("192.0.2.9"));
        assert!(!found.https);
    }

    #[test]
    fn a_trusted_chain_is_read_right_to_left() {
        let trusted = TrustedProxies::parse(["10.0.0.1", "10.0.0.2", "fd00::/8"]).unwrap_or_default();
        // The client spoofs a first hop; the two proxies append theirs.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2"),
            ("x-forwarded-proto", "https"),
        ]);
        let found = resolve(&trusted, ip("10.0.0.1"), false, &h);
        assert_eq!(found.address, ip("203.0.113.7"));
        assert!(found.https);
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https, for=\"[fd00::2]\"",
        )]);
        let found = resolve(&trusted, ip("::ffff:10.0.0.1"), false, &h);
        assert_eq!(found.address, ip("2001:db8::7"));
        assert!(found.https);
        // Every hop trusted: the leftmost.
        let h = headers(&[("x-forwarded-for", "10.0.0.2")]);
        assert_eq!(resolve(&trusted, ip("10.0.0.1"), false, &h).address, ip("10.0.0.2"));
        // `unknown` ends the walk at the last address known.
        let h = headers(&[("forwarded", "for=unknown, for=10.0.0.2")]);
        assert_eq!(resolve(&trusted, ip("10.0.0.1"), false, &h).address, ip("10.0.0.2"));
    }

    #[test]
    fn entries_are_addresses_or_ranges() {
        assert!(TrustedProxies::parse(["10.0.0.1", "::1", "192.168.0.0/16", "fd00::/8"]).is_ok());
        let error = TrustedProxies::parse(["10.0.0.300"]).unwrap_err();
        assert!(error.contains("10.0.0.300"), "{error}");
        assert!(TrustedProxies::parse(["nginx"]).is_err());
    }
}
