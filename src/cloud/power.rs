//! PowerVS: workspaces (`/v1/workspaces`) and the `pcloud` API of one workspace.
//!
//! Every `pcloud` call must carry the `CRN` header
//! `crn:v1:bluemix:public:power-iaas:{zone}:a/{account}:{workspace_guid}::`: the account comes
//! from the IAM token's claims and the zone from the workspace, so a [`WorkspaceClient`] is
//! made from a workspace (or from its GUID, looking the zone up once). Field names follow the
//! PowerVS API's camelCase exactly.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CloudError;
use super::http::{ApiRequest, ServiceApi};
use super::poll::{PollOptions, PollStatus, wait_gone, wait_until};

/// `Workspace` of `/v1/workspaces`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Workspace {
    /// The workspace GUID (= `cloud_instance_id`).
    pub id: String,
    pub name: String,
    pub status: Option<String>,
    /// `off-premises` | `on-premises`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub capabilities: Option<Value>,
    pub details: Option<WorkspaceDetails>,
    pub location: Option<WorkspaceLocation>,
}

impl Workspace {
    /// The zone (`dal10`) from `location.region`.
    pub fn zone(&self) -> Option<&str> {
        self.location
            .as_ref()
            .and_then(|l| l.region.as_deref())
            .filter(|z| !z.is_empty())
    }

    pub fn crn(&self) -> Option<&str> {
        self.details.as_ref().and_then(|d| d.crn.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkspaceDetails {
    pub crn: Option<String>,
    #[serde(rename = "creationDate")]
    pub creation_date: Option<String>,
    pub href: Option<String>,
    #[serde(rename = "powerEdgeRouter")]
    pub power_edge_router: Option<Value>,
    #[serde(rename = "networkSecurityGroups")]
    pub network_security_groups: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkspaceLocation {
    pub region: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Workspaces {
    workspaces: Vec<Workspace>,
}

/// `Network` (single GET) and `NetworkReference` (list entries share these names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Network {
    #[serde(rename = "networkID")]
    pub network_id: String,
    pub name: String,
    /// `vlan` (private) | `pub-vlan` | `dhcp-vlan`.
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(rename = "vlanID")]
    pub vlan_id: Option<f64>,
    pub cidr: Option<String>,
    pub gateway: Option<String>,
    pub ip_address_ranges: Option<Vec<IpAddressRange>>,
    pub public_ip_address_ranges: Option<Vec<IpAddressRange>>,
    pub dns_servers: Option<Vec<String>>,
    pub mtu: Option<i64>,
    pub jumbo: Option<bool>,
    pub access_config: Option<String>,
    pub advertise: Option<String>,
    pub arp_broadcast: Option<String>,
    pub dhcp_managed: Option<bool>,
    pub ip_address_metrics: Option<Value>,
    pub crn: Option<String>,
    pub href: Option<String>,
    pub user_tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IpAddressRange {
    #[serde(rename = "startingIPAddress")]
    pub starting_ip_address: String,
    #[serde(rename = "endingIPAddress")]
    pub ending_ip_address: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Networks {
    networks: Vec<Network>,
}

/// `PVMInstance` / `PVMInstanceReference`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvmInstance {
    #[serde(rename = "pvmInstanceID")]
    pub pvm_instance_id: String,
    pub server_name: String,
    #[serde(rename = "imageID")]
    pub image_id: Option<String>,
    /// `BUILD, ACTIVE, ERROR, SHUTOFF, RESIZE, VERIFY_RESIZE, ...`.
    pub status: Option<String>,
    pub health: Option<PvmInstanceHealth>,
    pub fault: Option<PvmInstanceFault>,
    pub progress: Option<f64>,
    pub processors: Option<f64>,
    pub proc_type: Option<String>,
    pub memory: Option<f64>,
    pub minproc: Option<f64>,
    pub maxproc: Option<f64>,
    pub minmem: Option<f64>,
    pub maxmem: Option<f64>,
    pub sys_type: Option<String>,
    pub storage_type: Option<String>,
    pub storage_pool: Option<String>,
    pub networks: Option<Vec<PvmInstanceNetwork>>,
    /// `aix | ibmi | rhel | sles | vtl | rhcos`.
    pub os_type: Option<String>,
    pub operating_system: Option<String>,
    pub disk_size: Option<f64>,
    #[serde(rename = "volumeIDs")]
    pub volume_ids: Option<Vec<String>>,
    pub crn: Option<String>,
    pub creation_date: Option<String>,
    pub updated_date: Option<String>,
    pub task_state: Option<String>,
    pub href: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvmInstanceHealth {
    pub status: Option<String>,
    pub reason: Option<String>,
    pub last_update: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PvmInstanceFault {
    pub code: Option<Value>,
    pub message: Option<String>,
    pub details: Option<String>,
    pub created: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvmInstanceNetwork {
    #[serde(rename = "networkID")]
    pub network_id: Option<String>,
    pub network_name: Option<String>,
    pub ip_address: Option<String>,
    pub mac_address: Option<String>,
    #[serde(rename = "externalIP")]
    pub external_ip: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub href: Option<String>,
    #[serde(rename = "networkInterfaceID")]
    pub network_interface_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PvmInstances {
    pvm_instances: Vec<PvmInstance>,
}

/// Body of `PUT .../pvm-instances/{id}` (`PVMInstanceUpdate`); absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PvmInstanceUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processors: Option<f64>,
    /// GiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    /// `dedicated | shared | capped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proc_type: Option<String>,
}

/// Body of `POST .../pvm-instances` (`PVMInstanceCreate`); optional fields are omitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PvmInstanceCreate {
    pub server_name: String,
    #[serde(rename = "imageID")]
    pub image_id: String,
    pub processors: f64,
    /// `dedicated | shared | capped`.
    pub proc_type: String,
    pub memory: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sys_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub networks: Vec<PvmInstanceAddNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_pair_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PvmInstanceAddNetwork {
    #[serde(rename = "networkID")]
    pub network_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

/// Body of `POST .../networks` (`NetworkCreate`); optional fields are omitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkCreate {
    /// `vlan` (private) | `pub-vlan` (public).
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Required for `vlan`; IBM allocates public subnets itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_servers: Option<Vec<String>>,
}

/// `PVMInstanceNetworks`: the NICs of one VM.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct PvmInstanceNetworks {
    networks: Vec<PvmInstanceNetwork>,
}

/// Body of `DELETE .../pvm-instances/{id}/networks/{network_id}` (`PVMInstanceRemoveNetwork`):
/// without a MAC address every NIC of the VM on that network goes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct PvmInstanceRemoveNetwork {
    #[serde(skip_serializing_if = "Option::is_none")]
    mac_address: Option<String>,
}

/// `ImageReference` (workspace images and stock images).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Image {
    #[serde(rename = "imageID")]
    pub image_id: String,
    pub name: String,
    pub state: Option<String>,
    pub description: Option<String>,
    pub storage_type: Option<String>,
    pub storage_pool: Option<String>,
    pub specifications: Option<Value>,
    pub creation_date: Option<String>,
    pub last_update_date: Option<String>,
    pub href: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Images {
    images: Vec<Image>,
}

/// A workspace SSH key (`/pcloud/v1/tenants/{tenant}/sshkeys` shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SshKey {
    pub id: Option<String>,
    pub name: String,
    pub ssh_key: Option<String>,
    pub creation_date: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub primary_workspace: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SshKeys {
    ssh_keys: Vec<SshKey>,
}

impl PvmInstance {
    /// What the VM's fault says went wrong, when it reports one.
    pub fn fault_message(&self) -> Option<String> {
        self.fault.as_ref().and_then(|f| f.message.clone())
    }
}

/// The PowerVS client: workspace listing, and [`WorkspaceClient`]s for `pcloud` calls.
#[derive(Debug, Clone)]
pub struct PowerClient {
    api: ServiceApi,
}

impl PowerClient {
    pub fn new(api: ServiceApi) -> Self {
        Self { api }
    }

    /// `GET /v1/workspaces` (only `Authorization`, no CRN header).
    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>, CloudError> {
        let list: Workspaces = self.api.get(&["v1", "workspaces"]).await?;
        Ok(list.workspaces)
    }

    /// `GET /v1/workspaces/{id}`.
    pub async fn get_workspace(&self, guid: &str) -> Result<Workspace, CloudError> {
        self.api.get(&["v1", "workspaces", guid]).await
    }

    /// A client for one workspace whose zone is known.
    pub fn workspace(&self, guid: &str, zone: &str) -> WorkspaceClient {
        WorkspaceClient {
            api: self.api.clone(),
            guid: guid.to_string(),
            zone: zone.to_string(),
        }
    }

    /// A client for one workspace, looking its zone up (`GET /v1/workspaces/{id}`).
    pub async fn workspace_by_guid(&self, guid: &str) -> Result<WorkspaceClient, CloudError> {
        let workspace = self.get_workspace(guid).await?;
        let zone = workspace.zone().ok_or_else(|| CloudError::Decode {
            service: "power",
            operation: format!("GET /v1/workspaces/{guid}"),
            message: "the workspace has no location.region (zone)".into(),
        })?;
        Ok(self.workspace(guid, zone))
    }
}

/// `pcloud` calls of one workspace, each with the `CRN` header.
#[derive(Debug, Clone)]
pub struct WorkspaceClient {
    api: ServiceApi,
    guid: String,
    zone: String,
}

/// The workspace CRN PowerVS expects in the `CRN` header. IBM's staging hosts use the
/// `staging` cloud name; production (and an emulator) use `bluemix`.
pub fn workspace_crn(host: Option<&str>, zone: &str, account: &str, guid: &str) -> String {
    let cloud = match host {
        Some(h) if h.ends_with(".test.cloud.ibm.com") => "staging",
        _ => "bluemix",
    };
    format!("crn:v1:{cloud}:public:power-iaas:{zone}:a/{account}:{guid}::")
}

impl WorkspaceClient {
    pub fn guid(&self) -> &str {
        &self.guid
    }

    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// `segments` with the workspace's `CRN` header; `account` is the token's account.
    fn request_as(
        &self,
        account: &str,
        method: Method,
        segments: &[&str],
    ) -> Result<ApiRequest, CloudError> {
        let crn = workspace_crn(self.api.base().host_str(), &self.zone, account, &self.guid);
        self.api.request(method, segments).header("crn", &crn)
    }

    /// `.../cloud-instances/{guid}/<tail>` with the `CRN` header.
    async fn request(&self, method: Method, tail: &[&str]) -> Result<ApiRequest, CloudError> {
        let account = self.api.tokens().account_id().await?;
        let mut segments = vec!["pcloud", "v1", "cloud-instances", self.guid.as_str()];
        segments.extend_from_slice(tail);
        self.request_as(&account, method, &segments)
    }

    /// `GET` of a path under the workspace, the JSON answer decoded.
    async fn get<T: DeserializeOwned>(&self, tail: &[&str]) -> Result<T, CloudError> {
        self.api
            .send_json(self.request(Method::GET, tail).await?)
            .await
    }

    /// `POST` of a path under the workspace with a JSON body, for
    /// [`ServiceApi::create_checked`].
    async fn post_request(
        &self,
        tail: &[&str],
        body: &impl Serialize,
    ) -> Result<ApiRequest, CloudError> {
        self.request(Method::POST, tail).await?.json(body)
    }

    /// `DELETE` of a path under the workspace, whatever the success body.
    async fn delete(&self, tail: &[&str]) -> Result<(), CloudError> {
        self.api
            .send_empty(self.request(Method::DELETE, tail).await?)
            .await
    }

    pub async fn list_networks(&self) -> Result<Vec<Network>, CloudError> {
        let list: Networks = self.get(&["networks"]).await?;
        Ok(list.networks)
    }

    pub async fn get_network(&self, network_id: &str) -> Result<Network, CloudError> {
        self.get(&["networks", network_id]).await
    }

    /// Creates a network (`201`). When the outcome is unknown, a network of the same name
    /// counts as created.
    pub async fn create_network(&self, body: &NetworkCreate) -> Result<Network, CloudError> {
        let request = self.post_request(&["networks"], body).await?;
        self.api
            .create_checked(request, || async {
                let Some(name) = body.name.as_deref() else {
                    return Ok(None);
                };
                Ok(self
                    .list_networks()
                    .await?
                    .into_iter()
                    .find(|n| n.name == name))
            })
            .await
    }

    /// The NICs of a VM (`GET .../pvm-instances/{id}/networks`).
    pub async fn list_instance_networks(
        &self,
        pvm_instance_id: &str,
    ) -> Result<Vec<PvmInstanceNetwork>, CloudError> {
        let list: PvmInstanceNetworks = self
            .get(&["pvm-instances", pvm_instance_id, "networks"])
            .await?;
        Ok(list.networks)
    }

    /// Attaches a network to a running or stopped VM (`201` with the new NIC). When the
    /// outcome is unknown, a NIC of the VM on that network counts as attached.
    pub async fn attach_network(
        &self,
        pvm_instance_id: &str,
        body: &PvmInstanceAddNetwork,
    ) -> Result<PvmInstanceNetwork, CloudError> {
        let networks = ["pvm-instances", pvm_instance_id, "networks"];
        let request = self.post_request(&networks, body).await?;
        self.api
            .create_checked(request, || async {
                Ok(self
                    .list_instance_networks(pvm_instance_id)
                    .await?
                    .into_iter()
                    .find(|n| n.network_id.as_deref() == Some(body.network_id.as_str())))
            })
            .await
    }

    /// Detaches every NIC of the VM on `network_id` (`DELETE`, `200 {}`).
    pub async fn detach_network(
        &self,
        pvm_instance_id: &str,
        network_id: &str,
    ) -> Result<(), CloudError> {
        let request = self
            .request(
                Method::DELETE,
                &["pvm-instances", pvm_instance_id, "networks", network_id],
            )
            .await?
            .json(&PvmInstanceRemoveNetwork::default())?;
        self.api.send_empty(request).await
    }

    pub async fn list_instances(&self) -> Result<Vec<PvmInstance>, CloudError> {
        let list: PvmInstances = self.get(&["pvm-instances"]).await?;
        Ok(list.pvm_instances)
    }

    pub async fn get_instance(&self, pvm_instance_id: &str) -> Result<PvmInstance, CloudError> {
        self.get(&["pvm-instances", pvm_instance_id]).await
    }

    /// Creates VMs (the API answers with an array). When the outcome is unknown, a VM with
    /// the same `serverName` counts as created.
    pub async fn create_instance(
        &self,
        body: &PvmInstanceCreate,
    ) -> Result<Vec<PvmInstance>, CloudError> {
        let request = self.post_request(&["pvm-instances"], body).await?;
        self.api
            .create_checked(request, || async {
                let existing = self.list_instances().await?;
                let matching: Vec<_> = existing
                    .into_iter()
                    .filter(|vm| vm.server_name == body.server_name)
                    .collect();
                Ok((!matching.is_empty()).then_some(matching))
            })
            .await
    }

    /// Resizes (or otherwise updates) a VM; PowerVS answers 202 and the VM passes through
    /// `RESIZE` back to `ACTIVE` (wait with [`WorkspaceClient::wait_instance_ready`]).
    pub async fn update_instance(
        &self,
        pvm_instance_id: &str,
        body: &PvmInstanceUpdate,
    ) -> Result<Value, CloudError> {
        let request = self
            .request(Method::PUT, &["pvm-instances", pvm_instance_id])
            .await?
            .json(body)?;
        self.api.send_json(request).await
    }

    pub async fn delete_instance(&self, pvm_instance_id: &str) -> Result<(), CloudError> {
        self.delete(&["pvm-instances", pvm_instance_id]).await
    }

    /// Waits until the VM is `ACTIVE` (or `SHUTOFF` when `allow_shutoff`) with health `OK`
    /// (or `WARNING` when `accept_warning`). `ERROR` fails at once with the VM's fault.
    pub async fn wait_instance_ready(
        &self,
        pvm_instance_id: &str,
        accept_warning: bool,
        allow_shutoff: bool,
        options: &PollOptions,
    ) -> Result<PvmInstance, CloudError> {
        let read = || self.get_instance(pvm_instance_id);
        wait_until(options, read, |vm| {
            let status = vm.status.clone().unwrap_or_default().to_ascii_uppercase();
            let health = vm
                .health
                .as_ref()
                .and_then(|h| h.status.clone())
                .unwrap_or_default()
                .to_ascii_uppercase();
            match status.as_str() {
                "ERROR" => PollStatus::Failed {
                    message: vm
                        .fault_message()
                        .unwrap_or_else(|| "the VM is in ERROR with no fault message".into()),
                    state: status,
                },
                "ACTIVE" if health == "OK" || (accept_warning && health == "WARNING") => {
                    PollStatus::Done(vm)
                }
                "SHUTOFF" if allow_shutoff => PollStatus::Done(vm),
                _ => PollStatus::Pending {
                    state: format!("{status}/{health}"),
                },
            }
        })
        .await
    }

    /// Waits until `GET` of the VM returns 404.
    pub async fn wait_instance_deleted(
        &self,
        pvm_instance_id: &str,
        options: &PollOptions,
    ) -> Result<(), CloudError> {
        let read = || self.get_instance(pvm_instance_id);
        wait_gone(options, read, |vm| PollStatus::Pending {
            state: vm.status.unwrap_or_else(|| "present".into()),
        })
        .await
    }

    pub async fn list_images(&self) -> Result<Vec<Image>, CloudError> {
        let list: Images = self.get(&["images"]).await?;
        Ok(list.images)
    }

    pub async fn list_stock_images(&self) -> Result<Vec<Image>, CloudError> {
        let list: Images = self.get(&["stock-images"]).await?;
        Ok(list.images)
    }

    /// SSH keys visible in this workspace (`/pcloud/v1/tenants/{tenant}/sshkeys`, where the
    /// tenant is the account).
    pub async fn list_ssh_keys(&self) -> Result<Vec<SshKey>, CloudError> {
        let account = self.api.tokens().account_id().await?;
        let keys = ["pcloud", "v1", "tenants", &account, "sshkeys"];
        let request = self.request_as(&account, Method::GET, &keys)?;
        let list: SshKeys = self.api.send_json(request).await?;
        Ok(list.ssh_keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_body_uses_powervs_names_and_omits_unset_fields() {
        let body = PvmInstanceUpdate {
            processors: Some(1.25),
            memory: Some(8.0),
            proc_type: None,
        };
        let json = serde_json::to_value(&body).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"processors": 1.25, "memory": 8.0}));
    }

    #[test]
    fn crn_header_matches_the_documented_form() {
        assert_eq!(
            workspace_crn(
                Some("us-south.power-iaas.cloud.ibm.com"),
                "dal10",
                "acc",
                "ws-guid"
            ),
            "crn:v1:bluemix:public:power-iaas:dal10:a/acc:ws-guid::"
        );
        assert_eq!(
            workspace_crn(
                Some("dal.power-iaas.test.cloud.ibm.com"),
                "dal12",
                "acc",
                "g"
            ),
            "crn:v1:staging:public:power-iaas:dal12:a/acc:g::"
        );
        assert_eq!(
            workspace_crn(Some("127.0.0.1"), "dal10", "acc", "g"),
            "crn:v1:bluemix:public:power-iaas:dal10:a/acc:g::"
        );
    }

    #[test]
    fn models_decode_camel_case_fields() {
        let vm: Result<PvmInstance, _> = serde_json::from_str(
            r#"{"pvmInstanceID":"p1","serverName":"aix-1","status":"ERROR","osType":"aix",
                "health":{"status":"CRITICAL","lastUpdate":"x"},"fault":{"code":500,"message":"no capacity"},
                "networks":[{"networkID":"n1","ipAddress":"10.51.0.5","externalIP":""}],"volumeIDs":["v"]}"#,
        );
        let vm = vm.unwrap_or_default();
        assert_eq!(vm.pvm_instance_id, "p1");
        assert_eq!(vm.os_type.as_deref(), Some("aix"));
        assert_eq!(
            vm.fault.and_then(|f| f.message).as_deref(),
            Some("no capacity")
        );
        assert_eq!(
            vm.networks.unwrap_or_default()[0].ip_address.as_deref(),
            Some("10.51.0.5")
        );
        let ws: Workspace = serde_json::from_str(
            r#"{"id":"g","name":"primary","status":"active","type":"off-premises",
                "details":{"crn":"crn:v1:bluemix:public:power-iaas:dal10:a/acc:g::","creationDate":"d"},
                "location":{"region":"dal10","type":"data-center","url":"https://dal.power-iaas.cloud.ibm.com"}}"#,
        )
        .unwrap_or_default();
        assert_eq!(ws.zone(), Some("dal10"));
        assert_eq!(
            ws.crn(),
            Some("crn:v1:bluemix:public:power-iaas:dal10:a/acc:g::")
        );
    }
}
