//! Node rows: STATUS, ROLES, VERSION as `kubectl get nodes` prints them.

use k8s_openapi::api::core::v1::Node;

use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch};
use crate::cluster::quantity;

#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    pub name: Box<str>,
    pub status: Box<str>,
    pub health: Health,
    pub roles: Box<str>,
    pub version: Box<str>,
    pub internal_ip: Box<str>,
    pub created: Option<Epoch>,
    pub cpu_allocatable: Option<u64>,
    pub mem_allocatable: Option<u64>,
    /// Conditions other than Ready that are True (MemoryPressure ...).
    pub pressures: Box<str>,
    pub labels: Labels,
    search: Box<str>,
}

impl Row for NodeRow {
    fn ident(&self) -> (&str, &str) {
        ("", &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

/// kubectl's node roles: `node-role.kubernetes.io/<role>` keys and the
/// legacy `kubernetes.io/role` label.
fn roles(node: &Node) -> String {
    let mut roles: Vec<&str> = Vec::new();
    for (key, value) in node.metadata.labels.iter().flatten() {
        if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.push(role);
            }
        } else if key == "kubernetes.io/role" && !value.is_empty() {
            roles.push(value);
        }
    }
    roles.sort_unstable();
    roles.dedup();
    if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    }
}

impl NodeRow {
    pub fn from_node(node: &Node) -> Self {
        let name = node.metadata.name.clone().unwrap_or_default();
        let status = node.status.clone().unwrap_or_default();
        let conditions = status.conditions.unwrap_or_default();
        let ready = conditions
            .iter()
            .find(|condition| condition.type_ == "Ready");
        let mut text = match ready.map(|condition| condition.status.as_str()) {
            Some("True") => "Ready".to_string(),
            Some("False") => "NotReady".to_string(),
            _ => "Unknown".to_string(),
        };
        let unschedulable = node.spec.as_ref().and_then(|spec| spec.unschedulable) == Some(true);
        if unschedulable {
            text.push_str(",SchedulingDisabled");
        }
        let pressures: Vec<&str> = conditions
            .iter()
            .filter(|condition| condition.type_ != "Ready" && condition.status == "True")
            .map(|condition| condition.type_.as_str())
            .collect();
        let health = if !text.starts_with("Ready") {
            Health::Error
        } else if unschedulable || !pressures.is_empty() {
            Health::Warn
        } else {
            Health::Ok
        };
        let allocatable = status.allocatable.unwrap_or_default();
        let internal_ip = status
            .addresses
            .iter()
            .flatten()
            .find(|address| address.type_ == "InternalIP")
            .map(|address| address.address.clone())
            .unwrap_or_default();
        let version = status
            .node_info
            .map(|info| info.kubelet_version)
            .unwrap_or_default();
        let roles = roles(node);
        let search = format!("{name} {text} {roles}").to_lowercase();
        NodeRow {
            status: text.into(),
            health,
            roles: roles.into(),
            version: version.into(),
            internal_ip: internal_ip.into(),
            created: node.metadata.creation_timestamp.as_ref().map(epoch),
            cpu_allocatable: allocatable
                .get("cpu")
                .and_then(|q| quantity::cpu_millis(&q.0)),
            mem_allocatable: allocatable
                .get("memory")
                .and_then(|q| quantity::bytes(&q.0)),
            pressures: pressures.join(",").into(),
            labels: compact_labels(node.metadata.labels.as_ref()),
            name: name.into(),
            search: search.into(),
        }
    }
}
