//! The schema of `dr_orchestrator` and its offline (attribute) validators.
//!
//! Which attributes replace the deployment and which change in place follows what can change
//! on a running deployment: DR Automation cannot change a deployment's manage_dr inputs, so
//! those replace it; PowerVS resizes the VM and attaches networks in place, so `cores`,
//! `memory_gb` and `public_network` change in place. `cores`, `memory_gb` and
//! `public_network` are optional and computed: unset, they take IBM's defaults at creation and
//! afterwards follow the VM, so a resize or a public network done by hand (as IBM tells users
//! to) is kept rather than undone.

use tf_framework::schema::{Attribute, Block, NestedBlock, Schema};
use tf_framework::timeouts::{self, Operation};
use tf_framework::validators::{Custom, custom, one_of};
use tf_framework::value::{Number, Type};

use super::model::SCHEMA_VERSION;
use super::{DEFAULT_CORES, DEFAULT_MEMORY_GB, MAX_NAME_LEN};
use crate::resources::deployment::schema::{
    VmArgumentDocs, WithVmArguments, computed_string, replace_if_prior_set,
};
use crate::resources::deployment::{
    LOCATION_TYPE, machine_type_validator, workspace_guid_validator,
};

fn name_validator() -> Custom {
    custom(
        format!("1 to {MAX_NAME_LEN} letters, digits, '-' or '_'"),
        |path, value, diags| {
            let Some(name) = value.as_str() else {
                return;
            };
            let ok_chars = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if name.is_empty() || name.len() > MAX_NAME_LEN || !ok_chars {
                diags.error_at(
                    path.clone(),
                    "Invalid deployment name",
                    format!(
                        "{path}: {name:?} must be 1 to {MAX_NAME_LEN} letters, digits, '-' or '_': it names the \
                         service instance and the VMs \"<name>-orchestrator\" and \"<name>-standby\", and \
                         PowerVS VM names are at most 47 characters."
                    ),
                );
            }
        },
    )
}

fn cores_validator() -> Custom {
    custom("at least 0.5, in steps of 0.25", |path, value, diags| {
        let Some(cores) = value.as_number().and_then(Number::as_f64) else {
            return;
        };
        let quarters = cores * 4.0;
        if cores < DEFAULT_CORES || (quarters - quarters.round()).abs() > 1e-9 {
            diags.error_at(
                    path.clone(),
                    "Invalid core count",
                    format!(
                        "{path}: {cores} cores is not a PowerVS shared-processor size; use at least 0.5, in \
                         steps of 0.25 (0.5, 0.75, 1, 1.25, ...)."
                    ),
                );
        }
    })
}

fn memory_validator() -> Custom {
    custom("at least 4 (GB)", |path, value, diags| {
        let Some(memory) = value.as_number().and_then(Number::as_f64) else {
            return;
        };
        if memory < DEFAULT_MEMORY_GB {
            diags.error_at(
                path.clone(),
                "Not enough memory",
                format!(
                    "{path}: {memory} GB is below what the orchestrator (AIX 7.3) needs; use at least 4 GB."
                ),
            );
        }
    })
}

fn proxy_validator() -> Custom {
    custom("host:port, e.g. 10.30.40.4:3128", |path, value, diags| {
        let Some(text) = value.as_str() else {
            return;
        };
        let valid = match text.rsplit_once(':') {
            Some((host, port)) => {
                !host.is_empty()
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                    && port.parse::<u16>().is_ok_and(|p| p > 0)
            }
            None => false,
        };
        if !valid {
            diags.error_at(
                path.clone(),
                "Invalid proxy address",
                format!("{path}: {text:?} must be host:port or IP:port, e.g. \"10.30.40.4:3128\"."),
            );
        }
    })
}

/// A value that must not be empty or padded (keys, ids, names passed through to the API).
fn non_blank_validator(what: &'static str) -> Custom {
    custom(format!("a non-empty {what}"), move |path, value, diags| {
        let Some(text) = value.as_str() else {
            return;
        };
        if text.trim().is_empty() || text.trim() != text {
            diags.error_at(
                path.clone(),
                "Invalid value",
                format!(
                    "{path}: expected a non-empty {what} without leading or trailing spaces (got {} \
                     characters).",
                    text.chars().count()
                ),
            );
        }
    })
}

/// `service_instance_id`: the GUID (or CRN) of a DR Automation service instance.
fn service_instance_validator() -> Custom {
    custom(
        "the GUID or CRN of a DR Automation service instance",
        |path, value, diags| {
            let Some(text) = value.as_str() else {
                return;
            };
            let guid = super::model::instance_guid(text);
            let ok = !guid.is_empty()
                && guid.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                && (!text.starts_with("crn:") || text.contains(":power-dr-automation:"));
            if !ok {
                diags.error_at(
                    path.clone(),
                    "Invalid service instance id",
                    format!(
                        "{path}: {text:?} is not the GUID or CRN of a DR Automation service instance; use \
                         the guid (or id) of the power-dr-automation instance, e.g. \
                         ibm_resource_instance.dr.guid."
                    ),
                );
            }
        },
    )
}

fn secret_attribute(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .optional()
        .sensitive()
        .requires_replace_if("the value was known before", replace_if_prior_set)
        .validator(non_blank_validator("secret"))
        .description(description)
}

fn write_only_attribute(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .optional()
        .sensitive()
        .write_only()
        .validator(non_blank_validator("secret"))
        .description(description)
}

fn version_attribute(name: &str, secret: &str) -> Attribute {
    Attribute::number(name)
        .optional()
        .requires_replace_if("the version was known before", replace_if_prior_set)
        .description(format!(
            "Any number; changing it redeploys with the current `{secret}` (DR Automation cannot change \
             a running deployment's credentials)."
        ))
}

fn secrets_manager_block() -> NestedBlock {
    let field = |name: &str, description: &str| {
        Attribute::string(name)
            .required()
            .validator(non_blank_validator("value"))
            .description(description)
    };
    NestedBlock::single(
        "secrets_manager",
        Block::new()
            .attribute(field(
                "guid",
                "GUID of the IBM Secrets Manager instance (the API's `guid`).",
            ))
            .attribute(field("secret", "Name of the secret that holds the credentials."))
            .attribute(field("secret_group", "Secret group of that secret."))
            .attribute(field(
                "region_id",
                "Region of the Secrets Manager instance, e.g. `us-south` (the API's `region_id`).",
            ))
            .description(
                "IBM Secrets Manager keeps the deployment's credentials (IBM manage_dr's `guid`, `secret`, \
                 `secret_group`, `region_id`): an alternative to the password arguments, which become \
                 optional. Changing it replaces the deployment.",
            ),
    )
    .requires_replace()
}
pub fn schema() -> Schema {
    Schema::new()
        .version(SCHEMA_VERSION)
        .description(
            "A DR deployment of DR Automation for PowerVS: the DR Automation service instance (provisioned \
             through Resource Controller and deprovisioned on destroy, or adopted with `service_instance_id` \
             and then left in place) and the DR orchestrator VM it deploys in the primary workspace. \
             `cores`, `memory_gb` and `public_network` change in place; every other argument replaces the \
             deployment. Drift users and operators cause (a network attached, the VM resized, the public \
             network enabled by hand) never replaces it; a deployment whose orchestrator VM is gone while \
             its service instance still exists is replaced, never forgotten.",
        )
        .attribute(computed_string("id", "The DR Automation service instance GUID."))
        .attribute(
            Attribute::string("name")
                .required()
                .requires_replace()
                .validator(name_validator())
                .description(
                    "Name of the DR deployment: names the service instance; the orchestrator VMs are named \
                     `<name>-orchestrator` and `<name>-standby`.",
                ),
        )
        .attribute(
            Attribute::string("orchestrator_user")
                .required()
                .requires_replace()
                .description("Login of the orchestrator UI (the API's `orchestrator_name`)."),
        )
        .attribute(
            Attribute::string("workspace_id")
                .required()
                .requires_replace()
                .validator(workspace_guid_validator())
                .description(
                    "GUID of the primary PowerVS workspace (the landing zone's `powervs_workspace_guid`).",
                ),
        )
        .attribute(
            Attribute::string("location_id")
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .description("Zone of the primary workspace, e.g. `dal10`. Default: the workspace's zone."),
        )
        .attribute(
            Attribute::string("machine_type")
                .required()
                .requires_replace()
                .validator(machine_type_validator())
                .description(
                    "Power machine type (`s922`, `e980`, `s1022`, `e1050`, `e1080`, ...); at plan time it must \
                     also be one the workspace offers.",
                ),
        )
        .vm_arguments(VmArgumentDocs {
            network_ids: "Private (`vlan`) networks of the workspace the orchestrator is deployed with. Default: the \
                 workspace's first private network. Networks attached to the VM later (by hand or with \
                 `public_network`) are not listed here but in `attached_network_ids`.",
            ssh_key_name: "SSH key of the workspace for the orchestrator VM.",
            orchestrator_password: "Password of `orchestrator_user`, stored in state (sensitive). For Terraform older than \
                 1.11; otherwise prefer `orchestrator_password_wo`. Exactly one of the two must be set, \
                 unless `secrets_manager` holds the credentials.",
            orchestrator_password_wo: "Password of `orchestrator_user`, write-only (Terraform 1.11 and later): sent to the API, \
                 never stored in plan or state. Change `orchestrator_password_wo_version` to apply a new \
                 one.",
            orchestrator_password_wo_version: "Any number; changing it redeploys with the current `orchestrator_password_wo` (the API \
                 cannot change the password of a running orchestrator).",
        })
        .attribute(
            Attribute::string("managed_api_key")
                .optional()
                .sensitive()
                .requires_replace_if("the key was known before", replace_if_prior_set)
                .description("API key the orchestrator uses to manage the VMs (the API's `managed_apikey`)."),
        )
        .attribute(
            Attribute::string("proxy_ip")
                .optional()
                .requires_replace()
                .validator(proxy_validator())
                .description("Proxy the orchestrator reaches IBM Cloud through, as `IP:port`."),
        )
        .attribute(
            Attribute::string("resource_group_id")
                .optional_computed()
                .requires_replace()
                .use_state_for_unknown()
                .description("Resource group of the service instance. Default: the account's default group."),
        )
        .attribute(
            Attribute::number("cores")
                .optional_computed()
                .use_state_for_unknown()
                .validator(cores_validator())
                .description(
                    "Processors of the orchestrator VM (shared), at least 0.5 in steps of 0.25; orchestrators \
                     managing more than 100 VMs need more. Changes in place. Unset: 0.5 at creation, \
                     afterwards whatever the VM has (a resize done by hand is kept).",
                ),
        )
        .attribute(
            Attribute::number("memory_gb")
                .optional_computed()
                .use_state_for_unknown()
                .validator(memory_validator())
                .description(
                    "Memory of the orchestrator VM in GB, at least 4. Changes in place. Unset: 4 at creation, \
                     afterwards whatever the VM has.",
                ),
        )
        .attribute(
            Attribute::bool("public_network")
                .optional_computed()
                .use_state_for_unknown()
                .description(
                    "Attach the workspace's public network to the orchestrator VM (IBM deploys it with private \
                     networks only). Changes in place through PowerVS; the workspace's public network is \
                     created when there is none, and stays when detached. Unset: false at creation, \
                     afterwards whatever the VM has (a public network enabled by hand is kept).",
                ),
        )
        .attribute(
            Attribute::list("attached_network_ids", Type::String)
                .computed()
                .use_state_for_unknown()
                .description(
                    "Every network the orchestrator VM has now, in PowerVS's order: `network_ids` plus any \
                     attached later.",
                ),
        )
        .attribute(secret_attribute(
            "api_key",
            "API key of the service instance for the deployment (IBM manage_dr's `api_key`, which IBM \
             documents as required), stored in state (sensitive). Prefer `api_key_wo`.",
        ))
        .attribute(write_only_attribute(
            "api_key_wo",
            "`api_key`, write-only (Terraform 1.11 and later): sent to the API, never stored. Change \
             `api_key_wo_version` to send a new one.",
        ))
        .attribute(version_attribute("api_key_wo_version", "api_key_wo"))
        .attribute(
            Attribute::string("client_id")
                .optional()
                .requires_replace()
                .validator(non_blank_validator("client id"))
                .description(
                    "MFA: the client id created for the MFA authentication API. Goes with `tenant_name` and \
                     `client_secret` (or `client_secret_wo`).",
                ),
        )
        .attribute(secret_attribute(
            "client_secret",
            "MFA: the client secret of `client_id`, stored in state (sensitive). Prefer \
             `client_secret_wo`.",
        ))
        .attribute(write_only_attribute(
            "client_secret_wo",
            "MFA: the client secret, write-only (Terraform 1.11 and later).",
        ))
        .attribute(version_attribute("client_secret_wo_version", "client_secret_wo"))
        .attribute(
            Attribute::string("tenant_name")
                .optional()
                .requires_replace()
                .validator(non_blank_validator("tenant name"))
                .description("MFA: the tenant name for the MFA authentication API."),
        )
        .attribute(
            Attribute::string("orchestrator_location_type")
                .optional()
                .default_string(LOCATION_TYPE)
                .requires_replace()
                .validator(one_of(["off-premises", "on-premises"]))
                .description(
                    "Where the orchestrator runs: `off-premises` (in IBM Cloud, the default) or `on-premises`.",
                ),
        )
        .attribute(
            Attribute::string("service_instance_id")
                .optional()
                .validator(service_instance_validator())
                .description(
                    "Deploy into this existing DR Automation service instance (GUID or CRN, e.g. \
                     `ibm_resource_instance.dr.guid`) instead of provisioning one. The instance is adopted: \
                     destroy leaves it in place. Setting it to the deployment's own `id` (or removing it) \
                     only changes who owns the instance; another instance replaces the deployment.",
                ),
        )
        .attribute(computed_string("crn", "CRN of the DR Automation service instance."))
        .attribute(computed_string("dashboard_url", "URL of the orchestrator UI."))
        .attribute(
            Attribute::string("status")
                .computed()
                .description("Deployment status as DR Automation reports it, e.g. `Active`."),
        )
        .attribute(computed_string(
            "primary_ip_address",
            "IP address of the orchestrator VM.",
        ))
        .attribute(computed_string(
            "orchestrator_vm_id",
            "PowerVS instance id of the orchestrator VM; null after a refresh that found the VM gone \
             (the plan then replaces the deployment).",
        ))
        .attribute(
            Attribute::number("managed_vm_count")
                .computed()
                .description("Number of VMs the orchestrator manages (from the DR summary)."),
        )
        .block(secrets_manager_block())
        .block(timeouts::block(&[
            Operation::Create,
            Operation::Update,
            Operation::Delete,
        ]))
}
