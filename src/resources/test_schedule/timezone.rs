//! Offline check of an IANA time zone name (`America/Chicago`).
//!
//! The provider bundles the tz database (it computes each schedule's next run in its zone), so
//! a name is checked exactly; before that, the usual slips get a suggestion rather than a bare
//! "unknown": wrong case (`america/chicago`), abbreviations (`CST`), offsets (`+05:30`), and
//! names that are not shaped like `<Area>/<Location>`.

const AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// Common zones, for case corrections and suggestions.
const COMMON: &[&str] = &[
    "UTC",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "America/Anchorage",
    "America/Argentina/Buenos_Aires",
    "America/Bogota",
    "America/Chicago",
    "America/Denver",
    "America/Halifax",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/New_York",
    "America/Phoenix",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Toronto",
    "America/Vancouver",
    "Asia/Bangkok",
    "Asia/Dubai",
    "Asia/Hong_Kong",
    "Asia/Jakarta",
    "Asia/Jerusalem",
    "Asia/Kolkata",
    "Asia/Manila",
    "Asia/Riyadh",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Taipei",
    "Asia/Tokyo",
    "Atlantic/Reykjavik",
    "Australia/Melbourne",
    "Australia/Perth",
    "Australia/Sydney",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Dublin",
    "Europe/Istanbul",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Moscow",
    "Europe/Paris",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Zurich",
    "Pacific/Auckland",
    "Pacific/Honolulu",
];

/// Abbreviations people write instead of a zone, with the zone they usually mean.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("EST", "America/New_York"),
    ("EDT", "America/New_York"),
    ("CST", "America/Chicago"),
    ("CDT", "America/Chicago"),
    ("MST", "America/Denver"),
    ("MDT", "America/Denver"),
    ("PST", "America/Los_Angeles"),
    ("PDT", "America/Los_Angeles"),
    ("CET", "Europe/Paris"),
    ("CEST", "Europe/Paris"),
    ("BST", "Europe/London"),
    ("IST", "Asia/Kolkata"),
    ("JST", "Asia/Tokyo"),
    ("AEST", "Australia/Sydney"),
    ("Z", "UTC"),
];

/// `Los_Angeles` or `Argentina/Buenos_Aires`: one or two capitalised segments.
fn is_location(location: &str) -> bool {
    let segments: Vec<&str> = location.split('/').collect();
    segments.len() <= 2
        && segments.iter().all(|segment| {
            let mut chars = segment.chars();
            chars.next().is_some_and(|c| c.is_ascii_uppercase())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
        })
}

/// `Etc/UTC`, `Etc/GMT`, `Etc/GMT+5`, `Etc/GMT-14`, ...
fn is_etc(zone: &str) -> bool {
    let Some(name) = zone.strip_prefix("Etc/") else {
        return false;
    };
    if matches!(name, "UTC" | "UCT" | "GMT" | "Universal" | "Zulu") {
        return true;
    }
    let offset = name
        .strip_prefix("GMT+")
        .or_else(|| name.strip_prefix("GMT-"));
    offset.is_some_and(|n| {
        !n.is_empty() && (n == "0" || !n.starts_with('0')) && n.parse::<u8>().is_ok_and(|h| h <= 14)
    })
}

fn in_database(zone: &str) -> Result<(), String> {
    jiff::tz::db().get(zone).map(drop).map_err(|_| {
        format!(
            "{zone:?} is not in the IANA time zone database; check the spelling of the city (e.g. \
             \"America/Chicago\", \"Europe/Berlin\")"
        )
    })
}

/// Checks `zone`; the error says what is wrong and suggests a name where it can.
pub fn check(zone: &str) -> Result<(), String> {
    if matches!(zone, "UTC" | "GMT") {
        return Ok(());
    }
    if let Some(right) = COMMON
        .iter()
        .find(|c| c.eq_ignore_ascii_case(zone) && **c != zone)
    {
        return Err(format!(
            "{zone:?} is not spelled as in the IANA time zone database; write {right:?}"
        ));
    }
    if let Some((_, meant)) = ABBREVIATIONS
        .iter()
        .find(|(abbr, _)| abbr.eq_ignore_ascii_case(zone.trim()))
    {
        return Err(format!(
            "{zone:?} is an abbreviation, not a time zone (it changes with daylight saving); use an IANA name \
             such as {meant:?}"
        ));
    }
    if zone.starts_with('+')
        || zone.starts_with('-')
        || zone.starts_with("UTC+")
        || zone.starts_with("UTC-")
    {
        return Err(format!(
            "{zone:?} is a fixed offset; use an IANA name such as \"America/Chicago\" (or \"UTC\")"
        ));
    }
    if zone.starts_with("Etc/") {
        return if is_etc(zone) {
            in_database(zone)
        } else {
            Err(format!(
                "{zone:?} is not an Etc zone; accepted: Etc/UTC, Etc/GMT, Etc/GMT+N or Etc/GMT-N (N from 0 to 14)"
            ))
        };
    }
    let Some((area, location)) = zone.split_once('/') else {
        return Err(format!(
            "{zone:?} is not an IANA time zone name; write <Area>/<City> such as \"America/Chicago\", \
             \"Europe/Berlin\" or \"UTC\""
        ));
    };
    if !AREAS.contains(&area) {
        return Err(format!(
            "{zone:?}: {area:?} is not an IANA area; the areas are {}",
            AREAS.join(", ")
        ));
    }
    if is_location(location) {
        in_database(zone)
    } else {
        Err(format!(
            "{zone:?}: {location:?} is not a location name in IANA style (capitalised words joined by '_', \
             such as \"Los_Angeles\")"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::test_schedule::assert_each_refused;

    #[test]
    fn accepts_iana_names() {
        for ok in [
            "UTC",
            "America/Chicago",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Etc/GMT+5",
            "Antarctica/McMurdo",
            "Asia/Ho_Chi_Minh",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for zone in COMMON {
            assert_eq!(check(zone), Ok(()), "{zone}");
        }
    }

    #[test]
    fn explains_the_usual_mistakes() {
        let cases = [
            ("america/chicago", "write \"America/Chicago\""),
            ("CST", "abbreviation"),
            ("+05:30", "fixed offset"),
            ("Chicago", "<Area>/<City>"),
            ("Mars/Olympus_Mons", "\"Mars\" is not an IANA area"),
            ("America/new york", "not a location name"),
            ("Etc/GMT+15", "not an Etc zone"),
            ("America/Chicgo", "not in the IANA time zone database"),
        ];
        assert_each_refused(check, &cases);
    }
}
