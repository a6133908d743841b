//! `dr_security_group_rule`: one rule of a VPC security group, typically letting a PowerVS
//! subnet reach the VPC across the Transit Gateway.
//!
//! What users of `ibm_is_security_group_rule` hit, and how this resource avoids it:
//! - Parallel writes to one group fail at IBM → every write holds the group's lock ([`lock`]).
//! - Duplicate rules are not detected → a create whose outcome was unknown adopts the rule it
//!   made (the VPC client looks before repeating a POST), and an identical rule that exists but
//!   is not in state is an error at plan time that gives the import command.
//! - Protocol edits silently ignored → changing `protocol` replaces the rule; everything else is
//!   patched in place.
//! - Bad values found only at apply → [`model::check_config`] runs offline, with paths.
//!
//! [`adopt`] gives it an identity and import by it; [`list`] finds a group's rules for
//! `terraform query`.

pub mod adopt;
pub mod list;
pub mod lock;
pub mod model;

use async_trait::async_trait;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::identity::IdentityBinding;
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::{ConfigView, PlanView};
use tf_framework::validators::one_of;
use tf_framework::value::Attr;

use crate::cloud::vpc::{SecurityGroupRule, SecurityGroupRulePrototype, rule_matches};
use crate::cloud::{Clients, CloudError};
use crate::resources::adoption::nothing_to_import;
use crate::support::split_import_id;
use crate::support::{Action, clients, diagnose};
use model::{ANY_CIDR, DEFAULT_PROTOCOL, PROTOCOLS, RuleState, composite_id};

const TYPE_NAME: &str = "dr_security_group_rule";

pub struct SecurityGroupRuleResource;

fn object_of(state: &RuleState) -> String {
    match &state.rule_id {
        Some(rule) => format!("rule {rule} of security group {}", state.security_group_id),
        None => format!("rule of security group {}", state.security_group_id),
    }
}

/// The error for an identical rule that Terraform does not manage.
fn identical_rule_error(
    security_group_id: &str,
    group_name: Option<&str>,
    rule: &SecurityGroupRule,
) -> Diagnostics {
    let group = match group_name {
        Some(name) => format!("{name} ({security_group_id})"),
        None => security_group_id.to_string(),
    };
    Diagnostics::from_error(
        "Identical security group rule already exists",
        format!(
            "Security group {group} already has rule {} ({}) with the same \
             direction, protocol, ports and CIDR blocks, and it is not in this Terraform state. Creating another \
             would duplicate it. Bring it under Terraform with:\n  terraform import {TYPE_NAME}.<name> {}\n(or an \
             import block with that id), or delete it first.",
            rule.id,
            rule.name.as_deref().unwrap_or("unnamed"),
            composite_id(security_group_id, &rule.id)
        ),
    )
}

fn find_identical<'a>(
    prototype: &SecurityGroupRulePrototype,
    rules: &'a [SecurityGroupRule],
) -> Option<&'a SecurityGroupRule> {
    rules.iter().find(|r| rule_matches(prototype, r))
}

/// A removed ICMP type or code cannot be unset by a patch, so it replaces the rule.
fn removed(check: &tf_framework::schema::ReplaceCheck<'_>) -> bool {
    !check.prior.is_null() && check.planned.is_null()
}

async fn read_rule(
    clients: &Clients,
    security_group_id: &str,
    rule_id: &str,
) -> Result<Option<SecurityGroupRule>, CloudError> {
    match clients.vpc.get_rule(security_group_id, rule_id).await {
        Ok(rule) => Ok(Some(rule)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn to_state(
    action: Action,
    security_group_id: &str,
    rule: &SecurityGroupRule,
    prior: Option<&RuleState>,
) -> Result<RuleState, Diagnostics> {
    model::from_rule(security_group_id, rule, prior).map_err(|e| {
        Diagnostics::from_error(
            format!(
                "Error {} {TYPE_NAME}",
                if action == Action::Import {
                    "importing"
                } else {
                    "reading"
                }
            ),
            e,
        )
    })
}

#[async_trait]
impl Resource for SecurityGroupRuleResource {
    type State = RuleState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "A rule of a VPC security group, such as one letting a PowerVS subnet reach the VPC through the \
                 Transit Gateway. Every protocol variant is supported. Writes to one security group are \
                 serialized; changing `protocol` (or removing `icmp_type`/`icmp_code`) replaces the rule, other \
                 changes are made in place. An identical rule that already exists outside Terraform is reported \
                 with the import command instead of being duplicated.",
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("`<security_group_id>/<rule_id>`, also the import id."),
            )
            .attribute(
                Attribute::string("rule_id")
                    .computed()
                    .use_state_for_unknown()
                    .description("The rule's id in the security group."),
            )
            .attribute(
                Attribute::string("security_group_id")
                    .required()
                    .requires_replace()
                    .description("The security group (for example a landing zone's `vpc_data[*].security_group` id)."),
            )
            .attribute(
                Attribute::string("direction")
                    .required()
                    .validator(one_of(["inbound", "outbound"]))
                    .description("`inbound` or `outbound`."),
            )
            .attribute(
                Attribute::string("remote_cidr")
                    .optional()
                    .computed()
                    .default_string(ANY_CIDR)
                    .description(
                        "The IPv4 CIDR block on the other side (the source of inbound traffic, the destination of \
                         outbound traffic), in canonical form. Default `0.0.0.0/0`.",
                    ),
            )
            .attribute(
                Attribute::string("protocol")
                    .optional()
                    .computed()
                    .default_string(DEFAULT_PROTOCOL)
                    .requires_replace()
                    .validator(one_of(PROTOCOLS))
                    .description(
                        "`tcp`, `udp`, `icmp`, `icmp_tcp_udp` (all three, every port) or `any` (every protocol). \
                         Default `any`. Changing it replaces the rule.",
                    ),
            )
            .attribute(
                Attribute::number("port_min")
                    .optional()
                    .description("First port (tcp and udp only; with port_max). Omit both for every port."),
            )
            .attribute(
                Attribute::number("port_max")
                    .optional()
                    .description("Last port (tcp and udp only; with port_min, not below it)."),
            )
            .attribute(
                Attribute::number("icmp_type")
                    .optional()
                    .requires_replace_if("removing the ICMP type replaces the rule", removed)
                    .description("ICMP type, 0–254 (icmp only). Omit for every type."),
            )
            .attribute(
                Attribute::number("icmp_code")
                    .optional()
                    .requires_replace_if("removing the ICMP code replaces the rule", removed)
                    .description("ICMP code, 0–255 (icmp only; needs icmp_type). Omit for every code."),
            )
            .attribute(
                Attribute::string("local_cidr")
                    .optional()
                    .computed()
                    .default_string(ANY_CIDR)
                    .description("The IPv4 CIDR block on this side (the group's targets). Default `0.0.0.0/0`."),
            )
            .attribute(
                Attribute::string("name")
                    .optional()
                    .computed()
                    .use_state_for_unknown()
                    .description("Name of the rule, unique in the group. IBM generates one when omitted."),
            )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        model::check_config(config)
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanView) -> Result<(), Diagnostics> {
        if !plan.is_create() {
            return Ok(());
        }
        let Attr::Known(security_group_id) = plan.planned::<String>(&path!("security_group_id"))?
        else {
            return Ok(());
        };
        let clients = clients(ctx)?;
        let group = match clients.vpc.get_security_group(&security_group_id).await {
            Ok(group) => group,
            Err(e) if e.is_not_found() => {
                return Err(Diagnostics::from_error_at(
                    path!("security_group_id"),
                    "Security group not found",
                    format!(
                        "No VPC security group has the id {security_group_id:?} in this region."
                    ),
                ));
            }
            Err(e) => {
                return Err(diagnose(
                    Action::Plan,
                    TYPE_NAME,
                    &format!("security group {security_group_id}"),
                    &e,
                ));
            }
        };
        if let Some(prototype) = model::planned_prototype(plan)?
            && let Some(existing) = find_identical(&prototype, &group.rules)
        {
            return Err(identical_rule_error(
                &security_group_id,
                Some(&group.name),
                existing,
            ));
        }
        Ok(())
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<RuleState>,
    ) -> Result<RuleState, Diagnostics> {
        let clients = clients(ctx)?;
        let planned = req.planned;
        let sg = planned.security_group_id.clone();
        let object = object_of(&planned);
        let prototype = model::prototype(&planned);
        let created = ctx
            .run(&format!("creating a {object}"), async {
                let _guard = lock::lock_group(&sg).await;
                // Under the lock, so no other write of this run can be mistaken for ours.
                let rules = clients
                    .vpc
                    .list_rules(&sg)
                    .await
                    .map_err(|e| diagnose(Action::Create, TYPE_NAME, &object, &e))?;
                if let Some(existing) = find_identical(&prototype, &rules) {
                    return Err(identical_rule_error(&sg, None, existing));
                }
                clients
                    .vpc
                    .create_rule(&sg, &prototype)
                    .await
                    .map_err(|e| diagnose(Action::Create, TYPE_NAME, &object, &e))
            })
            .await?;
        let mut state = to_state(Action::Create, &sg, &created, Some(&planned))?;
        // IBM echoes what was sent; keep the planned spelling of values it normalises.
        state.remote_cidr = state.remote_cidr.or(planned.remote_cidr);
        Ok(state)
    }

    async fn read(
        &self,
        ctx: &Context,
        state: RuleState,
    ) -> Result<Option<RuleState>, Diagnostics> {
        let Some(rule_id) = state.rule_id.clone() else {
            return Ok(None);
        };
        let clients = clients(ctx)?;
        let found = read_rule(&clients, &state.security_group_id, &rule_id)
            .await
            .map_err(|e| diagnose(Action::Read, TYPE_NAME, &object_of(&state), &e))?;
        match found {
            None => Ok(None),
            Some(rule) => {
                to_state(Action::Read, &state.security_group_id, &rule, Some(&state)).map(Some)
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<RuleState>,
    ) -> Result<RuleState, Diagnostics> {
        let clients = clients(ctx)?;
        let prior = req.prior;
        let mut planned = req.planned;
        planned.rule_id = prior.rule_id.clone();
        planned.id = prior.id.clone();
        let rule_id = prior.rule_id.clone().unwrap_or_default();
        let sg = prior.security_group_id.clone();
        let object = object_of(&prior);
        let patch = model::patch(&prior, &planned);
        if patch == Default::default() {
            planned.name = planned.name.or(prior.name);
            return Ok(planned);
        }
        let updated = ctx
            .run(&format!("updating {object}"), async {
                let _guard = lock::lock_group(&sg).await;
                clients
                    .vpc
                    .update_rule(&sg, &rule_id, &patch)
                    .await
                    .map_err(|e| diagnose(Action::Update, TYPE_NAME, &object, &e))
            })
            .await?;
        to_state(Action::Update, &sg, &updated, Some(&planned))
    }

    async fn delete(&self, ctx: &Context, state: RuleState) -> Result<(), Diagnostics> {
        let Some(rule_id) = state.rule_id.clone() else {
            return Ok(());
        };
        let clients = clients(ctx)?;
        let object = object_of(&state);
        ctx.run(&format!("deleting {object}"), async {
            let _guard = lock::lock_group(&state.security_group_id).await;
            match clients
                .vpc
                .delete_rule(&state.security_group_id, &rule_id)
                .await
            {
                Err(e) if !e.is_not_found() => {
                    Err(diagnose(Action::Delete, TYPE_NAME, &object, &e))
                }
                _ => Ok(()),
            }
        })
        .await
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<RuleState, Diagnostics> {
        let (sg, rule_id) = split_import_id(id, TYPE_NAME, "security_group_id", "rule_id")?;
        let clients = clients(ctx)?;
        let object = format!("rule {rule_id} of security group {sg}");
        match read_rule(&clients, &sg, &rule_id)
            .await
            .map_err(|e| diagnose(Action::Import, TYPE_NAME, &object, &e))?
        {
            Some(rule) => to_state(Action::Import, &sg, &rule, None),
            None => Err(nothing_to_import(format!(
                "Security group {sg} has no rule with id {rule_id:?}."
            ))),
        }
    }

    fn identity_binding(&self) -> Option<IdentityBinding<RuleState>> {
        Some(adopt::IDENTITY_BINDING)
    }
}
