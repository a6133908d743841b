//! IBM Cloud clients: one typed client per service over one shared HTTP core.
//!
//! This layer knows nothing about Terraform. Resources get a [`Clients`] bundle from the
//! provider's configure step and call typed methods; they never build URLs, handle retries or
//! parse error bodies. Every base URL comes from [`Endpoints`], so the same clients talk to
//! real IBM Cloud or to dr-cloudsim.
//!
//! Layout: `http` (retries, backoff, timeouts, redaction, error parsing), `iam` (tokens),
//! `error` (the one error enum), `poll` (waiting for target states), `redact`, the service
//! clients `resource_controller` (+ Global Catalog, Resource Manager), `power`, `vpc`,
//! `transit_gateway` and `dr_automation`; `ssh`, the transport to the orchestrator LPARs (one
//! pooled connection per host), and `ksys`, the orchestrator's own `ksysmgr` interface over it.

pub mod dr_automation;
pub mod error;
pub mod http;
pub mod iam;
pub mod ksys;
pub mod poll;
pub mod power;
pub mod redact;
pub mod resource_controller;
pub mod ssh;
pub mod transit_gateway;
pub mod vpc;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use error::{ApiError, CloudError};
pub use http::RetryPolicy;
pub use iam::{Credentials, TokenManager};
pub use poll::{PollOptions, PollStatus};

use dr_automation::DrAutomationClient;
use http::{HttpCore, HttpSettings, ServiceApi};
use ksys::KsysClient;
use power::PowerClient;
use redact::Redactor;
use resource_controller::ResourceControllerClient;
use ssh::{SshPool, SshSettings};
use transit_gateway::TransitGatewayClient;
use vpc::VpcClient;

/// Public or private IBM Cloud endpoints (provider argument `visibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
}

/// One base URL per service. Paths are appended by the clients, so a base is a host (or an
/// emulator prefix such as `http://127.0.0.1:8080/vpc`); a trailing `/v1` (VPC, Transit
/// Gateway) or `/api/v1` (Global Catalog), as IBM's endpoint variables often carry, is fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub iam: String,
    pub resource_controller: String,
    pub global_catalog: String,
    pub resource_manager: String,
    pub power: String,
    pub vpc: String,
    pub transit_gateway: String,
    pub dr_automation: String,
}

impl Endpoints {
    /// IBM Cloud's own endpoints for a region (`us-south`).
    pub fn ibm_cloud(region: &str, visibility: Visibility) -> Self {
        let private = visibility == Visibility::Private;
        let p = if private { "private." } else { "" };
        Self {
            iam: format!("https://{p}iam.cloud.ibm.com"),
            resource_controller: format!("https://{p}resource-controller.cloud.ibm.com"),
            global_catalog: format!("https://{p}globalcatalog.cloud.ibm.com"),
            resource_manager: format!("https://{p}resource-controller.cloud.ibm.com"),
            power: format!("https://{p}{region}.power-iaas.cloud.ibm.com"),
            vpc: if private {
                format!("https://{region}.private.iaas.cloud.ibm.com")
            } else {
                format!("https://{region}.iaas.cloud.ibm.com")
            },
            transit_gateway: format!("https://{p}transit.cloud.ibm.com"),
            // IBM documents only the public host (its SDKs' default URL) and IBM's own
            // provider always uses it. We follow IBM's convention for global services
            // (`private.iam`, `private.resource-controller`, `private.transit`): a user who
            // asked for private endpoints must not have DR Automation calls leave over the
            // public network. The `endpoints` block overrides it.
            dr_automation: format!("https://{p}power-dra.cloud.ibm.com"),
        }
    }

    /// Every service under one emulator, at dr-cloudsim's prefixes.
    pub fn emulator(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        Self {
            iam: format!("{base}/iam"),
            resource_controller: format!("{base}/rc"),
            global_catalog: format!("{base}/gc"),
            resource_manager: format!("{base}/rm"),
            power: format!("{base}/power"),
            vpc: format!("{base}/vpc"),
            transit_gateway: format!("{base}/tg"),
            dr_automation: format!("{base}/dra"),
        }
    }
}

/// Everything the clients need from the provider configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    /// Per-request timeout (provider argument `request_timeout`, default 60 s).
    pub request_timeout: Duration,
    /// From ConfigureProvider; goes into the User-Agent.
    pub terraform_version: Option<String>,
    /// SSH access to the orchestrators (provider block `orchestrator_ssh`), when configured.
    pub orchestrator_ssh: Option<SshSettings>,
    /// `Accept-Language` sent to DR Automation (provider argument `accept_language`).
    pub accept_language: Option<String>,
}

impl ClientConfig {
    pub fn new(endpoints: Endpoints, credentials: Credentials) -> Self {
        Self {
            endpoints,
            credentials,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
            terraform_version: None,
            orchestrator_ssh: None,
            accept_language: None,
        }
    }

    /// `terraform-provider-dr/<version> terraform/<version>`.
    pub fn user_agent(&self) -> String {
        format!(
            "terraform-provider-dr/{} terraform/{}",
            env!("CARGO_PKG_VERSION"),
            self.terraform_version.as_deref().unwrap_or("unknown")
        )
    }
}

/// The configured clients, cheap to clone, shared by every resource.
#[derive(Debug, Clone)]
pub struct Clients {
    pub tokens: Arc<TokenManager>,
    pub resource_controller: ResourceControllerClient,
    pub power: PowerClient,
    pub vpc: VpcClient,
    pub transit_gateway: TransitGatewayClient,
    pub dr_automation: DrAutomationClient,
    /// SSH to the orchestrator LPARs; `None` without `orchestrator_ssh`.
    pub orchestrator_ssh: Option<SshPool>,
    /// The orchestrator's `ksysmgr` over that SSH pool; `None` without `orchestrator_ssh`.
    pub ksys: Option<KsysClient>,
    cancel: CancellationToken,
    redactor: Arc<Redactor>,
}

impl Clients {
    /// Builds every client. `cancel` is the provider's stop signal (StopProvider): cancelling
    /// it ends every request, retry wait and poll at once.
    pub fn new(config: &ClientConfig, cancel: CancellationToken) -> Result<Self, CloudError> {
        let redactor = Arc::new(Redactor::new());
        let core = Arc::new(HttpCore::new(
            HttpSettings {
                retry: config.retry.clone(),
                request_timeout: config.request_timeout,
                user_agent: config.user_agent(),
            },
            redactor.clone(),
            cancel.clone(),
        )?);
        let tokens = Arc::new(TokenManager::new(
            core.clone(),
            &config.endpoints.iam,
            config.credentials.clone(),
        )?);
        let endpoints = &config.endpoints;
        let api = |service: &'static str, base: &str, strip: Option<&str>| {
            ServiceApi::new(core.clone(), tokens.clone(), service, base, strip)
        };
        let dra = api("dra", &endpoints.dr_automation, None)?;
        let orchestrator_ssh = config
            .orchestrator_ssh
            .clone()
            .map(|settings| SshPool::new(settings, cancel.clone(), redactor.clone()))
            .transpose()
            .map_err(|e| CloudError::Config(e.to_string()))?;
        Ok(Self {
            resource_controller: ResourceControllerClient::new(
                api("rc", &endpoints.resource_controller, None)?,
                api("gc", &endpoints.global_catalog, Some("/api/v1"))?,
                api("rm", &endpoints.resource_manager, None)?,
            ),
            power: PowerClient::new(api("power", &endpoints.power, None)?),
            vpc: VpcClient::new(api("vpc", &endpoints.vpc, Some("/v1"))?),
            transit_gateway: TransitGatewayClient::new(api(
                "tg",
                &endpoints.transit_gateway,
                Some("/v1"),
            )?),
            dr_automation: match &config.accept_language {
                Some(language) => DrAutomationClient::new(dra).with_accept_language(language),
                None => DrAutomationClient::new(dra),
            },
            ksys: orchestrator_ssh
                .clone()
                .map(|pool| KsysClient::new(Arc::new(pool))),
            orchestrator_ssh,
            tokens,
            cancel,
            redactor,
        })
    }

    /// The stop signal; pollers take a child of it.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Options for a wait that ends at `timeout` or when the provider stops.
    pub fn poll_options(&self, what: impl Into<String>, timeout: Duration) -> PollOptions {
        PollOptions::new(what, timeout, self.cancel.child_token())
    }

    /// Removes every secret the clients know of from `text` (for diagnostics built elsewhere).
    pub fn scrub(&self, text: &str) -> String {
        self.redactor.scrub(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClientConfig {
        ClientConfig::new(
            Endpoints::emulator("http://127.0.0.1:9"),
            Credentials::ApiKey("api-key-for-tests".into()),
        )
    }

    fn hosts(e: &Endpoints) -> [&str; 8] {
        [
            &e.iam,
            &e.resource_controller,
            &e.global_catalog,
            &e.resource_manager,
            &e.power,
            &e.vpc,
            &e.transit_gateway,
            &e.dr_automation,
        ]
    }

    #[test]
    fn every_service_has_its_public_and_its_private_host() {
        assert_eq!(
            hosts(&Endpoints::ibm_cloud("us-south", Visibility::Public)),
            [
                "https://iam.cloud.ibm.com",
                "https://resource-controller.cloud.ibm.com",
                "https://globalcatalog.cloud.ibm.com",
                "https://resource-controller.cloud.ibm.com",
                "https://us-south.power-iaas.cloud.ibm.com",
                "https://us-south.iaas.cloud.ibm.com",
                "https://transit.cloud.ibm.com",
                "https://power-dra.cloud.ibm.com",
            ]
        );
        assert_eq!(
            hosts(&Endpoints::ibm_cloud("us-south", Visibility::Private)),
            [
                "https://private.iam.cloud.ibm.com",
                "https://private.resource-controller.cloud.ibm.com",
                "https://private.globalcatalog.cloud.ibm.com",
                "https://private.resource-controller.cloud.ibm.com",
                "https://private.us-south.power-iaas.cloud.ibm.com",
                "https://us-south.private.iaas.cloud.ibm.com",
                "https://private.transit.cloud.ibm.com",
                "https://private.power-dra.cloud.ibm.com",
            ]
        );
    }

    #[test]
    fn orchestrator_ssh_exists_only_when_configured_and_its_secrets_are_scrubbed() {
        let clients = Clients::new(&config(), CancellationToken::new()).expect("clients");
        assert!(clients.orchestrator_ssh.is_none());

        let mut with_ssh = config();
        with_ssh.orchestrator_ssh = Some(SshSettings {
            password: Some("Orchestrator-Passw0rd".into()),
            ..SshSettings::default()
        });
        let clients = Clients::new(&with_ssh, CancellationToken::new()).expect("clients");
        assert!(clients.orchestrator_ssh.is_some());
        assert_eq!(
            clients.scrub("ksysmgr said Orchestrator-Passw0rd"),
            "ksysmgr said [REDACTED]"
        );
    }

    #[test]
    fn unusable_ssh_settings_fail_client_creation() {
        let mut bad = config();
        bad.orchestrator_ssh = Some(SshSettings {
            host_keys: vec!["not a key".into()],
            password: Some("pw".into()),
            ..SshSettings::default()
        });
        let err = Clients::new(&bad, CancellationToken::new()).unwrap_err();
        assert!(
            err.to_string().contains("orchestrator_ssh.host_keys[0]"),
            "{err}"
        );
    }
}
