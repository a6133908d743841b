//! The provider-level RPCs: GetMetadata, GetProviderSchema, ValidateProviderConfig and
//! ConfigureProvider. They describe what the provider serves and establish the provider data
//! every later call's [`Context`](crate::context::Context) carries.

use std::collections::{BTreeMap, HashMap};

use super::convert::{self, decode_dynamic};
use super::{ProviderServer, Step};
use crate::diag::{AttributePath, Diagnostics};
use crate::plan;
use crate::proto::tfplugin6 as pb;
use crate::validators::validate_config;
use crate::value::Value;

/// One entry of GetMetadata per registered type, in name order.
fn per_name<E, M>(entries: &BTreeMap<String, E>, metadata: impl Fn(String) -> M) -> Vec<M> {
    entries.keys().cloned().map(metadata).collect()
}

/// What GetProviderSchema tells of each registered type, by type name.
fn per_entry<E, S>(entries: &BTreeMap<String, E>, schema: impl Fn(&E) -> S) -> HashMap<String, S> {
    entries
        .iter()
        .map(|(name, entry)| (name.clone(), schema(entry)))
        .collect()
}

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
        let inner = &self.inner;
        pb::get_metadata::Response {
            server_capabilities: Some(self.server_capabilities()),
            diagnostics: convert::diagnostics(inner.schema_problems.clone()),
            data_sources: per_name(&inner.data_sources, |type_name| {
                pb::get_metadata::DataSourceMetadata { type_name }
            }),
            resources: per_name(&inner.resources, |type_name| {
                pb::get_metadata::ResourceMetadata { type_name }
            }),
            functions: per_name(&inner.functions, |name| {
                pb::get_metadata::FunctionMetadata { name }
            }),
            actions: per_name(&inner.actions, |type_name| {
                pb::get_metadata::ActionMetadata { type_name }
            }),
            ephemeral_resources: per_name(&inner.ephemeral_resources, |type_name| {
                pb::get_metadata::EphemeralMetadata { type_name }
            }),
            list_resources: per_name(&inner.list_resources, |type_name| {
                pb::get_metadata::ListResourceMetadata { type_name }
            }),
            ..Default::default()
        }
    }

    pub(super) fn get_provider_schema_impl(&self) -> pb::get_provider_schema::Response {
        let inner = &self.inner;
        pb::get_provider_schema::Response {
            provider: Some(convert::schema(&inner.provider_schema)),
            resource_schemas: per_entry(&inner.resources, |r| convert::schema(&r.schema)),
            data_source_schemas: per_entry(&inner.data_sources, |d| convert::schema(&d.schema)),
            functions: self.function_map(),
            action_schemas: per_entry(&inner.actions, |a| pb::ActionSchema {
                schema: Some(convert::schema(&a.schema)),
            }),
            ephemeral_resource_schemas: per_entry(&inner.ephemeral_resources, |e| {
                convert::schema(&e.schema)
            }),
            list_resource_schemas: per_entry(&inner.list_resources, |l| convert::schema(&l.schema)),
            diagnostics: convert::diagnostics(inner.schema_problems.clone()),
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
