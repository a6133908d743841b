//! Machine types (PowerVS `sysType`) for the orchestrator VMs.
//!
//! Two levels: a static list of the Power systems DR Automation knows (checked offline, so a
//! typo fails `terraform validate`), and the list a given workspace's zone actually offers,
//! which only the API knows (checked at plan time once the provider is configured).

/// Power systems DR Automation deploys orchestrators on (PowerVS `sysType` values).
pub const KNOWN_MACHINE_TYPES: &[&str] = &[
    "s922", "e880", "e980", "s1022", "e1050", "e1080", "s1122", "e1150", "e1180",
];

/// Accepts a machine type from the static list.
pub fn check_known(machine_type: &str) -> Result<(), String> {
    if KNOWN_MACHINE_TYPES.contains(&machine_type) {
        return Ok(());
    }
    let lower = machine_type.to_ascii_lowercase();
    let hint = if lower != machine_type && KNOWN_MACHINE_TYPES.contains(&lower.as_str()) {
        format!(" (machine types are lowercase: {lower:?})")
    } else {
        String::new()
    };
    Err(format!(
        "{machine_type:?} is not a Power machine type DR Automation supports{hint}. Use one of: {}.",
        KNOWN_MACHINE_TYPES.join(", ")
    ))
}

/// Accepts a machine type that `workspace` offers (`offered` as the API lists them).
pub fn check_offered(
    machine_type: &str,
    workspace: &str,
    offered: &[String],
) -> Result<(), String> {
    if offered.iter().any(|m| m == machine_type) {
        return Ok(());
    }
    Err(format!(
        "Machine type {machine_type:?} is not available in workspace {workspace}; it offers: {}.",
        if offered.is_empty() {
            "none".to_string()
        } else {
            offered.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_list_accepts_known_types_only() {
        for ok in ["s922", "e980", "s1022", "e1050", "e1080"] {
            assert!(check_known(ok).is_ok(), "{ok}");
        }
        let msg = check_known("p10").err().unwrap_or_default();
        assert!(msg.contains("\"p10\""), "{msg}");
        assert!(msg.contains("s922, e880, e980"), "{msg}");
        let upper = check_known("S922").err().unwrap_or_default();
        assert!(upper.contains("lowercase: \"s922\""), "{upper}");
    }

    #[test]
    fn workspace_list_names_what_is_offered() {
        let offered = vec!["s922".to_string(), "s1022".to_string()];
        assert!(check_offered("s922", "ws", &offered).is_ok());
        let msg = check_offered("e980", "slz-dal12", &offered)
            .err()
            .unwrap_or_default();
        assert!(msg.contains("\"e980\""), "{msg}");
        assert!(msg.contains("slz-dal12"), "{msg}");
        assert!(msg.contains("s922, s1022"), "{msg}");
    }
}
