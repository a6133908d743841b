//! The one walk over a schema and a value of it, shared by the planning passes
//! ([`crate::plan`]), config validation ([`crate::validators::validate_config`]) and the
//! configuration proposed for imported objects ([`crate::genconfig`]).
//!
//! Both descend the same way: attributes by name, nested attributes and nested blocks into
//! each element of their collection (list elements by index, map elements by key, set
//! elements, which have no address, at the set's own path). The planning passes also pair
//! every planned element with its partner in the configuration and the prior state, which
//! for a set means the element that agrees on every attribute the user configures.

use crate::diag::{AttributePath, PathStep};
use crate::schema::{Attribute, Block, BlockNesting, NestedBlock, Nesting, PlanModifier};
use crate::value::Value;
use crate::value::navigate::step_into;

/// A uniform view of "an object schema": a block, or the attributes of a nested attribute.
#[derive(Clone, Copy)]
pub(crate) enum ObjectSchema<'a> {
    Block(&'a Block),
    Attributes(&'a [Attribute]),
}

impl<'a> ObjectSchema<'a> {
    pub(crate) fn attributes(self) -> &'a [Attribute] {
        match self {
            ObjectSchema::Block(b) => &b.attributes,
            ObjectSchema::Attributes(a) => a,
        }
    }

    pub(crate) fn blocks(self) -> &'a [NestedBlock] {
        match self {
            ObjectSchema::Block(b) => &b.blocks,
            ObjectSchema::Attributes(_) => &[],
        }
    }
}

/// An attribute or a nested block, for the walks that treat the two alike.
pub(crate) struct Member<'a> {
    pub(crate) name: &'a str,
    pub(crate) plan_modifiers: &'a [PlanModifier],
    /// How its objects nest and their schema: for nested attributes and blocks.
    pub(crate) nested: Option<(Nesting, ObjectSchema<'a>)>,
}

impl<'a> ObjectSchema<'a> {
    /// The attributes, then the nested blocks.
    pub(crate) fn members(self) -> impl Iterator<Item = Member<'a>> {
        let attributes = self.attributes().iter().map(|a| Member {
            name: &a.name,
            plan_modifiers: &a.plan_modifiers,
            nested: a
                .nested_attributes()
                .map(|(nesting, inner)| (nesting, ObjectSchema::Attributes(inner))),
        });
        let blocks = self.blocks().iter().map(|b| Member {
            name: &b.type_name,
            plan_modifiers: &b.plan_modifiers,
            nested: Some((block_nesting(b.nesting), ObjectSchema::Block(&b.block))),
        });
        attributes.chain(blocks)
    }
}

/// A block's nesting in the terms of nested attributes (a group is a single object).
pub(crate) fn block_nesting(n: BlockNesting) -> Nesting {
    match n {
        BlockNesting::Single | BlockNesting::Group => Nesting::Single,
        BlockNesting::List => Nesting::List,
        BlockNesting::Set => Nesting::Set,
        BlockNesting::Map => Nesting::Map,
    }
}

/// A list index as a path step.
pub(crate) fn index_of(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

/// Attribute `name` of an object that may be absent.
pub(crate) fn attr_of<'v>(object: Option<&'v Value>, name: &str) -> Option<&'v Value> {
    object.and_then(|o| o.attr(name))
}

/// Element `step` of a collection other than a set.
pub(crate) fn element<'v>(container: Option<&'v Value>, step: &PathStep) -> Option<&'v Value> {
    container.and_then(|c| step_into(c, step))
}

/// True when two objects agree on every attribute the user configures (used to pair set
/// elements, whose order means nothing).
fn same_configured_identity(schema: ObjectSchema<'_>, a: &Value, b: &Value) -> bool {
    schema
        .attributes()
        .iter()
        .filter(|attr| !attr.computed && !attr.write_only)
        .all(|attr| {
            let x = a.attr(&attr.name).unwrap_or(&Value::Null);
            let y = b.attr(&attr.name).unwrap_or(&Value::Null);
            x == y
        })
}

fn find_set_partner<'v>(
    schema: ObjectSchema<'_>,
    element: &Value,
    candidates: Option<&'v Value>,
) -> Option<&'v Value> {
    match candidates {
        Some(Value::Set(items)) => items
            .iter()
            .find(|c| same_configured_identity(schema, element, c)),
        _ => None,
    }
}

/// Visits the objects inside a nested value (one for single nesting, one per element
/// otherwise), pairing each planned element with its config and prior partners.
pub(crate) fn for_each_element(
    nesting: Nesting,
    schema: ObjectSchema<'_>,
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
                let c = find_set_partner(schema, item, config);
                let p = find_set_partner(schema, item, prior);
                // Set elements are not addressable: paths stop at the set.
                visit(item, c, p, path);
            }
        }
        _ => {}
    }
}

/// What a walk does after visiting an attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Descend {
    /// Walk on into its nested attributes, if it has any.
    Into,
    /// The visit settled the attribute and everything inside it.
    Stop,
}

/// The visitor of [`visit_attributes_mut`]: an attribute, its slot in the value being
/// changed, and its configured and prior partners.
pub(crate) type VisitMut<'f> =
    dyn FnMut(&Attribute, &mut Value, Option<&Value>, Option<&Value>) -> Descend + 'f;

/// Visits every attribute present in `value` (an object of `schema`) with its config and
/// prior partners, at any depth: into nested attributes when the visit says
/// [`Descend::Into`], and always into nested blocks.
pub(crate) fn visit_attributes_mut(
    schema: ObjectSchema<'_>,
    value: &mut Value,
    config: Option<&Value>,
    prior: Option<&Value>,
    visit: &mut VisitMut<'_>,
) {
    let Some(attrs) = value.as_object_mut() else {
        return;
    };
    for a in schema.attributes() {
        let c = attr_of(config, &a.name);
        let p = attr_of(prior, &a.name);
        let Some(slot) = attrs.get_mut(&a.name) else {
            continue;
        };
        if visit(a, slot, c, p) == Descend::Stop {
            continue;
        }
        if let Some((nesting, inner)) = a.nested_attributes() {
            let inner = ObjectSchema::Attributes(inner);
            for_each_element(
                nesting,
                inner,
                slot,
                c,
                p,
                &AttributePath::empty(),
                |element, c, p, _| visit_attributes_mut(inner, element, c, p, visit),
            );
        }
    }
    for b in schema.blocks() {
        let c = attr_of(config, &b.type_name);
        let p = attr_of(prior, &b.type_name);
        let Some(slot) = attrs.get_mut(&b.type_name) else {
            continue;
        };
        let inner = ObjectSchema::Block(&b.block);
        for_each_element(
            block_nesting(b.nesting),
            inner,
            slot,
            c,
            p,
            &AttributePath::empty(),
            |element, c, p, _| visit_attributes_mut(inner, element, c, p, visit),
        );
    }
}

/// Nulls every attribute of `block` in `value`, at any depth, for which `drop` holds (nothing
/// inside a nulled attribute is visited).
pub(crate) fn null_attributes_where(
    block: &Block,
    value: &mut Value,
    drop: &dyn Fn(&Attribute, &Value) -> bool,
) {
    visit_attributes_mut(
        ObjectSchema::Block(block),
        value,
        None,
        None,
        &mut |a, slot, _, _| {
            if drop(a, slot) {
                *slot = Value::Null;
                Descend::Stop
            } else {
                Descend::Into
            }
        },
    );
}

/// The objects inside a nested value with their paths (set elements at the set's path).
fn elements_with_paths<'v>(
    value: &'v Value,
    path: &AttributePath,
) -> Vec<(&'v Value, AttributePath)> {
    match value {
        Value::Object(_) => vec![(value, path.clone())],
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (v, path.with(PathStep::Index(index_of(i)))))
            .collect(),
        Value::Set(items) => items.iter().map(|v| (v, path.clone())).collect(),
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| (v, path.with(PathStep::Key(k.clone()))))
            .collect(),
        _ => Vec::new(),
    }
}

/// Visits every attribute present in `object` (an object of `schema`) with its path, at any
/// depth: into nested attributes when the visit says [`Descend::Into`], and always into
/// nested blocks.
pub(crate) fn visit_attributes(
    schema: ObjectSchema<'_>,
    object: &Value,
    path: &AttributePath,
    visit: &mut dyn FnMut(&Attribute, &Value, &AttributePath) -> Descend,
) {
    if object.as_object().is_none() {
        return;
    }
    for a in schema.attributes() {
        let here = path.with(PathStep::Attribute(a.name.clone()));
        let Some(v) = object.attr(&a.name) else {
            continue;
        };
        if visit(a, v, &here) == Descend::Stop {
            continue;
        }
        if let Some((_, inner)) = a.nested_attributes() {
            for (element, at) in elements_with_paths(v, &here) {
                visit_attributes(ObjectSchema::Attributes(inner), element, &at, visit);
            }
        }
    }
    for b in schema.blocks() {
        let here = path.with(PathStep::Attribute(b.type_name.clone()));
        let Some(v) = object.attr(&b.type_name) else {
            continue;
        };
        for (element, at) in elements_with_paths(v, &here) {
            visit_attributes(ObjectSchema::Block(&b.block), element, &at, visit);
        }
    }
}
