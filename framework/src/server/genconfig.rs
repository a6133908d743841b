//! GenerateResourceConfig (protocol 6.10, Terraform 1.14+): the configuration Terraform writes
//! for an imported object under `-generate-config-out`. The framework announces the capability
//! for every resource, so Terraform asks instead of guessing from the state; the rules are in
//! [`crate::genconfig`].

use super::convert::{decode_dynamic, encode_dynamic};
use super::{ProviderServer, Step};
use crate::diag::Diagnostics;
use crate::genconfig::{self, GeneratedConfig};
use crate::proto::tfplugin6 as pb;
use crate::value::Value;

impl ProviderServer {
    pub(super) async fn generate_resource_config_impl(
        &self,
        req: pb::generate_resource_config::Request,
    ) -> Step<pb::generate_resource_config::Response> {
        let entry = self.resource(&req.type_name)?;
        let state = decode_dynamic(req.state.as_ref(), &entry.ty, "imported state")?;
        if state.is_null() {
            // A list result without its object (`include_resource = false`): nothing to shape.
            return Ok(pb::generate_resource_config::Response {
                config: Some(encode_dynamic(
                    &Value::Null,
                    &entry.ty,
                    "generated configuration",
                )?),
                diagnostics: Vec::new(),
            });
        }
        if !state.is_wholly_known() {
            return Err(Diagnostics::from_error(
                "Invalid value from Terraform",
                format!(
                    "Terraform asked for the configuration of a {} whose state holds unknown values.",
                    req.type_name
                ),
            ));
        }
        let block = &entry.schema.block;
        let proposal = genconfig::propose(block, &state);
        let mut view = GeneratedConfig::new(state, proposal, entry.ty.clone());
        let ctx = self.context(None);
        entry
            .handler
            .erased_generate_config(&ctx, &mut view)
            .await?;
        let mut config = view.config;
        genconfig::strip_unwritable(block, &mut config);
        if !config.is_wholly_known() {
            return Err(Diagnostics::from_error(
                "Provider bug: generated configuration holds unknown values",
                format!(
                    "{} set an unknown value in its generated configuration.",
                    req.type_name
                ),
            ));
        }
        Ok(pb::generate_resource_config::Response {
            config: Some(encode_dynamic(
                &config,
                &entry.ty,
                "generated configuration",
            )?),
            diagnostics: super::convert::diagnostics(ctx.take_warnings()),
        })
    }
}
