//! The checks a schema declares: [`Validator`] for one attribute value and
//! [`ConfigValidator`] across attributes of one object. They are declared here, with the
//! schema that holds them, so that the schema does not depend on the built-in validators or
//! on the code that runs them ([`crate::validators`]).

use crate::diag::{AttributePath, Diagnostics};
use crate::value::{Value, value_at};

/// A check of one attribute value.
pub trait Validator: Send + Sync {
    /// Plain-English statement of what is accepted, e.g. "one of tier1, tier3".
    fn description(&self) -> String;
    /// Adds diagnostics for `value` (known, non-null) found at `path`.
    fn validate(&self, path: &AttributePath, value: &Value, diags: &mut Diagnostics);
}

/// A rule across attributes of one configuration object.
#[derive(Debug, Clone)]
pub enum ConfigValidator {
    /// At most one of these may be set.
    ConflictsWith(Vec<AttributePath>),
    /// Exactly one of these must be set.
    ExactlyOneOf(Vec<AttributePath>),
    /// At least one of these must be set.
    AtLeastOneOf(Vec<AttributePath>),
    /// Either all of these are set or none.
    RequiredTogether(Vec<AttributePath>),
}

/// Whether a configuration value counts as "set": `None` while unknown.
fn is_set(value: Option<&Value>) -> Option<bool> {
    match value {
        None | Some(Value::Null) => Some(false),
        Some(Value::Unknown(_)) => None,
        // An empty block list counts as absent, as the user wrote no block.
        Some(Value::List(v)) | Some(Value::Set(v)) if v.is_empty() => Some(false),
        Some(_) => Some(true),
    }
}

impl ConfigValidator {
    pub fn paths(&self) -> &[AttributePath] {
        match self {
            Self::ConflictsWith(p)
            | Self::ExactlyOneOf(p)
            | Self::AtLeastOneOf(p)
            | Self::RequiredTogether(p) => p,
        }
    }

    fn names(&self) -> String {
        let names: Vec<String> = self.paths().iter().map(ToString::to_string).collect();
        names.join(", ")
    }

    /// Checks `config` (the whole configuration object, possibly with unknowns).
    pub fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let states: Vec<(&AttributePath, Option<bool>)> = self
            .paths()
            .iter()
            .map(|p| (p, is_set(value_at(config, p))))
            .collect();
        let set: Vec<&AttributePath> = states
            .iter()
            .filter(|(_, s)| *s == Some(true))
            .map(|(p, _)| *p)
            .collect();
        let any_unknown = states.iter().any(|(_, s)| s.is_none());
        match self {
            Self::ConflictsWith(_) | Self::ExactlyOneOf(_) if set.len() > 1 => {
                let names: Vec<String> = set.iter().map(ToString::to_string).collect();
                diags.error_at(
                    set[1].clone(),
                    "Invalid attribute combination",
                    format!(
                        "These attributes cannot be configured together: {}. Set only one of: {}.",
                        names.join(", "),
                        self.names()
                    ),
                );
            }
            Self::ExactlyOneOf(paths) | Self::AtLeastOneOf(paths)
                if set.is_empty() && !any_unknown =>
            {
                let path = paths.first().cloned().unwrap_or_default();
                diags.error_at(
                    path,
                    "Missing attribute configuration",
                    format!(
                        "One of these attributes must be configured: {}.",
                        self.names()
                    ),
                );
            }
            Self::RequiredTogether(_) if !set.is_empty() && !any_unknown => {
                if let Some((missing, _)) = states.iter().find(|(_, s)| *s == Some(false)) {
                    diags.error_at(
                        (*missing).clone(),
                        "Missing attribute configuration",
                        format!(
                            "These attributes must be configured together: {}.",
                            self.names()
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}
