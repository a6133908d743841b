//! The provider-level RPCs: GetMetadata, GetProviderSchema, ValidateProviderConfig and
//! ConfigureProvider. They describe what the provider serves and establish the provider data
//! every later call's [`Context`](crate::context::Context) carries.

use super::convert::{self, decode_dynamic};
use super::{ProviderServer, Step};
use crate::diag::{AttributePath, Diagnostics};
use crate::plan;
use crate::proto::tfplugin6 as pb;
use crate::validators::validate_config;
use crate::value::Value;

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

    pub(super) fn get_metadata_impl(&self) -> pb::get_metadata::Response {
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

    pub(super) fn get_provider_schema_impl(&self) -> pb::get_provider_schema::Response {
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

    fn provider_config(&self, config: Option<&pb::DynamicValue>) -> Step<Value> {
        decode_dynamic(config, &self.inner.provider_ty, "provider configuration")
    }

    pub(super) async fn validate_provider_config_impl(
        &self,
        req: pb::validate_provider_config::Request,
    ) -> Diagnostics {
        let inner = &self.inner;
        let config = match self.provider_config(req.config.as_ref()) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let mut diags = validate_config(&inner.provider_schema, &config, true);
        let ctx = self.context(None);
        diags.extend(inner.provider.erased_validate(&ctx, &config).await);
        diags
    }

    pub(super) async fn configure_provider_impl(
        &self,
        req: pb::configure_provider::Request,
    ) -> Diagnostics {
        let inner = &self.inner;
        let config = match self.provider_config(req.config.as_ref()) {
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
}
