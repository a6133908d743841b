//! The ephemeral resource RPCs (protocol 6.7, Terraform 1.10+): Validate, Open, Renew and
//! Close. The traits and the life cycle are described in [`crate::ephemeral`].
//!
//! Open's result is checked the way Terraform checks it (`objchange.AssertPlanValid` against a
//! null prior): what the user configured comes back unchanged, and only computed values are
//! filled in; it must also be wholly known, since nothing resolves it later.

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::{EphemeralEntry, ProviderServer, Step, with_handler_warnings};
use crate::diag::Diagnostics;
use crate::plan::{check_plan, check_read_result};
use crate::proto::tfplugin6 as pb;
use crate::value::Value;

/// How errors name an ephemeral resource's configuration.
const EPHEMERAL_CONFIG: &str = "ephemeral resource configuration";

impl ProviderServer {
    fn ephemeral(&self, type_name: &str) -> Result<&EphemeralEntry, Diagnostics> {
        self.registered(
            &self.inner.ephemeral_resources,
            type_name,
            "ephemeral resource",
        )
    }

    /// The ephemeral resource `type_name` and its configuration, decoded.
    fn ephemeral_config(
        &self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
    ) -> Step<(&EphemeralEntry, Value)> {
        let entry = self.ephemeral(type_name)?;
        let config = decode_dynamic(config, &entry.ty, EPHEMERAL_CONFIG)?;
        Ok((entry, config))
    }

    pub(super) async fn validate_ephemeral_resource_config_impl(
        &self,
        req: pb::validate_ephemeral_resource_config::Request,
    ) -> Step<Diagnostics> {
        let entry = self.ephemeral(&req.type_name)?;
        self.validate_registered(entry, req.config.as_ref(), EPHEMERAL_CONFIG)
            .await
    }

    pub(super) async fn open_ephemeral_resource_impl(
        &self,
        req: pb::open_ephemeral_resource::Request,
    ) -> Step<pb::open_ephemeral_resource::Response> {
        let (entry, config) = self.ephemeral_config(&req.type_name, req.config.as_ref())?;
        if !config.is_wholly_known() {
            return Err(Diagnostics::from_error(
                "Ephemeral resource configuration not known",
                format!(
                    "{} was opened with values still unknown; its configuration must be wholly \
                     known when it is opened.",
                    req.type_name
                ),
            ));
        }
        let caps = convert::sent_capabilities(req.client_capabilities.as_ref());
        let ctx = self.context(caps);
        let opened = entry.handler.erased_open(&ctx, &entry.ty, &config).await?;
        let mut diags = check_read_result(&req.type_name, "open", &opened.result);
        diags.extend(check_plan(
            &req.type_name,
            &entry.schema.block,
            &Value::Null,
            &opened.result,
            &config,
        ));
        if opened.result.is_null() {
            diags.error(
                "Provider bug: null ephemeral resource result",
                format!("{} opened no object.", req.type_name),
            );
        }
        let diags = with_handler_warnings(diags, &ctx)?;
        Ok(pb::open_ephemeral_resource::Response {
            diagnostics: convert::diagnostics(diags),
            renew_at: opened.renew_at.map(prost_types::Timestamp::from),
            result: Some(encode_dynamic(
                &opened.result,
                &entry.ty,
                "ephemeral resource result",
            )?),
            private: (!opened.private.is_empty()).then_some(opened.private),
            deferred: None,
        })
    }

    pub(super) async fn renew_ephemeral_resource_impl(
        &self,
        req: pb::renew_ephemeral_resource::Request,
    ) -> Step<pb::renew_ephemeral_resource::Response> {
        let entry = self.ephemeral(&req.type_name)?;
        let ctx = self.context(None);
        let (private, renew_at) = entry
            .handler
            .erased_renew(&ctx, req.private.as_deref().unwrap_or_default())
            .await?;
        Ok(pb::renew_ephemeral_resource::Response {
            diagnostics: convert::diagnostics(ctx.take_warnings()),
            renew_at: renew_at.map(prost_types::Timestamp::from),
            private: (!private.is_empty()).then_some(private),
        })
    }

    pub(super) async fn close_ephemeral_resource_impl(
        &self,
        req: pb::close_ephemeral_resource::Request,
    ) -> Step<Diagnostics> {
        let entry = self.ephemeral(&req.type_name)?;
        let ctx = self.context(None);
        entry
            .handler
            .erased_close(&ctx, req.private.as_deref().unwrap_or_default())
            .await?;
        Ok(ctx.take_warnings())
    }
}
