//! The data source RPCs: ValidateDataResourceConfig and ReadDataSource.

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::{ProviderServer, Step, with_handler_warnings};
use crate::diag::Diagnostics;
use crate::plan::{check_read_result, null_write_only};
use crate::proto::tfplugin6 as pb;

impl ProviderServer {
    pub(super) async fn validate_data_resource_config_impl(
        &self,
        req: pb::validate_data_resource_config::Request,
    ) -> Step<Diagnostics> {
        let entry = self.data_source(&req.type_name)?;
        self.validate_registered(entry, req.config.as_ref(), "data source configuration")
            .await
    }

    pub(super) async fn read_data_source_impl(
        &self,
        req: pb::read_data_source::Request,
    ) -> Step<pb::read_data_source::Response> {
        let entry = self.data_source(&req.type_name)?;
        let config = decode_dynamic(req.config.as_ref(), &entry.ty, "data source configuration")?;
        let caps = convert::sent_capabilities(req.client_capabilities.as_ref());
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
        let diags = with_handler_warnings(diags, &ctx)?;
        Ok(pb::read_data_source::Response {
            state: Some(encode_dynamic(&state, &entry.ty, "data source result")?),
            diagnostics: convert::diagnostics(diags),
            deferred: None,
        })
    }
}
