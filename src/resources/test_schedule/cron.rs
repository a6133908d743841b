//! Offline check of a standard five-field cron expression (`minute hour day-of-month month
//! day-of-week`), so a typo fails `terraform validate` and `plan` instead of the API call.
//!
//! Accepted per field: `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n`, and
//! comma-separated lists of those; months and weekdays also by three-letter English name
//! (`JAN`, `SUN`; any case), Sunday as 0 or 7. Errors name the field by position and meaning,
//! the bad part, and the accepted range.

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

    /// One comma-separated item: `*`, `v`, `a-b`, each optionally `/step`.
    fn item(&self, item: &str) -> Result<(), String> {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n >= 1 && n <= self.max.max(1) => {}
                _ => {
                    return Err(format!(
                        "step {step:?} in {item:?} must be a number from 1 to {}",
                        self.max.max(1)
                    ));
                }
            }
        }
        if range == "*" {
            return Ok(());
        }
        if range.is_empty() {
            return Err(format!("{item:?} has an empty value"));
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (self.value(a)?, self.value(b)?);
                if a > b {
                    return Err(format!("range {range:?} runs backwards"));
                }
                Ok(())
            }
            None => self.value(range).map(|_| ()),
        }
    }
}

/// Checks `expression`; the error says which field is wrong and why.
pub fn check(expression: &str) -> Result<(), String> {
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
    for (position, (part, field)) in parts.iter().zip(FIELDS.iter()).enumerate() {
        for item in part.split(',') {
            field.item(item).map_err(|why| {
                format!(
                    "field {} ({}) {part:?}: {why}; accepted: {}",
                    position + 1,
                    field.name,
                    field.accepted()
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for (bad, wanted) in cases {
            let err = check(bad).err().unwrap_or_default();
            assert!(err.contains(wanted), "{bad}: {err}");
        }
    }
}
