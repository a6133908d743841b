//! Where PowerVS zones sit: the IBM Cloud region of each zone (KSYS builds a site from a
//! region) and the Global Replication Services partners between them.
//!
//! GRS replicates only between IBM's predefined partner locations in different regions.
//! IBM's docs name WDC04 <-> DAL13 and MAD02 <-> FRA04, the reference's examples use
//! DAL12 <-> WDC06, and the default scenario adds DAL10 <-> WDC07 (an ASSUMPTION: IBM
//! publishes no complete pair table). The partner regions follow from those pairs.

/// IBM Cloud region of each PowerVS zone the emulator knows.
const ZONE_REGIONS: &[(&str, &str)] = &[
    ("dal10", "us-south"),
    ("dal12", "us-south"),
    ("dal13", "us-south"),
    ("dal14", "us-south"),
    ("us-south", "us-south"),
    ("wdc04", "us-east"),
    ("wdc06", "us-east"),
    ("wdc07", "us-east"),
    ("us-east", "us-east"),
    ("tor01", "ca-tor"),
    ("mon01", "ca-mon"),
    ("sao01", "br-sao"),
    ("sao04", "br-sao"),
    ("lon04", "eu-gb"),
    ("lon06", "eu-gb"),
    ("eu-de-1", "eu-de"),
    ("eu-de-2", "eu-de"),
    ("fra04", "eu-de"),
    ("mad02", "eu-es"),
    ("mad04", "eu-es"),
    ("tok04", "jp-tok"),
    ("osa21", "jp-osa"),
    ("syd04", "au-syd"),
    ("syd05", "au-syd"),
    ("che01", "in-che"),
];

/// GRS partner locations (both directions are derived).
const GRS_PAIRS: &[(&str, &str)] = &[
    ("wdc04", "dal13"),
    ("mad02", "fra04"),
    ("dal12", "wdc06"),
    ("dal10", "wdc07"),
];

/// GRS partner regions (both directions are derived), from the pairs above.
const PARTNER_REGIONS: &[(&str, &str)] = &[("us-south", "us-east"), ("eu-es", "eu-de")];

/// The region of a zone; an unknown zone is taken as a region of its own.
pub fn region_of_zone(zone: &str) -> String {
    ZONE_REGIONS
        .iter()
        .find(|(z, _)| *z == zone)
        .map(|(_, r)| (*r).to_owned())
        .unwrap_or_else(|| zone.to_owned())
}

/// Whether `region` is a region the emulator knows.
pub fn is_known_region(region: &str) -> bool {
    ZONE_REGIONS.iter().any(|(_, r)| *r == region)
}

/// The other side of a pair that has `name` on one side.
fn other_side(&(a, b): &(&'static str, &'static str), name: &str) -> Option<&'static str> {
    if a == name {
        Some(b)
    } else if b == name {
        Some(a)
    } else {
        None
    }
}

/// The GRS partner location of a zone, if it has one.
pub fn grs_partner_zone(zone: &str) -> Option<&'static str> {
    GRS_PAIRS.iter().find_map(|pair| other_side(pair, zone))
}

/// The GRS partner regions of a region.
pub fn partner_regions(region: &str) -> Vec<&'static str> {
    PARTNER_REGIONS
        .iter()
        .filter_map(|pair| other_side(pair, region))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_cross_regions_and_are_symmetric() {
        for (a, b) in GRS_PAIRS {
            assert_eq!(grs_partner_zone(a), Some(*b));
            assert_eq!(grs_partner_zone(b), Some(*a));
            assert_ne!(region_of_zone(a), region_of_zone(b));
            assert!(partner_regions(&region_of_zone(a)).contains(&region_of_zone(b).as_str()));
        }
        assert_eq!(grs_partner_zone("dal10"), Some("wdc07"));
        assert_eq!(grs_partner_zone("lon04"), None);
    }

    #[test]
    fn zones_map_to_their_region() {
        assert_eq!(region_of_zone("dal12"), "us-south");
        assert_eq!(region_of_zone("wdc07"), "us-east");
        assert_eq!(region_of_zone("nowhere1"), "nowhere1");
        assert!(is_known_region("us-east"));
        assert!(!is_known_region("moon-1"));
        assert_eq!(partner_regions("us-east"), vec!["us-south"]);
    }
}
