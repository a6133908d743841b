//! Diagnostics and attribute paths.
//!
//! Terraform shows a diagnostic next to the configuration line its attribute path points at, so
//! every error the framework or a resource raises about a value should carry the path of that
//! value. Errors are never returned as gRPC statuses: they travel as diagnostics in an OK reply.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An attribute of an object, or a nested block by its type name.
    Attribute(String),
    /// A map element (or a MAP block by label).
    Key(String),
    /// A list or tuple element.
    Index(i64),
}

/// The location of a value inside a configuration, plan or state object.
///
/// Build one with [`AttributePath::root`] and the chaining methods, or with the [`path!`](crate::path!)
/// macro: `path!("network", 0, "cidr")` (string literals after the first step are attribute
/// names; use [`AttributePath::key`] for map keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the whole object.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A path starting at a top-level attribute (or block).
    pub fn root(name: impl Into<String>) -> Self {
        Self {
            steps: vec![PathStep::Attribute(name.into())],
        }
    }

    /// Step into an attribute of an object.
    #[must_use]
    pub fn attr(mut self, name: impl Into<String>) -> Self {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// Step into a list or tuple element.
    #[must_use]
    pub fn index(mut self, index: i64) -> Self {
        self.steps.push(PathStep::Index(index));
        self
    }

    /// Step into a map element.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.steps.push(PathStep::Key(key.into()));
        self
    }

    /// Append a step in place (used by recursive walkers).
    pub fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    /// A copy of this path with one more step.
    #[must_use]
    pub fn with(&self, step: PathStep) -> Self {
        let mut next = self.clone();
        next.steps.push(step);
        next
    }

    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The first attribute name, if the path starts with one.
    pub fn first_attribute(&self) -> Option<&str> {
        match self.steps.first() {
            Some(PathStep::Attribute(name)) => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for AttributePath {
    /// Renders the path the way Terraform writes references: `a.b[0]["k"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Conversion used by [`path!`](crate::path!) for each step after the first.
pub trait IntoPathStep {
    fn into_path_step(self) -> PathStep;
}

impl IntoPathStep for &str {
    fn into_path_step(self) -> PathStep {
        PathStep::Attribute(self.to_string())
    }
}

impl IntoPathStep for String {
    fn into_path_step(self) -> PathStep {
        PathStep::Attribute(self)
    }
}

impl IntoPathStep for i64 {
    fn into_path_step(self) -> PathStep {
        PathStep::Index(self)
    }
}

impl IntoPathStep for i32 {
    fn into_path_step(self) -> PathStep {
        PathStep::Index(i64::from(self))
    }
}

impl IntoPathStep for usize {
    fn into_path_step(self) -> PathStep {
        PathStep::Index(i64::try_from(self).unwrap_or(i64::MAX))
    }
}

impl IntoPathStep for PathStep {
    fn into_path_step(self) -> PathStep {
        self
    }
}

/// Builds an [`AttributePath`]: `path!("network_ids", 0)`, `path!("timeouts", "create")`.
/// Strings are attribute names, integers are list indexes; pass `PathStep::Key(..)` for a map key.
#[macro_export]
macro_rules! path {
    ($first:expr $(, $step:expr)* $(,)?) => {{
        #[allow(unused_mut)]
        let mut p = $crate::diag::AttributePath::empty();
        p.push($crate::diag::IntoPathStep::into_path_step($first));
        $( p.push($crate::diag::IntoPathStep::into_path_step($step)); )*
        p
    }};
}

/// Severity of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One message for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary, detail)
        }
    }

    #[must_use]
    pub fn at(mut self, path: AttributePath) -> Self {
        self.path = Some(path);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}", self.summary)?;
        if let Some(path) = &self.path {
            write!(f, " (at {path})")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics. Also the error type of every resource operation, so
/// `?` works on anything that converts into it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// A collection holding a single error.
    pub fn from_error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut d = Self::new();
        d.error(summary, detail);
        d
    }

    /// A collection holding a single error at `path`.
    pub fn from_error_at(
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        let mut d = Self::new();
        d.error_at(path, summary, detail);
        d
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    pub fn error_at(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }

    pub fn warning_at(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Diagnostic::warning(summary, detail).at(path));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// `Err(self)` when any error is present, else `Ok(())`; lets callers stop on errors with `?`.
    pub fn into_result(self) -> Result<(), Diagnostics> {
        if self.has_errors() { Err(self) } else { Ok(()) }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self { items: vec![d] }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn path_macro_and_builder_agree() {
        let built = AttributePath::root("network").index(0).attr("cidr");
        assert_eq!(path!("network", 0, "cidr"), built);
        assert_eq!(built.to_string(), "network[0].cidr");
        let keyed = AttributePath::root("tags").key("env");
        assert_eq!(keyed.to_string(), "tags[\"env\"]");
    }

    #[test]
    fn diagnostics_track_errors() {
        let mut d = Diagnostics::new();
        d.warning("careful", "");
        assert!(!d.has_errors());
        assert!(d.clone().into_result().is_ok());
        d.error_at(path!("a"), "bad", "very bad");
        assert!(d.has_errors());
        assert_eq!(d.len(), 2);
        let text = d.to_string();
        assert!(text.contains("error: bad (at a): very bad"), "{text}");
    }
}
