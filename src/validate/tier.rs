//! Storage tiers DR Automation accepts for the orchestrator's and the replicated VMs' disks.
//!
//! PowerVS offers more tiers (tier0, tier5k, ...), but DR replication only supports two, and
//! users pick by performance: so every message names both tiers with their IOPS per GB.

/// The DR tiers and their performance, in the order users see them.
pub const DR_TIERS: &[(&str, u32)] = &[("tier1", 10), ("tier3", 3)];

/// IOPS per GB of a DR tier, `None` for anything else.
pub fn iops_per_gb(tier: &str) -> Option<u32> {
    DR_TIERS
        .iter()
        .find(|(name, _)| *name == tier)
        .map(|(_, iops)| *iops)
}

/// "tier1 (10 IOPS/GB) or tier3 (3 IOPS/GB)".
pub fn allowed_text() -> String {
    let names: Vec<String> = DR_TIERS
        .iter()
        .map(|(name, iops)| format!("{name} ({iops} IOPS/GB)"))
        .collect();
    names.join(" or ")
}

/// Accepts a DR tier; the error says what the value was and what is allowed.
pub fn check(tier: &str) -> Result<(), String> {
    if iops_per_gb(tier).is_some() {
        return Ok(());
    }
    let why = match tier {
        "tier0" | "tier5k" => " PowerVS offers it, but DR Automation does not replicate it.",
        _ => "",
    };
    Err(format!(
        "{tier:?} is not a storage tier DR Automation supports.{why} Use {}.",
        allowed_text()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dr_tiers_carry_their_iops() {
        assert_eq!(iops_per_gb("tier1"), Some(10));
        assert_eq!(iops_per_gb("tier3"), Some(3));
        assert_eq!(iops_per_gb("tier0"), None);
        assert!(check("tier1").is_ok());
        assert!(check("tier3").is_ok());
    }

    #[test]
    fn errors_name_the_value_and_both_tiers() {
        for bad in ["tier0", "tier5k", "Tier1", ""] {
            let msg = check(bad).err().unwrap_or_default();
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            assert!(
                msg.contains("tier1 (10 IOPS/GB) or tier3 (3 IOPS/GB)"),
                "{msg}"
            );
        }
        assert!(
            check("tier0")
                .err()
                .unwrap_or_default()
                .contains("does not replicate")
        );
    }
}
