//! Resource identity on the wire (protocol 6.9, Terraform 1.12+): GetResourceIdentitySchemas,
//! UpgradeResourceIdentity, and the identity every state-returning RPC carries.
//!
//! The rules, per RPC (the handlers in `rpc.rs` call the helpers here):
//! - ReadResource, ApplyResourceChange (create, update), ImportResourceState,
//!   MoveResourceState and ListResource events derive the identity from the state they return,
//!   through the resource's own [`crate::resource::Resource::identity`]. A derived identity must
//!   be wholly known and name every attribute required for import, or it is a provider bug.
//! - PlanResourceChange keeps the prior identity on update and destroy (derived from the prior
//!   state when Terraform has none stored yet, e.g. state written before the provider had
//!   identities), and sends none on create: the object does not exist yet.
//! - An identity never changes for the same object: read, an in-place update and its plan
//!   refuse a new identity whose known values differ from the stored ones ("Unexpected
//!   identity change"). An identity may become more complete (a null value filled in).
//!   Replacement creates a new object, so its identity is free to differ.
//!
//! Older Terraform sends no identity and ignores the ones in replies (unknown protobuf fields).

use std::collections::HashMap;

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::rpc::Step;
use super::{ProviderServer, ResourceEntry};
use crate::diag::Diagnostics;
use crate::identity::{self, IdentityData};
use crate::proto::tfplugin6 as pb;
use crate::value::{self, Value};

impl ProviderServer {
    pub(super) fn identity_schemas(&self) -> HashMap<String, pb::ResourceIdentitySchema> {
        self.inner
            .resources
            .iter()
            .filter_map(|(name, entry)| {
                let identity = entry.identity.as_ref()?;
                let attributes = identity
                    .schema
                    .attributes
                    .iter()
                    .map(|a| pb::resource_identity_schema::IdentityAttribute {
                        name: a.name.clone(),
                        r#type: a.ty.to_json_string().into_bytes(),
                        required_for_import: a.required_for_import,
                        optional_for_import: a.optional_for_import,
                        description: a.description.clone(),
                    })
                    .collect();
                Some((
                    name.clone(),
                    pb::ResourceIdentitySchema {
                        version: identity.schema.version,
                        identity_attributes: attributes,
                    },
                ))
            })
            .collect()
    }

    pub(super) fn get_resource_identity_schemas_impl(
        &self,
    ) -> pb::get_resource_identity_schemas::Response {
        pb::get_resource_identity_schemas::Response {
            identity_schemas: self.identity_schemas(),
            diagnostics: convert::diagnostics(self.inner.schema_problems.clone()),
        }
    }

    pub(super) async fn upgrade_resource_identity_impl(
        &self,
        req: pb::upgrade_resource_identity::Request,
    ) -> Step<pb::upgrade_resource_identity::Response> {
        let entry = self.resource(&req.type_name)?;
        let Some(identity) = entry.identity.as_ref() else {
            return Err(Diagnostics::from_error(
                "Resource has no identity",
                format!(
                    "Terraform asked to upgrade an identity of {}, which has no identity schema.",
                    req.type_name
                ),
            ));
        };
        let current = identity.schema.version;
        let raw = req.raw_identity.unwrap_or_default().json;
        if raw.is_empty() {
            // State written before the resource had an identity: read derives one.
            return Ok(pb::upgrade_resource_identity::Response::default());
        }
        if req.version > current {
            return Err(Diagnostics::from_error(
                "Resource instance managed by a newer provider version",
                format!(
                    "The stored identity of this {} has identity schema version {}, but this \
                     provider knows only up to {current}. Use a newer provider version.",
                    req.type_name, req.version
                ),
            ));
        }
        let json = if req.version < current {
            let stored: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| {
                Diagnostics::from_error(
                    "Unreadable resource identity",
                    format!("The stored identity is not JSON: {e}"),
                )
            })?;
            let ctx = self.context(None);
            let upgraded = entry
                .handler
                .erased_upgrade_identity(&ctx, req.version, stored)
                .await?;
            serde_json::to_vec(&upgraded).map_err(|e| {
                Diagnostics::from_error(
                    "Provider bug: upgraded identity is not JSON",
                    e.to_string(),
                )
            })?
        } else {
            raw
        };
        let upgraded = value::json::decode_object_lenient(&json, &identity.ty).map_err(|e| {
            Diagnostics::from_error(
                "Unable to upgrade resource identity",
                format!(
                    "The stored identity of this {} does not match identity schema version \
                     {current}: {e}",
                    req.type_name
                ),
            )
        })?;
        Ok(pb::upgrade_resource_identity::Response {
            upgraded_identity: Some(pb::ResourceIdentityData {
                identity_data: Some(encode_dynamic(
                    &upgraded,
                    &identity.ty,
                    "upgraded identity",
                )?),
            }),
            diagnostics: Vec::new(),
        })
    }
}

/// The identity Terraform sent, or `None` when it sent none (older Terraform, no identity
/// stored yet) or the resource has no identity.
pub(super) fn requested_identity(
    entry: &ResourceEntry,
    data: Option<&pb::ResourceIdentityData>,
    what: &str,
) -> Result<Option<Value>, Diagnostics> {
    let (Some(identity), Some(dv)) = (
        entry.identity.as_ref(),
        data.and_then(|d| d.identity_data.as_ref()),
    ) else {
        return Ok(None);
    };
    let value = decode_dynamic(Some(dv), &identity.ty, what)?;
    Ok((!value.is_null()).then_some(value))
}

/// The identity of the object `state` describes (`None` when the resource has no identity or
/// there is no object).
pub(super) fn derive_identity(
    type_name: &str,
    entry: &ResourceEntry,
    state: &Value,
) -> Result<Option<Value>, Diagnostics> {
    let Some(identity) = entry.identity.as_ref() else {
        return Ok(None);
    };
    if state.is_null() {
        return Ok(None);
    }
    let value = entry
        .handler
        .erased_identity(state)?
        .to_value(&identity.ty)?;
    let missing = identity::missing_required(&identity.schema, &value);
    if !value.is_wholly_known() || !missing.is_empty() {
        return Err(Diagnostics::from_error(
            "Provider bug: incomplete identity",
            format!(
                "{type_name} derived the identity {} from its state, but an identity must be \
                 known and name every attribute required for import (missing: {}). This is a \
                 bug in the provider.",
                identity::describe(&value),
                missing.join(", ")
            ),
        ));
    }
    Ok(Some(value))
}

/// Encodes an identity for a reply.
pub(super) fn identity_data(
    entry: &ResourceEntry,
    value: Option<&Value>,
) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
    let (Some(identity), Some(value)) = (entry.identity.as_ref(), value) else {
        return Ok(None);
    };
    Ok(Some(pb::ResourceIdentityData {
        identity_data: Some(encode_dynamic(value, &identity.ty, "identity")?),
    }))
}

/// The error when `new` changes a known value of `old` for the same object.
pub(super) fn unexpected_change(
    type_name: &str,
    during: &str,
    old: &Value,
    new: &Value,
) -> Option<Diagnostics> {
    let changed = identity::changed_attributes(old, new);
    if changed.is_empty() {
        return None;
    }
    Some(Diagnostics::from_error(
        "Unexpected identity change",
        format!(
            "During {during}, {type_name} reported the identity {} for the object whose identity \
             is {} ({} changed). An object keeps its identity for life: a change of these \
             attributes must replace the resource. If the remote object really changed outside \
             Terraform, remove it from the state (`terraform state rm`) and import it again \
             under its new identity; otherwise this is a bug in the provider. Terraform keeps \
             the stored identity.",
            identity::describe(new),
            identity::describe(old),
            changed.join(", "),
        ),
    ))
}

/// The identity in an ImportResourceState request, as resource code reads it.
pub(super) fn import_target(value: &Value) -> Result<IdentityData, Diagnostics> {
    IdentityData::from_value(value)
}
