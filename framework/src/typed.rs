//! Typed access to values: the bridge between the framework's [`Value`]s and resource code's
//! serde types, plus read-only and read-write views used by validation and plan hooks.
//!
//! Resource code never matches on `Value`: whole objects convert to the resource's `State`
//! type, and single attributes are read as [`Attr<T>`] (null / unknown / known) by path.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diag::{AttributePath, Diagnostics, PathStep};
use crate::plan::{value_at, value_at_mut};
use crate::value::{Attr, Type, Value};

/// Converts a wholly known value to `T`; failures are provider bugs (the schema and the
/// `State` type disagree), reported as such.
pub fn decode<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, Diagnostics> {
    crate::value::from_value::<T>(value).map_err(|e| {
        Diagnostics::from_error(
            "Provider bug: value does not match the resource's state type",
            format!("Cannot convert the {what} to the provider's type: {e}"),
        )
    })
}

/// Converts `T` to a value of type `ty`.
pub fn encode<T: Serialize>(state: &T, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    crate::value::to_value(state, ty).map_err(|e| {
        Diagnostics::from_error(
            "Provider bug: state does not match the schema",
            format!("Cannot convert the {what} to the schema's type: {e}"),
        )
    })
}

/// Declares the erased form of a typed trait (`DynDataSource` of `DataSource`, ...) by its
/// blanket impl, so the server can store every implementor behind one `dyn` type. The trait's
/// declarations are taken from the impl's methods (with their doc comments); the methods every
/// kind erases the same way (type name, schema, offline validation) are declared and
/// implemented here once, so the impl given holds only what is that kind's own.
macro_rules! erased_trait {
    (
        $(#[$doc:meta])*
        $vis:vis trait $erased:ident;

        impl<$t:ident: $typed:ident> $_erased:ident for $_t:ident { $($own:tt)* }
    ) => {
        $crate::typed::erased_trait!(@declare [$(#[$doc])* $vis trait $erased] [] $($own)*);

        #[::async_trait::async_trait]
        impl<$t: $typed> $erased for $t {
            fn erased_type_name(&self) -> String {
                $typed::type_name(self).to_string()
            }
            fn erased_schema(&self) -> $crate::schema::Schema {
                $typed::schema(self)
            }
            async fn erased_validate(
                &self,
                ctx: &$crate::context::Context,
                config: &$crate::value::Value,
            ) -> $crate::diag::Diagnostics {
                $typed::validate(self, ctx, &$crate::typed::ConfigView::new(config)).await
            }
            $($own)*
        }

        #[::async_trait::async_trait]
        impl $crate::typed::ErasedHandler for dyn $erased {
            fn type_name(&self) -> String {
                self.erased_type_name()
            }
            fn schema(&self) -> $crate::schema::Schema {
                self.erased_schema()
            }
            async fn validate(
                &self,
                ctx: &$crate::context::Context,
                config: &$crate::value::Value,
            ) -> $crate::diag::Diagnostics {
                self.erased_validate(ctx, config).await
            }
        }
    };
    // Moves one method's signature, without its body, to the declarations.
    (@declare $head:tt [$($decl:tt)*]
        $(#[$m:meta])* async fn $name:ident ($($args:tt)*) -> $ret:ty $body:block $($rest:tt)*
    ) => {
        $crate::typed::erased_trait!(@declare $head [
            $($decl)* $(#[$m])* async fn $name($($args)*) -> $ret;
        ] $($rest)*);
    };
    (@declare $head:tt [$($decl:tt)*]
        $(#[$m:meta])* fn $name:ident ($($args:tt)*) -> $ret:ty $body:block $($rest:tt)*
    ) => {
        $crate::typed::erased_trait!(@declare $head [
            $($decl)* $(#[$m])* fn $name($($args)*) -> $ret;
        ] $($rest)*);
    };
    (@declare [$(#[$doc:meta])* $vis:vis trait $erased:ident] [$($decl:tt)*]) => {
        $(#[$doc])*
        #[::async_trait::async_trait]
        $vis trait $erased: Send + Sync {
            fn erased_type_name(&self) -> String;
            fn erased_schema(&self) -> $crate::schema::Schema;
            async fn erased_validate(
                &self,
                ctx: &$crate::context::Context,
                config: &$crate::value::Value,
            ) -> $crate::diag::Diagnostics;
            $($decl)*
        }
    };
}
pub(crate) use erased_trait;

/// What the server asks of every kind of erased handler alike, so that registering handlers
/// and validating their configuration is written once for all kinds. Implemented for each
/// `dyn` erased trait by [`erased_trait!`].
#[async_trait::async_trait]
pub(crate) trait ErasedHandler: Send + Sync {
    fn type_name(&self) -> String;
    fn schema(&self) -> crate::schema::Schema;
    async fn validate(&self, ctx: &crate::context::Context, config: &Value) -> Diagnostics;
}

/// The type found at `path` inside `ty`.
pub fn type_at(ty: &Type, path: &AttributePath) -> Option<Type> {
    let mut current = ty.clone();
    for step in path.steps() {
        current = match (&current, step) {
            (Type::Object(attrs), PathStep::Attribute(name)) => attrs.get(name)?.clone(),
            (Type::List(e) | Type::Set(e), PathStep::Index(_)) => (**e).clone(),
            (Type::Map(e), PathStep::Key(_)) => (**e).clone(),
            (Type::Tuple(items), PathStep::Index(i)) => {
                items.get(usize::try_from(*i).ok()?)?.clone()
            }
            (Type::Dynamic, _) => Type::Dynamic,
            _ => return None,
        };
    }
    Some(current)
}

/// The value at `path` of `root` as `T`: null, unknown (not yet known, or containing
/// unknowns) or known.
pub(crate) fn attr_at<T: DeserializeOwned>(
    root: &Value,
    path: &AttributePath,
) -> Result<Attr<T>, Diagnostics> {
    match value_at(root, path) {
        None | Some(Value::Null) => Ok(Attr::Null),
        Some(Value::Unknown(_)) => Ok(Attr::Unknown),
        Some(v) if !v.is_wholly_known() => Ok(Attr::Unknown),
        Some(v) => decode::<T>(v, &format!("value of {path}")).map(Attr::Known),
    }
}

/// A configuration object as Terraform sent it: values may be unknown during validation.
pub struct ConfigView<'a> {
    value: &'a Value,
}

impl<'a> ConfigView<'a> {
    pub fn new(value: &'a Value) -> Self {
        Self { value }
    }

    /// The attribute at `path`: null, unknown (not yet known, or containing unknowns) or known.
    pub fn get<T: DeserializeOwned>(&self, path: &AttributePath) -> Result<Attr<T>, Diagnostics> {
        attr_at(self.value, path)
    }

    /// The whole configuration as `S`, when it holds no unknown value.
    pub fn typed<S: DeserializeOwned>(&self) -> Option<S> {
        if self.value.is_wholly_known() {
            crate::value::from_value::<S>(self.value).ok()
        } else {
            None
        }
    }

    /// The raw value, for the rare check the typed accessors cannot express.
    pub fn raw(&self) -> &Value {
        self.value
    }
}

/// What a `modify_plan` hook sees and may change.
pub struct PlanView {
    pub(crate) prior: Value,
    pub(crate) config: Value,
    pub(crate) planned: Value,
    pub(crate) ty: Type,
    pub(crate) requires_replace: Vec<AttributePath>,
}

impl PlanView {
    pub(crate) fn new(prior: Value, config: Value, planned: Value, ty: Type) -> Self {
        Self {
            prior,
            config,
            planned,
            ty,
            requires_replace: Vec::new(),
        }
    }

    /// A view for unit tests of `modify_plan` hooks.
    pub fn for_tests(prior: Value, config: Value, planned: Value, ty: Type) -> Self {
        Self::new(prior, config, planned, ty)
    }

    /// The paths the hook asked to replace on (for tests).
    pub fn replace_paths(&self) -> &[AttributePath] {
        &self.requires_replace
    }

    /// No prior state: the resource is being created.
    pub fn is_create(&self) -> bool {
        self.prior.is_null() && !self.planned.is_null()
    }

    /// The resource is being destroyed (planned state is null).
    pub fn is_destroy(&self) -> bool {
        self.planned.is_null()
    }

    pub fn is_update(&self) -> bool {
        !self.prior.is_null() && !self.planned.is_null()
    }

    /// The prior state as the resource's type (None on create).
    pub fn prior_state<S: DeserializeOwned>(&self) -> Result<Option<S>, Diagnostics> {
        if self.prior.is_null() {
            return Ok(None);
        }
        decode(&self.prior, "prior state").map(Some)
    }

    pub fn prior<T: DeserializeOwned>(&self, path: &AttributePath) -> Result<Attr<T>, Diagnostics> {
        attr_at(&self.prior, path)
    }

    pub fn config<T: DeserializeOwned>(
        &self,
        path: &AttributePath,
    ) -> Result<Attr<T>, Diagnostics> {
        attr_at(&self.config, path)
    }

    pub fn planned<T: DeserializeOwned>(
        &self,
        path: &AttributePath,
    ) -> Result<Attr<T>, Diagnostics> {
        attr_at(&self.planned, path)
    }

    /// Whether the planned value at `path` differs from the prior one.
    pub fn changed(&self, path: &AttributePath) -> bool {
        value_at(&self.prior, path) != value_at(&self.planned, path)
    }

    /// Sets the planned value at `path`.
    pub fn set<T: Serialize>(
        &mut self,
        path: &AttributePath,
        value: &T,
    ) -> Result<(), Diagnostics> {
        set_typed_at(
            &mut self.planned,
            &self.ty,
            path,
            value,
            PLAN,
            "planned value",
        )
    }

    /// Marks the planned value at `path` as known only after apply.
    pub fn set_unknown(&mut self, path: &AttributePath) -> Result<(), Diagnostics> {
        self.set_value(path, Value::unknown())
    }

    pub fn set_null(&mut self, path: &AttributePath) -> Result<(), Diagnostics> {
        self.set_value(path, Value::Null)
    }

    fn set_value(&mut self, path: &AttributePath, value: Value) -> Result<(), Diagnostics> {
        let slot = value_at_mut(&mut self.planned, path).ok_or_else(|| no_value_at(PLAN, path))?;
        *slot = value;
        Ok(())
    }

    /// Asks Terraform to replace the resource because of the change at `path`.
    pub fn requires_replace(&mut self, path: AttributePath) {
        self.requires_replace.push(path);
    }

    /// Raw access for what the accessors cannot express.
    pub fn planned_raw(&self) -> &Value {
        &self.planned
    }
}

/// How errors name the value a [`PlanView`] changes.
const PLAN: &str = "plan";

/// Sets the value at `path` of `root`, whose type is `ty`, to `value`; `place` names `root` and
/// `what` the value in errors.
pub(crate) fn set_typed_at<T: Serialize>(
    root: &mut Value,
    ty: &Type,
    path: &AttributePath,
    value: &T,
    place: &str,
    what: &str,
) -> Result<(), Diagnostics> {
    let ty = type_at(ty, path).ok_or_else(|| no_value_at(place, path))?;
    let v = encode(value, &ty, &format!("{what} of {path}"))?;
    let slot = value_at_mut(root, path).ok_or_else(|| no_value_at(place, path))?;
    *slot = v;
    Ok(())
}

/// A path that leads nowhere in `place`: the provider's code and its schema disagree.
pub(crate) fn no_value_at(place: &str, path: &AttributePath) -> Diagnostics {
    Diagnostics::from_error(
        "Provider bug: no such attribute path",
        format!("The {place} has no value at {path}."),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::path;
    use std::collections::BTreeMap;

    fn sample() -> (Value, Type) {
        let ty = Type::Object(BTreeMap::from([
            ("name".to_string(), Type::String),
            ("tags".to_string(), Type::List(Box::new(Type::String))),
        ]));
        let v = Value::Object(BTreeMap::from([
            ("name".to_string(), Value::unknown()),
            (
                "tags".to_string(),
                Value::List(vec![Value::String("a".into()), Value::unknown()]),
            ),
        ]));
        (v, ty)
    }

    #[test]
    fn config_view_distinguishes_null_unknown_known() {
        let (v, _) = sample();
        let view = ConfigView::new(&v);
        assert_eq!(view.get::<String>(&path!("name")), Ok(Attr::Unknown));
        assert_eq!(view.get::<Vec<String>>(&path!("tags")), Ok(Attr::Unknown));
        assert_eq!(
            view.get::<String>(&path!("tags", 0)),
            Ok(Attr::Known("a".into()))
        );
        assert_eq!(view.get::<String>(&path!("missing")), Ok(Attr::Null));
        assert!(
            view.typed::<BTreeMap<String, serde_json::Value>>()
                .is_none()
        );
    }

    #[test]
    fn plan_view_sets_typed_values_at_paths() {
        let (v, ty) = sample();
        assert_eq!(type_at(&ty, &path!("tags", 3)), Some(Type::String));
        let mut plan = PlanView::for_tests(Value::Null, v.clone(), v, ty);
        assert!(plan.is_create());
        plan.set(&path!("name"), &"n1").expect("set");
        plan.set(&path!("tags", 1), &"b").expect("set element");
        assert_eq!(
            plan.planned::<Vec<String>>(&path!("tags")),
            Ok(Attr::Known(vec!["a".into(), "b".into()]))
        );
        assert!(plan.set(&path!("nope"), &1).is_err());
        plan.requires_replace(path!("name"));
        assert_eq!(plan.replace_paths(), &[path!("name")]);
    }
}
