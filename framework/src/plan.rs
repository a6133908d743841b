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

use crate::diag::{AttributePath, Diagnostics, PathStep};
use crate::schema::{Attribute, Block, BlockNesting, Nesting, PlanModifier, ReplaceCheck};
use crate::value::Value;

// ---------------------------------------------------------------------------------------------
// Navigating values by path.

fn step_into<'a>(value: &'a Value, step: &PathStep) -> Option<&'a Value> {
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

fn index_of(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
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

// ---------------------------------------------------------------------------------------------
// A uniform view of "an object schema": a block, or the attributes of a nested attribute.

#[derive(Clone, Copy)]
enum Obj<'a> {
    Block(&'a Block),
    Attrs(&'a [Attribute]),
}

impl<'a> Obj<'a> {
    fn attributes(self) -> &'a [Attribute] {
        match self {
            Obj::Block(b) => &b.attributes,
            Obj::Attrs(a) => a,
        }
    }
    fn blocks(self) -> &'a [crate::schema::NestedBlock] {
        match self {
            Obj::Block(b) => &b.blocks,
            Obj::Attrs(_) => &[],
        }
    }
}

fn block_nesting(n: BlockNesting) -> Nesting {
    match n {
        BlockNesting::Single | BlockNesting::Group => Nesting::Single,
        BlockNesting::List => Nesting::List,
        BlockNesting::Set => Nesting::Set,
        BlockNesting::Map => Nesting::Map,
    }
}

/// True when two objects agree on every attribute the user configures (used to pair set
/// elements, whose order means nothing).
fn same_configured_identity(obj: Obj<'_>, a: &Value, b: &Value) -> bool {
    obj.attributes()
        .iter()
        .filter(|attr| !attr.computed && !attr.write_only)
        .all(|attr| {
            let x = a.attr(&attr.name).unwrap_or(&Value::Null);
            let y = b.attr(&attr.name).unwrap_or(&Value::Null);
            x == y
        })
}

fn find_set_partner<'v>(
    obj: Obj<'_>,
    element: &Value,
    candidates: Option<&'v Value>,
) -> Option<&'v Value> {
    match candidates {
        Some(Value::Set(items)) => items
            .iter()
            .find(|c| same_configured_identity(obj, element, c)),
        _ => None,
    }
}

/// Element `key` of a collection other than a set.
fn element<'v>(container: Option<&'v Value>, step: &PathStep) -> Option<&'v Value> {
    container.and_then(|c| step_into(c, step))
}

/// Visits the objects inside a nested value (one for single nesting, one per element
/// otherwise), pairing each planned element with its config and prior partners.
fn for_each_element(
    nesting: Nesting,
    obj: Obj<'_>,
    planned: &mut Value,
    config: Option<&Value>,
    prior: Option<&Value>,
    path: &AttributePath,
    mut visit: impl FnMut(&mut Value, Option<&Value>, Option<&Value>, &AttributePath),
) {
    match (nesting, planned) {
        (Nesting::Single, planned @ Value::Object(_)) => visit(planned, config, prior, path),
        (Nesting::List, Value::List(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let step = PathStep::Index(index_of(i));
                let (c, p) = (element(config, &step), element(prior, &step));
                visit(item, c, p, &path.with(step));
            }
        }
        (Nesting::Map, Value::Map(items)) => {
            for (k, item) in items.iter_mut() {
                let step = PathStep::Key(k.clone());
                let (c, p) = (element(config, &step), element(prior, &step));
                visit(item, c, p, &path.with(step));
            }
        }
        (Nesting::Set, Value::Set(items)) => {
            for item in items.iter_mut() {
                let c = find_set_partner(obj, item, config);
                let p = find_set_partner(obj, item, prior);
                // Set elements are not addressable: paths stop at the set.
                visit(item, c, p, path);
            }
        }
        _ => {}
    }
}

fn attr_of<'v>(object: Option<&'v Value>, name: &str) -> Option<&'v Value> {
    object.and_then(|o| o.attr(name))
}

fn is_null_or_absent(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Passes that build the plan.

/// Fills attributes whose configuration is null with their schema default.
pub fn apply_defaults(block: &Block, planned: &mut Value, config: &Value) {
    defaults_obj(Obj::Block(block), planned, Some(config));
}

fn defaults_obj(obj: Obj<'_>, planned: &mut Value, config: Option<&Value>) {
    let Some(attrs) = planned.as_object_mut() else {
        return;
    };
    for a in obj.attributes() {
        let c = attr_of(config, &a.name);
        let Some(slot) = attrs.get_mut(&a.name) else {
            continue;
        };
        if let (Some(default), true) = (&a.default, is_null_or_absent(c)) {
            *slot = default.clone();
        } else if let Some((nesting, inner)) = a.nested_attributes() {
            let inner = Obj::Attrs(inner);
            for_each_element(
                nesting,
                inner,
                slot,
                c,
                None,
                &AttributePath::empty(),
                |p, c, _, _| {
                    defaults_obj(inner, p, c);
                },
            );
        }
    }
    for b in obj.blocks() {
        let c = attr_of(config, &b.type_name);
        let Some(slot) = attrs.get_mut(&b.type_name) else {
            continue;
        };
        let inner = Obj::Block(&b.block);
        for_each_element(
            block_nesting(b.nesting),
            inner,
            slot,
            c,
            None,
            &AttributePath::empty(),
            |p, c, _, _| {
                defaults_obj(inner, p, c);
            },
        );
    }
}

/// Marks computed attributes with null configuration (and no default) as unknown.
pub fn mark_computed_unknown(block: &Block, planned: &mut Value, config: &Value) {
    unknown_obj(Obj::Block(block), planned, Some(config));
}

fn unknown_obj(obj: Obj<'_>, planned: &mut Value, config: Option<&Value>) {
    let Some(attrs) = planned.as_object_mut() else {
        return;
    };
    for a in obj.attributes() {
        let c = attr_of(config, &a.name);
        let Some(slot) = attrs.get_mut(&a.name) else {
            continue;
        };
        if a.computed && a.default.is_none() && is_null_or_absent(c) {
            *slot = Value::unknown();
        } else if let Some((nesting, inner)) = a.nested_attributes() {
            let inner = Obj::Attrs(inner);
            for_each_element(
                nesting,
                inner,
                slot,
                c,
                None,
                &AttributePath::empty(),
                |p, c, _, _| {
                    unknown_obj(inner, p, c);
                },
            );
        }
    }
    for b in obj.blocks() {
        let c = attr_of(config, &b.type_name);
        let Some(slot) = attrs.get_mut(&b.type_name) else {
            continue;
        };
        let inner = Obj::Block(&b.block);
        for_each_element(
            block_nesting(b.nesting),
            inner,
            slot,
            c,
            None,
            &AttributePath::empty(),
            |p, c, _, _| {
                unknown_obj(inner, p, c);
            },
        );
    }
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
    use_state_obj(Obj::Block(block), planned, Some(prior), Some(config));
}

fn use_state_obj(obj: Obj<'_>, planned: &mut Value, prior: Option<&Value>, config: Option<&Value>) {
    let Some(attrs) = planned.as_object_mut() else {
        return;
    };
    for a in obj.attributes() {
        let c = attr_of(config, &a.name);
        let p = attr_of(prior, &a.name);
        let Some(slot) = attrs.get_mut(&a.name) else {
            continue;
        };
        let config_unknown = matches!(c, Some(Value::Unknown(_)));
        if slot.is_unknown() && !config_unknown && a.has_modifier(&PlanModifier::UseStateForUnknown)
        {
            if let Some(prior_value) = p {
                *slot = prior_value.clone();
            }
        } else if let Some((nesting, inner)) = a.nested_attributes() {
            let inner = Obj::Attrs(inner);
            for_each_element(
                nesting,
                inner,
                slot,
                c,
                p,
                &AttributePath::empty(),
                |pl, c, pr, _| {
                    use_state_obj(inner, pl, pr, c);
                },
            );
        }
    }
    for b in obj.blocks() {
        let c = attr_of(config, &b.type_name);
        let p = attr_of(prior, &b.type_name);
        let Some(slot) = attrs.get_mut(&b.type_name) else {
            continue;
        };
        let inner = Obj::Block(&b.block);
        for_each_element(
            block_nesting(b.nesting),
            inner,
            slot,
            c,
            p,
            &AttributePath::empty(),
            |pl, c, pr, _| {
                use_state_obj(inner, pl, pr, c);
            },
        );
    }
}

/// Nulls every write-only attribute (Terraform never stores them in plan or state).
pub fn null_write_only(block: &Block, value: &mut Value) {
    null_where(Obj::Block(block), value, &|a| a.write_only);
}

/// Nulls every sensitive and write-only attribute: for objects shown rather than stored (list
/// results, which `terraform query -json` prints as they are).
pub fn null_secrets(block: &Block, value: &mut Value) {
    null_where(Obj::Block(block), value, &|a| a.sensitive || a.write_only);
}

fn null_where(obj: Obj<'_>, value: &mut Value, secret: &dyn Fn(&Attribute) -> bool) {
    let Some(attrs) = value.as_object_mut() else {
        return;
    };
    for a in obj.attributes() {
        let Some(slot) = attrs.get_mut(&a.name) else {
            continue;
        };
        if secret(a) {
            *slot = Value::Null;
        } else if let Some((nesting, inner)) = a.nested_attributes() {
            let inner = Obj::Attrs(inner);
            for_each_element(
                nesting,
                inner,
                slot,
                None,
                None,
                &AttributePath::empty(),
                |v, _, _, _| {
                    null_where(inner, v, secret);
                },
            );
        }
    }
    for b in obj.blocks() {
        let Some(slot) = attrs.get_mut(&b.type_name) else {
            continue;
        };
        let inner = Obj::Block(&b.block);
        for_each_element(
            block_nesting(b.nesting),
            inner,
            slot,
            None,
            None,
            &AttributePath::empty(),
            |v, _, _, _| {
                null_where(inner, v, secret);
            },
        );
    }
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
        Obj::Block(block),
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
    obj: Obj<'_>,
    planned: &mut Value,
    prior: Option<&Value>,
    config: Option<&Value>,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    let Some(attrs) = planned.as_object_mut() else {
        return;
    };
    for a in obj.attributes() {
        let here = path.with(PathStep::Attribute(a.name.clone()));
        let p = attr_of(prior, &a.name).unwrap_or(&Value::Null);
        let c = attr_of(config, &a.name).unwrap_or(&Value::Null);
        let Some(slot) = attrs.get_mut(&a.name) else {
            continue;
        };
        if modifiers_want_replace(&a.plan_modifiers, &here, p, slot, c) {
            out.push(here.clone());
        }
        if let Some((nesting, inner)) = a.nested_attributes() {
            let inner = Obj::Attrs(inner);
            for_each_element(
                nesting,
                inner,
                slot,
                Some(c),
                Some(p),
                &here,
                |pl, c, pr, at| {
                    match pr {
                        Some(pr) => replace_obj(inner, pl, Some(pr), c, at, out),
                        // A new element: any requires-replace attribute inside it that is set
                        // replaces the resource, as it would when changed from null.
                        None => replace_obj(inner, pl, Some(&Value::Null), c, at, out),
                    }
                },
            );
        }
    }
    for b in obj.blocks() {
        let here = path.with(PathStep::Attribute(b.type_name.clone()));
        let p = attr_of(prior, &b.type_name).unwrap_or(&Value::Null);
        let c = attr_of(config, &b.type_name).unwrap_or(&Value::Null);
        let Some(slot) = attrs.get_mut(&b.type_name) else {
            continue;
        };
        if modifiers_want_replace(&b.plan_modifiers, &here, p, slot, c) {
            out.push(here.clone());
        }
        let inner = Obj::Block(&b.block);
        for_each_element(
            block_nesting(b.nesting),
            inner,
            slot,
            Some(c),
            Some(p),
            &here,
            |pl, c, pr, at| {
                replace_obj(inner, pl, Some(pr.unwrap_or(&Value::Null)), c, at, out);
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Checks of what the resource produced.

/// Finds the schema attribute a path points at (skipping element steps), to learn whether it
/// is sensitive before quoting values in a message.
fn path_is_sensitive(block: &Block, path: &AttributePath) -> bool {
    let mut obj = Obj::Block(block);
    for step in path.steps() {
        let PathStep::Attribute(name) = step else {
            continue;
        };
        if let Some(a) = obj.attributes().iter().find(|a| &a.name == name) {
            if a.sensitive {
                return true;
            }
            match a.nested_attributes() {
                Some((_, inner)) => obj = Obj::Attrs(inner),
                None => return false,
            }
        } else if let Some(b) = obj.blocks().iter().find(|b| &b.type_name == name) {
            obj = Obj::Block(&b.block);
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
            Obj::Block(block),
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
    obj: Obj<'_>,
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
            nested_plan(nesting, Obj::Attrs(inner), pr, p, c, &here, problems);
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
            Obj::Block(&b.block),
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
    obj: Obj<'_>,
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
