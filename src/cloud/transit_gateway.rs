//! Transit Gateway: gateways, connections (the standby workspace is attached as a
//! `power_virtual_server` connection) and route reports (where overlapping prefixes show).
//!
//! Every call carries `version=YYYY-MM-DD`. Attaching a network must not happen twice when a
//! POST's outcome is unknown, so `create_connection` looks for a connection to the same
//! network first.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CloudError;
use super::http::ServiceApi;
use super::poll::{PollOptions, PollStatus, wait_gone, wait_until};

/// The API version date sent with every call.
pub const TG_API_VERSION: &str = "2024-07-16";
const PAGE_LIMIT: &str = "50";
const MAX_PAGES: usize = 1000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceGroupReference {
    pub id: Option<String>,
    pub href: Option<String>,
}

/// `TransitGateway`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransitGateway {
    pub id: String,
    pub crn: Option<String>,
    pub name: String,
    pub location: Option<String>,
    pub global: Option<bool>,
    /// `available | deleting | failed | pending | suspended | suspending`.
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub resource_group: Option<ResourceGroupReference>,
    pub connection_count: Option<u64>,
    pub connection_needs_attention: Option<bool>,
    pub gre_enhanced_route_propagation: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `permit` | `deny`.
    pub action: String,
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ge: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub le: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// `TransitGatewayConnectionCust`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransitConnection {
    pub id: String,
    pub name: Option<String>,
    pub network_type: Option<String>,
    /// CRN of the VPC / PowerVS workspace / ...
    pub network_id: Option<String>,
    pub network_account_id: Option<String>,
    /// `attached | deleting | detached | detaching | failed | network_pending | pending |
    /// suspended | suspending`.
    pub status: Option<String>,
    /// `approved | detached | expired | pending | rejected`.
    pub request_status: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub prefix_filters: Option<Vec<PrefixFilter>>,
    pub prefix_filters_default: Option<String>,
    pub zone: Option<Value>,
    pub tunnels: Option<Vec<Value>>,
    pub base_connection_id: Option<String>,
    pub base_network_type: Option<String>,
    pub cidr: Option<String>,
    pub local_bgp_asn: Option<u64>,
    pub local_gateway_ip: Option<String>,
    pub local_tunnel_ip: Option<String>,
    pub mtu: Option<u64>,
    pub remote_bgp_asn: Option<u64>,
    pub remote_gateway_ip: Option<String>,
    pub remote_tunnel_ip: Option<String>,
}

/// Body of `POST /transit_gateways/{id}/connections`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitConnectionCreate {
    /// `classic | directlink | gre_tunnel | power_virtual_server | redundant_gre |
    /// unbound_gre_tunnel | vpc | vpn_gateway`.
    pub network_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_filters: Option<Vec<PrefixFilter>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_filters_default: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteReportRoute {
    pub prefix: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteReportConnectionBgp {
    pub as_path: Option<String>,
    pub is_used: Option<bool>,
    pub local_preference: Option<String>,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteReportConnection {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub routes: Vec<RouteReportRoute>,
    pub bgps: Vec<RouteReportConnectionBgp>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteReportOverlappingRoute {
    pub connection_id: Option<String>,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteReportOverlappingRouteGroup {
    pub routes: Vec<RouteReportOverlappingRoute>,
}

/// `RouteReport`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteReport {
    pub id: String,
    /// `pending | complete | failed`.
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub connections: Vec<RouteReportConnection>,
    pub overlapping_routes: Vec<RouteReportOverlappingRouteGroup>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RouteReportCollection {
    route_reports: Vec<RouteReport>,
}

/// `v1/transit_gateways/{gateway_id}/<tail>`: connections and route reports live under
/// their gateway.
fn gateway_path<'a>(gateway_id: &'a str, tail: &[&'a str]) -> Vec<&'a str> {
    let mut segments = vec!["v1", "transit_gateways", gateway_id];
    segments.extend_from_slice(tail);
    segments
}

#[derive(Debug, Clone)]
pub struct TransitGatewayClient {
    api: ServiceApi,
}

impl TransitGatewayClient {
    /// Adds the `version` parameter to every call of `api`.
    pub fn new(api: ServiceApi) -> Self {
        Self {
            api: api.with_fixed_query("version", TG_API_VERSION),
        }
    }

    async fn list_all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        key: &str,
    ) -> Result<Vec<T>, CloudError> {
        self.api
            .list_pages(segments, key, &[], PAGE_LIMIT, MAX_PAGES)
            .await
    }

    pub async fn list_gateways(&self) -> Result<Vec<TransitGateway>, CloudError> {
        self.list_all(&["v1", "transit_gateways"], "transit_gateways")
            .await
    }

    pub async fn get_gateway(&self, id: &str) -> Result<TransitGateway, CloudError> {
        self.api.get(&["v1", "transit_gateways", id]).await
    }

    pub async fn list_connections(
        &self,
        gateway_id: &str,
    ) -> Result<Vec<TransitConnection>, CloudError> {
        let connections = gateway_path(gateway_id, &["connections"]);
        self.list_all(&connections, "connections").await
    }

    pub async fn get_connection(
        &self,
        gateway_id: &str,
        connection_id: &str,
    ) -> Result<TransitConnection, CloudError> {
        let connection = gateway_path(gateway_id, &["connections", connection_id]);
        self.api.get(&connection).await
    }

    /// Attaches a network (201). When the outcome is unknown, a connection to the same
    /// network (or, without a network id, with the same name) is taken as ours.
    pub async fn create_connection(
        &self,
        gateway_id: &str,
        body: &TransitConnectionCreate,
    ) -> Result<TransitConnection, CloudError> {
        let connections = gateway_path(gateway_id, &["connections"]);
        self.api
            .post_checked(&connections, body, || async {
                let existing = self.list_connections(gateway_id).await?;
                Ok(existing.into_iter().find(|c| {
                    c.network_type.as_deref() == Some(body.network_type.as_str())
                        && match &body.network_id {
                            Some(network) => c.network_id.as_deref() == Some(network.as_str()),
                            None => c.name == body.name,
                        }
                        && !matches!(c.status.as_deref(), Some("deleting" | "detaching"))
                }))
            })
            .await
    }

    /// Detaches a network (204). `NotFound` means it was already gone.
    pub async fn delete_connection(
        &self,
        gateway_id: &str,
        connection_id: &str,
    ) -> Result<(), CloudError> {
        let connection = gateway_path(gateway_id, &["connections", connection_id]);
        self.api.delete(&connection).await
    }

    /// Waits for `attached`; `failed` (or a rejected request) fails at once.
    pub async fn wait_connection_attached(
        &self,
        gateway_id: &str,
        connection_id: &str,
        options: &PollOptions,
    ) -> Result<TransitConnection, CloudError> {
        let read = || self.get_connection(gateway_id, connection_id);
        wait_until(options, read, |connection| {
            let status = connection.status.clone().unwrap_or_default();
            let request_status = connection.request_status.clone().unwrap_or_default();
            match (status.as_str(), request_status.as_str()) {
                ("attached", _) => PollStatus::Done(connection),
                ("failed", _) | (_, "rejected" | "expired") => PollStatus::Failed {
                    message: format!(
                        "connection {connection_id} is {status} (request {request_status})"
                    ),
                    state: status,
                },
                _ => PollStatus::Pending { state: status },
            }
        })
        .await
    }

    /// Waits until the connection is gone (404 or `detached`).
    pub async fn wait_connection_deleted(
        &self,
        gateway_id: &str,
        connection_id: &str,
        options: &PollOptions,
    ) -> Result<(), CloudError> {
        let read = || self.get_connection(gateway_id, connection_id);
        wait_gone(options, read, |c| match c.status.as_deref() {
            Some("detached") => PollStatus::Done(()),
            _ => PollStatus::Pending {
                state: c.status.unwrap_or_default(),
            },
        })
        .await
    }

    /// Starts a route report (202). Only one report per gateway exists, so a repeated POST
    /// after an unknown outcome is checked against the reports already there.
    pub async fn create_route_report(&self, gateway_id: &str) -> Result<RouteReport, CloudError> {
        let before: Vec<String> = self
            .list_route_reports(gateway_id)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let reports = gateway_path(gateway_id, &["route_reports"]);
        let request = self.api.request(Method::POST, &reports);
        self.api
            .create_checked(request, || async {
                let reports = self.list_route_reports(gateway_id).await?;
                Ok(reports.into_iter().find(|r| !before.contains(&r.id)))
            })
            .await
    }

    pub async fn list_route_reports(
        &self,
        gateway_id: &str,
    ) -> Result<Vec<RouteReport>, CloudError> {
        let reports = gateway_path(gateway_id, &["route_reports"]);
        let list: RouteReportCollection = self.api.get(&reports).await?;
        Ok(list.route_reports)
    }

    pub async fn get_route_report(
        &self,
        gateway_id: &str,
        report_id: &str,
    ) -> Result<RouteReport, CloudError> {
        let report = gateway_path(gateway_id, &["route_reports", report_id]);
        self.api.get(&report).await
    }

    pub async fn delete_route_report(
        &self,
        gateway_id: &str,
        report_id: &str,
    ) -> Result<(), CloudError> {
        let report = gateway_path(gateway_id, &["route_reports", report_id]);
        self.api.delete(&report).await
    }

    /// Waits for a route report to be `complete`.
    pub async fn wait_route_report(
        &self,
        gateway_id: &str,
        report_id: &str,
        options: &PollOptions,
    ) -> Result<RouteReport, CloudError> {
        let read = || self.get_route_report(gateway_id, report_id);
        wait_until(options, read, |report| {
            let status = report.status.clone().unwrap_or_default();
            match status.as_str() {
                "complete" => PollStatus::Done(report),
                "failed" => PollStatus::Failed {
                    state: status,
                    message: format!("route report {report_id} failed"),
                },
                _ => PollStatus::Pending { state: status },
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn connection_create_omits_unset_fields() {
        let body = TransitConnectionCreate {
            network_type: "power_virtual_server".into(),
            name: Some("secondary".into()),
            network_id: Some("crn:v1:bluemix:public:power-iaas:dal12:a/acc:g::".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap_or(Value::Null),
            json!({"network_type":"power_virtual_server","name":"secondary",
                   "network_id":"crn:v1:bluemix:public:power-iaas:dal12:a/acc:g::"})
        );
    }

    #[test]
    fn route_reports_decode_overlaps() {
        let report: RouteReport = serde_json::from_value(json!({
            "id":"rr1","status":"complete","created_at":"t",
            "connections":[{"id":"c1","name":"vpc","type":"vpc","routes":[{"prefix":"10.30.10.0/24"}],"bgps":[]}],
            "overlapping_routes":[{"routes":[{"connection_id":"c1","prefix":"10.51.0.0/24"},{"connection_id":"c2","prefix":"10.51.0.0/24"}]}]
        }))
        .unwrap_or_default();
        assert_eq!(report.connections[0].routes[0].prefix, "10.30.10.0/24");
        assert_eq!(report.overlapping_routes[0].routes.len(), 2);
    }
}
