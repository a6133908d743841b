//! The RPC handlers. Each decodes its request with the schema's type, calls the registered
//! handler with a [`Context`], enforces the planning rules, and encodes the answer.

use std::future::Future;
use std::pin::Pin;

use futures::Stream;
use tonic::{Request, Response, Status, Streaming};

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::identity::{
    PlannedObject, derive_identity, identity_data, import_target, imported_identity,
    planned_identity, refreshed_identity, requested_identity, unexpected_change,
};
use super::{ProviderServer, conform_to_plan, guard, private_state, timeout_for};
use crate::diag::{AttributePath, Diagnostics};
use crate::function::{Arguments, FunctionError};
use crate::identity;
use crate::plan::{self, check_apply_result, check_plan, check_read_result, null_write_only};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderService;
use crate::resource::MoveStateRequest;
use crate::timeouts::Operation;
use crate::typed::PlanView;
use crate::validators::validate_config;
use crate::value::{self, Type, Value};

/// Responses that carry a diagnostics list (all but CallFunction and StopProvider).
trait WithDiagnostics: Default {
    fn set_diagnostics(&mut self, diags: Vec<pb::Diagnostic>);
}

macro_rules! with_diagnostics {
    ($($ty:path),* $(,)?) => {
        $(impl WithDiagnostics for $ty {
            fn set_diagnostics(&mut self, diags: Vec<pb::Diagnostic>) {
                self.diagnostics = diags;
            }
        })*
    };
}

with_diagnostics!(
    pb::get_metadata::Response,
    pb::get_provider_schema::Response,
    pb::validate_provider_config::Response,
    pb::upgrade_resource_state::Response,
    pb::get_resource_identity_schemas::Response,
    pb::upgrade_resource_identity::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::validate_ephemeral_resource_config::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::move_resource_state::Response,
    pb::read_data_source::Response,
    pb::generate_resource_config::Response,
    pb::open_ephemeral_resource::Response,
    pb::renew_ephemeral_resource::Response,
    pb::close_ephemeral_resource::Response,
    pb::validate_list_resource_config::Response,
    pb::get_functions::Response,
    pb::validate_state_store::Response,
    pb::configure_state_store::Response,
    pb::write_state_bytes::Response,
    pb::lock_state::Response,
    pb::unlock_state::Response,
    pb::get_states::Response,
    pb::delete_state::Response,
    pb::plan_action::Response,
    pb::validate_action_config::Response,
);

/// Runs a handler under the panic guard and always answers OK.
async fn answer<R: WithDiagnostics>(
    rpc: &str,
    work: impl Future<Output = R>,
) -> Result<Response<R>, Status> {
    let reply = match guard::catch_panics(rpc, work).await {
        Ok(reply) => reply,
        Err(diags) => {
            let mut reply = R::default();
            reply.set_diagnostics(convert::diagnostics(diags));
            reply
        }
    };
    Ok(Response::new(reply))
}

fn not_supported<R: WithDiagnostics>(what: &str) -> Result<Response<R>, Status> {
    let mut reply = R::default();
    reply.set_diagnostics(convert::diagnostics(Diagnostics::from_error(
        format!("{what} not supported"),
        format!("This provider does not implement {what}."),
    )));
    Ok(Response::new(reply))
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

fn one_item_stream<T: Send + 'static>(item: T) -> BoxStream<T> {
    Box::pin(futures::stream::iter([Ok(item)]))
}

/// Collects diagnostics of steps that stop on the first error.
pub(super) type Step<T> = Result<T, Diagnostics>;

impl ProviderServer {
    fn server_capabilities(&self) -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            plan_destroy: true,
            get_provider_schema_optional: true,
            move_resource_state: self
                .inner
                .resources
                .values()
                .any(|r| r.handler.erased_supports_move_state()),
            // The framework shapes generated configuration for every resource (genconfig.rs).
            generate_resource_config: true,
        }
    }

    fn get_metadata_impl(&self) -> pb::get_metadata::Response {
        pb::get_metadata::Response {
            server_capabilities: Some(self.server_capabilities()),
            diagnostics: convert::diagnostics(self.inner.schema_problems.clone()),
            data_sources: self
                .inner
                .data_sources
                .keys()
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            resources: self
                .inner
                .resources
                .keys()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.clone(),
                })
                .collect(),
            functions: self
                .inner
                .functions
                .keys()
                .map(|n| pb::get_metadata::FunctionMetadata { name: n.clone() })
                .collect(),
            actions: self
                .action_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::ActionMetadata { type_name })
                .collect(),
            ephemeral_resources: self
                .ephemeral_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::EphemeralMetadata { type_name })
                .collect(),
            list_resources: self
                .list_names()
                .into_iter()
                .map(|type_name| pb::get_metadata::ListResourceMetadata { type_name })
                .collect(),
            ..Default::default()
        }
    }

    fn function_map(&self) -> std::collections::HashMap<String, pb::Function> {
        self.inner
            .functions
            .iter()
            .map(|(n, f)| (n.clone(), convert::function(&f.signature)))
            .collect()
    }

    fn get_provider_schema_impl(&self) -> pb::get_provider_schema::Response {
        pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.inner.provider_schema)),
            resource_schemas: self
                .inner
                .resources
                .iter()
                .map(|(n, r)| (n.clone(), convert::schema(&r.schema)))
                .collect(),
            data_source_schemas: self
                .inner
                .data_sources
                .iter()
                .map(|(n, d)| (n.clone(), convert::schema(&d.schema)))
                .collect(),
            functions: self.function_map(),
            action_schemas: self.action_schemas(),
            ephemeral_resource_schemas: self.ephemeral_schemas(),
            list_resource_schemas: self.list_schemas(),
            diagnostics: convert::diagnostics(self.inner.schema_problems.clone()),
            server_capabilities: Some(self.server_capabilities()),
            ..Default::default()
        }
    }

    async fn validate_provider_config_impl(
        &self,
        req: pb::validate_provider_config::Request,
    ) -> Diagnostics {
        let inner = &self.inner;
        let config = match decode_dynamic(
            req.config.as_ref(),
            &inner.provider_ty,
            "provider configuration",
        ) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let mut diags = validate_config(&inner.provider_schema, &config, true);
        let ctx = self.context(None);
        diags.extend(inner.provider.erased_validate(&ctx, &config).await);
        diags
    }

    async fn validate_resource_config_impl(
        &self,
        req: pb::validate_resource_config::Request,
    ) -> Step<Diagnostics> {
        let entry = self.resource(&req.type_name)?;
        let config = decode_dynamic(req.config.as_ref(), &entry.ty, "resource configuration")?;
        let caps = convert::client_capabilities(req.client_capabilities.as_ref());
        // Clients older than Terraform 1.11 send no capabilities: they would store a
        // write-only value like any other, so it is rejected up front.
        let mut diags = validate_config(&entry.schema, &config, caps.write_only_attributes_allowed);
        let ctx = self.context(Some(caps));
        diags.extend(entry.handler.erased_validate(&ctx, &config).await);
        Ok(diags)
    }

    async fn validate_data_resource_config_impl(
        &self,
        req: pb::validate_data_resource_config::Request,
    ) -> Step<Diagnostics> {
        let entry = self.data_source(&req.type_name)?;
        let config = decode_dynamic(req.config.as_ref(), &entry.ty, "data source configuration")?;
        let mut diags = validate_config(&entry.schema, &config, true);
        let ctx = self.context(None);
        diags.extend(entry.handler.erased_validate(&ctx, &config).await);
        Ok(diags)
    }

    async fn upgrade_resource_state_impl(
        &self,
        req: pb::upgrade_resource_state::Request,
    ) -> Step<pb::upgrade_resource_state::Response> {
        let entry = self.resource(&req.type_name)?;
        let current = entry.schema.version;
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            if !raw.flatmap.is_empty() {
                return Err(Diagnostics::from_error(
                    "Unsupported legacy state",
                    format!(
                        "The state of this {} was written in the pre-0.12 flatmap format, which this \
                         provider cannot read. Remove it from state (terraform state rm) and import it again.",
                        req.type_name
                    ),
                ));
            }
            return Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(encode_dynamic(&Value::Null, &entry.ty, "upgraded state")?),
                diagnostics: Vec::new(),
            });
        }
        if req.version > current {
            return Err(Diagnostics::from_error(
                "Resource instance managed by a newer provider version",
                format!(
                    "The state of this {} has schema version {}, but this provider knows only up to {current}. \
                     Use a newer provider version.",
                    req.type_name, req.version
                ),
            ));
        }
        let json_bytes = if req.version < current {
            let stored: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
                Diagnostics::from_error(
                    "Unreadable resource state",
                    format!("The stored JSON state is invalid: {e}"),
                )
            })?;
            let ctx = self.context(None);
            let upgraded = entry
                .handler
                .erased_upgrade_state(&ctx, req.version, stored)
                .await?;
            serde_json::to_vec(&upgraded).map_err(|e| {
                Diagnostics::from_error("Provider bug: upgraded state is not JSON", e.to_string())
            })?
        } else {
            raw.json
        };
        // Lenient: stored JSON may carry attributes an older schema had.
        let mut state =
            value::json::decode_object_lenient(&json_bytes, &entry.ty).map_err(|e| {
                let path = convert::codec_path(&e.path);
                Diagnostics::from_error_at(
                    path,
                    "Unable to upgrade resource state",
                    format!(
                        "The stored state of this {} does not match schema version {current}: {e}",
                        req.type_name
                    ),
                )
            })?;
        null_write_only(&entry.schema.block, &mut state);
        Ok(pb::upgrade_resource_state::Response {
            upgraded_state: Some(encode_dynamic(&state, &entry.ty, "upgraded state")?),
            diagnostics: Vec::new(),
        })
    }

    async fn configure_provider_impl(&self, req: pb::configure_provider::Request) -> Diagnostics {
        let inner = &self.inner;
        let config = match decode_dynamic(
            req.config.as_ref(),
            &inner.provider_ty,
            "provider configuration",
        ) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let capabilities = convert::client_capabilities(req.client_capabilities.as_ref());
        {
            let mut configured = inner
                .configured
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            configured.terraform_version = req.terraform_version.clone();
            configured.capabilities = capabilities;
        }
        let mut unknown = Vec::new();
        plan::unknown_paths(&config, &AttributePath::empty(), &mut unknown);
        let ctx = self.context(Some(capabilities));
        match inner
            .provider
            .erased_configure(&ctx, &config, unknown)
            .await
        {
            Ok(data) => {
                let mut configured = inner
                    .configured
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                configured.data = Some(data);
                ctx.take_warnings()
            }
            Err(mut diags) => {
                diags.extend(ctx.take_warnings());
                diags
            }
        }
    }

    async fn read_resource_impl(
        &self,
        req: pb::read_resource::Request,
    ) -> Step<pb::read_resource::Response> {
        let entry = self.resource(&req.type_name)?;
        let current = decode_dynamic(req.current_state.as_ref(), &entry.ty, "current state")?;
        let current_identity =
            requested_identity(entry, req.current_identity.as_ref(), "current identity")?;
        let mut reply = pb::read_resource::Response {
            new_state: req.current_state.clone(),
            private: req.private.clone(),
            new_identity: req.current_identity.clone(),
            ..Default::default()
        };
        if current.is_null() {
            return Ok(reply);
        }
        let caps = req
            .client_capabilities
            .as_ref()
            .map(|c| convert::client_capabilities(Some(c)));
        let ctx = self
            .context(caps)
            .with_operation(
                Operation::Read,
                timeout_for(entry, &current, Operation::Read),
            )
            .with_private(private_state(&req.private));
        let mut diags = Diagnostics::new();
        match entry.handler.erased_read(&ctx, &entry.ty, &current).await {
            Ok(Some(mut state)) => {
                null_write_only(&entry.schema.block, &mut state);
                let mut problems = check_read_result(&req.type_name, "read", &state);
                let identity = if problems.has_errors() {
                    None
                } else {
                    refreshed_identity(
                        &req.type_name,
                        entry,
                        current_identity.as_ref(),
                        &state,
                        &mut problems,
                    )
                };
                if problems.has_errors() {
                    diags.extend(problems);
                } else {
                    reply.new_state = Some(encode_dynamic(&state, &entry.ty, "refreshed state")?);
                    reply.private = ctx.private_bytes();
                    if identity.is_some() {
                        reply.new_identity = identity_data(entry, identity.as_ref())?;
                    }
                }
            }
            Ok(None) => {
                reply.new_state = Some(encode_dynamic(&Value::Null, &entry.ty, "refreshed state")?);
                reply.private = Vec::new();
                reply.new_identity = None;
            }
            Err(d) => diags.extend(d),
        }
        diags.extend(ctx.take_warnings());
        reply.diagnostics = convert::diagnostics(diags);
        Ok(reply)
    }

    async fn plan_resource_change_impl(
        &self,
        req: pb::plan_resource_change::Request,
    ) -> Step<pb::plan_resource_change::Response> {
        let entry = self.resource(&req.type_name)?;
        let block = &entry.schema.block;
        let prior = decode_dynamic(req.prior_state.as_ref(), &entry.ty, "prior state")?;
        let proposed = decode_dynamic(
            req.proposed_new_state.as_ref(),
            &entry.ty,
            "proposed new state",
        )?;
        let config = decode_dynamic(req.config.as_ref(), &entry.ty, "configuration")?;
        let prior_identity =
            requested_identity(entry, req.prior_identity.as_ref(), "prior identity")?;
        let caps = req
            .client_capabilities
            .as_ref()
            .map(|c| convert::client_capabilities(Some(c)));
        let ctx = self
            .context(caps)
            .with_private(private_state(&req.prior_private));

        let framework_plan = if proposed.is_null() {
            Value::Null
        } else {
            plan::plan_framework_defaults(block, &prior, &proposed, &config)
        };
        let mut view = PlanView::new(
            prior.clone(),
            config.clone(),
            framework_plan,
            entry.ty.clone(),
        );
        let mut diags = Diagnostics::new();
        if let Err(d) = entry.handler.erased_modify_plan(&ctx, &mut view).await {
            diags.extend(d);
        }
        diags.extend(ctx.take_warnings());
        let mut planned = view.planned;
        if proposed.is_null() && !planned.is_null() {
            diags.error(
                "Provider bug: destroy plan is not null",
                format!(
                    "{} planned a value while being destroyed; the framework keeps it null.",
                    req.type_name
                ),
            );
            planned = Value::Null;
        }
        null_write_only(block, &mut planned);
        diags.extend(check_plan(&req.type_name, block, &prior, &planned, &config));

        let mut replace = if prior.is_null() || planned.is_null() {
            Vec::new()
        } else {
            let mut paths = plan::requires_replace(block, &prior, &planned, &config);
            paths.extend(view.requires_replace);
            paths
        };
        replace.sort();
        replace.dedup();
        let planned_identity = if diags.has_errors() {
            None
        } else {
            planned_identity(
                &req.type_name,
                entry,
                PlannedObject {
                    prior: &prior,
                    planned: &planned,
                    prior_identity,
                    replaced: !replace.is_empty(),
                },
                &mut diags,
            )
        };

        let planned_state = if diags.has_errors() {
            None
        } else {
            Some(encode_dynamic(&planned, &entry.ty, "planned state")?)
        };
        Ok(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: replace.iter().map(convert::attribute_path).collect(),
            planned_private: ctx.private_bytes(),
            planned_identity: identity_data(entry, planned_identity.as_ref())?,
            diagnostics: convert::diagnostics(diags),
            ..Default::default()
        })
    }

    async fn apply_resource_change_impl(
        &self,
        req: pb::apply_resource_change::Request,
    ) -> Step<pb::apply_resource_change::Response> {
        let entry = self.resource(&req.type_name)?;
        let block = &entry.schema.block;
        let prior = decode_dynamic(req.prior_state.as_ref(), &entry.ty, "prior state")?;
        let planned = decode_dynamic(req.planned_state.as_ref(), &entry.ty, "planned state")?;
        let config = decode_dynamic(req.config.as_ref(), &entry.ty, "configuration")?;
        let planned_identity =
            requested_identity(entry, req.planned_identity.as_ref(), "planned identity")?;
        // What Terraform keeps when the operation fails: the identity it already has.
        let mut new_identity = planned_identity.clone();
        let (op, timeout_source) = if planned.is_null() {
            (Operation::Delete, &prior)
        } else if prior.is_null() {
            (Operation::Create, &planned)
        } else {
            (Operation::Update, &planned)
        };
        let ctx = self
            .context(None)
            .with_operation(op, timeout_for(entry, timeout_source, op))
            .with_private(private_state(&req.planned_private));
        let mut diags = Diagnostics::new();
        let new_state = match op {
            Operation::Delete => match entry.handler.erased_delete(&ctx, &prior).await {
                Ok(()) => {
                    new_identity = None;
                    Value::Null
                }
                Err(d) => {
                    diags.extend(d);
                    prior.clone()
                }
            },
            Operation::Create | Operation::Update | Operation::Read => {
                let result = if op == Operation::Create {
                    entry
                        .handler
                        .erased_create(&ctx, &entry.ty, &planned, &config)
                        .await
                } else {
                    entry
                        .handler
                        .erased_update(&ctx, &entry.ty, &prior, &planned, &config)
                        .await
                };
                match result {
                    Ok(mut state) => {
                        null_write_only(block, &mut state);
                        let problems = check_apply_result(&req.type_name, block, &planned, &state);
                        if problems.has_errors() {
                            diags.extend(problems);
                            conform_to_plan(&planned, &state)
                        } else {
                            match derive_identity(&req.type_name, entry, &state) {
                                Ok(Some(derived)) => {
                                    let change = planned_identity
                                        .as_ref()
                                        .filter(|_| op == Operation::Update)
                                        .and_then(|old| {
                                            unexpected_change(
                                                &req.type_name,
                                                "the update",
                                                old,
                                                &derived,
                                            )
                                        });
                                    match change {
                                        Some(d) => diags.extend(d),
                                        None => new_identity = Some(derived),
                                    }
                                }
                                Ok(None) => {}
                                Err(d) => diags.extend(d),
                            }
                            state
                        }
                    }
                    Err(d) => {
                        diags.extend(d);
                        if op == Operation::Create {
                            // A partial object makes Terraform keep it, tainted, so it is
                            // replaced instead of leaked.
                            match ctx.take_partial_state().and_then(|f| f(&entry.ty)) {
                                Some(mut partial) => {
                                    plan::nullify_unknowns(&mut partial);
                                    null_write_only(block, &mut partial);
                                    // Best effort: a partial object may not name itself yet.
                                    new_identity = derive_identity(&req.type_name, entry, &partial)
                                        .ok()
                                        .flatten();
                                    partial
                                }
                                None => Value::Null,
                            }
                        } else {
                            prior.clone()
                        }
                    }
                }
            }
        };
        diags.extend(ctx.take_warnings());
        if new_state.is_null() {
            new_identity = None;
        }
        Ok(pb::apply_resource_change::Response {
            new_state: Some(encode_dynamic(&new_state, &entry.ty, "new state")?),
            private: if new_state.is_null() {
                Vec::new()
            } else {
                ctx.private_bytes()
            },
            new_identity: identity_data(entry, new_identity.as_ref())?,
            diagnostics: convert::diagnostics(diags),
            ..Default::default()
        })
    }

    async fn import_resource_state_impl(
        &self,
        req: pb::import_resource_state::Request,
    ) -> Step<pb::import_resource_state::Response> {
        let entry = self.resource(&req.type_name)?;
        let caps = req
            .client_capabilities
            .as_ref()
            .map(|c| convert::client_capabilities(Some(c)));
        let ctx = self
            .context(caps)
            .with_operation(Operation::Read, entry.timeouts.read);
        let target = requested_identity(entry, req.identity.as_ref(), "identity to import")?;
        let (mut state, what) = match (&target, req.id.is_empty()) {
            (_, false) => (
                entry
                    .handler
                    .erased_import(&ctx, &entry.ty, &req.id)
                    .await?,
                format!("id {:?}", req.id),
            ),
            (Some(target), true) => (
                entry
                    .handler
                    .erased_import_by_identity(&ctx, &entry.ty, import_target(target)?)
                    .await?,
                format!("identity {}", identity::describe(target)),
            ),
            (None, true) => {
                return Err(Diagnostics::from_error(
                    "Nothing to import",
                    format!(
                        "Terraform asked to import a {} without an id or an identity.",
                        req.type_name
                    ),
                ));
            }
        };
        null_write_only(&entry.schema.block, &mut state);
        let mut diags = check_read_result(&req.type_name, "import", &state);
        if state.is_null() {
            diags.error(
                "Cannot import non-existent remote object",
                format!("{} found no object with {what}.", req.type_name),
            );
        }
        let imported_identity = if diags.has_errors() {
            None
        } else {
            imported_identity(&req.type_name, entry, target.as_ref(), &state, &mut diags)
        };
        diags.extend(ctx.take_warnings());
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(encode_dynamic(&state, &entry.ty, "imported state")?),
                private: ctx.private_bytes(),
                identity: identity_data(entry, imported_identity.as_ref())?,
            }],
            diagnostics: convert::diagnostics(diags),
            deferred: None,
        })
    }

    async fn move_resource_state_impl(
        &self,
        req: pb::move_resource_state::Request,
    ) -> Step<pb::move_resource_state::Response> {
        let entry = self.resource(&req.target_type_name)?;
        if !entry.handler.erased_supports_move_state() {
            return Err(Diagnostics::from_error(
                "Move not supported",
                format!(
                    "{} cannot take over state from {}; only resources that support moved blocks from other types can.",
                    req.target_type_name, req.source_type_name
                ),
            ));
        }
        let raw = req.source_state.unwrap_or_default();
        let source_state: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
            Diagnostics::from_error(
                "Unreadable source state",
                format!("The source state is not JSON: {e}"),
            )
        })?;
        let source_identity = req
            .source_identity
            .filter(|raw| !raw.json.is_empty())
            .map(|raw| serde_json::from_slice::<serde_json::Value>(&raw.json))
            .transpose()
            .map_err(|e| {
                Diagnostics::from_error(
                    "Unreadable source identity",
                    format!("The source identity is not JSON: {e}"),
                )
            })?;
        let ctx = self.context(None);
        let mut state = entry
            .handler
            .erased_move_state(
                &ctx,
                &entry.ty,
                MoveStateRequest {
                    source_provider_address: req.source_provider_address,
                    source_type_name: req.source_type_name,
                    source_schema_version: req.source_schema_version,
                    source_state,
                    source_identity,
                    source_identity_schema_version: req.source_identity_schema_version,
                },
            )
            .await?;
        null_write_only(&entry.schema.block, &mut state);
        let mut diags = check_read_result(&req.target_type_name, "move", &state);
        let target_identity = if diags.has_errors() {
            None
        } else {
            derive_identity(&req.target_type_name, entry, &state).unwrap_or_else(|d| {
                diags.extend(d);
                None
            })
        };
        diags.extend(ctx.take_warnings());
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(pb::move_resource_state::Response {
            target_state: Some(encode_dynamic(&state, &entry.ty, "moved state")?),
            diagnostics: convert::diagnostics(diags),
            target_private: ctx.private_bytes(),
            target_identity: identity_data(entry, target_identity.as_ref())?,
        })
    }

    async fn read_data_source_impl(
        &self,
        req: pb::read_data_source::Request,
    ) -> Step<pb::read_data_source::Response> {
        let entry = self.data_source(&req.type_name)?;
        let config = decode_dynamic(req.config.as_ref(), &entry.ty, "data source configuration")?;
        let caps = req
            .client_capabilities
            .as_ref()
            .map(|c| convert::client_capabilities(Some(c)));
        let ctx = self.context(caps);
        let mut state = entry.handler.erased_read(&ctx, &entry.ty, &config).await?;
        null_write_only(&entry.schema.block, &mut state);
        let mut diags = check_read_result(&req.type_name, "the data source read", &state);
        if state.is_null() {
            diags.error(
                "Provider bug: null data source result",
                format!("{} returned no object.", req.type_name),
            );
        }
        diags.extend(ctx.take_warnings());
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(pb::read_data_source::Response {
            state: Some(encode_dynamic(&state, &entry.ty, "data source result")?),
            diagnostics: convert::diagnostics(diags),
            deferred: None,
        })
    }

    async fn call_function_impl(
        &self,
        req: pb::call_function::Request,
    ) -> Result<pb::DynamicValue, FunctionError> {
        let entry = self.inner.functions.get(&req.name).ok_or_else(|| {
            FunctionError::new(format!(
                "this provider has no function named {:?}",
                req.name
            ))
        })?;
        let sig = &entry.signature;
        if req.arguments.len() < sig.parameters.len()
            || (sig.variadic.is_none() && req.arguments.len() > sig.parameters.len())
        {
            return Err(FunctionError::new(format!(
                "{} expects {} argument(s), got {}",
                req.name,
                sig.parameters.len(),
                req.arguments.len()
            )));
        }
        let mut args = Vec::with_capacity(req.arguments.len());
        for (i, dv) in req.arguments.iter().enumerate() {
            let param = sig.parameters.get(i).or(sig.variadic.as_ref());
            let ty = param.map(|p| p.ty.clone()).unwrap_or(Type::Dynamic);
            let v = decode_dynamic(Some(dv), &ty, "function argument")
                .map_err(|d| FunctionError::argument(i, d.to_string()))?;
            if v.is_null() && !param.is_some_and(|p| p.allow_null) {
                return Err(FunctionError::argument(i, "argument must not be null"));
            }
            if !v.is_wholly_known() {
                // Terraform only sends unknowns to parameters that accept them; the result of
                // a call on unknown input is unknown.
                return encode_dynamic(&Value::unknown(), &sig.return_type, "function result")
                    .map_err(|d| FunctionError::new(d.to_string()));
            }
            args.push(v);
        }
        let result = entry
            .handler
            .call(Arguments::new(args, sig.return_type.clone()))
            .await?;
        encode_dynamic(&result, &sig.return_type, "function result")
            .map_err(|d| FunctionError::new(d.to_string()))
    }
}

fn diags_reply<R: WithDiagnostics>(diags: Diagnostics) -> R {
    let mut reply = R::default();
    reply.set_diagnostics(convert::diagnostics(diags));
    reply
}

fn step_reply<R: WithDiagnostics>(step: Step<R>) -> R {
    step.unwrap_or_else(diags_reply)
}

#[tonic::async_trait]
impl ProviderService for ProviderServer {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        answer("GetMetadata", async { self.get_metadata_impl() }).await
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        answer("GetProviderSchema", async {
            self.get_provider_schema_impl()
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        answer("ValidateProviderConfig", async {
            diags_reply(self.validate_provider_config_impl(req.into_inner()).await)
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        answer("ValidateResourceConfig", async {
            diags_reply(
                self.validate_resource_config_impl(req.into_inner())
                    .await
                    .unwrap_or_else(|d| d),
            )
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        answer("ValidateDataResourceConfig", async {
            diags_reply(
                self.validate_data_resource_config_impl(req.into_inner())
                    .await
                    .unwrap_or_else(|d| d),
            )
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        answer("UpgradeResourceState", async {
            step_reply(self.upgrade_resource_state_impl(req.into_inner()).await)
        })
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        answer("GetResourceIdentitySchemas", async {
            self.get_resource_identity_schemas_impl()
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        answer("UpgradeResourceIdentity", async {
            step_reply(self.upgrade_resource_identity_impl(req.into_inner()).await)
        })
        .await
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        answer("ConfigureProvider", async {
            diags_reply(self.configure_provider_impl(req.into_inner()).await)
        })
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        answer("ReadResource", async {
            step_reply(self.read_resource_impl(req.into_inner()).await)
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        answer("PlanResourceChange", async {
            step_reply(self.plan_resource_change_impl(req.into_inner()).await)
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let inner = req.into_inner();
        let fallback_state = inner.prior_state.clone();
        let reply = answer("ApplyResourceChange", async {
            step_reply(self.apply_resource_change_impl(inner).await)
        })
        .await?;
        // After a panic Terraform must still get the prior object back, not "no object".
        let mut reply = reply.into_inner();
        if reply.new_state.is_none() {
            reply.new_state = fallback_state;
        }
        Ok(Response::new(reply))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        answer("ImportResourceState", async {
            step_reply(self.import_resource_state_impl(req.into_inner()).await)
        })
        .await
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        answer("MoveResourceState", async {
            step_reply(self.move_resource_state_impl(req.into_inner()).await)
        })
        .await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        answer("ReadDataSource", async {
            step_reply(self.read_data_source_impl(req.into_inner()).await)
        })
        .await
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        answer("GenerateResourceConfig", async {
            step_reply(self.generate_resource_config_impl(req.into_inner()).await)
        })
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        answer("ValidateEphemeralResourceConfig", async {
            diags_reply(
                self.validate_ephemeral_resource_config_impl(req.into_inner())
                    .await
                    .unwrap_or_else(|d| d),
            )
        })
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        answer("OpenEphemeralResource", async {
            step_reply(self.open_ephemeral_resource_impl(req.into_inner()).await)
        })
        .await
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        answer("RenewEphemeralResource", async {
            step_reply(self.renew_ephemeral_resource_impl(req.into_inner()).await)
        })
        .await
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        answer("CloseEphemeralResource", async {
            diags_reply(
                self.close_ephemeral_resource_impl(req.into_inner())
                    .await
                    .unwrap_or_else(|d| d),
            )
        })
        .await
    }

    type ListResourceStream = super::list::ListStream;

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        Ok(Response::new(self.list_resource_stream(req.into_inner())))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        answer("ValidateListResourceConfig", async {
            diags_reply(
                self.validate_list_resource_config_impl(req.into_inner())
                    .await
                    .unwrap_or_else(|d| d),
            )
        })
        .await
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        answer("GetFunctions", async {
            pb::get_functions::Response {
                functions: self.function_map(),
                diagnostics: Vec::new(),
            }
        })
        .await
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let name = req.get_ref().name.clone();
        let outcome =
            guard::catch_panics("CallFunction", self.call_function_impl(req.into_inner())).await;
        let reply = match outcome {
            Ok(Ok(result)) => pb::call_function::Response {
                result: Some(result),
                error: None,
            },
            Ok(Err(e)) => pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: e.text,
                    function_argument: e.argument,
                }),
            },
            Err(d) => pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: format!("{name}: {d}"),
                    function_argument: None,
                }),
            },
        };
        Ok(Response::new(reply))
    }

    async fn validate_state_store_config(
        &self,
        _: Request<pb::validate_state_store::Request>,
    ) -> Result<Response<pb::validate_state_store::Response>, Status> {
        not_supported("state stores")
    }

    async fn configure_state_store(
        &self,
        _: Request<pb::configure_state_store::Request>,
    ) -> Result<Response<pb::configure_state_store::Response>, Status> {
        not_supported("state stores")
    }

    type ReadStateBytesStream = BoxStream<pb::read_state_bytes::Response>;

    async fn read_state_bytes(
        &self,
        _: Request<pb::read_state_bytes::Request>,
    ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
        let reply = pb::read_state_bytes::Response {
            diagnostics: convert::diagnostics(Diagnostics::from_error(
                "state stores not supported",
                "This provider does not implement state stores.",
            )),
            ..Default::default()
        };
        Ok(Response::new(one_item_stream(reply)))
    }

    async fn write_state_bytes(
        &self,
        _: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
        not_supported("state stores")
    }

    async fn lock_state(
        &self,
        _: Request<pb::lock_state::Request>,
    ) -> Result<Response<pb::lock_state::Response>, Status> {
        not_supported("state stores")
    }

    async fn unlock_state(
        &self,
        _: Request<pb::unlock_state::Request>,
    ) -> Result<Response<pb::unlock_state::Response>, Status> {
        not_supported("state stores")
    }

    async fn get_states(
        &self,
        _: Request<pb::get_states::Request>,
    ) -> Result<Response<pb::get_states::Response>, Status> {
        not_supported("state stores")
    }

    async fn delete_state(
        &self,
        _: Request<pb::delete_state::Request>,
    ) -> Result<Response<pb::delete_state::Response>, Status> {
        not_supported("state stores")
    }

    async fn plan_action(
        &self,
        req: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        answer("PlanAction", async {
            diags_reply(
                self.plan_action_impl(req.into_inner())
                    .await
                    .unwrap_or_else(|d| d),
            )
        })
        .await
    }

    type InvokeActionStream = super::actions::InvokeStream;

    async fn invoke_action(
        &self,
        req: Request<pb::invoke_action::Request>,
    ) -> Result<Response<Self::InvokeActionStream>, Status> {
        Ok(Response::new(self.invoke_action_stream(req.into_inner())))
    }

    async fn validate_action_config(
        &self,
        req: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        answer("ValidateActionConfig", async {
            diags_reply(
                self.validate_action_config_impl(req.into_inner())
                    .await
                    .unwrap_or_else(|d| d),
            )
        })
        .await
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        self.stop();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
