//! Provider-defined functions (`provider::<name>::<function>(...)`, Terraform 1.8+).
//!
//! Functions run on an unconfigured provider and must be pure: same arguments, same result.
//! Arguments arrive typed by the signature; [`Arguments`] converts them to Rust types and
//! reports conversion failures against the right argument index, as Terraform expects.

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::value::{Type, Value};

/// A function error, optionally blaming one argument (0-based, variadic arguments counted
/// after the fixed ones).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<i64>,
}

impl FunctionError {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            argument: None,
        }
    }
    pub fn argument(index: usize, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            argument: Some(i64::try_from(index).unwrap_or(i64::MAX)),
        }
    }
}

/// One parameter of a signature.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub ty: Type,
    pub allow_null: bool,
    pub allow_unknown: bool,
    /// Markdown.
    pub description: String,
}

impl Parameter {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            allow_null: false,
            allow_unknown: false,
            description: String::new(),
        }
    }
    #[must_use]
    pub fn allow_null(mut self) -> Self {
        self.allow_null = true;
        self
    }
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }
}

/// A function's signature and documentation.
#[derive(Debug, Clone)]
pub struct Signature {
    pub parameters: Vec<Parameter>,
    pub variadic: Option<Parameter>,
    pub return_type: Type,
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub deprecation_message: String,
}

impl Signature {
    pub fn new(return_type: Type) -> Self {
        Self {
            parameters: Vec::new(),
            variadic: None,
            return_type,
            summary: String::new(),
            description: String::new(),
            deprecation_message: String::new(),
        }
    }
    #[must_use]
    pub fn parameter(mut self, p: Parameter) -> Self {
        self.parameters.push(p);
        self
    }
    #[must_use]
    pub fn variadic(mut self, p: Parameter) -> Self {
        self.variadic = Some(p);
        self
    }
    #[must_use]
    pub fn summary(mut self, s: impl Into<String>) -> Self {
        self.summary = s.into();
        self
    }
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    /// The type of argument `index` (the variadic parameter's past the fixed ones).
    pub fn argument_type(&self, index: usize) -> Option<&Type> {
        self.parameters
            .get(index)
            .or(self
                .variadic
                .as_ref()
                .filter(|_| index >= self.parameters.len()))
            .map(|p| &p.ty)
    }
}

/// The decoded arguments of a call.
pub struct Arguments {
    values: Vec<Value>,
    return_type: Type,
}

impl Arguments {
    pub(crate) fn new(values: Vec<Value>, return_type: Type) -> Self {
        Self {
            values,
            return_type,
        }
    }

    /// A detached instance for unit tests of function code.
    pub fn for_tests(values: Vec<Value>, return_type: Type) -> Self {
        Self::new(values, return_type)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Argument `index` as `T` (`Option<T>` for parameters that allow null).
    pub fn get<T: DeserializeOwned>(&self, index: usize) -> Result<T, FunctionError> {
        let value = self
            .values
            .get(index)
            .ok_or_else(|| FunctionError::new(format!("missing argument {index}")))?;
        crate::value::from_value::<T>(value)
            .map_err(|e| FunctionError::argument(index, format!("invalid argument: {e}")))
    }

    /// The raw value of argument `index`.
    pub fn raw(&self, index: usize) -> Option<&Value> {
        self.values.get(index)
    }

    /// Converts the function's result to its declared return type.
    pub fn result<T: Serialize>(&self, value: &T) -> Result<Value, FunctionError> {
        crate::value::to_value(value, &self.return_type).map_err(|e| {
            FunctionError::new(format!("the function produced an invalid result: {e}"))
        })
    }
}

/// A provider-defined function.
#[async_trait]
pub trait Function: Send + Sync + 'static {
    /// The name after `provider::<provider>::`.
    fn name(&self) -> &str;
    fn signature(&self) -> Signature;
    /// Computes the result; use [`Arguments::get`] and [`Arguments::result`].
    async fn call(&self, args: Arguments) -> Result<Value, FunctionError>;
}
