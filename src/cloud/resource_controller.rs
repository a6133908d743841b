//! Resource Controller v2, plus the Global Catalog and Resource Manager look-ups it needs.
//!
//! The DR Automation service instance behind `dr_orchestrator` is provisioned and
//! deprovisioned here (real IBM Cloud has no other way). Creating an instance must not create
//! two when the first POST's outcome is unknown, so `create_instance` looks for an instance
//! with the same name, plan and resource group before repeating the POST.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CloudError;
use super::http::ServiceApi;
use super::poll::{PollOptions, PollStatus, wait_gone, wait_until};

/// `ResourceInstance` (RC v2). Every field is optional on the wire; names are IBM's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceInstance {
    pub id: Option<String>,
    pub guid: Option<String>,
    pub url: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub deleted_by: Option<String>,
    pub scheduled_reclaim_at: Option<String>,
    pub restored_at: Option<String>,
    pub restored_by: Option<String>,
    pub scheduled_reclaim_by: Option<String>,
    pub name: Option<String>,
    pub region_id: Option<String>,
    pub account_id: Option<String>,
    pub reseller_channel_id: Option<String>,
    pub resource_plan_id: Option<String>,
    pub resource_group_id: Option<String>,
    pub resource_group_crn: Option<String>,
    pub target_crn: Option<String>,
    pub onetime_credentials: Option<bool>,
    pub parameters: Option<Value>,
    pub allow_cleanup: Option<bool>,
    pub crn: Option<String>,
    /// `active, failed, inactive, pending_reclamation, pending_removal, pre_provisioning,
    /// provisioning, removed`.
    pub state: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub sub_type: Option<String>,
    pub resource_id: Option<String>,
    pub dashboard_url: Option<String>,
    pub last_operation: Option<ResourceInstanceLastOperation>,
    pub resource_aliases_url: Option<String>,
    pub resource_bindings_url: Option<String>,
    pub resource_keys_url: Option<String>,
    pub plan_history: Option<Vec<Value>>,
    pub migrated: Option<bool>,
    pub extensions: Option<Value>,
    pub controlled_by: Option<String>,
    pub locked: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceInstanceLastOperation {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub state: Option<String>,
    pub sub_type: Option<String>,
    #[serde(rename = "async")]
    pub async_: Option<bool>,
    pub description: Option<String>,
    pub reason_code: Option<String>,
    pub poll_after: Option<f64>,
    pub cancelable: Option<bool>,
    pub poll: Option<bool>,
}

/// Body of `POST /v2/resource_instances`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceInstanceCreate {
    pub name: String,
    /// Deployment target: `global` for DR Automation, the zone for PowerVS.
    pub target: String,
    pub resource_group: String,
    pub resource_plan_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_cleanup: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// Filters of `GET /v2/resource_instances`.
#[derive(Debug, Clone, Default)]
pub struct ListInstances {
    pub guid: Option<String>,
    pub name: Option<String>,
    pub resource_group_id: Option<String>,
    pub resource_id: Option<String>,
    pub resource_plan_id: Option<String>,
    pub type_: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceInstancesList {
    pub rows_count: Option<u64>,
    pub next_url: Option<String>,
    pub resources: Vec<ResourceInstance>,
}

/// Resource Manager `ResourceGroup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceGroup {
    pub id: Option<String>,
    pub crn: Option<String>,
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub default: Option<bool>,
    pub quota_id: Option<String>,
    pub quota_url: Option<String>,
    pub payment_methods_url: Option<String>,
    pub resource_linkages: Option<Vec<Value>>,
    pub teams_url: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceGroupList {
    pub resources: Vec<ResourceGroup>,
}

/// Global Catalog `CatalogEntry` (the fields we read; the rest is kept in `other`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogEntry {
    pub id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub active: Option<bool>,
    pub disabled: Option<bool>,
    pub parent_id: Option<String>,
    pub catalog_crn: Option<String>,
    pub children_url: Option<String>,
    pub geo_tags: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub url: Option<String>,
    pub metadata: Option<Value>,
    pub overview_ui: Option<Value>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

/// Global Catalog `EntrySearchResult`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EntrySearchResult {
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub count: Option<u64>,
    pub resource_count: Option<u64>,
    pub first: Option<String>,
    pub last: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub resources: Vec<CatalogEntry>,
}

/// A failed wait, explained by the instance's last operation (`fallback` when it has none).
fn failed_with_last_operation<T>(
    instance: ResourceInstance,
    state: String,
    fallback: String,
) -> PollStatus<T> {
    PollStatus::Failed {
        message: instance
            .last_operation
            .and_then(|op| op.description)
            .unwrap_or(fallback),
        state,
    }
}

/// Pages are requested this large; RC allows up to 100.
const PAGE_LIMIT: &str = "100";
/// Safety stop for a pagination loop that never ends (a server bug must not hang an apply).
const MAX_PAGES: usize = 1000;

#[derive(Debug, Clone)]
pub struct ResourceControllerClient {
    rc: ServiceApi,
    catalog: ServiceApi,
    manager: ServiceApi,
}

impl ResourceControllerClient {
    pub fn new(rc: ServiceApi, catalog: ServiceApi, manager: ServiceApi) -> Self {
        Self {
            rc,
            catalog,
            manager,
        }
    }

    pub async fn get_instance(&self, id: &str) -> Result<ResourceInstance, CloudError> {
        self.rc.get(&["v2", "resource_instances", id]).await
    }

    /// Every instance matching `filter`, following `next_url`.
    pub async fn list_instances(
        &self,
        filter: &ListInstances,
    ) -> Result<Vec<ResourceInstance>, CloudError> {
        let page_request = |start: Option<&str>| {
            self.rc
                .request(Method::GET, &["v2", "resource_instances"])
                .query_all(&[
                    ("guid", filter.guid.as_deref()),
                    ("name", filter.name.as_deref()),
                    ("resource_group_id", filter.resource_group_id.as_deref()),
                    ("resource_id", filter.resource_id.as_deref()),
                    ("resource_plan_id", filter.resource_plan_id.as_deref()),
                    ("type", filter.type_.as_deref()),
                    ("state", filter.state.as_deref()),
                    ("limit", Some(PAGE_LIMIT)),
                    ("start", start),
                ])
        };
        self.rc
            .follow_pages(MAX_PAGES, page_request, |_, page: ResourceInstancesList| {
                Ok((page.resources, page.next_url))
            })
            .await
    }

    /// Provisions an instance. If the POST's outcome is unknown, an instance with the same
    /// name, plan and resource group that is not being removed counts as the one we made.
    pub async fn create_instance(
        &self,
        body: &ResourceInstanceCreate,
    ) -> Result<ResourceInstance, CloudError> {
        let filter = ListInstances {
            name: Some(body.name.clone()),
            resource_group_id: Some(body.resource_group.clone()),
            resource_plan_id: Some(body.resource_plan_id.clone()),
            ..ListInstances::default()
        };
        self.rc
            .post_checked(&["v2", "resource_instances"], body, || async {
                let found = self.list_instances(&filter).await?;
                Ok(found.into_iter().find(|i| {
                    i.name.as_deref() == Some(body.name.as_str())
                        && !matches!(
                            i.state.as_deref(),
                            Some("removed" | "pending_removal" | "pending_reclamation")
                        )
                }))
            })
            .await
    }

    /// Deprovisions an instance (202/204). A 404 is returned as `NotFound`; callers deleting
    /// treat that as success.
    pub async fn delete_instance(&self, id: &str, recursive: bool) -> Result<(), CloudError> {
        let request = self
            .rc
            .request(Method::DELETE, &["v2", "resource_instances", id])
            .query("recursive", if recursive { "true" } else { "false" });
        self.rc.send_empty(request).await
    }

    /// Waits until the instance is `active`; `failed` ends the wait with the last
    /// operation's description. `provisioning` and `inactive` are progress, not failure.
    pub async fn wait_instance_active(
        &self,
        id: &str,
        options: &PollOptions,
    ) -> Result<ResourceInstance, CloudError> {
        let read = || self.get_instance(id);
        wait_until(options, read, |instance| {
            let state = instance.state.clone().unwrap_or_default();
            match state.as_str() {
                "active" => PollStatus::Done(instance),
                "failed" | "removed" | "pending_removal" | "pending_reclamation" => {
                    let fallback = format!("the instance is {state}");
                    failed_with_last_operation(instance, state, fallback)
                }
                _ => PollStatus::Pending { state },
            }
        })
        .await
    }

    /// Waits until the instance is gone (404, `removed` or `pending_reclamation`).
    pub async fn wait_instance_removed(
        &self,
        id: &str,
        options: &PollOptions,
    ) -> Result<(), CloudError> {
        let read = || self.get_instance(id);
        wait_gone(options, read, |instance| {
            let state = instance.state.clone().unwrap_or_default();
            match state.as_str() {
                "removed" | "pending_reclamation" => PollStatus::Done(()),
                "failed" => {
                    failed_with_last_operation(instance, state, "deprovisioning failed".into())
                }
                _ => PollStatus::Pending { state },
            }
        })
        .await
    }

    /// Global Catalog search: `GET /api/v1?q=...`.
    pub async fn search_catalog(&self, query: &str) -> Result<Vec<CatalogEntry>, CloudError> {
        let request = self
            .catalog
            .request(Method::GET, &["api", "v1"])
            .query("q", query)
            .query("complete", "false");
        let result: EntrySearchResult = self.catalog.send_json(request).await?;
        Ok(result.resources)
    }

    /// Global Catalog children of one kind: `GET /api/v1/{id}/{kind}`.
    pub async fn catalog_children(
        &self,
        parent_id: &str,
        kind: &str,
    ) -> Result<Vec<CatalogEntry>, CloudError> {
        let result: EntrySearchResult = self.catalog.get(&["api", "v1", parent_id, kind]).await?;
        Ok(result.resources)
    }

    /// The plan id of `plan_name` of catalog service `service_name`
    /// (`power-dr-automation` / `power-virtual-server-dr-automation`).
    pub async fn find_plan_id(
        &self,
        service_name: &str,
        plan_name: &str,
    ) -> Result<String, CloudError> {
        let not_found = |what: String| CloudError::Config(what);
        let services = self.search_catalog(&format!("name:{service_name}")).await?;
        let service = services
            .iter()
            .find(|e| e.name.as_deref() == Some(service_name))
            .and_then(|e| e.id.clone())
            .ok_or_else(|| {
                not_found(format!(
                    "the Global Catalog has no service named {service_name:?}"
                ))
            })?;
        let plans = self.catalog_children(&service, "plan").await?;
        plans
            .iter()
            .find(|p| p.name.as_deref() == Some(plan_name))
            .and_then(|p| p.id.clone())
            .ok_or_else(|| {
                let known: Vec<_> = plans.iter().filter_map(|p| p.name.clone()).collect();
                not_found(format!(
                    "service {service_name:?} has no plan {plan_name:?}; plans: {}",
                    known.join(", ")
                ))
            })
    }

    /// `GET /v2/resource_groups` with optional `account_id`, `name`, `default` filters.
    pub async fn list_resource_groups(
        &self,
        account_id: Option<&str>,
        name: Option<&str>,
        default_only: bool,
    ) -> Result<Vec<ResourceGroup>, CloudError> {
        let request = self
            .manager
            .request(Method::GET, &["v2", "resource_groups"])
            .query_opt("account_id", account_id)
            .query_opt("name", name)
            .query_opt("default", default_only.then_some("true"));
        let list: ResourceGroupList = self.manager.send_json(request).await?;
        Ok(list.resources)
    }

    /// The account's default resource group.
    pub async fn default_resource_group(
        &self,
        account_id: Option<&str>,
    ) -> Result<ResourceGroup, CloudError> {
        let groups = self.list_resource_groups(account_id, None, true).await?;
        groups
            .into_iter()
            .find(|g| g.default == Some(true))
            .ok_or_else(|| CloudError::Config("the account has no default resource group".into()))
    }
}
