//! The conventional `timeouts` block: `timeouts { create = "90m" delete = "1h30m" }`.
//!
//! Terraform has no protocol feature for timeouts; providers agree on an optional single block
//! named `timeouts` whose attributes are Go duration strings (IBM users know this block form
//! from the SDKv2-based IBM provider). A resource adds [`block`] to its schema and declares its
//! defaults with [`TimeoutDefaults`]; the framework reads the configured value for the running
//! operation and exposes it as [`crate::context::Context::timeout`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::diag::{AttributePath, Diagnostics};
use crate::schema::{Attribute, Block, NestedBlock};
use crate::validators::custom;
use crate::value::Value;

/// The name of the block.
pub const BLOCK_NAME: &str = "timeouts";

/// A resource operation that can have a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub fn attribute_name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// The typed form of the block, for resource `State` structs:
/// `#[serde(default)] timeouts: Option<Timeouts>`. Fields the schema lacks stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<String>,
}

/// Per-operation defaults used when the configuration sets no timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutDefaults {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Default for TimeoutDefaults {
    /// Twenty minutes each, like terraform-plugin-sdk.
    fn default() -> Self {
        Self::all(Duration::from_secs(20 * 60))
    }
}

impl TimeoutDefaults {
    pub fn all(d: Duration) -> Self {
        Self {
            create: d,
            read: d,
            update: d,
            delete: d,
        }
    }
    pub fn get(&self, op: Operation) -> Duration {
        match op {
            Operation::Create => self.create,
            Operation::Read => self.read,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }
    #[must_use]
    pub fn create(mut self, d: Duration) -> Self {
        self.create = d;
        self
    }
    #[must_use]
    pub fn read(mut self, d: Duration) -> Self {
        self.read = d;
        self
    }
    #[must_use]
    pub fn update(mut self, d: Duration) -> Self {
        self.update = d;
        self
    }
    #[must_use]
    pub fn delete(mut self, d: Duration) -> Self {
        self.delete = d;
        self
    }
}

/// The `timeouts` block with an optional duration attribute per operation in `ops`.
pub fn block(ops: &[Operation]) -> NestedBlock {
    let mut inner = Block::new().description("Timeouts for long-running operations.");
    for op in ops {
        inner = inner.attribute(
            Attribute::string(op.attribute_name())
                .optional()
                .description(format!(
                    "How long to wait for the {} operation, as a duration such as `30s`, `90m` or `1h30m`.",
                    op.attribute_name()
                ))
                .validator(custom("a duration such as \"90m\"", check_duration)),
        );
    }
    NestedBlock::single(BLOCK_NAME, inner)
}

fn check_duration(path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
    if let Some(s) = value.as_str()
        && let Err(e) = parse_duration(s)
    {
        diags.error_at(
            path.clone(),
            "Invalid timeout",
            format!("{path}: {e}. Use a duration such as \"30s\", \"90m\" or \"1h30m\"."),
        );
    }
}

/// The timeout configured for `op` in a resource object value (state, plan or config), if
/// any; errors when it is malformed.
pub fn configured(object: &Value, op: Operation) -> Result<Option<Duration>, String> {
    let text = object
        .attr(BLOCK_NAME)
        .and_then(|b| b.attr(op.attribute_name()))
        .and_then(Value::as_str);
    text.map(parse_duration).transpose()
}

/// Parses a Go duration string: a sequence of decimal numbers, each with a unit
/// (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), like `300ms`, `1.5h` or `2h45m`. `0` alone is zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?}");
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() || s.starts_with('-') {
        return Err(invalid());
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut total_nanos: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit in duration {text:?}"))?;
        if number_len == 0 {
            return Err(invalid());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => return Err(format!("unknown unit {other:?} in duration {text:?}")),
        };
        rest = &rest[unit_len..];
        total_nanos += number * nanos_per_unit;
    }
    // Go rejects durations beyond ~290 years; so do we, to keep the cast exact.
    if !total_nanos.is_finite() || total_nanos > 9.2e18 {
        return Err(format!("duration {text:?} is too long"));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(
            parse_duration("2h45m10s"),
            Ok(Duration::from_secs(2 * 3600 + 45 * 60 + 10))
        );
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "10", "m", "-5m", "5d", "1h-3m", "abc"] {
            assert!(parse_duration(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn reads_configured_timeout_and_validates_block() {
        let timeouts = Value::Object(BTreeMap::from([
            ("create".to_string(), Value::String("1h".into())),
            ("delete".to_string(), Value::Null),
        ]));
        let object = Value::Object(BTreeMap::from([("timeouts".to_string(), timeouts)]));
        assert_eq!(
            configured(&object, Operation::Create),
            Ok(Some(Duration::from_secs(3600)))
        );
        assert_eq!(configured(&object, Operation::Delete), Ok(None));
        let b = block(&[Operation::Create, Operation::Delete]);
        assert_eq!(b.block.attributes.len(), 2);
        let mut d = Diagnostics::new();
        for v in &b.block.attributes[0].validators {
            v.validate(
                &AttributePath::root("timeouts").attr("create"),
                &Value::String("5 minutes".into()),
                &mut d,
            );
        }
        assert!(d.to_string().contains("timeouts.create"), "{d}");
        assert_eq!(
            TimeoutDefaults::default().get(Operation::Read),
            Duration::from_secs(1200)
        );
    }
}
