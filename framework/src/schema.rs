//! Schemas: the shape of a provider, resource or data source configuration, built with a
//! builder API that reads like the Terraform documentation of the resource.
//!
//! A schema is the single source of truth for a resource: the framework derives the object
//! [`Type`] used to decode values from it, converts it to the protocol's `Schema`, runs its
//! validators in `Validate*Config`, and applies its defaults and plan modifiers while planning
//! (see [`crate::plan`]). Resource code declares behaviour here instead of re-implementing it.
//!
//! ```
//! use tf_framework::schema::{Attribute, Schema, NestedBlock, Block};
//! use tf_framework::validators::one_of;
//! let schema = Schema::new()
//!     .version(1)
//!     .description("A DR orchestrator.")
//!     .attribute(Attribute::string("id").computed().use_state_for_unknown())
//!     .attribute(Attribute::string("name").required().requires_replace())
//!     .attribute(Attribute::string("tier").optional().computed().default_string("tier1")
//!         .validator(one_of(["tier1", "tier3"])))
//!     .block(NestedBlock::list("rule", Block::new()
//!         .attribute(Attribute::string("cidr").required())).max_items(5));
//! assert!(schema.check().is_ok());
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

mod rules;

pub use rules::{ConfigValidator, Validator};

use crate::diag::AttributePath;
use crate::value::{Number, Type, Value};

/// How a nested attribute holds its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

/// How a nested block appears in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockNesting {
    /// At most one block; absent = null.
    Single,
    /// Zero or more blocks in order.
    List,
    /// Zero or more blocks, unordered.
    Set,
    /// Zero or more labelled blocks.
    Map,
    /// Exactly one block that is never null (absent = all attributes null).
    Group,
}

/// What an attribute holds: a plain type, or nested attributes (protocol 6 only).
#[derive(Debug, Clone)]
pub enum AttributeKind {
    Typed(Type),
    Nested {
        nesting: Nesting,
        attributes: Vec<Attribute>,
    },
}

/// Context a [`PlanModifier::RequiresReplaceIf`] check sees, at the attribute's path.
pub struct ReplaceCheck<'a> {
    pub path: &'a AttributePath,
    pub prior: &'a Value,
    pub planned: &'a Value,
    pub config: &'a Value,
}

/// Predicate of a conditional replacement.
pub type ReplaceIfFn = Arc<dyn Fn(&ReplaceCheck<'_>) -> bool + Send + Sync>;

/// Declarative planning behaviour of one attribute (or block).
#[derive(Clone)]
pub enum PlanModifier {
    /// On update, a computed value with no configuration keeps its prior value instead of
    /// becoming unknown.
    UseStateForUnknown,
    /// A change of this value on update replaces the resource.
    RequiresReplace,
    /// Like `RequiresReplace`, but only when the predicate agrees.
    RequiresReplaceIf {
        description: String,
        check: ReplaceIfFn,
    },
}

impl fmt::Debug for PlanModifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UseStateForUnknown => f.write_str("UseStateForUnknown"),
            Self::RequiresReplace => f.write_str("RequiresReplace"),
            Self::RequiresReplaceIf { description, .. } => {
                write!(f, "RequiresReplaceIf({description})")
            }
        }
    }
}

/// One attribute of a block or of a nested attribute's object.
#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub kind: AttributeKind,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub write_only: bool,
    pub deprecated: bool,
    pub deprecation_message: String,
    /// Markdown.
    pub description: String,
    /// Planned when the configuration leaves the attribute null (requires `computed`).
    pub default: Option<Value>,
    pub plan_modifiers: Vec<PlanModifier>,
    pub validators: Vec<Arc<dyn Validator>>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("write_only", &self.write_only)
            .field("default", &self.default)
            .field("plan_modifiers", &self.plan_modifiers)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// An attribute of any type; see the typed shorthands below.
    pub fn typed(name: impl Into<String>, ty: Type) -> Self {
        Self::with_kind(name, AttributeKind::Typed(ty))
    }

    fn with_kind(name: impl Into<String>, kind: AttributeKind) -> Self {
        Self {
            name: name.into(),
            kind,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: false,
            deprecation_message: String::new(),
            description: String::new(),
            default: None,
            plan_modifiers: Vec::new(),
            validators: Vec::new(),
        }
    }

    pub fn string(name: impl Into<String>) -> Self {
        Self::typed(name, Type::String)
    }
    pub fn number(name: impl Into<String>) -> Self {
        Self::typed(name, Type::Number)
    }
    pub fn bool(name: impl Into<String>) -> Self {
        Self::typed(name, Type::Bool)
    }
    pub fn dynamic(name: impl Into<String>) -> Self {
        Self::typed(name, Type::Dynamic)
    }
    pub fn list(name: impl Into<String>, element: Type) -> Self {
        Self::typed(name, Type::List(Box::new(element)))
    }
    pub fn set(name: impl Into<String>, element: Type) -> Self {
        Self::typed(name, Type::Set(Box::new(element)))
    }
    pub fn map(name: impl Into<String>, element: Type) -> Self {
        Self::typed(name, Type::Map(Box::new(element)))
    }
    /// An attribute of object type (not nested attributes: its inner attributes have no
    /// individual flags).
    pub fn object<K: Into<String>>(
        name: impl Into<String>,
        attributes: impl IntoIterator<Item = (K, Type)>,
    ) -> Self {
        let attrs = attributes.into_iter().map(|(k, t)| (k.into(), t)).collect();
        Self::typed(name, Type::Object(attrs))
    }

    /// Nested attributes with per-attribute flags, held as `nesting` says.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        Self::with_kind(
            name,
            AttributeKind::Nested {
                nesting,
                attributes,
            },
        )
    }
    pub fn single_nested(name: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::Single, attributes)
    }
    pub fn list_nested(name: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::List, attributes)
    }
    pub fn set_nested(name: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::Set, attributes)
    }
    pub fn map_nested(name: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self::nested(name, Nesting::Map, attributes)
    }

    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    #[must_use]
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    /// Optional and computed: the user may set it, else the provider decides.
    #[must_use]
    pub fn optional_computed(self) -> Self {
        self.optional().computed()
    }
    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// Never stored in plan or state (Terraform 1.11+); the framework nulls it.
    #[must_use]
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecated = true;
        self.deprecation_message = message.into();
        self
    }
    /// Markdown description, shown in generated docs.
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    /// Value planned when the configuration is null. Needs `computed` (set by this call).
    #[must_use]
    pub fn default_value(mut self, value: Value) -> Self {
        self.default = Some(value);
        self.computed = true;
        self
    }
    #[must_use]
    pub fn default_string(self, value: impl Into<String>) -> Self {
        self.default_value(Value::String(value.into()))
    }
    #[must_use]
    pub fn default_bool(self, value: bool) -> Self {
        self.default_value(Value::Bool(value))
    }
    #[must_use]
    pub fn default_int(self, value: i64) -> Self {
        self.default_value(Value::Number(Number::from_i64(value)))
    }
    #[must_use]
    pub fn default_number(self, value: Number) -> Self {
        self.default_value(Value::Number(value))
    }

    #[must_use]
    pub fn plan_modifier(mut self, modifier: PlanModifier) -> Self {
        self.plan_modifiers.push(modifier);
        self
    }
    #[must_use]
    pub fn use_state_for_unknown(self) -> Self {
        self.plan_modifier(PlanModifier::UseStateForUnknown)
    }
    #[must_use]
    pub fn requires_replace(self) -> Self {
        self.plan_modifier(PlanModifier::RequiresReplace)
    }
    #[must_use]
    pub fn requires_replace_if(
        self,
        description: impl Into<String>,
        check: impl Fn(&ReplaceCheck<'_>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.plan_modifier(PlanModifier::RequiresReplaceIf {
            description: description.into(),
            check: Arc::new(check),
        })
    }

    /// Checks run on the known, non-null configuration value in `Validate*Config`.
    #[must_use]
    pub fn validator(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// The cty type of this attribute's value.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeKind::Typed(t) => t.clone(),
            AttributeKind::Nested {
                nesting,
                attributes,
            } => {
                let object = object_type_of(attributes);
                match nesting {
                    Nesting::Single => object,
                    Nesting::List => Type::List(Box::new(object)),
                    Nesting::Set => Type::Set(Box::new(object)),
                    Nesting::Map => Type::Map(Box::new(object)),
                }
            }
        }
    }

    /// The nested attributes, for nested attributes.
    pub fn nested_attributes(&self) -> Option<(Nesting, &[Attribute])> {
        match &self.kind {
            AttributeKind::Nested {
                nesting,
                attributes,
            } => Some((*nesting, attributes)),
            AttributeKind::Typed(_) => None,
        }
    }

    pub fn has_modifier(&self, wanted: &PlanModifier) -> bool {
        self.plan_modifiers
            .iter()
            .any(|m| std::mem::discriminant(m) == std::mem::discriminant(wanted))
    }
}

fn object_type_of(attributes: &[Attribute]) -> Type {
    Type::Object(
        attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// A block: attributes plus nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
    pub deprecated: bool,
    pub deprecation_message: String,
}

impl Block {
    pub fn new() -> Self {
        Self::default()
    }
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }
    #[must_use]
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = Attribute>) -> Self {
        self.attributes.extend(attributes);
        self
    }
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }
    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecated = true;
        self.deprecation_message = message.into();
        self
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The object type of values conforming to this block.
    pub fn object_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.type_name.clone(), b.value_type());
        }
        Type::Object(attrs)
    }
}

/// A nested block type inside a block.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: BlockNesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
    pub plan_modifiers: Vec<PlanModifier>,
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: BlockNesting, block: Block) -> Self {
        Self {
            type_name: type_name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
            plan_modifiers: Vec::new(),
        }
    }
    pub fn single(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, BlockNesting::Single, block)
    }
    pub fn list(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, BlockNesting::List, block)
    }
    pub fn set(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, BlockNesting::Set, block)
    }
    pub fn map(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, BlockNesting::Map, block)
    }
    pub fn group(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, BlockNesting::Group, block)
    }
    #[must_use]
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }
    #[must_use]
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }
    #[must_use]
    pub fn requires_replace(mut self) -> Self {
        self.plan_modifiers.push(PlanModifier::RequiresReplace);
        self
    }

    /// The value type: LIST/MAP blocks whose objects contain `dynamic` become dynamic
    /// (Terraform decodes them as a tuple/object whose type is not predictable).
    pub fn value_type(&self) -> Type {
        let object = self.block.object_type();
        match self.nesting {
            BlockNesting::Single | BlockNesting::Group => object,
            BlockNesting::List if contains_dynamic(&object) => Type::Dynamic,
            BlockNesting::Map if contains_dynamic(&object) => Type::Dynamic,
            BlockNesting::List => Type::List(Box::new(object)),
            BlockNesting::Set => Type::Set(Box::new(object)),
            BlockNesting::Map => Type::Map(Box::new(object)),
        }
    }
}

/// True when `dynamic` appears anywhere in the type.
pub fn contains_dynamic(ty: &Type) -> bool {
    match ty {
        Type::Dynamic => true,
        Type::List(t) | Type::Set(t) | Type::Map(t) => contains_dynamic(t),
        Type::Object(m) => m.values().any(contains_dynamic),
        Type::Tuple(v) => v.iter().any(contains_dynamic),
        Type::String | Type::Number | Type::Bool => false,
    }
}

/// A versioned schema, plus cross-attribute validators.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
    pub config_validators: Vec<ConfigValidator>,
}

impl Schema {
    pub fn new() -> Self {
        Self::default()
    }
    #[must_use]
    pub fn version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.block.description = markdown.into();
        self
    }
    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.block = self.block.deprecated(message);
        self
    }
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.block.attributes.push(attribute);
        self
    }
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.block.blocks.push(block);
        self
    }
    /// A cross-attribute rule (conflicts, exactly-one-of, ...), checked in validation.
    #[must_use]
    pub fn config_validator(mut self, validator: ConfigValidator) -> Self {
        self.config_validators.push(validator);
        self
    }

    /// The object type of the whole configuration/state value.
    pub fn object_type(&self) -> Type {
        self.block.object_type()
    }

    /// Checks the schema the way Terraform core does (`internal_validate.go`), plus the
    /// framework's own rules (defaults need computed, ...). Returns every problem found.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.version < 0 {
            problems.push(format!("negative schema version {}", self.version));
        }
        check_block(&self.block, "", &mut problems);
        for v in &self.config_validators {
            for p in v.paths() {
                if let Some(name) = p.first_attribute()
                    && self.block.find_attribute(name).is_none()
                    && self.block.find_block(name).is_none()
                {
                    problems.push(format!("config validator names unknown attribute {p}"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_block(block: &Block, prefix: &str, problems: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    if !block.deprecated && !block.deprecation_message.is_empty() {
        problems.push(format!("{prefix}: deprecation_message without deprecated"));
    }
    for a in &block.attributes {
        let here = format!("{prefix}{}", a.name);
        if !seen.insert(a.name.clone()) {
            problems.push(format!("{here}: duplicate name"));
        }
        check_attribute(a, &here, false, problems);
    }
    for b in &block.blocks {
        let here = format!("{prefix}{}", b.type_name);
        if !valid_name(&b.type_name) {
            problems.push(format!("{here}: name must match [a-z0-9_]+"));
        }
        if !seen.insert(b.type_name.clone()) {
            problems.push(format!("{here}: duplicate name"));
        }
        if b.min_items < 0 || b.max_items < 0 {
            problems.push(format!("{here}: min_items/max_items must not be negative"));
        }
        match b.nesting {
            BlockNesting::Single | BlockNesting::Group => {
                if b.min_items > 1 || b.max_items > 1 {
                    problems.push(format!(
                        "{here}: single/group blocks allow min_items and max_items of 0 or 1"
                    ));
                }
                if b.nesting == BlockNesting::Group && (b.min_items != 0 || b.max_items != 0) {
                    problems.push(format!("{here}: group blocks take no min/max items"));
                }
            }
            BlockNesting::List | BlockNesting::Set => {
                if b.max_items != 0 && b.min_items > b.max_items {
                    problems.push(format!("{here}: min_items greater than max_items"));
                }
            }
            BlockNesting::Map => {
                if b.min_items != 0 || b.max_items != 0 {
                    problems.push(format!("{here}: map blocks take no min/max items"));
                }
            }
        }
        if b.nesting == BlockNesting::Set {
            let ty = b.block.object_type();
            if contains_dynamic(&ty) {
                problems.push(format!("{here}: set blocks may not contain dynamic types"));
            }
            if block_has_write_only(&b.block) {
                problems.push(format!(
                    "{here}: set blocks may not contain write-only attributes"
                ));
            }
        }
        if b.plan_modifiers
            .iter()
            .any(|m| matches!(m, PlanModifier::UseStateForUnknown))
        {
            problems.push(format!(
                "{here}: blocks are never computed; use_state_for_unknown has no effect"
            ));
        }
        check_block(&b.block, &format!("{here}."), problems);
    }
}

fn block_has_write_only(block: &Block) -> bool {
    block.attributes.iter().any(attribute_has_write_only)
        || block.blocks.iter().any(|b| block_has_write_only(&b.block))
}

fn attribute_has_write_only(a: &Attribute) -> bool {
    a.write_only
        || a.nested_attributes()
            .is_some_and(|(_, attrs)| attrs.iter().any(attribute_has_write_only))
}

fn check_attribute(a: &Attribute, here: &str, in_set: bool, problems: &mut Vec<String>) {
    if !valid_name(&a.name) {
        problems.push(format!("{here}: name must match [a-z0-9_]+"));
    }
    if !a.required && !a.optional && !a.computed {
        problems.push(format!("{here}: must be required, optional or computed"));
    }
    if a.required && a.optional {
        problems.push(format!("{here}: cannot be both required and optional"));
    }
    if a.required && a.computed {
        problems.push(format!("{here}: cannot be both required and computed"));
    }
    if !a.deprecated && !a.deprecation_message.is_empty() {
        problems.push(format!("{here}: deprecation_message without deprecated"));
    }
    if a.write_only {
        if a.computed {
            problems.push(format!("{here}: write-only attributes cannot be computed"));
        }
        if in_set {
            problems.push(format!(
                "{here}: write-only attributes cannot sit inside a set"
            ));
        }
        if a.default.is_some() {
            problems.push(format!(
                "{here}: write-only attributes cannot have defaults"
            ));
        }
    }
    if a.default.is_some() && !a.computed {
        problems.push(format!(
            "{here}: a default needs the attribute to be computed"
        ));
    }
    if a.default.is_some() && a.required {
        problems.push(format!(
            "{here}: a required attribute cannot have a default"
        ));
    }
    let computed_only = a.computed && !a.optional && !a.required;
    if computed_only && !a.validators.is_empty() {
        problems.push(format!(
            "{here}: validators on a computed-only attribute never run"
        ));
    }
    if computed_only
        && a.plan_modifiers
            .iter()
            .any(|m| !matches!(m, PlanModifier::UseStateForUnknown))
    {
        problems.push(format!(
            "{here}: requires_replace on a computed-only attribute"
        ));
    }
    if a.has_modifier(&PlanModifier::UseStateForUnknown) && !a.computed {
        problems.push(format!(
            "{here}: use_state_for_unknown needs a computed attribute"
        ));
    }
    match &a.kind {
        AttributeKind::Typed(ty) => {
            if in_set && contains_dynamic(ty) {
                problems.push(format!("{here}: dynamic types cannot sit inside a set"));
            }
            if let Type::Set(inner) = ty
                && contains_dynamic(inner)
            {
                problems.push(format!("{here}: sets may not contain dynamic types"));
            }
        }
        AttributeKind::Nested {
            nesting,
            attributes,
        } => {
            if attributes.is_empty() {
                problems.push(format!(
                    "{here}: nested attributes need at least one attribute"
                ));
            }
            let inner_set = in_set || *nesting == Nesting::Set;
            let mut seen = std::collections::BTreeSet::new();
            for inner in attributes {
                if !seen.insert(inner.name.clone()) {
                    problems.push(format!("{here}.{}: duplicate name", inner.name));
                }
                check_attribute(
                    inner,
                    &format!("{here}.{}", inner.name),
                    inner_set,
                    problems,
                );
            }
        }
    }
}

/// Test helper: panics with every problem when the schema is malformed.
/// Meant for unit tests of resources, providers and data sources.
pub fn assert_schema_valid(schema: &Schema) {
    if let Err(problems) = schema.check() {
        panic!("invalid schema:\n  {}", problems.join("\n  "));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::validators::{exactly_one_of, one_of};

    fn sample() -> Schema {
        Schema::new()
            .version(1)
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(Attribute::string("name").required().requires_replace())
            .attribute(Attribute::set("tags", Type::String).optional())
            .attribute(
                Attribute::string("tier")
                    .optional()
                    .default_string("tier1")
                    .validator(one_of(["tier1", "tier3"])),
            )
            .attribute(
                Attribute::list_nested(
                    "disks",
                    vec![
                        Attribute::number("size").required(),
                        Attribute::string("uuid").computed(),
                    ],
                )
                .optional(),
            )
            .attribute(Attribute::string("password").optional().write_only())
            .attribute(Attribute::string("password_hash").optional())
            .block(
                NestedBlock::list(
                    "rule",
                    Block::new().attribute(Attribute::bool("allow").optional()),
                )
                .max_items(3),
            )
            .block(NestedBlock::single(
                "timeouts",
                Block::new().attribute(Attribute::string("create").optional()),
            ))
            .config_validator(exactly_one_of([
                AttributePath::root("password"),
                AttributePath::root("password_hash"),
            ]))
    }

    #[test]
    fn derives_object_type() {
        let ty = sample().object_type();
        let Type::Object(attrs) = ty else {
            panic!("not an object");
        };
        assert_eq!(attrs["id"], Type::String);
        assert_eq!(attrs["tags"], Type::Set(Box::new(Type::String)));
        let disk = Type::Object(BTreeMap::from([
            ("size".to_string(), Type::Number),
            ("uuid".to_string(), Type::String),
        ]));
        assert_eq!(attrs["disks"], Type::List(Box::new(disk)));
        assert!(matches!(attrs["rule"], Type::List(_)));
        assert!(matches!(attrs["timeouts"], Type::Object(_)));
    }

    #[test]
    fn sample_schema_is_valid() {
        assert_schema_valid(&sample());
    }

    #[test]
    fn rejects_bad_schemas() {
        let bad = Schema::new()
            .version(-1)
            .attribute(Attribute::string("Bad-Name").optional())
            .attribute(Attribute::string("neither"))
            .attribute(Attribute::string("both").required().optional())
            .attribute(Attribute::string("wo").computed().write_only())
            .attribute(Attribute::set_nested(
                "s",
                vec![
                    Attribute::dynamic("d").optional(),
                    Attribute::string("w").optional().write_only(),
                ],
            ))
            .attribute(
                Attribute::string("def")
                    .optional()
                    .default_string("x")
                    .required(),
            )
            .block(NestedBlock::single("one", Block::new()).max_items(2))
            .block(NestedBlock::set(
                "sb",
                Block::new().attribute(Attribute::dynamic("d").optional()),
            ))
            .config_validator(exactly_one_of([AttributePath::root("missing")]));
        let problems = bad.check().expect_err("schema must be rejected");
        let all = problems.join("\n");
        for needle in [
            "negative schema version",
            "Bad-Name: name must match",
            "neither: must be required, optional or computed",
            "both: cannot be both required and optional",
            "wo: write-only attributes cannot be computed",
            "s.d: dynamic types cannot sit inside a set",
            "s.w: write-only attributes cannot sit inside a set",
            "def: a required attribute cannot have a default",
            "one: single/group blocks",
            "sb: set blocks may not contain dynamic types",
            "unknown attribute missing",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }
}
