//! Finding the account's DR Automation instances: what `terraform query` lists for
//! `dr_orchestrator` and `dr_ha_standby` alike.

use std::future::Future;

use serde::Serialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::ListResults;

use super::{DR_SERVICE_NAME, is_removed_state};
use crate::cloud::resource_controller::{ListInstances, ResourceInstance};
use crate::cloud::{Clients, CloudError};
use crate::support::listing::read_each;
use crate::support::{Action, clients, diagnose};

/// The CRN service name of DR Automation instances.
const DR_SERVICE_CRN: &str = ":power-dr-automation:";

/// Which DR Automation instances a listing wants.
#[derive(Debug, Default, Clone)]
pub struct InstanceFilter {
    pub guid: Option<String>,
    pub resource_group_id: Option<String>,
    pub name: Option<String>,
}

/// Whether `instance` is a live DR Automation instance that `filter` selects. Resource
/// Controller filters too; this keeps a lenient server from widening the result.
pub fn selects(filter: &InstanceFilter, instance: &ResourceInstance) -> bool {
    let is_dr = instance
        .crn
        .as_deref()
        .is_some_and(|c| c.contains(DR_SERVICE_CRN));
    let equal = |wanted: &Option<String>, actual: &Option<String>| {
        wanted.is_none() || wanted.as_deref() == actual.as_deref()
    };
    is_dr
        && !is_removed_state(instance.state.as_deref())
        && equal(&filter.guid, &instance.guid)
        && equal(&filter.resource_group_id, &instance.resource_group_id)
        && equal(&filter.name, &instance.name)
}

/// The Global Catalog id of the DR Automation service, which Resource Controller filters
/// instances by (`resource_id`): an account with thousands of other instances then pages only
/// through its DR ones. `None` when the catalog has no such entry; the CRN check still applies.
async fn dr_service_id(clients: &Clients) -> Result<Option<String>, CloudError> {
    let entries = clients
        .resource_controller
        .search_catalog(&format!("name:{DR_SERVICE_NAME}"))
        .await?;
    Ok(entries
        .into_iter()
        .find(|e| e.name.as_deref() == Some(DR_SERVICE_NAME))
        .and_then(|e| e.id))
}

/// The account's DR Automation instances that `filter` selects, in Resource Controller's order.
pub async fn dr_instances(
    clients: &Clients,
    filter: &InstanceFilter,
) -> Result<Vec<ResourceInstance>, CloudError> {
    let query = ListInstances {
        guid: filter.guid.clone(),
        name: filter.name.clone(),
        resource_group_id: filter.resource_group_id.clone(),
        resource_id: dr_service_id(clients).await?,
        type_: Some("service_instance".into()),
        ..ListInstances::default()
    };
    let all = clients.resource_controller.list_instances(&query).await?;
    Ok(all.into_iter().filter(|i| selects(filter, i)).collect())
}

/// Lists DR deployments for `terraform query` (`list "dr_orchestrator"`, `list
/// "dr_ha_standby"`): the DR instances `filter` selects, each read with `read(guid)` the way a
/// refresh reads it and pushed under `display_name(instance name, state)`. `object` names what
/// is read of one instance in diagnostics (`DR instance`, `standby of DR instance`).
pub async fn list_deployments<S, Fut>(
    ctx: &Context,
    type_name: &str,
    filter: &InstanceFilter,
    read: impl Fn(Clients, String) -> Fut,
    object: &str,
    display_name: impl Fn(&str, &S) -> String,
    results: &ListResults<S>,
) -> Result<(), Diagnostics>
where
    S: Serialize,
    Fut: Future<Output = Result<Option<S>, CloudError>>,
{
    let clients = clients(ctx)?;
    let fail = |object: &str, e: &CloudError| diagnose(Action::List, type_name, object, e);
    let instances = dr_instances(&clients, filter)
        .await
        .map_err(|e| fail("DR Automation service instances", &e))?;
    read_each(
        instances
            .into_iter()
            .filter_map(|i| Some((i.guid?, i.name.unwrap_or_default()))),
        |(guid, _)| read(clients.clone(), guid),
        results,
        |(_, name), state| display_name(name, state),
        |(guid, _), e| fail(&format!("{object} {guid}"), e),
    )
    .await
}
