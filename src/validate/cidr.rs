//! CIDR blocks: parsing (IPv4 and IPv6), canonical form, and overlap.
//!
//! IBM Cloud does not refuse overlapping prefixes when a network joins a Transit Gateway; the
//! traffic is then silently misrouted (see the reference's Transit Gateway notes). So the
//! provider checks overlaps itself, at plan time, for the standby workspace, for security
//! group rules and in the `cidr_overlaps` function. All of them use this module, so a CIDR is
//! read and an overlap is judged the same way everywhere.
//!
//! Two CIDR blocks are aligned ranges: they either nest or are disjoint. That makes
//! [`overlapping_pairs`] a sort and one sweep instead of a comparison of every pair.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// A parsed CIDR block, always in canonical form (host bits cleared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    net: IpNet,
}

/// Why a text is not a usable CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("a CIDR block is required, got an empty string")]
    Empty,
    #[error(
        "{text:?} is not a CIDR block: expected an address and a prefix length such as \
         \"10.51.0.0/24\" or \"fd00:51::/64\"{hint}"
    )]
    Malformed { text: String, hint: String },
    #[error(
        "{text:?} has host bits set after the /{prefix} prefix; the block it names is \
         {canonical:?}"
    )]
    HostBitsSet {
        text: String,
        prefix: u8,
        canonical: String,
    },
}

impl CidrError {
    /// The canonical spelling to suggest, when the text named a block but not canonically.
    pub fn suggestion(&self) -> Option<&str> {
        match self {
            CidrError::HostBitsSet { canonical, .. } => Some(canonical),
            _ => None,
        }
    }
}

fn malformed(text: &str) -> CidrError {
    // A bare address is the most common slip; say what to add.
    let hint = match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => format!(" (for this one address write \"{text}/32\")"),
        Ok(IpAddr::V6(_)) => format!(" (for this one address write \"{text}/128\")"),
        Err(_) => String::new(),
    };
    CidrError::Malformed {
        text: text.to_string(),
        hint,
    }
}

impl Cidr {
    /// Parses a CIDR block and accepts only its canonical form: `10.51.0.5/24` is refused
    /// with the suggestion `10.51.0.0/24`, because a user who wrote it probably meant
    /// something else and IBM's APIs refuse it too.
    pub fn parse(text: &str) -> Result<Cidr, CidrError> {
        let cidr = Cidr::parse_lenient(text)?;
        let trimmed = text.trim();
        let given: IpNet = trimmed.parse().map_err(|_| malformed(trimmed))?;
        if given.addr() != cidr.net.network() {
            return Err(CidrError::HostBitsSet {
                text: trimmed.to_string(),
                prefix: given.prefix_len(),
                canonical: cidr.to_string(),
            });
        }
        Ok(cidr)
    }

    /// Parses a CIDR block, clearing host bits (`10.51.0.5/24` is the block `10.51.0.0/24`).
    /// For data read from an API, where the block is what matters.
    pub fn parse_lenient(text: &str) -> Result<Cidr, CidrError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(CidrError::Empty);
        }
        let net: IpNet = trimmed.parse().map_err(|_| malformed(trimmed))?;
        Ok(Cidr { net: net.trunc() })
    }

    pub fn is_ipv4(&self) -> bool {
        matches!(self.net, IpNet::V4(_))
    }

    pub fn prefix_len(&self) -> u8 {
        self.net.prefix_len()
    }

    pub fn network(&self) -> IpAddr {
        self.net.network()
    }

    /// The last address of the block.
    pub fn last(&self) -> IpAddr {
        self.net.broadcast()
    }

    /// Whether `other` lies wholly inside this block.
    pub fn contains(&self, other: &Cidr) -> bool {
        self.net.contains(&other.net)
    }

    /// The block as a numeric range; IPv4 and IPv6 never compare equal because the family
    /// is part of the key.
    fn range(&self) -> (bool, u128, u128) {
        match self.net {
            IpNet::V4(n) => (
                false,
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            ),
            IpNet::V6(n) => (true, u128::from(n.network()), u128::from(n.broadcast())),
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.net)
    }
}

/// The canonical spelling of a block (`10.51.0.5/24` → `10.51.0.0/24`, IPv6 compressed).
pub fn canonical(text: &str) -> Result<String, CidrError> {
    Cidr::parse_lenient(text).map(|c| c.to_string())
}

/// Whether the two blocks share at least one address. Blocks of different IP families
/// never overlap.
pub fn overlaps(a: &Cidr, b: &Cidr) -> bool {
    let (fa, sa, ea) = a.range();
    let (fb, sb, eb) = b.range();
    fa == fb && sa <= eb && sb <= ea
}

/// Every pair `(i, j)` with `i < j` whose blocks overlap, sorted. `label` is whatever the
/// caller needs to name the block in a message (a subnet, a workspace, an index); it plays
/// no part in the result.
pub fn overlapping_pairs<L>(items: &[(L, Cidr)]) -> Vec<(usize, usize)> {
    // Sort by family, then start address, then larger block first: an enclosing block then
    // always comes before what it encloses.
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&x, &y| {
        let (fx, sx, ex) = items[x].1.range();
        let (fy, sy, ey) = items[y].1.range();
        fx.cmp(&fy)
            .then(sx.cmp(&sy))
            .then(ey.cmp(&ex))
            .then(x.cmp(&y))
    });
    let mut pairs = Vec::new();
    // Blocks that enclose the current position; each one contains the next (nesting).
    let mut open: Vec<usize> = Vec::new();
    for &current in &order {
        let (family, start, _) = items[current].1.range();
        open.retain(|&o| {
            let (f, _, end) = items[o].1.range();
            f == family && end >= start
        });
        for &o in &open {
            pairs.push(ordered(o, current));
        }
        open.push(current);
    }
    pairs.sort_unstable();
    pairs
}

fn ordered(a: usize, b: usize) -> (usize, usize) {
    match a.cmp(&b) {
        Ordering::Greater => (b, a),
        _ => (a, b),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(text: &str) -> Cidr {
        Cidr::parse(text).expect(text)
    }

    #[test]
    fn parses_ipv4_and_ipv6() {
        assert_eq!(c("10.51.0.0/24").to_string(), "10.51.0.0/24");
        assert!(c("10.51.0.0/24").is_ipv4());
        assert_eq!(c(" fd00:51:0::/64 ").to_string(), "fd00:51::/64");
        assert!(!c("fd00:51::/64").is_ipv4());
        assert_eq!(c("0.0.0.0/0").prefix_len(), 0);
        assert_eq!(c("10.1.2.3/32").last().to_string(), "10.1.2.3");
    }

    #[test]
    fn refuses_host_bits_with_the_canonical_suggestion() {
        let err = Cidr::parse("10.51.0.5/24").unwrap_err();
        assert_eq!(err.suggestion(), Some("10.51.0.0/24"));
        assert!(err.to_string().contains("\"10.51.0.0/24\""), "{err}");
        let v6 = Cidr::parse("fd00:51::1/64").unwrap_err();
        assert_eq!(v6.suggestion(), Some("fd00:51::/64"));
        assert_eq!(
            Cidr::parse_lenient("10.51.0.5/24").unwrap(),
            c("10.51.0.0/24")
        );
        assert_eq!(canonical("10.51.0.77/25").unwrap(), "10.51.0.0/25");
    }

    #[test]
    fn malformed_text_says_what_is_expected() {
        assert_eq!(Cidr::parse("  ").unwrap_err(), CidrError::Empty);
        let bare = Cidr::parse("10.0.0.1").unwrap_err().to_string();
        assert!(bare.contains("10.0.0.1/32"), "{bare}");
        let bare6 = Cidr::parse("fd00::1").unwrap_err().to_string();
        assert!(bare6.contains("fd00::1/128"), "{bare6}");
        for bad in ["10.0.0.0/33", "10.0.0/24", "abc", "10.0.0.0/", "::/129"] {
            assert!(
                matches!(Cidr::parse(bad), Err(CidrError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn overlap_is_nesting_or_equality() {
        assert!(overlaps(&c("10.51.0.0/24"), &c("10.51.0.0/24")));
        assert!(overlaps(&c("10.0.0.0/8"), &c("10.51.0.0/24")));
        assert!(overlaps(&c("10.51.0.128/25"), &c("10.51.0.0/24")));
        assert!(!overlaps(&c("10.51.0.0/24"), &c("10.52.0.0/24")));
        assert!(!overlaps(&c("10.51.0.0/25"), &c("10.51.0.128/25")));
        assert!(overlaps(&c("0.0.0.0/0"), &c("192.168.1.0/24")));
        // Different families never overlap, even at /0.
        assert!(!overlaps(&c("0.0.0.0/0"), &c("::/0")));
        assert!(overlaps(&c("fd00::/8"), &c("fd00:51::/64")));
        assert!(c("10.0.0.0/8").contains(&c("10.51.0.0/24")));
        assert!(!c("10.51.0.0/24").contains(&c("10.0.0.0/8")));
    }

    #[test]
    fn pairs_name_every_overlap_once() {
        let items = [
            ("primary mgmt", c("10.51.0.0/24")),
            ("primary bkp", c("10.52.0.0/24")),
            ("vpc prefix", c("10.30.0.0/16")),
            ("overlap mgmt", c("10.51.0.0/24")),
            ("vpc subnet", c("10.30.10.0/24")),
            ("v6", c("fd00::/8")),
            ("wide", c("10.0.0.0/8")),
        ];
        assert_eq!(
            overlapping_pairs(&items),
            vec![(0, 3), (0, 6), (1, 6), (2, 4), (2, 6), (3, 6), (4, 6)]
        );
        let none: [(&str, Cidr); 0] = [];
        assert!(overlapping_pairs(&none).is_empty());
    }

    fn brute_force<L>(items: &[(L, Cidr)]) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                if overlaps(&items[i].1, &items[j].1) {
                    pairs.push((i, j));
                }
            }
        }
        pairs
    }

    /// Small blocks inside 10.0.0.0/24 and fd00::/120 (prefixes /24../32 and /120../128), so
    /// that random blocks overlap often.
    fn small_cidr() -> impl Strategy<Value = Cidr> {
        prop_oneof![
            (0u8..=255, 24u8..=32).prop_map(|(host, prefix)| {
                Cidr::parse_lenient(&format!("10.0.0.{host}/{prefix}")).unwrap()
            }),
            (0u8..=255, 120u8..=128).prop_map(|(host, prefix)| {
                Cidr::parse_lenient(&format!("fd00::{host:x}/{prefix}")).unwrap()
            }),
        ]
    }

    proptest! {
        #[test]
        fn sweep_matches_brute_force(cidrs in proptest::collection::vec(small_cidr(), 0..24)) {
            let items: Vec<(usize, Cidr)> = cidrs.into_iter().enumerate().collect();
            prop_assert_eq!(overlapping_pairs(&items), brute_force(&items));
        }

        #[test]
        fn overlap_is_symmetric_and_matches_address_sets(a in small_cidr(), b in small_cidr()) {
            prop_assert_eq!(overlaps(&a, &b), overlaps(&b, &a));
            let (fa, sa, ea) = a.range();
            let (fb, sb, eb) = b.range();
            let shared = fa == fb && (sa..=ea).any(|x| (sb..=eb).contains(&x));
            prop_assert_eq!(overlaps(&a, &b), shared);
        }

        #[test]
        fn canonical_text_round_trips(a in small_cidr()) {
            let text = a.to_string();
            prop_assert_eq!(Cidr::parse(&text).unwrap(), a);
        }
    }
}
