//! `allow_from`: the addresses the XSP posts from.

use std::net::IpAddr;

use ipnet::IpNet;

/// CIDR blocks; empty means every address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

impl AllowList {
    /// Parses `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a block of one).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| format!("invalid allow_from entry {entry:?}: use a CIDR block"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AllowList)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `peer` may post. An IPv4 peer seen on a dual-stack socket (`::ffff:a.b.c.d`)
    /// is matched as the IPv4 address it is.
    pub fn permits(&self, peer: IpAddr) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let peer = peer.to_canonical();
        self.0.iter().any(|net| net.contains(&peer))
    }
}

#[cfg(test)]
mod tests {
    use super::AllowList;

    #[test]
    fn blocks_and_bare_addresses_match_their_peers_only() {
        let list = AllowList::parse(&["192.0.2.0/24", "198.51.100.7", "2001:db8::/32"])
            .expect("valid list");
        for ok in [
            "192.0.2.1",
            "192.0.2.255",
            "198.51.100.7",
            "2001:db8::1",
            "::ffff:192.0.2.9",
        ] {
            assert!(list.permits(ok.parse().expect("address")), "{ok}");
        }
        for refused in ["192.0.3.1", "198.51.100.8", "2001:db9::1", "127.0.0.1"] {
            assert!(
                !list.permits(refused.parse().expect("address")),
                "{refused}"
            );
        }
        assert!(AllowList::default().permits("203.0.113.1".parse().expect("address")));
        assert!(AllowList::parse(&["192.0.2.0/33"]).is_err());
        assert!(AllowList::parse(&["xsp.example.com"]).is_err());
    }
}
