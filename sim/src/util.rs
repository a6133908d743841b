//! Small helpers every service needs: wall-clock time, IBM-style timestamps and CRNs.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds since the Unix epoch. Deadlines are stored in this unit so that they keep
/// their meaning across a restart from the state file.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `2026-03-01T12:00:00.123Z`: the millisecond UTC form IBM APIs answer with.
pub fn rfc3339(epoch_ms: u64) -> String {
    let nanos = i128::from(epoch_ms) * 1_000_000;
    match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => {
            let t = t
                .replace_nanosecond((epoch_ms % 1000) as u32 * 1_000_000)
                .unwrap_or(t);
            t.format(&Rfc3339).unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

/// Epoch milliseconds of an RFC 3339 timestamp, for query parameters that take one.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// `crn:v1:bluemix:public:<service>:<location>:a/<account>:<guid>::`, the form of every
/// service-instance CRN the provider reads (workspaces, DR instances).
pub fn crn(service: &str, location: &str, account: &str, guid: &str) -> String {
    format!("crn:v1:bluemix:public:{service}:{location}:a/{account}:{guid}::")
}

/// The CRN of a sub-resource: `crn:v1:bluemix:public:<service>:<location>:a/<account>:<guid>:<type>:<id>`.
pub fn resource_crn(
    service: &str,
    location: &str,
    account: &str,
    guid: &str,
    resource_type: &str,
    id: &str,
) -> String {
    format!("crn:v1:bluemix:public:{service}:{location}:a/{account}:{guid}:{resource_type}:{id}")
}

/// The service-instance GUID inside a CRN (the 8th field), if the text is a CRN.
/// 32 hex digits in the UUID layout (8-4-4-4-12).
pub fn uuid_layout(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub fn guid_of_crn(crn: &str) -> Option<&str> {
    let fields: Vec<&str> = crn.split(':').collect();
    if fields.len() >= 8 && fields[0] == "crn" {
        Some(fields[7])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_with_milliseconds() {
        let text = rfc3339(1_700_000_000_123);
        assert_eq!(text, "2023-11-14T22:13:20.123Z");
        assert_eq!(parse_rfc3339(&text), Some(1_700_000_000_123));
    }

    #[test]
    fn crn_has_the_guid_in_field_eight() {
        let c = crn("power-iaas", "dal10", "acc", "g-1");
        assert_eq!(c, "crn:v1:bluemix:public:power-iaas:dal10:a/acc:g-1::");
        assert_eq!(guid_of_crn(&c), Some("g-1"));
        assert_eq!(guid_of_crn("nope"), None);
    }
}
