//! Finding the account's DR Automation instances: what `terraform query` lists for
//! `dr_orchestrator` and `dr_ha_standby` alike.

use super::{DR_SERVICE_NAME, is_removed_state};
use crate::cloud::resource_controller::{ListInstances, ResourceInstance};
use crate::cloud::{Clients, CloudError};

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
