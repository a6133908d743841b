//! The managed resource RPCs other than planning and applying: ValidateResourceConfig,
//! UpgradeResourceState, ReadResource, ImportResourceState and MoveResourceState. Each decodes
//! its request with the resource's type, calls the resource, and checks what it returned
//! (no unknowns, write-only values nulled, identity consistent) before Terraform sees it.

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::identity::{
    derive_identity, identity_data, import_target, imported_identity, refreshed_identity,
    requested_identity,
};
use super::{ProviderServer, Step, StoredJson, private_state, timeout_for, with_handler_warnings};
use crate::diag::Diagnostics;
use crate::identity;
use crate::plan::{check_read_result, null_write_only};
use crate::proto::tfplugin6 as pb;
use crate::resource::{ImportBy, MoveStateRequest};
use crate::timeouts::Operation;
use crate::validators::validate_config;
use crate::value::{self, Value};

impl ProviderServer {
    pub(super) async fn validate_resource_config_impl(
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
        diags.extend(ctx.take_warnings());
        Ok(diags)
    }

    pub(super) async fn upgrade_resource_state_impl(
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
        let json_bytes = self
            .upgraded_json(entry, req.version, current, raw.json, StoredJson::STATE)
            .await?;
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

    pub(super) async fn read_resource_impl(
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
        let caps = convert::sent_capabilities(req.client_capabilities.as_ref());
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

    pub(super) async fn import_resource_state_impl(
        &self,
        req: pb::import_resource_state::Request,
    ) -> Step<pb::import_resource_state::Response> {
        let entry = self.resource(&req.type_name)?;
        let caps = convert::sent_capabilities(req.client_capabilities.as_ref());
        let ctx = self
            .context(caps)
            .with_operation(Operation::Read, entry.timeouts.read);
        let target = requested_identity(entry, req.identity.as_ref(), "identity to import")?;
        let (by, what) = match (&target, req.id.is_empty()) {
            (_, false) => (ImportBy::Id(req.id.clone()), format!("id {:?}", req.id)),
            (Some(target), true) => (
                ImportBy::Identity(import_target(target)?),
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
        let mut state = entry.handler.erased_import(&ctx, &entry.ty, by).await?;
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
        let diags = with_handler_warnings(diags, &ctx)?;
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

    pub(super) async fn move_resource_state_impl(
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
        let diags = with_handler_warnings(diags, &ctx)?;
        Ok(pb::move_resource_state::Response {
            target_state: Some(encode_dynamic(&state, &entry.ty, "moved state")?),
            diagnostics: convert::diagnostics(diags),
            target_private: ctx.private_bytes(),
            target_identity: identity_data(entry, target_identity.as_ref())?,
        })
    }
}
