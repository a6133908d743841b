//! Offline check of a standard five-field cron expression (`minute hour day-of-month month
//! day-of-week`), so a typo fails `terraform validate` and `plan` instead of the API call.
//!
//! Accepted per field: `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n`, and
//! comma-separated lists of those; months and weekdays also by three-letter English name
//! (`JAN`, `SUN`; any case), Sunday as 0 or 7. Errors name the field by position and meaning,
//! the bad part, and the accepted range.

use std::collections::BTreeSet;

use crate::cloud::ksys::crontab::CronSets;

/// One of the five fields.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of `names[0]`.
    names_start: u32,
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        names_start: 0,
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        names_start: 0,
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
        names_start: 0,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
        names_start: 1,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: WEEKDAYS,
        names_start: 0,
    },
];

impl Field {
    fn accepted(&self) -> String {
        let mut text = format!("{}-{}", self.min, self.max);
        if let (Some(first), Some(last)) = (self.names.first(), self.names.last()) {
            text.push_str(&format!(" or {first}-{last}"));
        }
        if self.name == "day of week" {
            text.push_str(" (0 and 7 are Sunday)");
        }
        text
    }

    fn value(&self, text: &str) -> Result<u32, String> {
        let upper = text.to_ascii_uppercase();
        let number = match self.names.iter().position(|n| *n == upper) {
            Some(i) => u32::try_from(i).unwrap_or(0) + self.names_start,
            None => text
                .parse::<u32>()
                .map_err(|_| format!("{text:?} is not a number"))?,
        };
        if number < self.min || number > self.max {
            return Err(format!("{text:?} is out of range"));
        }
        Ok(number)
    }

    /// One comma-separated item: `*`, `v`, `a-b`, each optionally `/step`; its values.
    fn item(&self, item: &str) -> Result<Vec<u32>, String> {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        let step = match step {
            None => 1,
            Some(step) => match step.parse::<u32>() {
                Ok(n) if n >= 1 && n <= self.max.max(1) => n,
                _ => {
                    return Err(format!(
                        "step {step:?} in {item:?} must be a number from 1 to {}",
                        self.max.max(1)
                    ));
                }
            },
        };
        let (first, last) = if range == "*" {
            (self.min, self.max)
        } else if range.is_empty() {
            return Err(format!("{item:?} has an empty value"));
        } else {
            match range.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (self.value(a)?, self.value(b)?);
                    if a > b {
                        return Err(format!("range {range:?} runs backwards"));
                    }
                    (a, b)
                }
                // `a/n` runs from a to the end of the field.
                None if step > 1 => (self.value(range)?, self.max),
                None => {
                    let v = self.value(range)?;
                    (v, v)
                }
            }
        };
        Ok((first..=last).step_by(step as usize).collect())
    }
}

/// The five fields split off `expression`, or why it is not one.
fn fields(expression: &str) -> Result<Vec<&str>, String> {
    let trimmed = expression.trim();
    if trimmed.starts_with('@') {
        return Err(format!(
            "{trimmed:?}: shortcuts such as @daily are not accepted; write the five fields, e.g. \"0 0 * * *\" \
             for daily at midnight"
        ));
    }
    let parts: Vec<&str> = trimmed.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "{trimmed:?} has {} field(s); a cron expression has exactly five: minute hour day-of-month month \
             day-of-week, e.g. \"0 2 * * 0\" (Sundays at 02:00)",
            parts.len()
        ));
    }
    Ok(parts)
}

/// Checks `expression`; the error says which field is wrong and why.
pub fn check(expression: &str) -> Result<(), String> {
    expand(expression).map(drop)
}

/// The values each field stands for (`None` for a plain `*`); day of week 7 is folded onto 0.
pub fn expand(expression: &str) -> Result<CronSets, String> {
    let parts = fields(expression)?;
    let mut sets = Vec::with_capacity(5);
    for (position, (part, field)) in parts.iter().zip(FIELDS.iter()).enumerate() {
        let mut values = BTreeSet::new();
        for item in part.split(',') {
            let found = field.item(item).map_err(|why| {
                format!(
                    "field {} ({}) {part:?}: {why}; accepted: {}",
                    position + 1,
                    field.name,
                    field.accepted()
                )
            })?;
            values.extend(
                found
                    .into_iter()
                    .map(|v| if position == 4 { v % 7 } else { v }),
            );
        }
        sets.push((*part != "*").then_some(values));
    }
    let mut sets = sets.into_iter();
    let mut next = || sets.next().flatten();
    Ok(CronSets {
        minutes: next(),
        hours: next(),
        days_of_month: next(),
        months: next(),
        days_of_week: next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::test_schedule::assert_each_refused;

    #[test]
    fn accepts_common_expressions() {
        for ok in [
            "0 2 * * 0",
            "*/15 * * * *",
            "0 0 1 1 *",
            "30 4 1,15 * MON-FRI",
            "0 22 * jan-mar sun",
            "0 0-23/2 * * 7",
            "5 4 * * 1/2",
            "  0 2 * * 0  ",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn fields_expand_to_their_values() {
        let sets = expand("*/20 9-17/4 1,15 JAN-MAR 5,7").expect("valid");
        let v = |s: &Option<BTreeSet<u32>>| {
            s.clone()
                .unwrap_or_default()
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(v(&sets.minutes), vec![0, 20, 40]);
        assert_eq!(v(&sets.hours), vec![9, 13, 17]);
        assert_eq!(v(&sets.days_of_month), vec![1, 15]);
        assert_eq!(v(&sets.months), vec![1, 2, 3]);
        assert_eq!(v(&sets.days_of_week), vec![0, 5]);
        let every = expand("0 2 * * *").expect("valid");
        assert!(
            every.days_of_month.is_none() && every.months.is_none() && every.days_of_week.is_none()
        );
        assert_eq!(
            v(&expand("5/20 * * * *").expect("valid").minutes),
            vec![5, 25, 45]
        );
    }

    #[test]
    fn errors_name_the_bad_field() {
        let cases = [
            (
                "0 25 * * *",
                "field 2 (hour) \"25\": \"25\" is out of range; accepted: 0-23",
            ),
            ("61 * * * *", "field 1 (minute)"),
            ("0 0 0 * *", "field 3 (day of month)"),
            ("0 0 * 13 *", "field 4 (month) \"13\""),
            ("0 0 * * 8", "field 5 (day of week)"),
            ("0 0 * * FUNDAY", "\"FUNDAY\" is not a number"),
            ("0 0 * 5-2 *", "range \"5-2\" runs backwards"),
            ("*/0 * * * *", "step \"0\""),
            ("0 2 * *", "has 4 field(s)"),
            ("@weekly", "shortcuts such as @daily"),
            ("0,,5 * * * *", "empty value"),
        ];
        assert_each_refused(check, &cases);
    }
}
