//! Conversions between the framework's types and the generated protocol messages.

use crate::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::function::Signature;
use crate::proto::tfplugin6 as pb;
use crate::schema::{Attribute, AttributeKind, Block, BlockNesting, NestedBlock, Nesting, Schema};
use crate::value::{self, Type, Value};

pub(crate) fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    let severity = match d.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d.path.as_ref().map(attribute_path),
        function_argument: None,
    }
}

pub(crate) fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// The path of a codec error, as a diagnostic path.
pub(crate) fn codec_path(steps: &[value::PathStep]) -> AttributePath {
    let mut path = AttributePath::empty();
    for s in steps {
        path.push(match s {
            value::PathStep::Attr(n) => PathStep::Attribute(n.clone()),
            value::PathStep::Key(k) => PathStep::Key(k.clone()),
            value::PathStep::Index(i) => PathStep::Index(i64::try_from(*i).unwrap_or(i64::MAX)),
        });
    }
    path
}

/// Decodes a DynamicValue: msgpack when present, else JSON, else null (as Terraform does).
pub(crate) fn decode_dynamic(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let result = if !dv.msgpack.is_empty() {
        value::msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        value::json::decode(&dv.json, ty)
    } else {
        return Ok(Value::Null);
    };
    result.map_err(|e| {
        let path = codec_path(&e.path);
        let mut d = Diagnostics::new();
        let detail = format!("Terraform sent a {what} that does not match the schema: {e}");
        if path.is_empty() {
            d.error("Invalid value from Terraform", detail);
        } else {
            d.error_at(path, "Invalid value from Terraform", detail);
        }
        d
    })
}

/// Encodes a value as msgpack, the format servers should always produce.
pub(crate) fn encode_dynamic(
    value: &Value,
    ty: &Type,
    what: &str,
) -> Result<pb::DynamicValue, Diagnostics> {
    value::msgpack::encode(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostics::from_error(
                "Provider bug: cannot encode value",
                format!("The {what} does not match the schema: {e}"),
            )
        })
}

fn string_kind(text: &str) -> i32 {
    // Descriptions are markdown throughout the framework; empty ones are plain.
    if text.is_empty() {
        pb::StringKind::Plain as i32
    } else {
        pb::StringKind::Markdown as i32
    }
}

pub(crate) fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: string_kind(&b.description),
        deprecated: b.deprecated,
        deprecation_message: b.deprecation_message.clone(),
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    let (ty, nested_type) = match &a.kind {
        AttributeKind::Typed(t) => (t.to_json_string().into_bytes(), None),
        AttributeKind::Nested {
            nesting,
            attributes,
        } => {
            let nesting = match nesting {
                Nesting::Single => pb::schema::object::NestingMode::Single,
                Nesting::List => pb::schema::object::NestingMode::List,
                Nesting::Set => pb::schema::object::NestingMode::Set,
                Nesting::Map => pb::schema::object::NestingMode::Map,
            };
            #[allow(deprecated)]
            let object = pb::schema::Object {
                attributes: attributes.iter().map(attribute).collect(),
                nesting: nesting as i32,
                min_items: 0,
                max_items: 0,
            };
            (Vec::new(), Some(object))
        }
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: string_kind(&a.description),
        deprecated: a.deprecated,
        write_only: a.write_only,
        deprecation_message: a.deprecation_message.clone(),
    }
}

fn nested_block(b: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match b.nesting {
        BlockNesting::Single => NestingMode::Single,
        BlockNesting::List => NestingMode::List,
        BlockNesting::Set => NestingMode::Set,
        BlockNesting::Map => NestingMode::Map,
        BlockNesting::Group => NestingMode::Group,
    };
    pb::schema::NestedBlock {
        type_name: b.type_name.clone(),
        block: Some(block(&b.block, 0)),
        nesting: nesting as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

pub(crate) fn function(sig: &Signature) -> pb::Function {
    let param = |p: &crate::function::Parameter| pb::function::Parameter {
        name: p.name.clone(),
        r#type: p.ty.to_json_string().into_bytes(),
        allow_null_value: p.allow_null,
        allow_unknown_values: p.allow_unknown,
        description: p.description.clone(),
        description_kind: string_kind(&p.description),
    };
    pb::Function {
        parameters: sig.parameters.iter().map(param).collect(),
        variadic_parameter: sig.variadic.as_ref().map(param),
        r#return: Some(pb::function::Return {
            r#type: sig.return_type.to_json_string().into_bytes(),
        }),
        summary: sig.summary.clone(),
        description: sig.description.clone(),
        description_kind: string_kind(&sig.description),
        deprecation_message: sig.deprecation_message.clone(),
    }
}

/// The capabilities a request carries, or `None` when the client sent none (then the ones
/// ConfigureProvider received apply).
pub(crate) fn sent_capabilities(
    c: Option<&pb::ClientCapabilities>,
) -> Option<crate::context::ClientCapabilities> {
    c.map(|c| client_capabilities(Some(c)))
}

pub(crate) fn client_capabilities(
    c: Option<&pb::ClientCapabilities>,
) -> crate::context::ClientCapabilities {
    crate::context::ClientCapabilities {
        deferral_allowed: c.is_some_and(|c| c.deferral_allowed),
        write_only_attributes_allowed: c.is_some_and(|c| c.write_only_attributes_allowed),
    }
}
