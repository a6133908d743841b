//! Every RPC on the service object, called in-process with msgpack-encoded values.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tonic::Request;

use super::*;
use crate::data_source::DataSource;
use crate::function::{Arguments, FunctionError, Parameter};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::resource::{CreateRequest, Resource, UpdateRequest};
use crate::schema::Attribute;
use crate::test_support::{
    FixedProvider, answer_of, assert_no_diagnostics, configure_with, dv, errors, obj, s, undv,
};
use crate::typed::{ConfigView, PlanView};
use crate::validators::one_of;
use crate::value::Attr;
use crate::value::Number;

// ---------------------------------------------------------------------------------------------
// A small provider.

struct TestProvider;

#[derive(Deserialize)]
struct ProviderConfig {
    prefix: Option<String>,
}

struct Clients {
    prefix: String,
}

#[async_trait]
impl Provider for TestProvider {
    type Config = ProviderConfig;
    fn type_name(&self) -> &str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new().attribute(Attribute::string("prefix").optional())
    }
    async fn configure(
        &self,
        _ctx: &Context,
        req: ConfigureRequest<ProviderConfig>,
    ) -> Result<ProviderData, Diagnostics> {
        Ok(Arc::new(Clients {
            prefix: req.config.prefix.unwrap_or_else(|| "w".into()),
        }))
    }
    fn resources(&self) -> Vec<Arc<dyn DynResource>> {
        vec![Arc::new(Widget)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource>> {
        vec![Arc::new(Info)]
    }
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(Echo)]
    }
}

struct Widget;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WidgetState {
    id: Option<String>,
    name: String,
    size: Option<String>,
    secret: Option<String>,
    revision: Option<i64>,
    zone: Option<String>,
}

#[async_trait]
impl Resource for Widget {
    type State = WidgetState;
    fn type_name(&self) -> &str {
        "test_widget"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .version(1)
            .description("A widget.")
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(Attribute::string("name").required())
            .attribute(
                Attribute::string("size")
                    .optional()
                    .default_string("small")
                    .validator(one_of(["small", "large"])),
            )
            .attribute(Attribute::string("secret").optional().write_only())
            .attribute(Attribute::number("revision").computed())
            .attribute(Attribute::string("zone").optional().requires_replace())
    }
    async fn validate(&self, ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        warn_on_legacy(ctx, config, "name")
    }
    async fn modify_plan(&self, _ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if plan.is_destroy() {
            return Ok(());
        }
        let name = plan.planned::<String>(&AttributePath::root("name"))?;
        match name.known().map(String::as_str) {
            // `zone` is not computed: planning a value for it breaks the rules.
            Some("bad-plan") => plan.set(&AttributePath::root("zone"), &"nowhere")?,
            Some("shrink") if plan.is_update() && plan.changed(&AttributePath::root("size")) => {
                plan.requires_replace(AttributePath::root("size"));
            }
            _ => {}
        }
        Ok(())
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<WidgetState>,
    ) -> Result<WidgetState, Diagnostics> {
        let clients = ctx.provider_data::<Clients>()?;
        let mut s = req.planned;
        match s.name.as_str() {
            "liar" => s.name = "LIAR".into(),
            "slow" => {
                ctx.run(
                    "waiting forever",
                    std::future::pending::<Result<(), Diagnostics>>(),
                )
                .await?;
            }
            "partial" => {
                s.id = Some("half".into());
                s.revision = Some(0);
                ctx.save_partial_state(&s);
                return Err(Diagnostics::from_error(
                    "create failed",
                    "the cloud said no",
                ));
            }
            _ => {}
        }
        assert_eq!(
            req.config.secret.as_deref(),
            Some("hunter2"),
            "config carries write-only values"
        );
        s.id = Some(format!("{}-{}", clients.prefix, s.name));
        s.revision = Some(1);
        ctx.private_set("etag", &"e1")?;
        Ok(s)
    }
    async fn read(
        &self,
        ctx: &Context,
        state: WidgetState,
    ) -> Result<Option<WidgetState>, Diagnostics> {
        match state.name.as_str() {
            "panic" => panic!("read exploded"),
            "gone" => Ok(None),
            _ => {
                assert_eq!(ctx.private_get::<String>("etag").as_deref(), Some("e1"));
                Ok(Some(state))
            }
        }
    }
    async fn update(
        &self,
        _ctx: &Context,
        req: UpdateRequest<WidgetState>,
    ) -> Result<WidgetState, Diagnostics> {
        let mut s = req.planned;
        s.revision = Some(req.prior.revision.unwrap_or(0) + 1);
        Ok(s)
    }
    async fn delete(&self, _ctx: &Context, _state: WidgetState) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn import(&self, _ctx: &Context, id: &str) -> Result<WidgetState, Diagnostics> {
        Ok(WidgetState {
            id: Some(id.to_string()),
            name: "imported".into(),
            size: Some("small".into()),
            secret: Some("must be dropped".into()),
            revision: Some(7),
            zone: None,
        })
    }
    async fn upgrade_state(
        &self,
        _ctx: &Context,
        from: i64,
        mut state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        // v0 called `name` `title`.
        if from == 0
            && let Some(obj) = state.as_object_mut()
            && let Some(title) = obj.remove("title")
        {
            obj.insert("name".into(), title);
        }
        Ok(state)
    }
}

/// Validation that only warns through the context, as a deprecation notice would.
fn warn_on_legacy(ctx: &Context, config: &ConfigView<'_>, attribute: &str) -> Diagnostics {
    let value = config.get::<String>(&AttributePath::root(attribute));
    if matches!(value, Ok(Attr::Known(v)) if v == "legacy") {
        ctx.warn(
            "Legacy value",
            format!("{attribute} = \"legacy\" is deprecated."),
        );
    }
    Diagnostics::new()
}

struct Info;

#[derive(Serialize, Deserialize)]
struct InfoState {
    key: String,
    value: Option<String>,
}

#[async_trait]
impl DataSource for Info {
    type State = InfoState;
    fn type_name(&self) -> &str {
        "test_info"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .attribute(Attribute::string("key").required())
            .attribute(Attribute::string("value").computed())
    }
    async fn validate(&self, ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        warn_on_legacy(ctx, config, "key")
    }
    async fn read(&self, _ctx: &Context, mut config: InfoState) -> Result<InfoState, Diagnostics> {
        config.value = Some(config.key.to_uppercase());
        Ok(config)
    }
}

struct Echo;

#[async_trait]
impl Function for Echo {
    fn name(&self) -> &str {
        "echo"
    }
    fn signature(&self) -> Signature {
        Signature::new(Type::String)
            .parameter(Parameter::new("text", Type::String))
            .parameter(Parameter::new("times", Type::Number))
            .summary("Repeats text.")
    }
    async fn call(&self, args: Arguments) -> Result<Value, FunctionError> {
        let text: String = args.get(0)?;
        let times: i64 = args.get(1)?;
        if times < 0 {
            return Err(FunctionError::argument(1, "times must not be negative"));
        }
        args.result(&text.repeat(usize::try_from(times).unwrap_or(0)))
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn server() -> ProviderServer {
    ProviderServer::new(TestProvider)
}

fn ty() -> Type {
    Widget.schema().object_type()
}

/// ValidateResourceConfig of a `test_widget` from a client that does, or does not, take
/// write-only attributes.
async fn validate_widget(
    server: &ProviderServer,
    config: &Value,
    write_only_allowed: bool,
) -> pb::validate_resource_config::Response {
    answer_of(server.validate_resource_config(Request::new(
        pb::validate_resource_config::Request {
            type_name: "test_widget".into(),
            config: dv(config, &ty()),
            client_capabilities: Some(pb::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: write_only_allowed,
            }),
        },
    )))
    .await
}

fn widget_config(name: &str, size: Value, zone: Value) -> Value {
    obj(&[
        ("id", Value::Null),
        ("name", s(name)),
        ("size", size),
        ("secret", s("hunter2")),
        ("revision", Value::Null),
        ("zone", zone),
    ])
}

async fn configure(server: &ProviderServer) {
    let capabilities = pb::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: true,
    };
    let pty = TestProvider.schema().object_type();
    configure_with(
        server,
        &obj(&[("prefix", s("w"))]),
        &pty,
        Some(capabilities),
    )
    .await;
}

async fn plan(
    server: &ProviderServer,
    prior: &Value,
    config: &Value,
    proposed: &Value,
    private: Vec<u8>,
) -> pb::plan_resource_change::Response {
    answer_of(
        server.plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_widget".into(),
            prior_state: dv(prior, &ty()),
            proposed_new_state: dv(proposed, &ty()),
            config: dv(config, &ty()),
            prior_private: private,
            ..Default::default()
        })),
    )
    .await
}

async fn apply(
    server: &ProviderServer,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    answer_of(
        server.apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_widget".into(),
            prior_state: dv(prior, &ty()),
            planned_state: dv(planned, &ty()),
            config: dv(config, &ty()),
            ..Default::default()
        })),
    )
    .await
}

/// Plans and applies a create of `name`; returns the new state and private bytes.
async fn create(server: &ProviderServer, name: &str) -> (Value, Vec<u8>) {
    let config = widget_config(name, Value::Null, Value::Null);
    let planned = plan(server, &Value::Null, &config, &config, Vec::new()).await;
    assert_no_diagnostics(&planned.diagnostics);
    let planned_value = undv(planned.planned_state.as_ref(), &ty());
    let applied = apply(server, &Value::Null, &planned_value, &config).await;
    assert_no_diagnostics(&applied.diagnostics);
    (undv(applied.new_state.as_ref(), &ty()), applied.private)
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn schema_and_metadata() {
    let server = server();
    let reply =
        answer_of(server.get_provider_schema(Request::new(pb::get_provider_schema::Request {})))
            .await;
    assert_no_diagnostics(&reply.diagnostics);
    let caps = reply.server_capabilities.expect("capabilities");
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    assert!(!caps.move_resource_state);
    assert!(
        caps.generate_resource_config,
        "the framework shapes generated configuration for every resource"
    );
    let widget = &reply.resource_schemas["test_widget"];
    assert_eq!(widget.version, 1);
    let block = widget.block.as_ref().expect("block");
    assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
    let secret = block
        .attributes
        .iter()
        .find(|a| a.name == "secret")
        .expect("secret");
    assert!(secret.write_only && secret.optional);
    assert_eq!(secret.r#type, b"\"string\"");
    assert!(reply.data_source_schemas.contains_key("test_info"));
    let echo = &reply.functions["echo"];
    assert_eq!(echo.parameters.len(), 2);

    let meta = answer_of(server.get_metadata(Request::new(pb::get_metadata::Request {}))).await;
    assert_eq!(meta.resources.len(), 1);
    assert_eq!(meta.functions[0].name, "echo");
    let functions =
        answer_of(server.get_functions(Request::new(pb::get_functions::Request {}))).await;
    assert!(functions.functions.contains_key("echo"));
    let ids = answer_of(server.get_resource_identity_schemas(Request::new(
        pb::get_resource_identity_schemas::Request {},
    )))
    .await;
    assert!(ids.identity_schemas.is_empty());
}

#[tokio::test]
async fn validation_reports_paths() {
    let server = server();
    let bad = widget_config("a", s("huge"), Value::Null);
    let reply = validate_widget(&server, &bad, false).await;
    let text = errors(&reply.diagnostics);
    assert_eq!(reply.diagnostics.len(), 2, "{text}");
    assert!(
        text.contains("one of: [\"small\", \"large\"], got: \"huge\""),
        "{text}"
    );
    assert!(
        text.contains("Write-only attribute not supported"),
        "{text}"
    );
    let size_path = convert::attribute_path(&AttributePath::root("size"));
    assert!(
        reply
            .diagnostics
            .iter()
            .any(|d| d.attribute.as_ref() == Some(&size_path))
    );

    // Unknown values are skipped, not rejected.
    let unknown = widget_config("a", Value::unknown(), Value::Null);
    let reply = validate_widget(&server, &unknown, true).await;
    assert_no_diagnostics(&reply.diagnostics);

    let reply = answer_of(server.validate_resource_config(Request::new(
        pb::validate_resource_config::Request {
            type_name: "test_nope".into(),
            ..Default::default()
        },
    )))
    .await;
    assert!(errors(&reply.diagnostics).contains("Unknown resource type"));

    let reply = answer_of(server.validate_ephemeral_resource_config(Request::new(
        pb::validate_ephemeral_resource_config::Request {
            type_name: "test_eph".into(),
            config: None,
        },
    )))
    .await;
    assert!(errors(&reply.diagnostics).contains("Unknown ephemeral resource type"));
}

#[tokio::test]
async fn validation_returns_the_warnings_raised_through_the_context() {
    let server = server();
    let widget = widget_config("legacy", Value::Null, Value::Null);
    let reply = validate_widget(&server, &widget, true).await;
    let info_ty = Info.schema().object_type();
    let info = obj(&[("key", s("legacy")), ("value", Value::Null)]);
    let data = answer_of(server.validate_data_resource_config(Request::new(
        pb::validate_data_resource_config::Request {
            type_name: "test_info".into(),
            config: dv(&info, &info_ty),
        },
    )))
    .await;
    for (diagnostics, attribute) in [(&reply.diagnostics, "name"), (&data.diagnostics, "key")] {
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(
            diagnostics[0].severity,
            pb::diagnostic::Severity::Warning as i32
        );
        assert_eq!(diagnostics[0].summary, "Legacy value");
        assert!(
            diagnostics[0].detail.starts_with(attribute),
            "{diagnostics:?}"
        );
    }
}

#[tokio::test]
async fn create_update_replace_destroy() {
    let server = server();
    configure(&server).await;

    // Create: computed unknown, default applied, write-only nulled.
    let config = widget_config("a", Value::Null, Value::Null);
    let planned = plan(&server, &Value::Null, &config, &config, Vec::new()).await;
    assert_no_diagnostics(&planned.diagnostics);
    let pv = undv(planned.planned_state.as_ref(), &ty());
    assert!(pv.attr("id").is_some_and(Value::is_unknown));
    assert!(pv.attr("revision").is_some_and(Value::is_unknown));
    assert_eq!(pv.attr("size"), Some(&s("small")));
    assert_eq!(pv.attr("secret"), Some(&Value::Null));
    assert!(planned.requires_replace.is_empty());

    let (state, private) = create(&server, "a").await;
    assert_eq!(state.attr("id"), Some(&s("w-a")));
    assert_eq!(
        state.attr("secret"),
        Some(&Value::Null),
        "write-only never reaches state"
    );
    assert!(!private.is_empty(), "private state travels");

    // Read round-trips private state.
    let read = answer_of(
        server.read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_widget".into(),
            current_state: dv(&state, &ty()),
            private: private.clone(),
            ..Default::default()
        })),
    )
    .await;
    assert_no_diagnostics(&read.diagnostics);
    assert_eq!(undv(read.new_state.as_ref(), &ty()), state);

    // No-op plan equals prior.
    let mut proposed = config.clone();
    for k in ["id", "revision", "size"] {
        if let (Some(slot), Some(v)) = (
            plan::value_at_mut(&mut proposed, &AttributePath::root(k)),
            state.attr(k),
        ) {
            *slot = v.clone();
        }
    }
    *plan::value_at_mut(&mut proposed, &AttributePath::root("secret")).expect("secret") =
        Value::Null;
    let noop = plan(&server, &state, &config, &proposed, private.clone()).await;
    assert_eq!(undv(noop.planned_state.as_ref(), &ty()), state);
    assert_eq!(noop.planned_private, private);

    // Update in place: size changes, revision unknown, id kept.
    let config2 = widget_config("a", s("large"), Value::Null);
    let mut proposed2 = proposed.clone();
    *plan::value_at_mut(&mut proposed2, &AttributePath::root("size")).expect("size") = s("large");
    let upd = plan(&server, &state, &config2, &proposed2, private.clone()).await;
    assert_no_diagnostics(&upd.diagnostics);
    let up = undv(upd.planned_state.as_ref(), &ty());
    assert_eq!(up.attr("id"), Some(&s("w-a")));
    assert!(up.attr("revision").is_some_and(Value::is_unknown));
    assert!(upd.requires_replace.is_empty());
    let applied = apply(&server, &state, &up, &config2).await;
    assert_no_diagnostics(&applied.diagnostics);
    let state2 = undv(applied.new_state.as_ref(), &ty());
    assert_eq!(
        state2.attr("revision"),
        Some(&Value::Number(Number::from_i64(2)))
    );

    // Replacement: zone requires replace.
    let config3 = widget_config("a", s("large"), s("dal12"));
    let mut proposed3 = state2.clone();
    *plan::value_at_mut(&mut proposed3, &AttributePath::root("zone")).expect("zone") = s("dal12");
    let rep = plan(&server, &state2, &config3, &proposed3, Vec::new()).await;
    assert_eq!(
        rep.requires_replace,
        vec![convert::attribute_path(&AttributePath::root("zone"))]
    );

    // Destroy plan and apply.
    let destroy = plan(&server, &state2, &Value::Null, &Value::Null, Vec::new()).await;
    assert_no_diagnostics(&destroy.diagnostics);
    assert_eq!(undv(destroy.planned_state.as_ref(), &ty()), Value::Null);
    let gone = apply(&server, &state2, &Value::Null, &Value::Null).await;
    assert!(gone.diagnostics.is_empty());
    assert_eq!(undv(gone.new_state.as_ref(), &ty()), Value::Null);
}

#[tokio::test]
async fn inconsistent_apply_is_caught_and_state_conforms() {
    let server = server();
    configure(&server).await;
    let config = widget_config("liar", Value::Null, Value::Null);
    let planned = plan(&server, &Value::Null, &config, &config, Vec::new()).await;
    let pv = undv(planned.planned_state.as_ref(), &ty());
    let applied = apply(&server, &Value::Null, &pv, &config).await;
    let text = errors(&applied.diagnostics);
    assert!(
        text.contains("Provider bug: apply result differs from the plan"),
        "{text}"
    );
    assert!(
        text.contains("planned \"liar\" for name but the apply produced \"LIAR\""),
        "{text}"
    );
    let state = undv(applied.new_state.as_ref(), &ty());
    assert_eq!(
        state.attr("name"),
        Some(&s("liar")),
        "state conforms to plan so core stays quiet"
    );
    assert!(state.is_wholly_known());
}

#[tokio::test]
async fn failed_create_keeps_partial_state() {
    let server = server();
    configure(&server).await;
    let config = widget_config("partial", Value::Null, Value::Null);
    let planned = plan(&server, &Value::Null, &config, &config, Vec::new()).await;
    let pv = undv(planned.planned_state.as_ref(), &ty());
    let applied = apply(&server, &Value::Null, &pv, &config).await;
    assert!(errors(&applied.diagnostics).contains("the cloud said no"));
    let state = undv(applied.new_state.as_ref(), &ty());
    assert_eq!(state.attr("id"), Some(&s("half")));
    assert_eq!(state.attr("secret"), Some(&Value::Null));
}

#[tokio::test]
async fn panic_becomes_diagnostic() {
    let server = server();
    configure(&server).await;
    let state = obj(&[
        ("id", s("x")),
        ("name", s("panic")),
        ("size", s("small")),
        ("secret", Value::Null),
        ("revision", Value::Number(Number::from_i64(1))),
        ("zone", Value::Null),
    ]);
    let read = server
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_widget".into(),
            current_state: dv(&state, &ty()),
            ..Default::default()
        }))
        .await
        .expect("a panic must not become a gRPC error")
        .into_inner();
    let text = errors(&read.diagnostics);
    assert!(
        text.contains("panicked while handling ReadResource: read exploded"),
        "{text}"
    );
}

#[tokio::test]
async fn read_of_deleted_object_returns_null() {
    let server = server();
    configure(&server).await;
    let state = widget_config("gone", s("small"), Value::Null);
    let read = answer_of(
        server.read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_widget".into(),
            current_state: dv(&state, &ty()),
            ..Default::default()
        })),
    )
    .await;
    assert_no_diagnostics(&read.diagnostics);
    assert_eq!(undv(read.new_state.as_ref(), &ty()), Value::Null);
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work() {
    let server = server();
    configure(&server).await;
    let config = widget_config("slow", Value::Null, Value::Null);
    let planned = plan(&server, &Value::Null, &config, &config, Vec::new()).await;
    let pv = undv(planned.planned_state.as_ref(), &ty());
    let worker = server.clone();
    let in_flight = tokio::spawn(async move { apply(&worker, &Value::Null, &pv, &config).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stop = answer_of(server.stop_provider(Request::new(pb::stop_provider::Request {}))).await;
    assert!(stop.error.is_empty());
    let applied = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .expect("apply must end after StopProvider")
        .expect("task");
    assert!(errors(&applied.diagnostics).contains("Operation cancelled"));
    // A later call gets a fresh, uncancelled token.
    assert!(!server.context(None).is_cancelled());
}

#[tokio::test]
async fn upgrade_state_paths() {
    let server = server();
    let upgrade = |version: i64, json: &str, flatmap: bool| {
        let server = server.clone();
        let json = json.to_string();
        async move {
            answer_of(server.upgrade_resource_state(Request::new(
                pb::upgrade_resource_state::Request {
                    type_name: "test_widget".into(),
                    version,
                    raw_state: Some(pb::RawState {
                        json: if flatmap {
                            Vec::new()
                        } else {
                            json.into_bytes()
                        },
                        flatmap: if flatmap {
                            [("id".to_string(), "x".to_string())].into_iter().collect()
                        } else {
                            Default::default()
                        },
                    }),
                },
            )))
            .await
        }
    };
    // v0 -> v1 through the resource's upgrader.
    let r = upgrade(
        0,
        r#"{"id":"x","title":"old","size":"small","revision":3}"#,
        false,
    )
    .await;
    assert_no_diagnostics(&r.diagnostics);
    let v = undv(r.upgraded_state.as_ref(), &ty());
    assert_eq!(v.attr("name"), Some(&s("old")));
    assert_eq!(v.attr("zone"), Some(&Value::Null));
    // Same version: lenient decode drops leftovers.
    let r = upgrade(1, r#"{"id":"x","name":"n","leftover":true}"#, false).await;
    assert_no_diagnostics(&r.diagnostics);
    assert_eq!(
        undv(r.upgraded_state.as_ref(), &ty()).attr("name"),
        Some(&s("n"))
    );
    // Flatmap and newer versions are clear errors.
    let r = upgrade(1, "", true).await;
    assert!(errors(&r.diagnostics).contains("flatmap"));
    let r = upgrade(5, "{}", false).await;
    assert!(errors(&r.diagnostics).contains("newer provider version"));
}

#[tokio::test]
async fn import_and_data_source() {
    let server = server();
    configure(&server).await;
    let imported = answer_of(server.import_resource_state(Request::new(
        pb::import_resource_state::Request {
            type_name: "test_widget".into(),
            id: "w-77".into(),
            ..Default::default()
        },
    )))
    .await;
    assert_no_diagnostics(&imported.diagnostics);
    assert_eq!(imported.imported_resources.len(), 1);
    let st = undv(imported.imported_resources[0].state.as_ref(), &ty());
    assert_eq!(st.attr("id"), Some(&s("w-77")));
    assert_eq!(
        st.attr("secret"),
        Some(&Value::Null),
        "write-only nulled on import"
    );

    let dty = Info.schema().object_type();
    let read = answer_of(
        server.read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "test_info".into(),
            config: dv(&obj(&[("key", s("abc")), ("value", Value::Null)]), &dty),
            ..Default::default()
        })),
    )
    .await;
    assert_no_diagnostics(&read.diagnostics);
    assert_eq!(
        undv(read.state.as_ref(), &dty).attr("value"),
        Some(&s("ABC"))
    );
}

#[tokio::test]
async fn functions_and_argument_errors() {
    let server = server();
    let call = |args: Vec<Value>| {
        let server = server.clone();
        async move {
            let arguments = args
                .iter()
                .zip([Type::String, Type::Number])
                .map(|(v, t)| dv(v, &t).expect("value"))
                .collect();
            answer_of(
                server.call_function(Request::new(pb::call_function::Request {
                    name: "echo".into(),
                    arguments,
                })),
            )
            .await
        }
    };
    let ok = call(vec![s("ab"), Value::Number(Number::from_i64(2))]).await;
    assert!(ok.error.is_none());
    assert_eq!(undv(ok.result.as_ref(), &Type::String), s("abab"));
    let bad = call(vec![s("ab"), Value::Number(Number::from_i64(-1))]).await;
    let e = bad.error.expect("error");
    assert_eq!(e.function_argument, Some(1));
    let null = call(vec![Value::Null, Value::Number(Number::from_i64(1))]).await;
    assert_eq!(null.error.expect("error").function_argument, Some(0));
    let few = call(vec![s("ab")]).await;
    assert!(
        few.error
            .expect("error")
            .text
            .contains("expects 2 argument")
    );
}

#[tokio::test]
async fn unsupported_rpcs_answer_with_diagnostics() {
    let server = server();
    let open = answer_of(
        server
            .open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request::default())),
    )
    .await;
    assert!(errors(&open.diagnostics).contains("Unknown ephemeral resource type"));
    let generate = answer_of(server.generate_resource_config(Request::new(
        pb::generate_resource_config::Request::default(),
    )))
    .await;
    assert!(errors(&generate.diagnostics).contains("Unknown resource type"));
    let identity = answer_of(server.upgrade_resource_identity(Request::new(
        pb::upgrade_resource_identity::Request {
            type_name: "test_widget".into(),
            ..Default::default()
        },
    )))
    .await;
    assert!(errors(&identity.diagnostics).contains("has no identity schema"));
    let lock = answer_of(server.lock_state(Request::new(pb::lock_state::Request::default()))).await;
    assert!(!lock.diagnostics.is_empty());
    let moved = answer_of(server.move_resource_state(Request::new(
        pb::move_resource_state::Request {
            target_type_name: "test_widget".into(),
            ..Default::default()
        },
    )))
    .await;
    assert!(errors(&moved.diagnostics).contains("Move not supported"));
    let action =
        answer_of(server.plan_action(Request::new(pb::plan_action::Request::default()))).await;
    assert!(!action.diagnostics.is_empty());
}

#[tokio::test]
async fn modify_plan_hook_is_checked_and_can_require_replacement() {
    let server = server();
    configure(&server).await;
    let config = widget_config("bad-plan", Value::Null, Value::Null);
    let planned = plan(&server, &Value::Null, &config, &config, Vec::new()).await;
    let text = errors(&planned.diagnostics);
    assert!(text.contains("Provider bug: the plan breaks"), "{text}");
    assert!(
        text.contains("planned \"nowhere\", configured null"),
        "{text}"
    );
    assert!(
        planned.planned_state.is_none(),
        "an invalid plan is never sent to Terraform"
    );

    let (state, private) = create(&server, "shrink").await;
    let config2 = widget_config("shrink", s("large"), Value::Null);
    let mut proposed = state.clone();
    *plan::value_at_mut(&mut proposed, &AttributePath::root("size")).expect("size") = s("large");
    let replan = plan(&server, &state, &config2, &proposed, private).await;
    assert_no_diagnostics(&replan.diagnostics);
    assert_eq!(
        replan.requires_replace,
        vec![convert::attribute_path(&AttributePath::root("size"))]
    );
}

#[tokio::test]
async fn invalid_schemas_are_reported_not_served_silently() {
    let reply = answer_of(
        ProviderServer::new(FixedProvider {
            schema: Schema::new().attribute(Attribute::string("Bad Name").optional()),
            ..FixedProvider::new("broken", Arc::new(()))
        })
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {})),
    )
    .await;
    let text = errors(&reply.diagnostics);
    assert!(text.contains("Bad Name: name must match"), "{text}");
}

#[tokio::test]
async fn warmed_up_and_lazy_servers_answer_the_same_schema() {
    let lazy = server();
    let warmed = server();
    warmed.warm_up();
    let ask = |s: ProviderServer| async move {
        s.get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .expect("OK")
            .into_inner()
    };
    let (a, b) = (ask(lazy).await, ask(warmed).await);
    assert_eq!(a, b);
    assert!(a.resource_schemas.contains_key("test_widget"));
}
