//! Validators: offline checks of configuration values, run in `Validate*Config`.
//!
//! Attribute validators see one known, non-null value at a time (the framework skips null and
//! unknown values, so they work under `terraform validate` with unknown inputs). Config
//! validators relate several attributes of one resource (conflicts, exactly-one-of). Every
//! failure names the attribute path, the bad value and what would be accepted.

use std::sync::Arc;

pub use crate::schema::{ConfigValidator, Validator};

use crate::diag::{AttributePath, Diagnostics, PathStep};
use crate::schema::{Attribute, Schema};
use crate::value::Value;
use crate::walk::{Descend, ObjectSchema, visit_attributes};

fn invalid(diags: &mut Diagnostics, path: &AttributePath, shown: &str, expected: &str) {
    diags.error_at(
        path.clone(),
        "Invalid attribute value",
        format!("Attribute {path} value must be {expected}, got: {shown}"),
    );
}

/// The value (a string) must be one of `allowed`.
pub fn one_of<S: Into<String>>(allowed: impl IntoIterator<Item = S>) -> OneOf {
    OneOf {
        allowed: allowed.into_iter().map(Into::into).collect(),
    }
}

pub struct OneOf {
    allowed: Vec<String>,
}

impl Validator for OneOf {
    fn description(&self) -> String {
        let quoted: Vec<String> = self.allowed.iter().map(|a| format!("{a:?}")).collect();
        format!("one of: [{}]", quoted.join(", "))
    }
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str()
            && !self.allowed.iter().any(|a| a == s)
        {
            invalid(diags, path, &format!("{s:?}"), &self.description());
        }
    }
}

/// The string must match `pattern`; `what` explains it to the user ("a CIDR like 10.0.0.0/24").
///
/// The pattern is compiled when a value is first checked, not when the schema is built: the
/// schema is built at every provider start, and most starts never check this value.
pub fn regex_match(pattern: &str, what: impl Into<String>) -> RegexMatch {
    RegexMatch {
        pattern: pattern.to_owned(),
        regex: std::sync::OnceLock::new(),
        what: what.into(),
    }
}

pub struct RegexMatch {
    pattern: String,
    regex: std::sync::OnceLock<Result<regex::Regex, String>>,
    what: String,
}

impl Validator for RegexMatch {
    fn description(&self) -> String {
        self.what.clone()
    }
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let compiled = self
            .regex
            .get_or_init(|| regex::Regex::new(&self.pattern).map_err(|e| e.to_string()));
        match compiled {
            Ok(re) if re.is_match(s) => {}
            Ok(_) => invalid(diags, path, &format!("{s:?}"), &self.what),
            Err(e) => diags.error_at(
                path.clone(),
                "Provider bug: invalid validator pattern",
                format!("The provider's pattern for {path} does not compile: {e}"),
            ),
        }
    }
}

/// String length (in characters) between `min` and `max`, inclusive.
pub fn string_length_between(min: usize, max: usize) -> StringLength {
    Between {
        min,
        max,
        describe: |min, max| format!("a string of {min} to {max} characters"),
        measure: |value| {
            let s = value.as_str()?;
            let n = s.chars().count();
            Some((Some(n), format!("{s:?} ({n} characters)")))
        },
    }
}

/// A whole number between `min` and `max`, inclusive.
pub fn int_between(min: i64, max: i64) -> IntBetween {
    Between {
        min,
        max,
        describe: |min, max| format!("a whole number between {min} and {max}"),
        measure: |value| {
            let n = value.as_number()?;
            Some((n.as_i64(), n.to_string()))
        },
    }
}

/// A number between `min` and `max`, inclusive.
pub fn number_between(min: f64, max: f64) -> NumberBetween {
    Between {
        min,
        max,
        describe: |min, max| format!("a number between {min} and {max}"),
        measure: |value| {
            let n = value.as_number()?;
            Some((n.as_f64(), n.to_string()))
        },
    }
}

/// A list, set or map with between `min` and `max` elements.
pub fn size_between(min: usize, max: usize) -> SizeBetween {
    Between {
        min,
        max,
        describe: |min, max| format!("a collection of {min} to {max} elements"),
        measure: |value| {
            let n = match value {
                Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.len(),
                Value::Map(m) => m.len(),
                _ => return None,
            };
            Some((Some(n), format!("{n} elements")))
        },
    }
}

pub type StringLength = Between<usize>;
pub type IntBetween = Between<i64>;
pub type NumberBetween = Between<f64>;
pub type SizeBetween = Between<usize>;

/// A measure of the value (its length, its number, its size) between `min` and `max`, inclusive.
pub struct Between<T> {
    min: T,
    max: T,
    describe: fn(T, T) -> String,
    /// The value's measure (`None` when it has none, e.g. a fraction for a whole number) and
    /// how the error shows the value; `None` for a value of another kind, left to the schema.
    measure: fn(&Value) -> Option<Measured<T>>,
}

/// A value's measure, if it has one, and the value as an error shows it.
type Measured<T> = (Option<T>, String);

impl<T: PartialOrd + Copy + Send + Sync> Validator for Between<T> {
    fn description(&self) -> String {
        (self.describe)(self.min, self.max)
    }
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let Some((measured, shown)) = (self.measure)(value) else {
            return;
        };
        if !measured.is_some_and(|m| m >= self.min && m <= self.max) {
            invalid(diags, path, &shown, &self.description());
        }
    }
}

/// Applies `inner` to each known element of a list, set or map.
pub fn each(inner: impl Validator + 'static) -> Each {
    Each {
        inner: Arc::new(inner),
    }
}

pub struct Each {
    inner: Arc<dyn Validator>,
}

impl Validator for Each {
    fn description(&self) -> String {
        format!("each element: {}", self.inner.description())
    }
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        let known = |v: &Value| !v.is_null() && !v.is_unknown();
        match value {
            Value::List(items) | Value::Tuple(items) => {
                for (i, item) in items.iter().enumerate().filter(|(_, v)| known(v)) {
                    let at = path.with(PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX)));
                    self.inner.validate(&at, item, diags);
                }
            }
            // Set elements are not addressable: report at the set itself.
            Value::Set(items) => {
                for item in items.iter().filter(|v| known(v)) {
                    self.inner.validate(path, item, diags);
                }
            }
            Value::Map(m) => {
                for (k, item) in m.iter().filter(|(_, v)| known(v)) {
                    self.inner
                        .validate(&path.with(PathStep::Key(k.clone())), item, diags);
                }
            }
            _ => {}
        }
    }
}

/// A validator from a closure: `custom("a valid CIDR", |path, v, diags| ...)`.
pub fn custom(
    description: impl Into<String>,
    check: impl Fn(&AttributePath, &Value, &mut Diagnostics) + Send + Sync + 'static,
) -> Custom {
    Custom {
        description: description.into(),
        check: Box::new(check),
    }
}

type CustomCheck = Box<dyn Fn(&AttributePath, &Value, &mut Diagnostics) + Send + Sync>;

pub struct Custom {
    description: String,
    check: CustomCheck,
}

impl Validator for Custom {
    fn description(&self) -> String {
        self.description.clone()
    }
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics) {
        (self.check)(path, value, diags);
    }
}

pub fn conflicts_with(paths: impl IntoIterator<Item = AttributePath>) -> ConfigValidator {
    ConfigValidator::ConflictsWith(paths.into_iter().collect())
}
pub fn exactly_one_of(paths: impl IntoIterator<Item = AttributePath>) -> ConfigValidator {
    ConfigValidator::ExactlyOneOf(paths.into_iter().collect())
}
pub fn at_least_one_of(paths: impl IntoIterator<Item = AttributePath>) -> ConfigValidator {
    ConfigValidator::AtLeastOneOf(paths.into_iter().collect())
}
pub fn required_together(paths: impl IntoIterator<Item = AttributePath>) -> ConfigValidator {
    ConfigValidator::RequiredTogether(paths.into_iter().collect())
}

/// Runs every schema-declared check on a configuration object: attribute validators (on
/// known, non-null values, at any nesting depth), deprecation warnings, write-only support,
/// and the schema's config validators.
pub fn validate_config(schema: &Schema, config: &Value, write_only_allowed: bool) -> Diagnostics {
    let mut diags = Diagnostics::new();
    visit_attributes(
        ObjectSchema::Block(&schema.block),
        config,
        &AttributePath::empty(),
        &mut |a, v, here| check_attribute(a, v, here, write_only_allowed, &mut diags),
    );
    for v in &schema.config_validators {
        v.validate(config, &mut diags);
    }
    diags
}

/// Removes a sensitive value from validator messages (validators quote what they reject).
fn redact(diags: Diagnostics, value: &Value) -> Diagnostics {
    let needles: Vec<String> = match value {
        Value::String(s) if !s.is_empty() => vec![format!("{s:?}"), s.clone()],
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    };
    let hide = |text: String| {
        needles.iter().fold(text, |t, needle| {
            t.replace(needle.as_str(), "(sensitive value)")
        })
    };
    let mut out = Diagnostics::new();
    for mut d in diags {
        d.summary = hide(d.summary);
        d.detail = hide(d.detail);
        out.push(d);
    }
    out
}

/// The checks of one attribute: a deprecation warning and the write-only gate for any set
/// value, the attribute's validators for a known one.
fn check_attribute(
    a: &Attribute,
    v: &Value,
    here: &AttributePath,
    write_only_allowed: bool,
    diags: &mut Diagnostics,
) -> Descend {
    if v.is_null() {
        return Descend::Stop;
    }
    if a.deprecated {
        let detail = if a.deprecation_message.is_empty() {
            format!("{here} is deprecated and will be removed in a future version.")
        } else {
            a.deprecation_message.clone()
        };
        diags.warning_at(here.clone(), "Attribute Deprecated", detail);
    }
    if a.write_only && !write_only_allowed {
        diags.error_at(
            here.clone(),
            "Write-only attribute not supported",
            format!(
                "{here} is write-only, which needs Terraform 1.11 or later (or OpenTofu 1.11). \
                 Upgrade the CLI or use the attribute's non-write-only alternative."
            ),
        );
    }
    if v.is_unknown() {
        return Descend::Stop;
    }
    let mut found = Diagnostics::new();
    for validator in &a.validators {
        validator.validate(here, v, &mut found);
    }
    if a.sensitive || a.write_only {
        found = redact(found, v);
    }
    diags.extend(found);
    Descend::Into
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::path;
    use crate::value::Number;
    use std::collections::BTreeMap;

    #[test]
    fn number_ranges_show_the_number_as_written() {
        let d = run(&int_between(1, 10), Value::Number(Number::from_i64(0)));
        let text = format!("{d:?}");
        assert!(text.contains("got: 0"), "{text}");
        let d = run(
            &number_between(0.5, 2.0),
            Value::Number(Number::from_f64(2.5).unwrap()),
        );
        let text = format!("{d:?}");
        assert!(text.contains("got: 2.5"), "{text}");
    }

    fn run(v: &dyn Validator, value: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        v.validate(&path!("x"), &value, &mut d);
        d
    }

    #[test]
    fn attribute_validators() {
        assert!(!run(&one_of(["a", "b"]), Value::String("a".into())).has_errors());
        let d = run(&one_of(["a", "b"]), Value::String("c".into()));
        assert!(
            d.to_string().contains("one of: [\"a\", \"b\"], got: \"c\""),
            "{d}"
        );
        assert!(run(&string_length_between(2, 3), Value::String("a".into())).has_errors());
        assert!(
            !run(
                &regex_match("^[a-z]+$", "lowercase"),
                Value::String("ab".into())
            )
            .has_errors()
        );
        assert!(
            run(
                &regex_match("^[a-z]+$", "lowercase"),
                Value::String("A".into())
            )
            .has_errors()
        );
        assert!(run(&regex_match("(", "broken"), Value::String("A".into())).has_errors());
        assert!(run(&int_between(1, 5), Value::Number(Number::from_i64(9))).has_errors());
        assert!(!run(&int_between(1, 5), Value::Number(Number::from_i64(5))).has_errors());
        assert!(
            run(
                &number_between(0.0, 1.0),
                Value::Number(Number::from_i64(2))
            )
            .has_errors()
        );
        assert!(run(&size_between(1, 2), Value::List(vec![])).has_errors());
    }

    #[test]
    fn each_reports_element_paths_and_skips_unknowns() {
        let d = run(
            &each(one_of(["a"])),
            Value::List(vec![
                Value::String("a".into()),
                Value::unknown(),
                Value::String("z".into()),
            ]),
        );
        assert_eq!(d.len(), 1);
        let diag = d.iter().next().cloned();
        assert_eq!(diag.and_then(|d| d.path), Some(path!("x", 2)));
    }

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn sensitive_values_are_redacted_from_validation_errors() {
        let schema = Schema::new().attribute(
            Attribute::string("token")
                .optional()
                .sensitive()
                .validator(one_of(["a", "b"])),
        );
        let config = object(&[("token", Value::String("s3cret-token".into()))]);
        let d = validate_config(&schema, &config, true);
        let text = d.to_string();
        assert!(d.has_errors());
        assert!(!text.contains("s3cret-token"), "{text}");
        assert!(text.contains("(sensitive value)"), "{text}");
    }

    #[test]
    fn config_validators() {
        let s = |x: &str| Value::String(x.into());
        let v = exactly_one_of([path!("a"), path!("b")]);
        let mut d = Diagnostics::new();
        v.validate(&object(&[("a", s("1")), ("b", s("2"))]), &mut d);
        assert!(d.has_errors());
        let mut d = Diagnostics::new();
        v.validate(&object(&[("a", Value::Null), ("b", Value::Null)]), &mut d);
        assert!(d.to_string().contains("must be configured"), "{d}");
        let mut d = Diagnostics::new();
        v.validate(
            &object(&[("a", Value::Null), ("b", Value::unknown())]),
            &mut d,
        );
        assert!(d.is_empty(), "unknown may still become set");
        let mut d = Diagnostics::new();
        required_together([path!("a"), path!("b")])
            .validate(&object(&[("a", s("1")), ("b", Value::Null)]), &mut d);
        assert_eq!(
            d.iter().next().and_then(|d| d.path.clone()),
            Some(path!("b"))
        );
        let mut d = Diagnostics::new();
        conflicts_with([path!("a"), path!("b")])
            .validate(&object(&[("a", s("1")), ("b", Value::Null)]), &mut d);
        assert!(d.is_empty());
    }
}
