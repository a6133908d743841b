//! What resources, data sources and actions share, so none of them reaches into another.
//!
//! The layers point one way: `provider` registers `resources`, `data_sources`, `actions` and
//! `functions`; those use this module; this module uses `cloud`. Here live:
//! - the provider's configured clients ([`DrProviderData`], [`clients`]);
//! - [`diagnose`], the one edge where a [`CloudError`] becomes a Terraform diagnostic, so every
//!   failure reads the same: the summary names the action and the type, the detail names the
//!   object and the API's own words;
//! - import-id parsing ([`split_import_id`]);
//! - per-process caches of cloud reads ([`coalesce`], [`directory`]) and the way to an
//!   orchestrator's KSYS ([`orchestrator_access`]);
//! - the steps every `terraform query` listing shares ([`listing`]).

pub mod coalesce;
pub mod directory;
mod import_id;
pub mod listing;
pub mod orchestrator_access;

pub use import_id::split_import_id;

use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;

use crate::cloud::ksys::KsysError;
use crate::cloud::{Clients, CloudError};

/// What the provider hands to resources, data sources and actions from `configure`.
pub struct DrProviderData {
    clients: Result<Clients, Diagnostics>,
}

impl DrProviderData {
    /// Wraps the clients, or the reason there are none, which is reported only when something
    /// needs the cloud (so `terraform validate` works without credentials).
    pub fn new(clients: Result<Clients, Diagnostics>) -> Self {
        Self { clients }
    }

    /// The clients, or the reason there are none (missing credentials, unknown configuration).
    pub fn clients(&self) -> Result<&Clients, Diagnostics> {
        self.clients.as_ref().map_err(Clone::clone)
    }
}

/// What a resource was doing when a call failed, for the diagnostic's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Import,
    Plan,
    /// Finding objects for `terraform query`.
    List,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::Create => "creating",
            Action::Read => "reading",
            Action::Update => "updating",
            Action::Delete => "deleting",
            Action::Import => "importing",
            Action::Plan => "planning",
            Action::List => "listing",
        }
    }
}

/// The diagnostic for a failed cloud call: "Error creating dr_orchestrator" with the object and
/// the cause (already redacted by the cloud layer), plus what to do where that is clear.
pub fn diagnose(action: Action, type_name: &str, object: &str, err: &CloudError) -> Diagnostics {
    let summary = format!("Error {} {type_name}", action.verb());
    let hint = match err {
        CloudError::Unauthorized(_) => {
            "\n\nCheck the API key (ibmcloud_api_key / IC_API_KEY) and its access to this account."
        }
        CloudError::TokenExpired { .. } => "",
        CloudError::RateLimited { .. } => {
            "\n\nIBM Cloud kept rate-limiting the request; raise max_retries or lower -parallelism."
        }
        CloudError::Timeout { .. } => {
            "\n\nRaise the matching value in the resource's timeouts block if the operation is merely slow."
        }
        CloudError::OutcomeUnknown { .. } => {
            "\n\nRun terraform apply again: the provider looks for the object before creating another."
        }
        CloudError::Orchestrator(k) => match k {
            KsysError::OutcomeUnknown { .. } | KsysError::Timeout { .. } => {
                "\n\nRun terraform apply again: the provider reads KSYS's state before repeating a command."
            }
            KsysError::HostKey { .. } => {
                "\n\nNothing was run. If the orchestrator was redeployed, update orchestrator_ssh.host_keys (or \
                 the known_hosts file) with its new key after checking it."
            }
            KsysError::Auth { .. } => {
                "\n\nCheck orchestrator_ssh: the orchestrator's root password is the orchestrator_password \
                 given at deployment, or use the private key of the deployment's ssh_key_name."
            }
            KsysError::Unreachable { .. } => {
                "\n\nThe orchestrator's private network must be reachable from where Terraform runs: configure \
                 orchestrator_ssh.jump_host (the landing zone's jump server) or a VPN."
            }
            KsysError::NotConfigured => {
                "\n\nAdd an orchestrator_ssh block to the provider configuration."
            }
            _ => "",
        },
        _ => "",
    };
    let what = if object.is_empty() {
        String::new()
    } else {
        format!("{object}: ")
    };
    Diagnostics::from_error(summary, format!("{what}{err}{hint}"))
}

/// The configured clients, or a diagnostic saying why there are none.
pub fn clients(ctx: &Context) -> Result<Clients, Diagnostics> {
    let data = ctx.provider_data::<DrProviderData>()?;
    data.clients().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::ApiError;

    #[test]
    fn diagnostics_name_the_action_the_object_and_the_cause() {
        let err = CloudError::Conflict(Box::new(ApiError {
            service: "tg",
            operation: "POST /v1/transit_gateways/{id}/connections".into(),
            status: 409,
            code: Some("conflict".into()),
            message: "The requested network is already connected".into(),
            trace: Some("abc".into()),
        }));
        let d = diagnose(Action::Create, "dr_ha_standby", "workspace ws-1", &err);
        let text = format!("{d:?}");
        assert!(text.contains("Error creating dr_ha_standby"), "{text}");
        assert!(text.contains("workspace ws-1"), "{text}");
        assert!(text.contains("already connected"), "{text}");
    }
}
