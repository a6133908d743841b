//! When a schedule next fires, as the orchestrator's cron and the entry's time-zone guard make
//! it: the first minute after the orchestrator's clock whose wall time in the schedule's zone
//! matches the expression. A wall time skipped by a spring-forward change never matches.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::cloud::ksys::crontab::CronSets;

/// How far ahead to look (covers `0 0 29 2 *` across a century's leap-year gaps).
const SEARCH_DAYS: i64 = 8 * 366;

fn allows(set: &Option<std::collections::BTreeSet<u32>>, value: u32) -> bool {
    set.as_ref().is_none_or(|s| s.contains(&value))
}

fn day_matches(sets: &CronSets, date: Date) -> bool {
    let dom = u32::try_from(date.day()).unwrap_or(0);
    let month = u32::try_from(date.month()).unwrap_or(0);
    let dow = u32::try_from(date.weekday().to_sunday_zero_offset()).unwrap_or(0);
    if !allows(&sets.months, month) {
        return false;
    }
    match (&sets.days_of_month, &sets.days_of_week) {
        // cron: when both day fields are restricted, either may match.
        (Some(d), Some(w)) => d.contains(&dom) || w.contains(&dow),
        _ => allows(&sets.days_of_month, dom) && allows(&sets.days_of_week, dow),
    }
}

/// The next run after `now` (RFC 3339, UTC), or `None` for an unknown zone or no match.
pub fn next_run(sets: &CronSets, time_zone: &str, now: &str) -> Option<String> {
    let tz = TimeZone::get(time_zone).ok()?;
    let now: Timestamp = now.parse().ok()?;
    let start = now.to_zoned_datetime(tz.clone());
    let all_hours: Vec<u32> = (0..24).collect();
    let all_minutes: Vec<u32> = (0..60).collect();
    let hours: Vec<u32> = sets
        .hours
        .as_ref()
        .map(|s| s.iter().copied().collect())
        .unwrap_or(all_hours);
    let minutes: Vec<u32> = sets
        .minutes
        .as_ref()
        .map(|s| s.iter().copied().collect())
        .unwrap_or(all_minutes);
    let mut date = start.date();
    for _ in 0..SEARCH_DAYS {
        if day_matches(sets, date) {
            for &h in &hours {
                for &m in &minutes {
                    let local = DateTime::new(
                        date.year(),
                        date.month(),
                        date.day(),
                        i8::try_from(h).ok()?,
                        i8::try_from(m).ok()?,
                        0,
                        0,
                    )
                    .ok()?;
                    let Ok(zoned) = local.to_zoned_datetime(tz.clone()) else {
                        continue;
                    };
                    // A skipped wall time is moved forward by the conversion: cron never sees it.
                    if zoned.datetime() != local || zoned.timestamp() <= now {
                        continue;
                    }
                    return Some(zoned.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
                }
            }
        }
        date = date.checked_add(1.day()).ok()?;
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::resources::test_schedule::cron::expand;

    /// Each case: the cron expression, its zone, the time now, and the next run expected.
    fn assert_next_runs(cases: &[(&str, &str, &str, Option<&str>)]) {
        for (expression, zone, now, expected) in cases {
            let sets = expand(expression).unwrap();
            let found = next_run(&sets, zone, now);
            assert_eq!(
                found.as_deref(),
                *expected,
                "{expression} in {zone} at {now}"
            );
        }
    }

    #[test]
    fn runs_are_found_in_the_schedule_zone() {
        assert_next_runs(&[
            // Friday 2026-12-04 16:05 UTC; Sunday 02:00 in Chicago (CST, UTC-6) is 08:00 UTC.
            (
                "0 2 * * SUN",
                "America/Chicago",
                "2026-12-04T16:05:14Z",
                Some("2026-12-06T08:00:00Z"),
            ),
            (
                "*/15 * * * *",
                "UTC",
                "2026-12-04T16:05:14Z",
                Some("2026-12-04T16:15:00Z"),
            ),
            (
                "0 0 29 2 *",
                "UTC",
                "2026-12-04T16:05:14Z",
                Some("2028-02-29T00:00:00Z"),
            ),
            ("0 2 * * SUN", "Mars/Olympus", "2026-12-04T16:05:14Z", None),
        ]);
    }

    #[test]
    fn a_wall_time_skipped_by_daylight_saving_does_not_run() {
        // 2027-03-14 02:30 does not exist in Chicago; the next 02:30 is on the 15th (CDT, UTC-5).
        assert_next_runs(&[(
            "30 2 * * *",
            "America/Chicago",
            "2027-03-14T06:00:00Z",
            Some("2027-03-15T07:30:00Z"),
        )]);
    }
}
