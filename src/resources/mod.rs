//! One module per resource: schema, validation, planning, CRUD, import and tests together.
//!
//! [`diagnose`] is the one edge where a [`CloudError`] becomes a Terraform diagnostic, so every
//! resource reports failures the same way: the summary names the action and the resource type,
//! the detail names the object and the API's own words.

pub mod adoption;
pub mod ha_standby;
pub mod managed_vm;
pub mod orchestrator;
pub mod orchestrator_access;
pub mod security_group_rule;
pub mod test_schedule;

use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;

use crate::cloud::ksys::KsysError;
use crate::cloud::{Clients, CloudError};
use crate::provider::DrProviderData;

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
