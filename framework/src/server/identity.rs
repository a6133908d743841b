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
use super::{ProviderServer, ResourceEntry, Step, StoredJson};
use crate::diag::Diagnostics;
use crate::identity::{self, IdentityData};
use crate::plan;
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
        let json = self
            .upgraded_json(entry, req.version, current, raw, StoredJson::IDENTITY)
            .await?;
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

/// The identity a refreshed object reports: derived from its state, refused when it changes a
/// stored value (then Terraform keeps the stored one).
pub(super) fn refreshed_identity(
    type_name: &str,
    entry: &ResourceEntry,
    current: Option<&Value>,
    state: &Value,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match derive_identity(type_name, entry, state) {
        Ok(Some(derived)) => {
            match current.and_then(|old| unexpected_change(type_name, "refresh", old, &derived)) {
                Some(d) => {
                    diags.extend(d);
                    None
                }
                None => Some(derived),
            }
        }
        Ok(None) => None,
        Err(d) => {
            diags.extend(d);
            None
        }
    }
}

/// What planning knows about the object whose identity it plans.
pub(super) struct PlannedObject<'a> {
    pub(super) prior: &'a Value,
    pub(super) planned: &'a Value,
    pub(super) prior_identity: Option<Value>,
    /// The plan asks to replace the object (a new object may have a new identity).
    pub(super) replaced: bool,
}

/// The planned identity: none on create (the object does not exist yet), the stored one on
/// update and destroy (derived from the prior state when none is stored). An in-place update
/// whose planned values already change the identity is refused now rather than after apply.
pub(super) fn planned_identity(
    type_name: &str,
    entry: &ResourceEntry,
    object: PlannedObject<'_>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    if entry.identity.is_none() || object.prior.is_null() {
        return None;
    }
    // A failing derivation is left to refresh and apply to report: planning goes on without
    // an identity, as it did before the resource had one.
    let stored = object.prior_identity.or_else(|| {
        derive_identity(type_name, entry, object.prior)
            .ok()
            .flatten()
    });
    if let Some(stored) = &stored
        && !object.planned.is_null()
        && !object.replaced
    {
        // Values still unknown are left out: only what the plan already knows can differ.
        let mut known = object.planned.clone();
        plan::nullify_unknowns(&mut known);
        if let Ok(Some(next)) = derive_partial_identity(entry, &known) {
            let mut comparable = stored.clone();
            if let (Some(c), Some(n)) = (comparable.as_object_mut(), next.as_object()) {
                c.retain(|name, _| n.get(name).is_some_and(|v| !v.is_null()));
            }
            if let Some(d) =
                unexpected_change(type_name, "planning an in-place update", &comparable, &next)
            {
                diags.extend(d);
            }
        }
    }
    stored
}

/// The identity of a state that may lack values (no completeness check).
fn derive_partial_identity(
    entry: &ResourceEntry,
    state: &Value,
) -> Result<Option<Value>, Diagnostics> {
    let Some(identity) = entry.identity.as_ref() else {
        return Ok(None);
    };
    entry
        .handler
        .erased_identity(state)?
        .to_value(&identity.ty)
        .map(Some)
}

/// The identity an import returns. Importing by identity must find the object it names (every
/// attribute the user gave keeps its value); importing by id may return a partial state whose
/// identity the read that follows completes.
pub(super) fn imported_identity(
    type_name: &str,
    entry: &ResourceEntry,
    target: Option<&Value>,
    state: &Value,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let derived = derive_identity(type_name, entry, state);
    let Some(target) = target else {
        return derived.ok().flatten();
    };
    match derived {
        Ok(Some(found)) => {
            let differ = identity::changed_attributes(target, &found);
            if differ.is_empty() {
                Some(found)
            } else {
                diags.error(
                    "Imported object has a different identity",
                    format!(
                        "Importing the {type_name} with identity {} returned an object whose \
                         identity is {} ({} differ). This is a bug in the provider.",
                        identity::describe(target),
                        identity::describe(&found),
                        differ.join(", ")
                    ),
                );
                None
            }
        }
        Ok(None) => None,
        Err(d) => {
            diags.extend(d);
            None
        }
    }
}
