//! Which addresses webhooks may be sent to: private, shared, link-local
//! and reserved ranges never, loopback only in development. The sender
//! applies this to every address a host name resolves to.

use std::net::IpAddr;

/// The host of `rest`, a URL after its `scheme://`, without port, user or
/// brackets.
pub fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or("");
    }
    host_port.split(':').next().unwrap_or("")
}

/// Whether a host name is a loopback one (`localhost` or a loopback address).
pub fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Why an address may not be called, or `None` when it may. Private,
/// shared, link-local, unspecified, multicast and documentation ranges are
/// always refused; loopback unless `allow_loopback`.
pub fn refused_address(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                (!allow_loopback).then_some("loopback")
            } else if v4.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
            {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_address(IpAddr::V4(v4), allow_loopback);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                (!allow_loopback).then_some("loopback")
            } else if (first & 0xfe00) == 0xfc00 {
                Some("private")
            } else if (first & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if v6.is_unspecified() || v6.is_multicast() || first == 0x2001 && v6.segments()[1] == 0x0db8 {
                Some("reserved")
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_refused() {
        let refused =
            |text: &str, loopback: bool| refused_address(text.parse().unwrap_or(IpAddr::from([0; 4])), loopback);
        assert_eq!(refused("10.0.0.1", false), Some("private"));
        assert_eq!(refused("172.16.5.4", true), Some("private"));
        assert_eq!(refused("192.168.1.1", true), Some("private"));
        assert_eq!(refused("100.64.0.1", true), Some("private"));
        assert_eq!(refused("169.254.169.254", true), Some("link-local"));
        assert_eq!(refused("::1", false), Some("loopback"));
        assert_eq!(refused("127.0.0.1", false), Some("loopback"));
        assert_eq!(refused("127.0.0.1", true), None);
        assert_eq!(refused("::ffff:10.0.0.1", true), Some("private"));
        assert_eq!(refused("fe80::1", true), Some("link-local"));
        assert_eq!(refused("fd00::1", true), Some("private"));
        assert_eq!(refused("0.0.0.0", true), Some("reserved"));
        assert_eq!(refused("93.184.215.14", false), None);
        assert_eq!(refused("2606:4700::1111", false), None);
    }

    #[test]
    fn hosts_are_read_from_urls_with_ports_users_and_brackets() {
        assert_eq!(host_of("example.com:443/x"), "example.com");
        assert_eq!(host_of("user:pw@10.0.0.1/x"), "10.0.0.1");
        assert_eq!(host_of("[::1]:8080/hook"), "::1");
        assert!(is_loopback_name("localhost") && is_loopback_name("::1") && !is_loopback_name("example.com"));
    }
}
