//! The planning rules, applied by the framework for every resource.
//!
//! Terraform core checks a provider's plan and apply results strictly (`objchange`), and the
//! errors it raises ("Provider produced invalid plan", "inconsistent result after apply") are
//! provider bugs that users can do nothing about. So the framework does the mechanical part
//! of planning itself, the way terraform-plugin-framework does:
//!
//! 1. defaults fill attributes whose configuration is null;
//! 2. computed attributes without configuration become unknown on create, and on update when
//!    anything changed;
//! 3. `use_state_for_unknown` keeps the prior value instead;
//! 4. write-only attributes are nulled;
//! 5. `requires_replace` paths are derived from the modifiers.
//!
//! Then it checks what the resource returned against the same rules core enforces
//! ([`check_plan`], [`check_apply_result`], [`check_read_result`]) and turns a violation into
//! an error that names the resource, the attribute and the two values, before core sees it.
//!
//! Nested attributes and blocks are walked recursively: list elements align by index, map
//! elements by key, and set elements by the values of their non-computed attributes.

pub use crate::value::{value_at, value_at_mut};

use crate::diag::{AttributePath, Diagnostics, PathStep};
use crate::schema::{Block, Nesting, PlanModifier, ReplaceCheck};
use crate::value::Value;
use crate::walk::{
    Descend, ObjectSchema, attr_of, block_nesting, element, for_each_element, index_of,
    null_attributes_where, visit_attributes_mut,
};

/// Replaces every unknown (at any depth) with null. Typed resource code sees "to be computed"
/// values as `None`.
pub fn nullify_unknowns(value: &mut Value) {
    match value {
        Value::Unknown(_) => *value = Value::Null,
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter_mut().for_each(nullify_unknowns),
        Value::Map(m) | Value::Object(m) => m.values_mut().for_each(nullify_unknowns),
        Value::Dynamic(_, inner) => {
            if inner.is_unknown() {
                *value = Value::Null;
            } else {
                nullify_unknowns(inner);
            }
        }
        _ => {}
    }
}

/// Paths of every unknown inside `value` (set elements are reported at the set).
pub fn unknown_paths(value: &Value, path: &AttributePath, out: &mut Vec<AttributePath>) {
    match value {
        Value::Unknown(_) => out.push(path.clone()),
        Value::List(v) | Value::Tuple(v) => {
            for (i, item) in v.iter().enumerate() {
                unknown_paths(item, &path.with(PathStep::Index(index_of(i))), out);
            }
        }
        Value::Set(v) if v.iter().any(|item| !item.is_wholly_known()) => out.push(path.clone()),
        Value::Map(m) => {
            for (k, item) in m {
                unknown_paths(item, &path.with(PathStep::Key(k.clone())), out);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                unknown_paths(item, &path.with(PathStep::Attribute(k.clone())), out);
            }
        }
        Value::Dynamic(_, inner) => unknown_paths(inner, path, out),
        _ => {}
    }
}

/// A short HCL-like rendering of a value for error messages.
pub fn display_value(value: &Value) -> String {
    let mut out = String::new();
    render(value, &mut out);
    if out.chars().count() > 300 {
        let cut: String = out.chars().take(300).collect();
        format!("{cut}...")
    } else {
        out
    }
}

fn render(value: &Value, out: &mut String) {
    let list = |items: &[Value], out: &mut String, open: &str, close: &str| {
        out.push_str(open);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            render(item, out);
        }
        out.push_str(close);
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Unknown(_) => out.push_str("(known after apply)"),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&format!("{s:?}")),
        Value::List(v) | Value::Tuple(v) => list(v, out, "[", "]"),
        Value::Set(v) => list(v, out, "toset([", "])"),
        Value::Map(m) | Value::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(" = ");
                render(v, out);
            }
            out.push('}');
        }
        Value::Dynamic(_, inner) => render(inner, out),
    }
}

fn is_null_or_absent(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Passes that build the plan.

/// Fills attributes whose configuration is null with their schema default.
pub fn apply_defaults(block: &Block, planned: &mut Value, config: &Value) {
    visit_attributes_mut(
        ObjectSchema::Block(block),
        planned,
        Some(config),
        None,
        &mut |a, slot, c, _| match &a.default {
            Some(default) if is_null_or_absent(c) => {
                *slot = default.clone();
                Descend::Stop
            }
            _ => Descend::Into,
        },
    );
}

/// Marks computed attributes with null configuration (and no default) as unknown.
pub fn mark_computed_unknown(block: &Block, planned: &mut Value, config: &Value) {
    visit_attributes_mut(
        ObjectSchema::Block(block),
        planned,
        Some(config),
        None,
        &mut |a, slot, c, _| {
            if a.computed && a.default.is_none() && is_null_or_absent(c) {
                *slot = Value::unknown();
                Descend::Stop
            } else {
                Descend::Into
            }
        },
    );
}

/// Applies `use_state_for_unknown`: an unknown planned value takes the prior value.
pub fn apply_use_state_for_unknown(
    block: &Block,
    planned: &mut Value,
    prior: &Value,
    config: &Value,
) {
    if prior.is_null() {
        return;
    }
    visit_attributes_mut(
        ObjectSchema::Block(block),
        planned,
        Some(config),
        Some(prior),
        &mut |a, slot, c, p| {
            let config_unknown = matches!(c, Some(Value::Unknown(_)));
            if slot.is_unknown()
                && !config_unknown
                && a.has_modifier(&PlanModifier::UseStateForUnknown)
            {
                if let Some(prior_value) = p {
                    *slot = prior_value.clone();
                }
                Descend::Stop
            } else {
                Descend::Into
            }
        },
    );
}

/// Nulls every write-only attribute (Terraform never stores them in plan or state).
pub fn null_write_only(block: &Block, value: &mut Value) {
    null_attributes_where(block, value, &|a, _| a.write_only);
}

/// Nulls every sensitive and write-only attribute: for objects shown rather than stored (list
/// results, which `terraform query -json` prints as they are).
pub fn null_secrets(block: &Block, value: &mut Value) {
    null_attributes_where(block, value, &|a, _| a.sensitive || a.write_only);
}

/// The framework's part of planning an update or create (not destroy): defaults, unknown
/// computed values, use-state-for-unknown, write-only nulling. `proposed` is what core sent.
pub fn plan_framework_defaults(
    block: &Block,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> Value {
    let mut planned = proposed.clone();
    apply_defaults(block, &mut planned, config);
    // Write-only values are never in state, so they must not count as a change.
    null_write_only(block, &mut planned);
    if prior.is_null() || planned != *prior {
        mark_computed_unknown(block, &mut planned, config);
    }
    apply_use_state_for_unknown(block, &mut planned, prior, config);
    planned
}

/// Paths whose change replaces the resource, from `requires_replace` modifiers. Empty on
/// create and destroy.
pub fn requires_replace(
    block: &Block,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> Vec<AttributePath> {
    let mut out = Vec::new();
    if prior.is_null() || planned.is_null() {
        return out;
    }
    let mut planned = planned.clone();
    replace_obj(
        ObjectSchema::Block(block),
        &mut planned,
        Some(prior),
        Some(config),
        &AttributePath::empty(),
        &mut out,
    );
    out.sort();
    out.dedup();
    out
}

fn modifiers_want_replace(
    modifiers: &[PlanModifier],
    path: &AttributePath,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> bool {
    if prior == planned {
        return false;
    }
    modifiers.iter().any(|m| match m {
        PlanModifier::RequiresReplace => true,
        PlanModifier::RequiresReplaceIf { check, .. } => check(&ReplaceCheck {
            path,
            prior,
            planned,
            config,
        }),
        PlanModifier::UseStateForUnknown => false,
    })
}

fn replace_obj(
    obj: ObjectSchema<'_>,
    planned: &mut Value,
    prior: Option<&Value>,
    config: Option<&Value>,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    let Some(attrs) = planned.as_object_mut() else {
        return;
    };
    for member in obj.members() {
        let here = path.with(PathStep::Attribute(member.name.to_owned()));
        let p = attr_of(prior, member.name).unwrap_or(&Value::Null);
        let c = attr_of(config, member.name).unwrap_or(&Value::Null);
        let Some(slot) = attrs.get_mut(member.name) else {
            continue;
        };
        if modifiers_want_replace(member.plan_modifiers, &here, p, slot, c) {
            out.push(here.clone());
        }
        if let Some((nesting, inner)) = member.nested {
            for_each_element(
                nesting,
                inner,
                slot,
                Some(c),
                Some(p),
                &here,
                |pl, c, pr, at| {
                    // A new element: any requires-replace attribute inside it that is set
                    // replaces the resource, as it would when changed from null.
                    replace_obj(inner, pl, Some(pr.unwrap_or(&Value::Null)), c, at, out);
                },
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks of what the resource produced.

/// Finds the schema attribute a path points at (skipping element steps), to learn whether it
/// is sensitive before quoting values in a message.
fn path_is_sensitive(block: &Block, path: &AttributePath) -> bool {
    let mut obj = ObjectSchema::Block(block);
    for step in path.steps() {
        let PathStep::Attribute(name) = step else {
            continue;
        };
        if let Some(a) = obj.attributes().iter().find(|a| &a.name == name) {
            if a.sensitive {
                return true;
            }
            match a.nested_attributes() {
                Some((_, inner)) => obj = ObjectSchema::Attributes(inner),
                None => return false,
            }
        } else if let Some(b) = obj.blocks().iter().find(|b| &b.type_name == name) {
            obj = ObjectSchema::Block(&b.block);
        } else {
            return false;
        }
    }
    false
}

fn shown(block: &Block, path: &AttributePath, value: &Value) -> String {
    if path_is_sensitive(block, path) {
        "(sensitive value)".to_string()
    } else {
        display_value(value)
    }
}

/// Checks a resource's planned state against the rules core enforces (`AssertPlanValid`):
/// non-computed values equal the configuration, configured optional+computed values equal
/// the configuration or the prior value, write-only values are null, blocks are never unknown
/// and keep the configured number of elements.
pub fn check_plan(
    type_name: &str,
    block: &Block,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> Diagnostics {
    let mut problems = Vec::new();
    if !planned.is_null() {
        plan_obj(
            ObjectSchema::Block(block),
            Some(prior),
            planned,
            Some(config),
            &AttributePath::empty(),
            &mut problems,
        );
    }
    let mut diags = Diagnostics::new();
    for (path, what) in problems {
        let p = value_at(planned, &path).unwrap_or(&Value::Null);
        let c = value_at(config, &path).unwrap_or(&Value::Null);
        diags.error_at(
            path.clone(),
            "Provider bug: the plan breaks Terraform's planning rules",
            format!(
                "The provider's plan for {type_name} breaks Terraform's planning rules at {path}: {what} \
                 (planned {}, configured {}). This is a bug in the provider, caught before Terraform \
                 saw it; please report it to the provider developers.",
                shown(block, &path, p),
                shown(block, &path, c),
            ),
        );
    }
    diags
}

fn plan_obj(
    obj: ObjectSchema<'_>,
    prior: Option<&Value>,
    planned: &Value,
    config: Option<&Value>,
    path: &AttributePath,
    problems: &mut Vec<(AttributePath, String)>,
) {
    if planned.is_unknown() {
        problems.push((
            path.clone(),
            "an object of attributes was planned as unknown".into(),
        ));
        return;
    }
    for a in obj.attributes() {
        let here = path.with(PathStep::Attribute(a.name.clone()));
        let p = planned.attr(&a.name).unwrap_or(&Value::Null);
        let c = attr_of(config, &a.name).unwrap_or(&Value::Null);
        let pr = attr_of(prior, &a.name);
        if a.write_only {
            if !p.is_null() {
                problems.push((
                    here,
                    "a write-only attribute must be planned as null".into(),
                ));
            }
            continue;
        }
        // Nested objects are checked attribute by attribute whenever the user configured
        // them (their computed members may differ from the configuration).
        if let Some((nesting, inner)) = a.nested_attributes()
            && (!a.computed || !c.is_null())
            && !p.is_unknown()
            && !c.is_unknown()
        {
            nested_plan(
                nesting,
                ObjectSchema::Attributes(inner),
                pr,
                p,
                c,
                &here,
                problems,
            );
            continue;
        }
        if !a.computed {
            if p != c {
                problems.push((
                    here,
                    "a non-computed attribute must be planned as configured".into(),
                ));
            }
        } else if !c.is_null() && p != c && pr != Some(p) && !p.is_unknown() && !c.is_unknown() {
            problems.push((
                here,
                "a configured attribute must be planned as configured or as its prior value".into(),
            ));
        } else if !c.is_null() && p.is_unknown() && !c.is_unknown() {
            problems.push((here, "a configured attribute was planned as unknown".into()));
        }
    }
    for b in obj.blocks() {
        let here = path.with(PathStep::Attribute(b.type_name.clone()));
        let p = planned.attr(&b.type_name).unwrap_or(&Value::Null);
        let c = attr_of(config, &b.type_name).unwrap_or(&Value::Null);
        let pr = attr_of(prior, &b.type_name);
        if p.is_unknown() && !c.is_unknown() {
            problems.push((here, "blocks are never unknown".into()));
            continue;
        }
        nested_plan(
            block_nesting(b.nesting),
            ObjectSchema::Block(&b.block),
            pr,
            p,
            c,
            &here,
            problems,
        );
    }
}

fn nested_plan(
    nesting: Nesting,
    obj: ObjectSchema<'_>,
    prior: Option<&Value>,
    planned: &Value,
    config: &Value,
    path: &AttributePath,
    problems: &mut Vec<(AttributePath, String)>,
) {
    match (nesting, planned, config) {
        (_, Value::Null, Value::Null) => {}
        (_, _, Value::Unknown(_)) => {}
        (Nesting::Single, Value::Object(_), Value::Object(_)) => {
            plan_obj(obj, prior, planned, Some(config), path, problems);
        }
        (Nesting::List, Value::List(p), Value::List(c)) => {
            if p.len() != c.len() {
                problems.push((
                    path.clone(),
                    format!("{} elements planned but {} configured", p.len(), c.len()),
                ));
                return;
            }
            for (i, (pe, ce)) in p.iter().zip(c).enumerate() {
                let step = PathStep::Index(index_of(i));
                let pr = element(prior, &step);
                plan_obj(obj, pr, pe, Some(ce), &path.with(step), problems);
            }
        }
        (Nesting::Map, Value::Map(p), Value::Map(c)) => {
            if p.keys().ne(c.keys()) {
                problems.push((
                    path.clone(),
                    "planned map keys differ from the configured ones".into(),
                ));
                return;
            }
            for (k, pe) in p {
                let step = PathStep::Key(k.clone());
                let ce = c.get(k).unwrap_or(&Value::Null);
                plan_obj(
                    obj,
                    element(prior, &step),
                    pe,
                    Some(ce),
                    &path.with(step),
                    problems,
                );
            }
        }
        (Nesting::Set, Value::Set(p), Value::Set(c)) => {
            if p.len() != c.len() {
                problems.push((
                    path.clone(),
                    format!(
                        "{} set elements planned but {} configured",
                        p.len(),
                        c.len()
                    ),
                ));
            }
        }
        _ => problems.push((
            path.clone(),
            "the planned value does not match the configured shape".into(),
        )),
    }
}

/// Checks an apply result against the plan (`AssertObjectCompatible`): the result is wholly
/// known, and every known planned value is what the resource returned.
pub fn check_apply_result(
    type_name: &str,
    block: &Block,
    planned: &Value,
    result: &Value,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut unknown = Vec::new();
    unknown_paths(result, &AttributePath::empty(), &mut unknown);
    for path in unknown {
        diags.error_at(
            path.clone(),
            "Provider bug: unknown value after apply",
            format!(
                "{type_name} returned an unknown value for {path} after apply; every value must be \
                 known once the change is made. This is a bug in the provider."
            ),
        );
    }
    let mut mismatches = Vec::new();
    compatible(planned, result, &AttributePath::empty(), &mut mismatches);
    for path in mismatches {
        let p = value_at(planned, &path).unwrap_or(&Value::Null);
        let r = value_at(result, &path).unwrap_or(&Value::Null);
        diags.error_at(
            path.clone(),
            "Provider bug: apply result differs from the plan",
            format!(
                "{type_name} planned {} for {path} but the apply produced {}. The framework stopped \
                 this before Terraform saw it; this is a bug in the provider, please report it.",
                shown(block, &path, p),
                shown(block, &path, r),
            ),
        );
    }
    diags
}

fn compatible(planned: &Value, result: &Value, path: &AttributePath, out: &mut Vec<AttributePath>) {
    match (planned, result) {
        (Value::Unknown(_), _) => {}
        (Value::Dynamic(tp, p), Value::Dynamic(tr, r)) if tp == tr => compatible(p, r, path, out),
        (Value::Object(p), Value::Object(r)) => {
            for (k, pv) in p {
                let rv = r.get(k).unwrap_or(&Value::Null);
                compatible(pv, rv, &path.with(PathStep::Attribute(k.clone())), out);
            }
        }
        (Value::List(p), Value::List(r)) | (Value::Tuple(p), Value::Tuple(r)) => {
            if p.len() != r.len() {
                out.push(path.clone());
                return;
            }
            for (i, (pv, rv)) in p.iter().zip(r).enumerate() {
                compatible(pv, rv, &path.with(PathStep::Index(index_of(i))), out);
            }
        }
        (Value::Map(p), Value::Map(r)) => {
            if p.keys().ne(r.keys()) {
                out.push(path.clone());
                return;
            }
            for (k, pv) in p {
                let rv = r.get(k).unwrap_or(&Value::Null);
                compatible(pv, rv, &path.with(PathStep::Key(k.clone())), out);
            }
        }
        (Value::Set(p), Value::Set(r)) => {
            // Elements with unknowns cannot be paired reliably; only the count must hold then.
            let fully_known = p.iter().all(Value::is_wholly_known);
            if (fully_known && planned != result) || (!fully_known && p.len() > r.len()) {
                out.push(path.clone());
            }
        }
        (p, r) => {
            if p != r {
                out.push(path.clone());
            }
        }
    }
}

/// Checks a refreshed, imported or read state: no unknowns anywhere.
pub fn check_read_result(type_name: &str, what: &str, state: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut unknown = Vec::new();
    unknown_paths(state, &AttributePath::empty(), &mut unknown);
    for path in unknown {
        diags.error_at(
            path.clone(),
            format!("Provider bug: unknown value from {what}"),
            format!("{type_name} returned an unknown value for {path}; {what} must return known values. This is a bug in the provider."),
        );
    }
    diags
}

#[cfg(test)]
mod tests;
