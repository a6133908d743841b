//! `terraform-provider-drtest`: a provider built only to exercise tf-framework against the
//! real Terraform CLI. It keeps its objects in a JSON file (the provider's `store_path`), so
//! acceptance tests can check what was created, change it behind Terraform's back (drift,
//! out-of-band deletion) and confirm destroy.
//!
//! Layout: [`store`] (the JSON file), [`thing`] (`drtest_thing`, every value type and schema
//! feature, with an identity), [`thing_list`] (`list "drtest_thing"` for `terraform query`),
//! [`info`] (`drtest_thing_info` data source), [`echo`] (`provider::drtest::echo`), [`touch`]
//! (`drtest_touch`, an action), [`token`] (`drtest_token`, an ephemeral resource).

mod echo;
mod info;
mod store;
mod thing;
mod thing_list;
mod token;
mod touch;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::action::DynAction;
use tf_framework::context::{Context, ProviderData};
use tf_framework::data_source::DynDataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::ephemeral::DynEphemeralResource;
use tf_framework::function::Function;
use tf_framework::list::DynListResource;
use tf_framework::path;
use tf_framework::provider::{ConfigureRequest, Provider};
use tf_framework::resource::DynResource;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::server::ProviderServer;
use tf_framework::{ServeOptions, serve};

/// The provider's source address.
const ADDRESS: &str = "registry.terraform.io/powervs/drtest";

struct DrTest;

#[derive(Deserialize)]
struct DrTestConfig {
    store_path: Option<String>,
}

#[async_trait]
impl Provider for DrTest {
    type Config = DrTestConfig;

    fn type_name(&self) -> &str {
        "drtest"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("A provider for testing tf-framework; stores objects in a JSON file.")
            .attribute(
                Attribute::string("store_path")
                    .required()
                    .description("Path of the JSON file holding every object."),
            )
    }

    async fn configure(
        &self,
        _ctx: &Context,
        req: ConfigureRequest<DrTestConfig>,
    ) -> Result<ProviderData, Diagnostics> {
        match req.config.store_path {
            Some(path) if !path.is_empty() => Ok(Arc::new(store::Store::new(path.into()))),
            _ if req.unknown_paths.contains(&path!("store_path")) => {
                Err(Diagnostics::from_error_at(
                    path!("store_path"),
                    "store_path is unknown",
                    "store_path must be known when the provider is configured.",
                ))
            }
            _ => Err(Diagnostics::from_error_at(
                path!("store_path"),
                "Missing store_path",
                "Set store_path to the JSON file that holds the objects.",
            )),
        }
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource>> {
        vec![Arc::new(thing::Thing)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource>> {
        vec![Arc::new(info::ThingInfo)]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(echo::Echo)]
    }
    fn actions(&self) -> Vec<Arc<dyn DynAction>> {
        vec![Arc::new(touch::Touch)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn DynListResource>> {
        vec![Arc::new(thing_list::ThingList)]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn DynEphemeralResource>> {
        vec![Arc::new(token::Token)]
    }
}

#[tokio::main]
async fn main() {
    let debug = std::env::args().any(|a| a == "--debug");
    let server = ProviderServer::new(DrTest);
    if let Err(e) = serve(server, ServeOptions::new(ADDRESS).with_debug(debug)).await {
        eprintln!("{e}");
        std::process::exit(e.exit_code());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn schemas_are_valid() {
        assert_schema_valid(&Provider::schema(&DrTest));
        assert_schema_valid(&tf_framework::resource::Resource::schema(&thing::Thing));
        assert_schema_valid(&tf_framework::data_source::DataSource::schema(
            &info::ThingInfo,
        ));
        assert_schema_valid(&tf_framework::action::Action::schema(&touch::Touch));
        assert_schema_valid(&tf_framework::list::ListResource::schema(
            &thing_list::ThingList,
        ));
        assert_schema_valid(&tf_framework::ephemeral::EphemeralResource::schema(
            &token::Token,
        ));
    }
}
