//! `list "dr_security_group_rule"`: the rules of one VPC security group, for `terraform query`.
//!
//! The VPC API returns every rule of a group in one response (`GET
//! /v1/security_groups/{id}/rules`, not paginated), so a listing is one request. Rules are
//! listed in the API's order; those the resource cannot express are skipped
//! ([`super::adopt::listed_state`]).

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;
use tf_framework::validators::one_of;

use super::TYPE_NAME;
use super::adopt::{display_name, listed_state};
use super::model::RuleState;
use crate::resources::adoption::check_required_id;
use crate::support::{Action, clients, diagnose};

pub struct SecurityGroupRuleList;

/// The `config` block.
#[derive(Debug, Default, Deserialize)]
pub struct SecurityGroupRuleListConfig {
    pub security_group_id: Option<String>,
    pub direction: Option<String>,
}

#[async_trait]
impl ListResource for SecurityGroupRuleList {
    type Config = SecurityGroupRuleListConfig;
    type State = RuleState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description(
                "Finds the rules of a VPC security group that `dr_security_group_rule` can manage: CIDR or \
                 address remotes with protocol `tcp`, `udp`, `icmp`, `icmp_tcp_udp` or `any`. Rules whose \
                 remote is another security group, or with another protocol, are not listed.",
            )
            .attribute(
                Attribute::string("security_group_id")
                    .required()
                    .description("The security group whose rules are listed."),
            )
            .attribute(
                Attribute::string("direction")
                    .optional()
                    .validator(one_of(["inbound", "outbound"]))
                    .description("Only `inbound` or only `outbound` rules."),
            )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        check_required_id(config, "security_group_id")
    }

    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<SecurityGroupRuleListConfig>,
        results: &ListResults<RuleState>,
    ) -> Result<(), Diagnostics> {
        let clients = clients(ctx)?;
        let group = req.config.security_group_id.unwrap_or_default();
        let rules = match clients.vpc.list_rules(&group).await {
            Ok(rules) => rules,
            Err(e) if e.is_not_found() => {
                return Err(Diagnostics::from_error_at(
                    path!("security_group_id"),
                    "Security group not found",
                    format!(
                        "security_group_id: no VPC security group has the id {group:?} in this region."
                    ),
                ));
            }
            Err(e) => {
                return Err(diagnose(
                    Action::List,
                    TYPE_NAME,
                    &format!("rules of security group {group}"),
                    &e,
                ));
            }
        };
        for rule in &rules {
            let Some(state) = listed_state(&group, rule) else {
                continue;
            };
            let wanted = req
                .config
                .direction
                .as_deref()
                .is_none_or(|d| d == state.direction);
            if wanted && !results.push(display_name(&state), &state).await {
                break;
            }
        }
        Ok(())
    }
}
