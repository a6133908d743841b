//! The `dr` provider: its arguments, their environment fallbacks, and the configured clients.
//!
//! Configuring never fails for lack of credentials: `terraform validate`, `terraform test`
//! with mock providers and plans of resources that need no cloud must work without any. The
//! error comes from [`DrProviderData::clients`], the first time something needs the cloud.

mod error;
pub mod orchestrator_ssh;
pub mod settings;

use std::sync::Arc;

use async_trait::async_trait;
use tf_framework::context::{Context, ProviderData};
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::list::DynListResource;
use tf_framework::path;
use tf_framework::provider::{ConfigureRequest, Provider};
use tf_framework::resource::DynResource;
use tf_framework::schema::{Attribute, Block, NestedBlock, Schema};
use tf_framework::validators::{int_between, one_of, regex_match};

use crate::cloud::{ClientConfig, Clients, RetryPolicy};
pub use crate::support::DrProviderData;
use settings::{ProviderConfig, SERVICES, Settings, SettingsError};

/// Language ranges of an HTTP `Accept-Language` header (RFC 9110): tags with optional weights.
const ACCEPT_LANGUAGE_PATTERN: &str = r"^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)(;q=(0(\.\d{0,3})?|1(\.0{0,3})?))?(\s*,\s*(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)(;q=(0(\.\d{0,3})?|1(\.0{0,3})?))?)*$";

/// The provider's registry address, as documented for users.
pub const ADDRESS: &str = "registry.terraform.io/powervs/dr";

/// The `dr` provider.
#[derive(Debug, Default)]
pub struct DrProvider;

fn settings_error(e: SettingsError) -> Diagnostics {
    Diagnostics::from_error_at(e.path, e.summary, e.detail)
}

fn schema() -> Schema {
    let endpoint = |name: &str, env: &str, service: &str| {
        Attribute::string(name).optional().description(format!(
            "Base URL of {service}. Falls back to the endpoints file, then `{env}`."
        ))
    };
    let endpoints = SERVICES.iter().fold(Block::new(), |block, s| {
        let service = match s.attribute {
            "iam" => "IAM",
            "resource_controller" => "Resource Controller",
            "global_catalog" => "Global Catalog",
            "resource_manager" => "Resource Manager",
            "power" => "the Power Virtual Server API",
            "vpc" => "the VPC API",
            "transit_gateway" => "Transit Gateway",
            _ => "DR Automation",
        };
        block.attribute(endpoint(s.attribute, s.env, service))
    });
    Schema::new()
        .description(
            "The `dr` provider sets up disaster recovery for IBM Power Virtual Server the way DR Automation \
             for PowerVS does. Every argument falls back to the environment variables of the IBM provider.",
        )
        .attribute(
            Attribute::string("ibmcloud_api_key")
                .optional()
                .sensitive()
                .description("IBM Cloud API key. Falls back to `IC_API_KEY`, then `IBMCLOUD_API_KEY`."),
        )
        .attribute(
            Attribute::string("iam_token")
                .optional()
                .sensitive()
                .description(
                    "An IAM access token handed in from outside (IBM Schematics). Falls back to `IC_IAM_TOKEN`. \
                     Ignored when an API key is available.",
                ),
        )
        .attribute(
            Attribute::string("iam_refresh_token")
                .optional()
                .sensitive()
                .description("The refresh token that goes with `iam_token`. Falls back to `IC_IAM_REFRESH_TOKEN`."),
        )
        .attribute(
            Attribute::string("region")
                .optional()
                .description("IBM Cloud region. Falls back to `IC_REGION`, then `IBMCLOUD_REGION`; default `us-south`."),
        )
        .attribute(
            Attribute::string("zone")
                .optional()
                .description("PowerVS zone such as `dal10`; picks the PowerVS API host. Falls back to `IC_ZONE`, then `IBMCLOUD_ZONE`."),
        )
        .attribute(
            Attribute::string("visibility")
                .optional()
                .validator(one_of(["public", "private"]))
                .description(
                    "`public` or `private` endpoints. Falls back to `IC_VISIBILITY`; default `public`. Private \
                     hosts: `private.iam.cloud.ibm.com`, `private.resource-controller.cloud.ibm.com`, \
                     `private.globalcatalog.cloud.ibm.com`, `private.<region>.power-iaas.cloud.ibm.com`, \
                     `<region>.private.iaas.cloud.ibm.com`, `private.transit.cloud.ibm.com` and \
                     `private.power-dra.cloud.ibm.com` (IBM documents no private DR Automation host; this one \
                     follows its naming for global services: set `endpoints.dr_automation` if yours differs).",
                ),
        )
        .attribute(
            Attribute::string("endpoints_file_path")
                .optional()
                .description(
                    "Path of an IBM endpoints file (JSON: variable name -> `public`/`private` -> region -> URL). \
                     Falls back to `IC_ENDPOINTS_FILE_PATH`.",
                ),
        )
        .attribute(
            Attribute::number("max_retries")
                .optional()
                .validator(int_between(0, 100))
                .description("Retries of a request that failed with 429, a 5xx other than 501 or a connection error. Falls back to `MAX_RETRIES`; default 10."),
        )
        .attribute(
            Attribute::number("request_timeout")
                .optional()
                .validator(int_between(1, 3600))
                .description("Timeout of one HTTP request, in seconds. Falls back to `IC_TIMEOUT`; default 60."),
        )
        .attribute(
            Attribute::string("accept_language")
                .optional()
                .validator(regex_match(
                    ACCEPT_LANGUAGE_PATTERN,
                    "an Accept-Language value such as \"de-DE\" or \"fr, en;q=0.8\"",
                ))
                .description(
                    "Language of DR Automation's messages, sent as the `Accept-Language` header of every DR \
                     Automation request (IBM's `accept_language` of `ibm_pdr_*`), e.g. `de-DE`. Default: none \
                     (the service's default, English).",
                ),
        )
        .block(
            NestedBlock::single(
                "endpoints",
                endpoints.description("Per-service endpoint overrides; they win over the endpoints file and the environment."),
            ),
        )
        .block(orchestrator_ssh::block())
}

#[async_trait]
impl Provider for DrProvider {
    type Config = ProviderConfig;

    fn type_name(&self) -> &str {
        "dr"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn configure(
        &self,
        ctx: &Context,
        req: ConfigureRequest<ProviderConfig>,
    ) -> Result<ProviderData, Diagnostics> {
        let settings = settings::resolve(
            &req.config,
            &|name| std::env::var(name).ok(),
            &|path| std::fs::read_to_string(path),
            &req.unknown_paths,
        )
        .map_err(settings_error)?;
        let clients = build_clients(ctx, &settings, &req.unknown_paths);
        Ok(Arc::new(DrProviderData::new(clients)))
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource>> {
        crate::resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn tf_framework::data_source::DynDataSource>> {
        crate::data_sources::all()
    }

    fn functions(&self) -> Vec<Arc<dyn tf_framework::function::Function>> {
        crate::functions::all()
    }

    fn actions(&self) -> Vec<Arc<dyn tf_framework::action::DynAction>> {
        crate::actions::all()
    }

    fn list_resources(&self) -> Vec<Arc<dyn DynListResource>> {
        crate::resources::list_all()
    }
}

fn build_clients(
    ctx: &Context,
    settings: &Settings,
    unknown: &[AttributePath],
) -> Result<Clients, Diagnostics> {
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|p| p.to_string()).collect();
        return Err(Diagnostics::from_error(
            "Provider configuration not yet known",
            format!(
                "The provider block depends on values known only after apply ({}), so IBM Cloud cannot be \
                 reached during this plan. Apply the resources it depends on first, or use -target.",
                names.join(", ")
            ),
        ));
    }
    let Some(credentials) = settings.credentials.clone() else {
        return Err(Diagnostics::from_error_at(
            path!("ibmcloud_api_key"),
            "No IBM Cloud credentials",
            "This operation calls IBM Cloud, but no credentials are configured. Set ibmcloud_api_key in the \
             provider block or the IC_API_KEY (or IBMCLOUD_API_KEY) environment variable; in IBM Schematics an \
             IAM token in IC_IAM_TOKEN also works.",
        ));
    };
    let e = &settings.endpoints;
    // Which host each service is reached at (the block, file, environment and visibility
    // resolved), so a user can see where a call went; URLs carry no secrets.
    tracing::debug!(
        iam = %e.iam,
        resource_controller = %e.resource_controller,
        global_catalog = %e.global_catalog,
        resource_manager = %e.resource_manager,
        power = %e.power,
        vpc = %e.vpc,
        transit_gateway = %e.transit_gateway,
        dr_automation = %e.dr_automation,
        "IBM Cloud endpoints"
    );
    let mut config = ClientConfig::new(settings.endpoints.clone(), credentials);
    config.retry = RetryPolicy {
        max_retries: settings.max_retries,
        ..RetryPolicy::default()
    };
    config.request_timeout = settings.request_timeout;
    config.terraform_version = Some(ctx.terraform_version().to_string()).filter(|v| !v.is_empty());
    config.orchestrator_ssh = settings.orchestrator_ssh.clone();
    config.accept_language = settings.accept_language.clone();
    Clients::new(&config, ctx.cancellation_token()).map_err(|e| {
        Diagnostics::from_error("Unable to create the IBM Cloud clients", e.to_string())
    })
}

/// An environment of fixed variables, for the settings tests.
#[cfg(test)]
fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn provider_schema_is_valid() {
        assert_schema_valid(&DrProvider.schema());
    }

    #[test]
    fn accept_language_takes_language_ranges_with_weights() {
        use tf_framework::validators::Validator;
        use tf_framework::value::Value;
        let validator = regex_match(ACCEPT_LANGUAGE_PATTERN, "a language");
        let errors = |text: &str| {
            let mut diags = Diagnostics::new();
            validator.validate(
                &AttributePath::root("accept_language"),
                &Value::String(text.into()),
                &mut diags,
            );
            diags.len()
        };
        for good in ["de-DE", "fr", "fr, en;q=0.8", "*", "zh-Hant-TW,en;q=0.5"] {
            assert_eq!(errors(good), 0, "{good}");
        }
        for bad in ["", "de DE", "en;q=2", "de_DE", "en,"] {
            assert_eq!(errors(bad), 1, "{bad}");
        }
    }
}
