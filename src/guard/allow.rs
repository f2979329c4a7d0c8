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
                    .map_err(|_| format!("invalid address entry {entry:?}: use a CIDR block"))
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
        self.0.is_empty() || self.contains(peer)
    }

    /// Whether `peer` is in one of the blocks; an empty list holds no address (the reading of
    /// `read_from`, where empty means nobody).
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|net| net.contains(&peer))
    }
}

impl std::fmt::Display for AllowList {
    /// `[192.0.2.0/24, 198.51.100.7/32]`, for the startup log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let blocks: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "[{}]", blocks.join(", "))
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
        assert!(!AllowList::default().contains("203.0.113.1".parse().expect("address")));
        assert_eq!(
            list.to_string(),
            "[192.0.2.0/24, 198.51.100.7/32, 2001:db8::/32]"
        );
        assert!(AllowList::parse(&["192.0.2.0/33"]).is_err());
        assert!(AllowList::parse(&["xsp.example.com"]).is_err());
    }
}
