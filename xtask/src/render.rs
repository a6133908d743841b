//! Renders the registry's docs layout from the provider schema and the examples.
//!
//! The layout is the one the Terraform Registry reads (and tfplugindocs writes): `index.md`,
//! `resources/<name>.md`, `data-sources/<name>.md`, `ephemeral-resources/<name>.md`,
//! `list-resources/<name>.md`, `actions/<name>.md`, `functions/<name>.md`, where `<name>` drops
//! the `dr_` prefix. Each page has YAML front matter, the schema's markdown description, the
//! examples from `examples/` verbatim, and the argument reference grouped into Required,
//! Optional and Read-Only, with one section per nested block or nested attribute. Pages of
//! newer kinds (ephemeral resources, list resources, actions) also say which Terraform they
//! need and how they are used, since such a block on older Terraform is a parse error, not a
//! no-op. A resource with an identity documents it beside its import forms, with an
//! `import-by-identity.tf` example, and links the list resource that finds its objects.
//!
//! Rendering is a pure function of its inputs so `--check` can compare byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::schema::{
    Attribute, Block, Function, IdentitySchema, NestedBlock, ProviderSchema, Section,
    nested_type_name, object_fields, type_name,
};

/// The example files a page can embed, by path relative to `examples/`.
pub trait Examples {
    /// The text of one example file, if it exists.
    fn read(&self, relative: &str) -> Option<String>;
    /// The file names (not paths) in one examples directory, sorted.
    fn list(&self, relative_dir: &str) -> Vec<String>;
}

/// What the generator produced: pages by path relative to `docs/`, and what is missing.
#[derive(Debug, Default)]
pub struct Rendered {
    pub pages: BTreeMap<String, String>,
    pub missing_examples: Vec<String>,
}

/// A hand-written page under `docs/guides/`, linked from the index.
pub struct Guide {
    /// File name without `.md`.
    pub stem: String,
    /// Its front matter's `page_title`.
    pub title: String,
}

/// Everything needed to name the provider in page titles.
pub struct ProviderNames<'a> {
    /// The provider type, e.g. `dr`.
    pub type_name: &'a str,
    /// The documented source address, e.g. `powervs/dr`.
    pub source: &'a str,
}

pub fn render_all(
    schema: &ProviderSchema,
    names: &ProviderNames<'_>,
    examples: &dyn Examples,
    guides: &[Guide],
) -> Rendered {
    let mut out = Rendered::default();
    let index = render_index(schema, names, examples, guides, &mut out.missing_examples);
    out.pages.insert("index.md".into(), index);
    let entities = schema
        .resource_schemas
        .iter()
        .map(|(t, r)| (Kind::Resource, t, &r.block))
        .chain(
            schema
                .data_source_schemas
                .iter()
                .map(|(t, d)| (Kind::DataSource, t, &d.block)),
        )
        .chain(
            schema
                .ephemeral_resource_schemas
                .iter()
                .map(|(t, e)| (Kind::EphemeralResource, t, &e.block)),
        )
        .chain(
            schema
                .list_resource_schemas
                .iter()
                .map(|(t, l)| (Kind::ListResource, t, &l.block)),
        )
        .chain(
            schema
                .action_schemas
                .iter()
                .map(|(t, a)| (Kind::Action, t, &a.block)),
        );
    for (kind, type_name, block) in entities {
        let entity = Entity {
            kind,
            type_name,
            block,
            identity: schema.resource_identity_schemas.get(type_name),
            listed: schema.list_resource_schemas.contains_key(type_name),
        };
        let page = render_entity(&entity, names, examples, &mut out.missing_examples);
        out.pages.insert(
            format!(
                "{}/{}.md",
                kind.examples_dir(),
                short_name(type_name, names.type_name)
            ),
            page,
        );
    }
    for (name, function) in &schema.functions {
        let page = render_function(name, function, names, examples, &mut out.missing_examples);
        out.pages.insert(format!("functions/{name}.md"), page);
    }
    out
}

/// `dr_orchestrator` -> `orchestrator`, as the registry names the page.
fn short_name<'a>(type_name: &'a str, provider: &str) -> &'a str {
    type_name
        .strip_prefix(provider)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(type_name)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Resource,
    DataSource,
    EphemeralResource,
    ListResource,
    Action,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
            Kind::EphemeralResource => "Ephemeral Resource",
            Kind::ListResource => "List Resource",
            Kind::Action => "Action",
        }
    }

    /// The directory of its examples under `examples/`, and of its pages under `docs/`.
    fn examples_dir(self) -> &'static str {
        match self {
            Kind::Resource => "resources",
            Kind::DataSource => "data-sources",
            Kind::EphemeralResource => "ephemeral-resources",
            Kind::ListResource => "list-resources",
            Kind::Action => "actions",
        }
    }

    fn example_file(self) -> &'static str {
        match self {
            Kind::Resource => "resource.tf",
            Kind::DataSource => "data-source.tf",
            Kind::EphemeralResource => "ephemeral-resource.tf",
            Kind::ListResource => "list-resource.tfquery.hcl",
            Kind::Action => "action.tf",
        }
    }
}

/// One documented type and what the rest of the schema says about it.
struct Entity<'a> {
    kind: Kind,
    type_name: &'a str,
    block: &'a Block,
    /// The resource's identity (resources only).
    identity: Option<&'a IdentitySchema>,
    /// A list resource of the same type exists.
    listed: bool,
}

/// Front matter with the first paragraph of the description as the page summary.
fn front_matter(title: &str, description: &str) -> String {
    let summary = first_paragraph(description);
    let mut s = format!("---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n");
    if summary.is_empty() {
        s.push_str("  \n");
    }
    for line in summary.lines() {
        if line.is_empty() {
            s.push('\n');
        } else {
            let _ = writeln!(s, "  {line}");
        }
    }
    s.push_str("---\n\n");
    s
}

fn first_paragraph(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

fn code_block(lang: &str, body: &str) -> String {
    format!("```{lang}\n{}\n```\n", body.trim_end())
}

fn render_index(
    schema: &ProviderSchema,
    names: &ProviderNames<'_>,
    examples: &dyn Examples,
    guides: &[Guide],
    missing: &mut Vec<String>,
) -> String {
    let block = schema
        .provider
        .as_ref()
        .map(|p| p.block.clone())
        .unwrap_or_default();
    let description = block.description.clone().unwrap_or_default();
    let mut s = front_matter(&format!("Provider: {}", names.type_name), &description);
    let _ = writeln!(s, "# {} Provider\n", names.type_name);
    if !description.trim().is_empty() {
        let _ = writeln!(s, "{}\n", description.trim());
    }
    let actions: Vec<&str> = schema.action_schemas.keys().map(String::as_str).collect();
    let lists: Vec<&str> = schema
        .list_resource_schemas
        .keys()
        .map(String::as_str)
        .collect();
    let mut newer = Vec::new();
    if !schema.ephemeral_resource_schemas.is_empty() {
        newer.push(", ephemeral resources 1.10");
    }
    newer.push(", write-only arguments 1.11");
    if !schema.resource_identity_schemas.is_empty() {
        newer.push(", import by identity 1.12");
    }
    if !actions.is_empty() {
        newer.push(", actions 1.14");
    }
    if !lists.is_empty() {
        newer.push(", list resources for `terraform query` 1.14");
    }
    let _ = writeln!(
        s,
        "Source address: `{}`. Requires Terraform 1.6 or later (import blocks 1.5, provider functions 1.8{}).\n",
        names.source,
        newer.concat()
    );
    if !lists.is_empty() {
        let list: Vec<String> = lists
            .iter()
            .map(|l| {
                format!(
                    "[`{l}`](list-resources/{}.md)",
                    short_name(l, names.type_name)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "The list resources ({}) find existing objects with `terraform query` (**Terraform 1.14 or \
             later**); `-generate-config-out` then writes the `import` and `resource` blocks that \
             adopt them.\n",
            list.join(", ")
        );
    }
    if !actions.is_empty() {
        let list: Vec<String> = actions
            .iter()
            .map(|a| format!("[`{a}`](actions/{}.md)", short_name(a, names.type_name)))
            .collect();
        let _ = writeln!(
            s,
            "The actions ({}) need **Terraform 1.14 or later**; they are run with \
             `terraform apply -invoke=action.<type>.<name>` or from an `action_trigger` block. \
             Everything else works on older Terraform, which simply does not offer the actions.\n",
            list.join(", ")
        );
    }
    s.push_str(
        "The provider follows IBM Cloud's published APIs (IAM, Resource Controller, Global Catalog, \
         Resource Manager, Power Virtual Server, VPC, Transit Gateway and DR Automation). What only the DR \
         orchestrator can do has no REST API: managing VMs and their workgroup priorities, failovers, \
         failbacks and DR tests, their schedules, and removing a standby orchestrator. For those \
         (`dr_managed_vm`, `dr_test_schedule`, the actions, destroying a `dr_ha_standby`) the provider runs \
         IBM's documented KSYS `ksysmgr` command on the orchestrator over SSH: configure \
         `orchestrator_ssh` below, and see the orchestrator access guide.\n\n",
    );
    if !guides.is_empty() {
        s.push_str("Guides:\n\n");
        for guide in guides {
            let _ = writeln!(s, "- [{}](guides/{}.md)", guide.title, guide.stem);
        }
        s.push('\n');
    }
    s.push_str("## Example Usage\n\n");
    match examples.read("provider/provider.tf") {
        Some(text) => s.push_str(&code_block("terraform", &text)),
        None => missing.push("examples/provider/provider.tf".into()),
    }
    let variants: Vec<String> = examples
        .list("provider")
        .into_iter()
        .filter(|f| f.starts_with("provider-") && f.ends_with(".tf"))
        .collect();
    if !variants.is_empty() {
        s.push_str("\n## Authentication and Endpoints\n");
        for file in variants {
            let Some(text) = examples.read(&format!("provider/{file}")) else {
                continue;
            };
            let (title, body) = split_title(&text, &file);
            let _ = write!(s, "\n### {title}\n\n{}", code_block("terraform", &body));
        }
    }
    s.push_str("\n## Schema\n");
    render_block_reference(&mut s, &block);
    s
}

/// Splits a leading `# Title` comment line off an example; the file name is the fallback title.
fn split_title(text: &str, file: &str) -> (String, String) {
    let mut lines = text.lines();
    match lines.next() {
        Some(first) if first.starts_with("# ") => (
            first.trim_start_matches("# ").trim().to_string(),
            lines.collect::<Vec<_>>().join("\n"),
        ),
        _ => (file.to_string(), text.to_string()),
    }
}

fn render_entity(
    entity: &Entity<'_>,
    names: &ProviderNames<'_>,
    examples: &dyn Examples,
    missing: &mut Vec<String>,
) -> String {
    let (kind, type_name, block) = (entity.kind, entity.type_name, entity.block);
    let description = block.description.clone().unwrap_or_default();
    let mut s = front_matter(
        &format!("{type_name} ({}) - {}", kind.label(), names.source),
        &description,
    );
    let _ = writeln!(s, "# {type_name} ({})\n", kind.label());
    if block.deprecated {
        s.push_str("~> **Deprecated** This type is deprecated and will be removed.\n\n");
    }
    if !description.trim().is_empty() {
        let _ = writeln!(s, "{}\n", description.trim());
    }
    let short = short_name(type_name, names.type_name);
    match kind {
        Kind::Action => {
            let _ = writeln!(
                s,
                "~> Actions need Terraform 1.14 or later. Run this one with \
                 `terraform apply -invoke=action.{type_name}.<name>`, or from an `action_trigger` \
                 block in a resource's `lifecycle`. Planning it checks that it can run; invoking it \
                 changes no resource in the state.\n"
            );
        }
        Kind::ListResource => {
            let _ = writeln!(
                s,
                "~> List resources need Terraform 1.14 or later. Use this one in a \
                 `list \"{type_name}\" \"<name>\"` block of a `.tfquery.hcl` file and run \
                 `terraform query`: each result is an existing [`{type_name}`](../resources/{short}.md) \
                 named by its [identity](../resources/{short}.md#identity-schema). \
                 `terraform query -generate-config-out=FILE` writes an `import` block and a \
                 `resource` block for each; secrets the API cannot return are left for you to fill \
                 in.\n"
            );
        }
        Kind::EphemeralResource => {
            let _ = writeln!(
                s,
                "~> Ephemeral resources need Terraform 1.10 or later. The value exists only while \
                 Terraform runs and is never stored in the plan or state: use it in a provider \
                 block, a write-only argument or another ephemeral context.\n"
            );
        }
        Kind::Resource | Kind::DataSource => {}
    }
    let dir = format!("{}/{type_name}", kind.examples_dir());
    s.push_str("## Example Usage\n\n");
    match examples.read(&format!("{dir}/{}", kind.example_file())) {
        Some(text) => s.push_str(&code_block("terraform", &text)),
        None => missing.push(format!("examples/{dir}/{}", kind.example_file())),
    }
    s.push_str("\n## Schema\n");
    match kind {
        Kind::Action => s.push_str("\nThe arguments go in the action's `config` block.\n"),
        Kind::ListResource => s.push_str(
            "\nThe arguments go in the `list` block's `config` block; `limit` (default 100) and \
             `include_resource` are Terraform's own arguments of the `list` block.\n",
        ),
        _ => {}
    }
    render_block_reference(&mut s, block);
    if kind == Kind::Resource {
        render_import(&mut s, entity, &dir, short, examples, missing);
    }
    s
}

fn render_import(
    s: &mut String,
    entity: &Entity<'_>,
    dir: &str,
    short: &str,
    examples: &dyn Examples,
    missing: &mut Vec<String>,
) {
    let block_form = examples.read(&format!("{dir}/import-by-string-id.tf"));
    let cli_form = examples.read(&format!("{dir}/import.sh"));
    let identity_form = entity
        .identity
        .and_then(|_| examples.read(&format!("{dir}/import-by-identity.tf")));
    if block_form.is_none() {
        missing.push(format!("examples/{dir}/import-by-string-id.tf"));
    }
    if cli_form.is_none() {
        missing.push(format!("examples/{dir}/import.sh"));
    }
    if entity.identity.is_some() && identity_form.is_none() {
        missing.push(format!("examples/{dir}/import-by-identity.tf"));
    }
    if block_form.is_none() && cli_form.is_none() && entity.identity.is_none() {
        return;
    }
    s.push_str("\n## Import\n\n");
    if entity.listed {
        let _ = writeln!(
            s,
            "To find existing objects and generate their configuration, query them with the \
             [`{}` list resource](../list-resources/{short}.md) (Terraform 1.14 and later).\n",
            entity.type_name
        );
    }
    if let Some(text) = identity_form {
        s.push_str(
            "With an `import` block naming the object by its [identity](#identity-schema) \
             (Terraform 1.12 and later):\n\n",
        );
        s.push_str(&code_block("terraform", &text));
        s.push('\n');
    }
    if let Some(text) = block_form {
        s.push_str("With an `import` block (Terraform 1.5 and later):\n\n");
        s.push_str(&code_block("terraform", &text));
        s.push('\n');
    }
    if let Some(text) = cli_form {
        s.push_str("With the `terraform import` command:\n\n");
        s.push_str(&code_block("shell", &text));
    }
    if let Some(identity) = entity.identity {
        render_identity(s, identity);
    }
}

/// The identity's attributes, by whether an `import` block must or may give them.
fn render_identity(s: &mut String, identity: &IdentitySchema) {
    s.push_str(
        "\n### Identity Schema\n\nThe attributes that name one object; Terraform 1.12 and later \
         store them in the state beside its attributes.\n",
    );
    let groups = [
        (
            "Required",
            identity
                .attributes
                .iter()
                .filter(|(_, a)| a.required_for_import)
                .collect::<Vec<_>>(),
        ),
        (
            "Optional",
            identity
                .attributes
                .iter()
                .filter(|(_, a)| !a.required_for_import)
                .collect(),
        ),
    ];
    for (title, attributes) in groups {
        if attributes.is_empty() {
            continue;
        }
        let _ = write!(s, "\n{title}:\n\n");
        for (name, attribute) in attributes {
            let ty = attribute
                .type_
                .as_ref()
                .map_or_else(|| "Dynamic".to_string(), type_name);
            let _ = write!(s, "- `{name}` ({ty})");
            push_description(s, attribute.description.as_deref());
            s.push('\n');
        }
    }
}

/// One nested schema still to document, found while listing its parent.
struct Pending {
    anchor: String,
    title: String,
    content: NestedContent,
}

enum NestedContent {
    Block(Block),
    Attributes(BTreeMap<String, Attribute>),
    /// The fields of an object-typed attribute; all share the attribute's own section.
    Object(BTreeMap<String, Value>, Section),
}

/// The reference of a top-level block: `### Required` etc., then every nested schema, depth
/// first in the order they were mentioned, each with an anchor the parent links to.
fn render_block_reference(s: &mut String, block: &Block) {
    let mut pending = Vec::new();
    render_grouped(
        s,
        &block.attributes,
        &block.block_types,
        Parent {
            anchor: "",
            title: "",
            heading: "###",
        },
        &mut pending,
    );
    render_pending(s, pending);
}

fn render_pending(s: &mut String, pending: Vec<Pending>) {
    for item in pending {
        let _ = write!(
            s,
            "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n",
            item.anchor, item.title
        );
        let mut deeper = Vec::new();
        match &item.content {
            NestedContent::Block(block) => render_grouped(
                s,
                &block.attributes,
                &block.block_types,
                Parent::nested(&item),
                &mut deeper,
            ),
            NestedContent::Attributes(attrs) => render_grouped(
                s,
                attrs,
                &BTreeMap::new(),
                Parent::nested(&item),
                &mut deeper,
            ),
            NestedContent::Object(fields, section) => {
                let _ = write!(s, "\n{}:\n\n", section.title());
                for (name, ty) in fields {
                    let _ = writeln!(s, "- `{name}` ({})", type_name(ty));
                    if let Some(inner) = object_fields(ty) {
                        deeper.push(Pending {
                            anchor: format!("{}--{name}", item.anchor),
                            title: format!("{}.{name}", item.title),
                            content: NestedContent::Object(inner, *section),
                        });
                    }
                }
            }
        }
        render_pending(s, deeper);
    }
}

/// Where a list of attributes sits: the anchor and dotted path of its schema, and the heading
/// of its sections (`###` at the top level; nested schemas use a plain `Required:` line, as the
/// registry's pages do).
#[derive(Clone, Copy)]
struct Parent<'a> {
    anchor: &'a str,
    title: &'a str,
    heading: &'a str,
}

impl<'a> Parent<'a> {
    fn nested(item: &'a Pending) -> Parent<'a> {
        Parent {
            anchor: &item.anchor,
            title: &item.title,
            heading: "",
        }
    }

    fn child_title(self, name: &str) -> String {
        if self.title.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.title)
        }
    }
}

/// Lists attributes and blocks grouped by section, and queues their nested schemas.
fn render_grouped(
    s: &mut String,
    attributes: &BTreeMap<String, Attribute>,
    blocks: &BTreeMap<String, NestedBlock>,
    parent: Parent<'_>,
    pending: &mut Vec<Pending>,
) {
    let heading = parent.heading;
    for section in [Section::Required, Section::Optional, Section::ReadOnly] {
        let mut lines: BTreeMap<&str, String> = BTreeMap::new();
        for (name, attr) in attributes.iter().filter(|(_, a)| a.section() == section) {
            let anchor = anchor_for(parent.anchor, name);
            let mut line = attribute_line(name, attr, &anchor);
            if let Some(nested) = &attr.nested_type {
                pending.push(Pending {
                    anchor: anchor.clone(),
                    title: parent.child_title(name),
                    content: NestedContent::Attributes(nested.attributes.clone()),
                });
            } else if let Some(fields) = attr.type_.as_ref().and_then(object_fields) {
                pending.push(Pending {
                    anchor: anchor.clone(),
                    title: parent.child_title(name),
                    content: NestedContent::Object(fields, section),
                });
            } else {
                line = attribute_line(name, attr, "");
            }
            lines.insert(name, line);
        }
        for (name, nested) in blocks.iter().filter(|(_, b)| b.section() == section) {
            let anchor = anchor_for(parent.anchor, name);
            lines.insert(name, block_line(name, nested, &anchor));
            pending.push(Pending {
                anchor,
                title: parent.child_title(name),
                content: NestedContent::Block(nested.block.clone()),
            });
        }
        if lines.is_empty() {
            continue;
        }
        if heading.is_empty() {
            let _ = write!(s, "\n{}:\n\n", section.title());
        } else {
            let _ = write!(s, "\n{heading} {}\n\n", section.title());
        }
        for line in lines.values() {
            s.push_str(line);
        }
    }
}

fn anchor_for(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        format!("nested--{name}")
    } else {
        format!("{prefix}--{name}")
    }
}

/// `- `name` (String, Sensitive) Description. See [below](#anchor).` — the link only when the
/// attribute has a nested schema section.
fn attribute_line(name: &str, attr: &Attribute, anchor: &str) -> String {
    let mut flags = vec![match (&attr.nested_type, &attr.type_) {
        (Some(nested), _) => nested_type_name(nested),
        (None, Some(ty)) => type_name(ty),
        (None, None) => "Dynamic".into(),
    }];
    if attr.sensitive {
        flags.push("Sensitive".into());
    }
    if attr.write_only {
        flags.push("Write-only".into());
    }
    if attr.deprecated {
        flags.push("Deprecated".into());
    }
    let mut line = format!("- `{name}` ({})", flags.join(", "));
    push_description(&mut line, attr.description.as_deref());
    if !anchor.is_empty() {
        let _ = write!(line, " (see [below for nested schema](#{anchor}))");
    }
    line.push('\n');
    line
}

fn block_line(name: &str, nested: &NestedBlock, anchor: &str) -> String {
    let kind = match nested.nesting_mode.as_str() {
        "list" => "Block List",
        "set" => "Block Set",
        "map" => "Block Map",
        _ => "Block",
    };
    let mut flags = vec![kind.to_string()];
    if nested.max_items > 0 {
        flags.push(format!("Max: {}", nested.max_items));
    }
    if nested.min_items > 1 {
        flags.push(format!("Min: {}", nested.min_items));
    }
    if nested.block.deprecated {
        flags.push("Deprecated".into());
    }
    let mut line = format!("- `{name}` ({})", flags.join(", "));
    push_description(&mut line, nested.block.description.as_deref());
    let _ = writeln!(line, " (see [below for nested schema](#{anchor}))");
    line
}

/// Ends a list item's first line with its description, when it has one.
fn push_description(s: &mut String, description: Option<&str>) {
    if let Some(text) = description.map(str::trim).filter(|t| !t.is_empty()) {
        let _ = write!(s, " {}", one_line(text));
    }
}

/// Descriptions become one list item: paragraphs inside a bullet would break the list.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render_function(
    name: &str,
    function: &Function,
    names: &ProviderNames<'_>,
    examples: &dyn Examples,
    missing: &mut Vec<String>,
) -> String {
    let summary = function.summary.clone().unwrap_or_default();
    let description = function.description.clone().unwrap_or_default();
    let lead = if summary.trim().is_empty() {
        description.clone()
    } else {
        summary.clone()
    };
    let mut s = front_matter(&format!("{name} function - {}", names.source), &lead);
    let _ = writeln!(s, "# function: {name}\n");
    if let Some(message) = function.deprecation_message.as_deref() {
        let _ = writeln!(s, "~> **Deprecated** {message}\n");
    }
    if !summary.trim().is_empty() {
        let _ = writeln!(s, "{}\n", summary.trim());
    }
    if !description.trim().is_empty() && description.trim() != summary.trim() {
        let _ = writeln!(s, "{}\n", description.trim());
    }
    s.push_str("## Example Usage\n\n");
    let example = format!("functions/{name}/function.tf");
    match examples.read(&example) {
        Some(text) => s.push_str(&code_block("terraform", &text)),
        None => missing.push(format!("examples/{example}")),
    }
    s.push_str("\n## Signature\n\n");
    let mut params: Vec<String> = function
        .parameters
        .iter()
        .map(|p| format!("{} {}", p.name, signature_type(&p.type_)))
        .collect();
    if let Some(v) = &function.variadic_parameter {
        params.push(format!("{}... {}", v.name, signature_type(&v.type_)));
    }
    let signature = format!(
        "provider::{}::{name}({}) {}",
        names.type_name,
        params.join(", "),
        signature_type(&function.return_type)
    );
    s.push_str(&code_block("text", &signature));
    if !function.parameters.is_empty() || function.variadic_parameter.is_some() {
        s.push_str("\n## Arguments\n\n");
        let all = function
            .parameters
            .iter()
            .map(|p| (p, false))
            .chain(function.variadic_parameter.iter().map(|p| (p, true)));
        for (i, (param, variadic)) in all.enumerate() {
            let mut flags = vec![type_name(&param.type_)];
            if variadic {
                flags.push("Variadic".into());
            }
            if param.is_nullable {
                flags.push("Nullable".into());
            }
            let _ = write!(s, "{}. `{}` ({})", i + 1, param.name, flags.join(", "));
            push_description(&mut s, param.description.as_deref());
            s.push('\n');
        }
    }
    s
}

/// A type the way Terraform writes type constraints: `list(string)`, `bool`.
fn signature_type(ty: &Value) -> String {
    match ty {
        Value::String(s) if s == "dynamic" => "any".into(),
        Value::String(s) => s.clone(),
        Value::Array(parts) => {
            let kind = parts.first().and_then(Value::as_str).unwrap_or("any");
            match (kind, parts.get(1)) {
                ("object", Some(Value::Object(fields))) => {
                    let inner: Vec<String> = fields
                        .iter()
                        .map(|(k, v)| format!("{k} = {}", signature_type(v)))
                        .collect();
                    format!("object({{{}}})", inner.join(", "))
                }
                (_, Some(inner)) => format!("{kind}({})", signature_type(inner)),
                (_, None) => kind.to_string(),
            }
        }
        _ => "any".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ProvidersSchema;
    use serde_json::json;

    struct Fixture(BTreeMap<&'static str, &'static str>);

    impl Examples for Fixture {
        fn read(&self, relative: &str) -> Option<String> {
            self.0.get(relative).map(|s| s.to_string())
        }
        fn list(&self, dir: &str) -> Vec<String> {
            self.0
                .keys()
                .filter_map(|k| k.strip_prefix(&format!("{dir}/")))
                .filter(|rest| !rest.contains('/'))
                .map(str::to_string)
                .collect()
        }
    }

    fn schema() -> ProviderSchema {
        let raw = json!({
          "provider_schemas": {"registry.terraform.io/powervs/dr": {
            "provider": {"version": 0, "block": {
              "description": "Sets up DR.\n\nSecond paragraph.",
              "attributes": {"ibmcloud_api_key": {"type": "string", "optional": true, "sensitive": true,
                 "description": "The API key."}},
              "block_types": {"endpoints": {"nesting_mode": "single", "block": {
                  "description": "Overrides.",
                  "attributes": {"iam": {"type": "string", "optional": true}}}}}
            }},
            "resource_schemas": {"dr_thing": {"version": 0, "block": {
              "description": "A thing.",
              "attributes": {
                "id": {"type": "string", "computed": true, "description": "The id."},
                "name": {"type": "string", "required": true, "description": "Its\nname."},
                "password_wo": {"type": "string", "optional": true, "write_only": true},
                "labels": {"nested_type": {"nesting_mode": "list", "attributes": {
                    "key": {"type": "string", "required": true}}}, "optional": true},
                "subnets": {"type": ["list", ["object", {"cidr": "string", "id": "string"}]], "computed": true}
              },
              "block_types": {"timeouts": {"nesting_mode": "single", "block": {
                  "attributes": {"create": {"type": "string", "optional": true}}}}}
            }}},
            "data_source_schemas": {"dr_things": {"version": 0, "block": {
              "attributes": {"ids": {"type": ["list", "string"], "computed": true}}}}},
            "resource_identity_schemas": {"dr_thing": {"version": 1, "attributes": {
              "id": {"type": "string", "required_for_import": true, "description": "The id."},
              "region": {"type": "string", "optional_for_import": true}
            }}},
            "list_resource_schemas": {"dr_thing": {"version": 0, "block": {
              "description": "Finds things.",
              "attributes": {"name_prefix": {"type": "string", "optional": true,
                 "description": "Only names starting with this."}}}}},
            "ephemeral_resource_schemas": {"dr_token": {"version": 0, "block": {
              "description": "A short-lived token.",
              "attributes": {
                "scope": {"type": "string", "required": true},
                "value": {"type": "string", "computed": true, "sensitive": true}
              }}}},
            "action_schemas": {"dr_poke": {"block": {
              "description": "Pokes a thing.\n\nMore detail.",
              "attributes": {
                "thing_id": {"type": "string", "required": true, "description": "The thing."},
                "times": {"type": "number", "optional": true}
              }}}},
            "functions": {"cidr_overlaps": {
              "summary": "Whether CIDRs overlap.",
              "description": "Returns true when two of the CIDRs overlap.",
              "return_type": "bool",
              "parameters": [{"name": "cidrs", "type": ["list", "string"], "description": "The CIDRs."}]}}
          }}
        });
        let parsed: ProvidersSchema = serde_json::from_value(raw).expect("fixture schema");
        parsed
            .provider_schemas
            .into_values()
            .next()
            .expect("one provider")
    }

    fn names() -> ProviderNames<'static> {
        ProviderNames {
            type_name: "dr",
            source: "powervs/dr",
        }
    }

    fn examples() -> Fixture {
        Fixture(BTreeMap::from([
            ("provider/provider.tf", "provider \"dr\" {}\n"),
            (
                "provider/provider-token.tf",
                "# With an IAM token\nprovider \"dr\" {\n  iam_token = var.t\n}\n",
            ),
            (
                "resources/dr_thing/resource.tf",
                "resource \"dr_thing\" \"x\" {\n  name = \"a\"\n}\n",
            ),
            (
                "resources/dr_thing/import.sh",
                "terraform import dr_thing.x abc\n",
            ),
            (
                "resources/dr_thing/import-by-identity.tf",
                "import {\n  to = dr_thing.x\n  identity = {\n    id = \"abc\"\n  }\n}\n",
            ),
            (
                "list-resources/dr_thing/list-resource.tfquery.hcl",
                "list \"dr_thing\" \"all\" {\n  provider = dr\n  config {}\n}\n",
            ),
            (
                "ephemeral-resources/dr_token/ephemeral-resource.tf",
                "ephemeral \"dr_token\" \"t\" {\n  scope = \"ci\"\n}\n",
            ),
            (
                "actions/dr_poke/action.tf",
                "action \"dr_poke\" \"p\" {\n  config {\n    thing_id = \"t\"\n  }\n}\n",
            ),
            (
                "functions/cidr_overlaps/function.tf",
                "output \"o\" {\n  value = provider::dr::cidr_overlaps([])\n}\n",
            ),
        ]))
    }

    #[test]
    fn registry_layout_with_prefix_dropped() {
        let out = render_all(&schema(), &names(), &examples(), &[]);
        let paths: Vec<&str> = out.pages.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "actions/poke.md",
                "data-sources/things.md",
                "ephemeral-resources/token.md",
                "functions/cidr_overlaps.md",
                "index.md",
                "list-resources/thing.md",
                "resources/thing.md"
            ]
        );
    }

    /// The page at `path`, whose front matter titles it `title`.
    fn titled_page<'a>(out: &'a Rendered, path: &str, title: &str) -> &'a str {
        let page = &out.pages[path];
        let front_matter = format!("---\npage_title: \"{title} - powervs/dr\"\n");
        assert!(page.starts_with(&front_matter), "{page}");
        page
    }

    /// Each of `parts` is in `page`; a failure shows the whole page.
    fn assert_contains(page: &str, parts: &[&str]) {
        for part in parts {
            assert!(page.contains(part), "missing {part:?} in:\n{page}");
        }
    }

    /// None of `parts` is in `page`; a failure shows the whole page.
    fn assert_lacks(page: &str, parts: &[&str]) {
        for part in parts {
            assert!(!page.contains(part), "unexpected {part:?} in:\n{page}");
        }
    }

    #[test]
    fn resource_page_groups_attributes_and_documents_nesting() {
        let out = render_all(&schema(), &names(), &examples(), &[]);
        let page = titled_page(&out, "resources/thing.md", "dr_thing (Resource)");
        let required = page.find("### Required").expect("required");
        let optional = page.find("### Optional").expect("optional");
        let read_only = page.find("### Read-Only").expect("read-only");
        assert!(required < optional && optional < read_only);
        assert_contains(
            page,
            &[
                "description: |-\n  A thing.\n---",
                "resource \"dr_thing\" \"x\"",
                "- `name` (String) Its name.\n",
                "- `password_wo` (String, Write-only)",
                "- `labels` (List of Attributes) (see [below for nested schema](#nested--labels))",
                "<a id=\"nested--labels\"></a>\n### Nested Schema for `labels`\n\nRequired:\n\n- `key` (String)\n",
                "- `timeouts` (Block)",
                "### Nested Schema for `subnets`\n\nRead-Only:\n\n- `cidr` (String)\n- `id` (String)\n",
                "## Import\n",
                "terraform import dr_thing.x abc",
            ],
        );
    }

    #[test]
    fn action_page_has_example_invocation_and_config_arguments() {
        let out = render_all(&schema(), &names(), &examples(), &[]);
        let page = titled_page(&out, "actions/poke.md", "dr_poke (Action)");
        assert_contains(
            page,
            &[
                "description: |-\n  Pokes a thing.\n---",
                "# dr_poke (Action)\n",
                "Terraform 1.14 or later",
                "`terraform apply -invoke=action.dr_poke.<name>`",
                "```terraform\naction \"dr_poke\" \"p\" {\n  config {",
            ],
        );
        let schema_at = page.find("## Schema\n").expect("schema section");
        assert_contains(&page[schema_at..], &["`config` block"]);
        assert_contains(
            page,
            &[
                "### Required\n\n- `thing_id` (String) The thing.\n",
                "### Optional\n\n- `times` (Number)\n",
            ],
        );
        // Actions are not imported.
        assert_lacks(page, &["## Import"]);
        // The index names the actions and the Terraform they need.
        assert_contains(
            &out.pages["index.md"],
            &["actions 1.14", "[`dr_poke`](actions/poke.md)"],
        );
    }

    #[test]
    fn resource_page_documents_its_identity_and_list_resource() {
        let out = render_all(&schema(), &names(), &examples(), &[]);
        let page = &out.pages["resources/thing.md"];
        let import = page.find("## Import\n").expect("import section");
        assert_contains(
            &page[import..],
            &[
                "[`dr_thing` list resource](../list-resources/thing.md)",
                "identity = {\n    id = \"abc\"",
                "(Terraform 1.12 and later)",
                "### Identity Schema\n\nThe attributes that name one object; Terraform 1.12 and \
                 later store them in the state beside its attributes.\n\nRequired:\n\n- `id` \
                 (String) The id.\n\nOptional:\n\n- `region` (String)\n",
            ],
        );
    }

    #[test]
    fn list_and_ephemeral_pages_say_how_they_are_used() {
        let out = render_all(&schema(), &names(), &examples(), &[]);
        let list = titled_page(&out, "list-resources/thing.md", "dr_thing (List Resource)");
        assert_contains(
            list,
            &[
                "need Terraform 1.14 or later",
                "`terraform query`",
                "[identity](../resources/thing.md#identity-schema)",
                "```terraform\nlist \"dr_thing\" \"all\" {",
                "`list` block's `config` block",
                "- `name_prefix` (String) Only names starting with this.\n",
            ],
        );
        assert_lacks(list, &["## Import"]);
        assert_contains(
            &out.pages["ephemeral-resources/token.md"],
            &[
                "# dr_token (Ephemeral Resource)\n",
                "Terraform 1.10 or later",
                "- `value` (String, Sensitive)\n",
            ],
        );
        assert_contains(
            &out.pages["index.md"],
            &[
                "ephemeral resources 1.10, write-only arguments 1.11, import by identity 1.12, actions 1.14, list resources for `terraform query` 1.14",
                "[`dr_thing`](list-resources/thing.md)",
            ],
        );
    }

    #[test]
    fn missing_identity_and_list_examples_are_reported() {
        let mut fixture = examples();
        fixture.0.remove("resources/dr_thing/import-by-identity.tf");
        fixture
            .0
            .remove("list-resources/dr_thing/list-resource.tfquery.hcl");
        let out = render_all(&schema(), &names(), &fixture, &[]);
        for wanted in [
            "examples/resources/dr_thing/import-by-identity.tf",
            "examples/list-resources/dr_thing/list-resource.tfquery.hcl",
        ] {
            assert!(
                out.missing_examples.contains(&wanted.to_string()),
                "{wanted}: {:?}",
                out.missing_examples
            );
        }
    }

    #[test]
    fn index_without_actions_does_not_mention_them() {
        let mut schema = schema();
        schema.action_schemas.clear();
        let out = render_all(&schema, &names(), &examples(), &[]);
        assert_lacks(&out.pages["index.md"], &["actions 1.14"]);
        assert!(!out.pages.keys().any(|p| p.starts_with("actions/")));
    }

    #[test]
    fn missing_action_example_is_reported() {
        let mut fixture = examples();
        fixture.0.remove("actions/dr_poke/action.tf");
        let out = render_all(&schema(), &names(), &fixture, &[]);
        assert!(
            out.missing_examples
                .contains(&"examples/actions/dr_poke/action.tf".to_string()),
            "{:?}",
            out.missing_examples
        );
    }

    #[test]
    fn missing_examples_are_reported() {
        let out = render_all(&schema(), &names(), &examples(), &[]);
        assert_eq!(
            out.missing_examples,
            [
                "examples/resources/dr_thing/import-by-string-id.tf",
                "examples/data-sources/dr_things/data-source.tf"
            ]
        );
    }

    #[test]
    fn index_has_the_provider_reference_and_authentication_variants() {
        let out = render_all(
            &schema(),
            &names(),
            &examples(),
            &[Guide {
                stem: "orchestrator-api".into(),
                title: "IBM APIs and ours".into(),
            }],
        );
        assert_contains(
            &out.pages["index.md"],
            &[
                "description: |-\n  Sets up DR.\n---",
                "# dr Provider\n",
                "- [IBM APIs and ours](guides/orchestrator-api.md)\n",
                "### With an IAM token\n\n```terraform\nprovider \"dr\" {\n  iam_token = var.t\n}\n```",
                "- `ibmcloud_api_key` (String, Sensitive) The API key.\n",
                "<a id=\"nested--endpoints\"></a>\n### Nested Schema for `endpoints`\n\nOptional:\n\n- `iam` (String)\n",
            ],
        );
    }

    #[test]
    fn function_page_has_signature_and_arguments() {
        let out = render_all(&schema(), &names(), &examples(), &[]);
        assert_contains(
            &out.pages["functions/cidr_overlaps.md"],
            &[
                "provider::dr::cidr_overlaps(cidrs list(string)) bool",
                "1. `cidrs` (List of String) The CIDRs.\n",
                "Returns true when two of the CIDRs overlap.",
            ],
        );
    }
}
