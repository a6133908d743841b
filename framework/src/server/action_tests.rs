//! The action RPCs on the service object, called in-process: schemas, validation, planning
//! against the configured provider, streamed invocation, failures, panics and cancellation.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use tonic::Request;

use super::*;
use crate::action::{Action, Progress};
use crate::path;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::schema::Attribute;
use crate::test_support::{
    FixedProvider, answer_of, assert_mentions, assert_no_diagnostics, configure_with, errors, obj,
};
use crate::typed::ConfigView;
use crate::validators::int_between;
use crate::value::{Attr, Number, msgpack};

struct Greeting(String);

/// Counts to `steps`, one progress message per step; `mode` picks a failure.
struct Count;

#[derive(Deserialize)]
struct CountConfig {
    steps: i64,
    mode: Option<String>,
}

#[async_trait]
impl Action for Count {
    type Config = CountConfig;
    fn type_name(&self) -> &str {
        "act_count"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .description("Counts.")
            .attribute(
                Attribute::number("steps")
                    .required()
                    .validator(int_between(1, 1000)),
            )
            .attribute(Attribute::string("mode").optional())
    }
    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let mut d = Diagnostics::new();
        if let Ok(Attr::Known(mode)) = config.get::<String>(&path!("mode"))
            && mode == "invalid"
        {
            d.error_at(
                path!("mode"),
                "Bad mode",
                "mode \"invalid\" is refused offline",
            );
        }
        d
    }
    async fn plan(&self, ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let greeting = match ctx.provider_data::<Greeting>() {
            Ok(g) => g,
            Err(d) => return d,
        };
        let mut d = Diagnostics::new();
        match config.get::<String>(&path!("mode")) {
            Ok(Attr::Known(mode)) if mode == "busy" => d.error(
                "Busy",
                format!("{}: another run is in progress", greeting.0),
            ),
            Ok(Attr::Unknown) => ctx.warn("Mode unknown", "checked again at invoke"),
            _ => {}
        }
        d
    }
    async fn invoke(
        &self,
        ctx: &Context,
        config: CountConfig,
        progress: &Progress,
    ) -> Result<(), Diagnostics> {
        for step in 1..=config.steps {
            match config.mode.as_deref() {
                Some("fail") if step == 2 => {
                    return Err(Diagnostics::from_error(
                        "Step failed",
                        "the API said: disk full",
                    ));
                }
                Some("panic") if step == 2 => panic!("counter overflow"),
                _ => {}
            }
            progress.report(format!("step {step} of {}", config.steps));
            let pause = if config.mode.as_deref() == Some("slow") {
                Duration::from_secs(30)
            } else {
                Duration::from_millis(1)
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = ctx.cancelled() => {
                    // Reported, but never streamed: the invocation is stopping.
                    progress.report("cancelling: undoing step 1");
                    return Err(Diagnostics::from_error(
                        "Action cancelled",
                        format!("stopped after step {step}; everything was undone"),
                    ));
                }
            }
        }
        ctx.warn("Counted", "all steps done");
        Ok(())
    }
}

fn server() -> ProviderServer {
    ProviderServer::new(FixedProvider {
        actions: vec![Arc::new(Count)],
        ..FixedProvider::new("act", Arc::new(Greeting("hello".into())))
    })
}

fn action_ty() -> Type {
    Count.schema().object_type()
}

fn count_config(steps: Value, mode: Option<&str>) -> Option<pb::DynamicValue> {
    let v = Value::Object(BTreeMap::from([
        ("steps".to_string(), steps),
        (
            "mode".to_string(),
            mode.map_or(Value::Null, |m| Value::String(m.into())),
        ),
    ]));
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(&v, &action_ty()).expect("encodable"),
        json: Vec::new(),
    })
}

fn steps(n: i64) -> Value {
    Value::Number(Number::from(n))
}

async fn configure(server: &ProviderServer) {
    configure_with(server, &obj(&[]), &Schema::new().object_type(), None).await;
}

/// What an invocation streamed: progress messages, and the completion's diagnostics.
#[derive(Debug, Default)]
struct Invocation {
    progress: Vec<String>,
    completed: Option<Vec<pb::Diagnostic>>,
    events_after_completion: usize,
}

async fn collect(mut stream: super::actions::InvokeStream) -> Invocation {
    let mut seen = Invocation::default();
    while let Some(event) = stream.next().await {
        match event.expect("OK event").r#type {
            Some(pb::invoke_action::event::Type::Progress(p)) => {
                if seen.completed.is_some() {
                    seen.events_after_completion += 1;
                }
                seen.progress.push(p.message);
            }
            Some(pb::invoke_action::event::Type::Completed(c)) => {
                if seen.completed.is_some() {
                    seen.events_after_completion += 1;
                }
                seen.completed = Some(c.diagnostics);
            }
            None => panic!("event without a type"),
        }
    }
    seen
}

async fn invoke(
    server: &ProviderServer,
    action_type: &str,
    config: Option<pb::DynamicValue>,
) -> Invocation {
    let stream = answer_of(
        server.invoke_action(Request::new(pb::invoke_action::Request {
            action_type: action_type.into(),
            config,
            client_capabilities: None,
        })),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(10), collect(stream))
        .await
        .expect("the stream must end")
}

#[tokio::test]
async fn action_schemas_and_metadata_are_advertised() {
    let server = server();
    let schema =
        answer_of(server.get_provider_schema(Request::new(pb::get_provider_schema::Request {})))
            .await;
    assert_no_diagnostics(&schema.diagnostics);
    let action = schema
        .action_schemas
        .get("act_count")
        .expect("action schema");
    let block = action
        .schema
        .as_ref()
        .and_then(|s| s.block.as_ref())
        .expect("block");
    let names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["steps", "mode"]);
    assert!(
        block
            .attributes
            .iter()
            .any(|a| a.name == "steps" && a.required)
    );
    assert_eq!(block.description, "Counts.");

    let meta = answer_of(server.get_metadata(Request::new(pb::get_metadata::Request {}))).await;
    let types: Vec<&str> = meta.actions.iter().map(|a| a.type_name.as_str()).collect();
    assert_eq!(types, ["act_count"]);
}

#[tokio::test]
async fn validation_runs_schema_validators_and_the_action_offline() {
    let server = server(); // not configured: validation must not need the provider
    let validate = |type_name: &str, config| {
        let server = server.clone();
        let type_name = type_name.to_string();
        async move {
            answer_of(server.validate_action_config(Request::new(
                pb::validate_action_config::Request { type_name, config },
            )))
            .await
            .diagnostics
        }
    };
    assert!(
        validate("act_count", count_config(steps(3), None))
            .await
            .is_empty()
    );
    // Unknown values pass offline validation.
    assert!(
        validate("act_count", count_config(Value::unknown(), None))
            .await
            .is_empty()
    );

    let too_many = validate("act_count", count_config(steps(5000), None)).await;
    assert_eq!(too_many.len(), 1, "{}", errors(&too_many));
    assert!(errors(&too_many).contains("steps"), "{}", errors(&too_many));
    assert!(too_many[0].attribute.is_some());

    let refused = validate("act_count", count_config(steps(1), Some("invalid"))).await;
    assert!(
        errors(&refused).contains("refused offline"),
        "{}",
        errors(&refused)
    );

    let unknown = validate("act_nope", None).await;
    assert!(
        errors(&unknown).contains("Unknown action type"),
        "{}",
        errors(&unknown)
    );
}

#[tokio::test]
async fn plan_needs_the_configured_provider_and_reports_its_checks() {
    let server = server();
    let plan = |config| {
        let server = server.clone();
        async move {
            answer_of(server.plan_action(Request::new(pb::plan_action::Request {
                action_type: "act_count".into(),
                config,
                client_capabilities: Some(pb::ClientCapabilities::default()),
            })))
            .await
        }
    };
    let unconfigured = plan(count_config(steps(1), None)).await;
    assert!(
        errors(&unconfigured.diagnostics).contains("Provider not configured"),
        "{}",
        errors(&unconfigured.diagnostics)
    );

    configure(&server).await;
    let ok = plan(count_config(steps(1), None)).await;
    assert_no_diagnostics(&ok.diagnostics);
    assert!(ok.deferred.is_none());

    let busy = plan(count_config(steps(1), Some("busy"))).await;
    assert!(
        errors(&busy.diagnostics).contains("hello: another run is in progress"),
        "{}",
        errors(&busy.diagnostics)
    );

    // Values unknown at plan (action triggered by a resource still to be created).
    let unknown_mode = Some(pb::DynamicValue {
        msgpack: msgpack::encode(
            &Value::Object(BTreeMap::from([
                ("steps".to_string(), steps(1)),
                ("mode".to_string(), Value::unknown()),
            ])),
            &action_ty(),
        )
        .expect("encodable"),
        json: Vec::new(),
    });
    let warned = plan(unknown_mode).await;
    assert_eq!(warned.diagnostics.len(), 1);
    assert_eq!(
        warned.diagnostics[0].severity,
        pb::diagnostic::Severity::Warning as i32
    );

    let unknown_type = answer_of(server.plan_action(Request::new(pb::plan_action::Request {
        action_type: "act_nope".into(),
        ..Default::default()
    })))
    .await;
    assert!(errors(&unknown_type.diagnostics).contains("Unknown action type"));
}

#[tokio::test]
async fn invoke_streams_progress_then_one_completion() {
    let server = server();
    configure(&server).await;
    let run = invoke(&server, "act_count", count_config(steps(3), None)).await;
    assert_eq!(run.progress, ["step 1 of 3", "step 2 of 3", "step 3 of 3"]);
    let diags = run.completed.expect("completion");
    assert_eq!(diags.len(), 1, "{}", errors(&diags));
    assert_eq!(diags[0].severity, pb::diagnostic::Severity::Warning as i32);
    assert_eq!(diags[0].summary, "Counted");
    assert_eq!(run.events_after_completion, 0);
}

#[tokio::test]
async fn invoke_failures_panics_and_unknown_types_complete_with_errors() {
    let server = server();
    configure(&server).await;

    let failed = invoke(&server, "act_count", count_config(steps(5), Some("fail"))).await;
    assert_eq!(failed.progress, ["step 1 of 5"]);
    let diags = failed.completed.expect("completion");
    assert_mentions(&diags, "the API said: disk full");
    assert_eq!(diags[0].severity, pb::diagnostic::Severity::Error as i32);

    let panicked = invoke(&server, "act_count", count_config(steps(5), Some("panic"))).await;
    assert_eq!(panicked.progress, ["step 1 of 5"]);
    let diags = panicked.completed.expect("completion");
    assert_mentions(
        &diags,
        "panicked while handling InvokeAction: counter overflow",
    );

    let unknown = invoke(&server, "act_nope", None).await;
    assert!(unknown.progress.is_empty());
    assert!(errors(&unknown.completed.expect("completion")).contains("Unknown action type"));

    // Invoke time needs every value.
    let unknown_value = invoke(&server, "act_count", count_config(Value::unknown(), None)).await;
    assert!(errors(&unknown_value.completed.expect("completion")).contains("values still unknown"));
}

#[tokio::test]
async fn stop_provider_cancels_an_invocation_which_still_reports_winding_down() {
    let server = server();
    configure(&server).await;
    let mut stream = answer_of(
        server.invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "act_count".into(),
            config: count_config(steps(3), Some("slow")),
            client_capabilities: None,
        })),
    )
    .await;
    // Wait until the action is under way.
    let first = stream.next().await.expect("event").expect("OK");
    assert!(matches!(
        first.r#type,
        Some(pb::invoke_action::event::Type::Progress(ref p)) if p.message == "step 1 of 3"
    ));
    server
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .expect("OK");
    let rest = tokio::time::timeout(Duration::from_secs(5), collect(stream))
        .await
        .expect("a cancelled action must end promptly");
    // Terraform crashes on progress events after Ctrl-C: only the completion may follow.
    assert!(rest.progress.is_empty(), "{:?}", rest.progress);
    let diags = rest.completed.expect("completion");
    assert_mentions(&diags, "Action cancelled");

    // Later invocations get a fresh token.
    let again = invoke(&server, "act_count", count_config(steps(1), None)).await;
    assert_eq!(again.progress, ["step 1 of 1"]);
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_invocation() {
    let server = server();
    configure(&server).await;
    let stream = answer_of(
        server.invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "act_count".into(),
            config: count_config(steps(3), Some("slow")),
            client_capabilities: None,
        })),
    )
    .await;
    let token = stream.cancel.clone();
    assert!(!token.is_cancelled());
    drop(stream);
    assert!(token.is_cancelled());
    // The provider-wide stop signal is untouched.
    assert!(!server.cancel_token().is_cancelled());
}
