//! PlanResourceChange and ApplyResourceChange: the framework's planning rules around the
//! resource's `modify_plan`, and the create/update/delete that follows, with the checks core
//! would otherwise turn into "Provider produced invalid plan" or "inconsistent result after
//! apply" (see [`crate::plan`]).

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::identity::{
    PlannedObject, derive_identity, identity_data, planned_identity, requested_identity,
    unexpected_change,
};
use super::{ProviderServer, Step, conform_to_plan, private_state, timeout_for};
use crate::diag::Diagnostics;
use crate::plan::{self, check_apply_result, check_plan, null_write_only};
use crate::proto::tfplugin6 as pb;
use crate::timeouts::Operation;
use crate::typed::PlanView;
use crate::value::Value;

impl ProviderServer {
    pub(super) async fn plan_resource_change_impl(
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
        let caps = convert::sent_capabilities(req.client_capabilities.as_ref());
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

    pub(super) async fn apply_resource_change_impl(
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
}
