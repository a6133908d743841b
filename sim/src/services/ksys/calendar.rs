//! Calendars for root's crontab on the emulated orchestrator: 5-field cron expressions and
//! the time zones a `TZ=<zone> date` guard can name.
//!
//! Cron fields: minute, hour, day of month, month, day of week; `*`, lists, ranges, steps,
//! and `jan`-`dec` / `sun`-`sat` names; day of week 0 or 7 is Sunday; when both day fields
//! are restricted either may match, as in cron. AIX cron itself knows no names or steps;
//! the emulator accepts them so that any standard expression a client writes is read the
//! same way everywhere.
//!
//! The emulator has no tz database: it knows the fixed zones and DST rules of [`ZONES`]
//! (US, EU and south-east Australian rules as in force since 2007), which is exact for those
//! zones today. A `TZ=` value it does not know is read as UTC, as AIX's `date` does with an
//! unknown zone name.

use time::{Date, Month};

/// A parsed 5-field cron expression, one bit per allowed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    days_of_month: u32,
    months: u16,
    days_of_week: u8,
    any_day_of_month: bool,
    any_day_of_week: bool,
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct FieldSpec {
    label: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of the first name (1 for months, 0 for days of week).
    names_start: u32,
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        label: "minute",
        min: 0,
        max: 59,
        names: &[],
        names_start: 0,
    },
    FieldSpec {
        label: "hour",
        min: 0,
        max: 23,
        names: &[],
        names_start: 0,
    },
    FieldSpec {
        label: "day of month",
        min: 1,
        max: 31,
        names: &[],
        names_start: 0,
    },
    FieldSpec {
        label: "month",
        min: 1,
        max: 12,
        names: &MONTH_NAMES,
        names_start: 1,
    },
    FieldSpec {
        label: "day of week",
        min: 0,
        max: 7,
        names: &DAY_NAMES,
        names_start: 0,
    },
];

fn field_value(spec: &FieldSpec, text: &str) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = spec.names.iter().position(|n| *n == lower) {
        return Ok(spec.names_start + i as u32);
    }
    let value: u32 = text
        .parse()
        .map_err(|_| format!("{} value {text:?} is not a number", spec.label))?;
    if value < spec.min || value > spec.max {
        return Err(format!(
            "{} value {value} is out of range {}-{}",
            spec.label, spec.min, spec.max
        ));
    }
    Ok(value)
}

/// The set of values one field allows, as a bit mask.
fn parse_field(spec: &FieldSpec, text: &str) -> Result<u64, String> {
    let mut bits = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(format!(
                "{} field {text:?} has an empty list item",
                spec.label
            ));
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("{} step {s:?} must be a positive number", spec.label)
                })?;
                (r, step)
            }
            None => (item, 1),
        };
        let (start, end) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (field_value(spec, a)?, field_value(spec, b)?);
            if a > b {
                return Err(format!("{} range {range} runs backwards", spec.label));
            }
            (a, b)
        } else {
            let a = field_value(spec, range)?;
            // `5/15` means from 5 to the end in steps of 15.
            (a, if item.contains('/') { spec.max } else { a })
        };
        let mut v = start;
        while v <= end {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

impl Cron {
    pub fn parse(expression: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "cron {expression:?} must have 5 fields (minute hour day-of-month month day-of-week), found {}",
                fields.len()
            ));
        }
        let mut masks = [0u64; 5];
        for (i, (spec, text)) in FIELDS.iter().zip(&fields).enumerate() {
            masks[i] = parse_field(spec, text)
                .map_err(|e| format!("cron {expression:?} is not valid: {e}"))?;
        }
        // Day of week 7 is Sunday, like 0.
        let mut dow = masks[4];
        if dow & (1 << 7) != 0 {
            dow = (dow | 1) & !(1 << 7);
        }
        let unrestricted = |t: &str| t.starts_with('*');
        Ok(Cron {
            minutes: masks[0],
            hours: masks[1] as u32,
            days_of_month: masks[2] as u32,
            months: masks[3] as u16,
            days_of_week: dow as u8,
            any_day_of_month: unrestricted(fields[2]),
            any_day_of_week: unrestricted(fields[4]),
        })
    }

    fn matches_date(&self, date: Date) -> bool {
        if self.months & (1 << u8::from(date.month())) == 0 {
            return false;
        }
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().number_days_from_sunday()) != 0;
        match (self.any_day_of_month, self.any_day_of_week) {
            (true, true) => true,
            (true, false) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DstRule {
    None,
    /// Second Sunday of March 02:00 local to first Sunday of November 02:00 local.
    Us,
    /// Last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC.
    Eu,
    /// First Sunday of October 02:00 standard to first Sunday of April 03:00 daylight.
    AuSouthEast,
}

/// Zones the emulator can schedule in: name, standard UTC offset in minutes, DST rule.
const ZONES: &[(&str, i64, DstRule)] = &[
    ("UTC", 0, DstRule::None),
    ("Etc/UTC", 0, DstRule::None),
    ("America/New_York", -300, DstRule::Us),
    ("America/Toronto", -300, DstRule::Us),
    ("America/Chicago", -360, DstRule::Us),
    ("America/Denver", -420, DstRule::Us),
    ("America/Phoenix", -420, DstRule::None),
    ("America/Los_Angeles", -480, DstRule::Us),
    ("America/Sao_Paulo", -180, DstRule::None),
    ("Europe/London", 0, DstRule::Eu),
    ("Europe/Dublin", 0, DstRule::Eu),
    ("Europe/Paris", 60, DstRule::Eu),
    ("Europe/Berlin", 60, DstRule::Eu),
    ("Europe/Madrid", 60, DstRule::Eu),
    ("Europe/Amsterdam", 60, DstRule::Eu),
    ("Asia/Kolkata", 330, DstRule::None),
    ("Asia/Singapore", 480, DstRule::None),
    ("Asia/Tokyo", 540, DstRule::None),
    ("Australia/Sydney", 600, DstRule::AuSouthEast),
];

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

fn zone(name: &str) -> Option<(i64, DstRule)> {
    ZONES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, offset, rule)| (*offset * MINUTE_MS, *rule))
}

fn epoch_day(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - 2_440_588
}

fn date_of_epoch_day(day: i64) -> Option<Date> {
    Date::from_julian_day(i32::try_from(day + 2_440_588).ok()?).ok()
}

/// Epoch ms of midnight (as if UTC) of the `n`-th Sunday of a month, or the last if `n` is 0.
fn sunday(year: i32, month: Month, n: u8) -> Option<i64> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let to_sunday = i64::from((7 - first.weekday().number_days_from_sunday()) % 7);
    let first_sunday = epoch_day(first) + to_sunday;
    let day = if n == 0 {
        let mut d = first_sunday;
        while date_of_epoch_day(d + 7)?.month() == month {
            d += 7;
        }
        d
    } else {
        first_sunday + 7 * (i64::from(n) - 1)
    };
    Some(day * DAY_MS)
}

/// The UTC offset (ms) in force at `utc_ms`.
fn offset_at(utc_ms: i64, standard: i64, rule: DstRule) -> i64 {
    let Some(date) = date_of_epoch_day(utc_ms.div_euclid(DAY_MS)) else {
        return standard;
    };
    let year = date.year();
    let window = match rule {
        DstRule::None => None,
        DstRule::Us => sunday(year, Month::March, 2)
            .zip(sunday(year, Month::November, 1))
            .map(|(s, e)| {
                (
                    s + 2 * HOUR_MS - standard,
                    e + 2 * HOUR_MS - standard - HOUR_MS,
                )
            }),
        DstRule::Eu => sunday(year, Month::March, 0)
            .zip(sunday(year, Month::October, 0))
            .map(|(s, e)| (s + HOUR_MS, e + HOUR_MS)),
        DstRule::AuSouthEast => sunday(year, Month::October, 1)
            .zip(sunday(year, Month::April, 1))
            .map(|(s, e)| {
                (
                    s + 2 * HOUR_MS - standard,
                    e + 3 * HOUR_MS - standard - HOUR_MS,
                )
            }),
    };
    let in_dst = match (rule, window) {
        (DstRule::AuSouthEast, Some((start, end))) => utc_ms >= start || utc_ms < end,
        (_, Some((start, end))) => utc_ms >= start && utc_ms < end,
        _ => false,
    };
    if in_dst { standard + HOUR_MS } else { standard }
}

/// Whether `name` is a zone of [`ZONES`].
pub fn is_known_zone(name: &str) -> bool {
    zone(name).is_some()
}

/// The names of every known zone.
pub fn known_zones() -> Vec<&'static str> {
    ZONES.iter().map(|(n, _, _)| *n).collect()
}

/// The UTC offset (ms) of the zone at the UTC instant; unknown zones are UTC.
pub fn zone_offset_ms(name: &str, utc_ms: i64) -> i64 {
    match zone(name) {
        Some((standard, rule)) => offset_at(utc_ms, standard, rule),
        None => 0,
    }
}

/// Broken-down wall time of an instant shifted by `offset_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// 0 = Sunday.
    pub weekday: u8,
    /// 1-based day of the year.
    pub ordinal: u16,
}

/// The wall time at `utc_ms + offset_ms`.
pub fn wall_time(utc_ms: i64, offset_ms: i64) -> Option<WallTime> {
    let local = utc_ms + offset_ms;
    let date = date_of_epoch_day(local.div_euclid(DAY_MS))?;
    let in_day = local.rem_euclid(DAY_MS);
    Some(WallTime {
        year: date.year(),
        month: u8::from(date.month()),
        day: date.day(),
        hour: (in_day / HOUR_MS) as u8,
        minute: ((in_day % HOUR_MS) / MINUTE_MS) as u8,
        second: ((in_day % MINUTE_MS) / 1000) as u8,
        weekday: date.weekday().number_days_from_sunday(),
        ordinal: date.ordinal(),
    })
}

impl Cron {
    /// Whether the expression fires at the minute holding the UTC instant (fields read in UTC).
    pub fn matches_utc(&self, utc_ms: i64) -> bool {
        let Some(t) = wall_time(utc_ms, 0) else {
            return false;
        };
        let Some(date) = date_of_epoch_day(utc_ms.div_euclid(DAY_MS)) else {
            return false;
        };
        self.minutes & (1u64 << t.minute) != 0
            && self.hours & (1 << t.hour) != 0
            && self.matches_date(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util;

    fn at(text: &str) -> i64 {
        util::parse_rfc3339(text).unwrap() as i64
    }

    fn local(zone: &str, utc: &str) -> (u8, u8, u8) {
        let t = at(utc);
        let w = wall_time(t, zone_offset_ms(zone, t)).unwrap();
        (w.day, w.hour, w.minute)
    }

    #[test]
    fn us_eu_and_southern_dst_rules() {
        // Chicago: UTC-6 in winter, UTC-5 in summer.
        assert_eq!(local("America/Chicago", "2026-01-04T08:00:00Z"), (4, 2, 0));
        assert_eq!(local("America/Chicago", "2026-07-05T07:00:00Z"), (5, 2, 0));
        // The spring-forward instant: 02:00 CST becomes 03:00 CDT.
        assert_eq!(local("America/Chicago", "2026-03-08T07:59:00Z"), (8, 1, 59));
        assert_eq!(local("America/Chicago", "2026-03-08T08:00:00Z"), (8, 3, 0));
        assert_eq!(local("Europe/Berlin", "2026-06-01T10:00:00Z"), (1, 12, 0));
        assert_eq!(local("Europe/Berlin", "2026-12-01T11:00:00Z"), (1, 12, 0));
        // Sydney is on daylight time (UTC+11) in January.
        assert_eq!(
            local("Australia/Sydney", "2026-01-10T16:00:00Z"),
            (11, 3, 0)
        );
        assert_eq!(local("Asia/Kolkata", "2026-01-10T18:30:00Z"), (11, 0, 0));
        assert_eq!(local("Mars/Olympus", "2026-01-10T18:30:00Z"), (10, 18, 30));
    }

    #[test]
    fn cron_fields_lists_ranges_steps_and_names() {
        let c = Cron::parse("*/15 9-17 * * mon-fri").unwrap();
        assert!(c.matches_utc(at("2026-01-05T09:45:00Z")));
        assert!(!c.matches_utc(at("2026-01-03T10:00:00Z")), "a Saturday");
        assert!(!c.matches_utc(at("2026-01-05T09:50:00Z")));
        // Both day fields restricted: either matches (the 13th, or any Friday).
        let c = Cron::parse("0 0 13 * 5").unwrap();
        assert!(c.matches_utc(at("2026-01-02T00:00:00Z")));
        assert!(c.matches_utc(at("2026-01-13T00:00:00Z")));
        assert!(!c.matches_utc(at("2026-01-14T00:00:00Z")));
        assert!(
            Cron::parse("0 0 * * 7")
                .unwrap()
                .matches_utc(at("2026-01-04T00:00:00Z"))
        );
        assert!(
            Cron::parse("5,35 */6 1 jan,jul *")
                .unwrap()
                .matches_utc(at("2026-07-01T12:35:00Z"))
        );
    }

    #[test]
    fn bad_expressions_are_explained() {
        for (cron, words) in [
            ("0 2 * *", "5 fields"),
            ("60 * * * *", "minute value 60 is out of range 0-59"),
            ("0 24 * * *", "hour value 24"),
            ("0 0 * * 8", "day of week value 8"),
            ("0 0 * foo *", "month value \"foo\""),
            ("*/0 * * * *", "step"),
            ("0 5-1 * * *", "backwards"),
            ("0,,1 * * * *", "empty"),
        ] {
            let e = Cron::parse(cron).unwrap_err();
            assert!(e.contains(words), "{cron}: {e}");
        }
        assert!(!is_known_zone("Mars/Olympus"));
        assert!(is_known_zone("America/Chicago"));
        assert!(known_zones().contains(&"UTC"));
    }
}
