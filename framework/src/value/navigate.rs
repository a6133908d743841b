//! Finding a value by attribute path. It sits with the value model, below schemas, planning
//! and validators, because all three look values up by path: a config validator reads the
//! attributes it relates, the planning checks quote the values they reject, and generated
//! configuration rewrites single attributes.

use super::Value;
use crate::diag::{AttributePath, PathStep};

/// One step down from `value`, through dynamic wrappers.
pub(crate) fn step_into<'a>(value: &'a Value, step: &PathStep) -> Option<&'a Value> {
    match (value, step) {
        (Value::Dynamic(_, inner), _) => step_into(inner, step),
        (Value::Object(m), PathStep::Attribute(name)) => m.get(name),
        (Value::Map(m), PathStep::Key(key)) => m.get(key),
        (Value::List(v) | Value::Tuple(v), PathStep::Index(i)) => {
            usize::try_from(*i).ok().and_then(|i| v.get(i))
        }
        _ => None,
    }
}

fn step_into_mut<'a>(value: &'a mut Value, step: &PathStep) -> Option<&'a mut Value> {
    match (value, step) {
        (Value::Dynamic(_, inner), _) => step_into_mut(inner, step),
        (Value::Object(m), PathStep::Attribute(name)) => m.get_mut(name),
        (Value::Map(m), PathStep::Key(key)) => m.get_mut(key),
        (Value::List(v) | Value::Tuple(v), PathStep::Index(i)) => {
            usize::try_from(*i).ok().and_then(|i| v.get_mut(i))
        }
        _ => None,
    }
}

/// The value at `path`, or `None` when the path does not lead anywhere (null parents,
/// missing keys, out-of-range indexes).
pub fn value_at<'a>(root: &'a Value, path: &AttributePath) -> Option<&'a Value> {
    path.steps()
        .iter()
        .try_fold(root, |value, step| step_into(value, step))
}

/// Mutable access to the value at `path`.
pub fn value_at_mut<'a>(root: &'a mut Value, path: &AttributePath) -> Option<&'a mut Value> {
    let mut current = root;
    for step in path.steps() {
        current = step_into_mut(current, step)?;
    }
    Some(current)
}
