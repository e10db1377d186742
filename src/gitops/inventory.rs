//! What bosun applied per app, kept in a ConfigMap in the app's namespace
//! (DESIGN §5, like Flux's inventory): which commit runs, and what pruning
//! owns.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde::{Deserialize, Serialize};

use super::diff::{MANAGED_BY_LABEL, MANAGED_BY_VALUE, MANAGER};
use super::object::ObjectKey;

/// Marks inventory ConfigMaps.
pub const INVENTORY_LABEL: &str = "bosun.dev/inventory";

/// How many past syncs the history keeps.
pub const HISTORY_LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub revision: String,
    #[serde(rename = "syncedAt")]
    pub synced_at: String,
    pub result: String,
    /// A sync to a commit other than HEAD (docs/ARCHITECTURE.md "Rollback").
    #[serde(
        rename = "rolledBack",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub rolled_back: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inventory {
    pub app: String,
    pub revision: String,
    pub synced_at: String,
    pub result: String,
    pub objects: Vec<ObjectKey>,
    /// Newest first, the current sync included.
    pub history: Vec<SyncRecord>,
    /// The last sync was a rollback: autoSync pauses until a sync of HEAD.
    pub rolled_back: bool,
}

impl Inventory {
    pub fn succeeded(&self) -> bool {
        self.result == "Succeeded"
    }
}

/// `bosun-inventory-<app>`: the app's name when it is a valid object name,
/// else a readable prefix and a hash, so two apps never share one.
pub fn config_map_name(app: &str) -> String {
    super::identity::object_name("bosun-inventory-", app)
}

/// Reads an app's inventory; `Ok(None)` when it was never synced.
pub async fn read(
    client: &Client,
    namespace: &str,
    app: &str,
) -> Result<Option<Inventory>, kube::Error> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let Some(cm) = api.get_opt(&config_map_name(app)).await? else {
        return Ok(None);
    };
    let data = cm.data.unwrap_or_default();
    // Another app's inventory under this name (written before names were
    // hashed) is not this app's history, nor what it owns.
    if data.get("app").is_some_and(|owner| owner != app) {
        return Ok(None);
    }
    Ok(Some(from_data(app, data)))
}

fn from_data(app: &str, data: BTreeMap<String, String>) -> Inventory {
    let field = |k: &str| data.get(k).cloned().unwrap_or_default();
    Inventory {
        app: app.to_string(),
        revision: field("revision"),
        synced_at: field("syncedAt"),
        result: field("result"),
        objects: field("objects")
            .lines()
            .filter_map(ObjectKey::from_inventory)
            .collect(),
        history: serde_json::from_str(&field("history")).unwrap_or_default(),
        rolled_back: field("rolledBack") == "true",
    }
}

/// Records a sync, pushing it on the history; applied with bosun's field
/// manager like everything else.
pub async fn record(
    client: &Client,
    namespace: &str,
    previous: Option<&Inventory>,
    mut next: Inventory,
) -> Result<Inventory, kube::Error> {
    let mut history = vec![SyncRecord {
        revision: next.revision.clone(),
        synced_at: next.synced_at.clone(),
        result: next.result.clone(),
        rolled_back: next.rolled_back,
    }];
    if let Some(previous) = previous {
        history.extend(previous.history.iter().cloned());
    }
    history.truncate(HISTORY_LEN);
    next.history = history;
    let objects: Vec<String> = next.objects.iter().map(ObjectKey::to_inventory).collect();
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": config_map_name(&next.app),
            "namespace": namespace,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE, INVENTORY_LABEL: "true"},
        },
        "data": {
            "app": next.app,
            "revision": next.revision,
            "syncedAt": next.synced_at,
            "result": next.result,
            "objects": objects.join("\n"),
            "history": serde_json::to_string(&next.history).unwrap_or_default(),
            "rolledBack": next.rolled_back.to_string(),
        }
    });
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    api.patch(
        &config_map_name(&next.app),
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&body),
    )
    .await?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid() {
        assert_eq!(config_map_name("blog-prod"), "bosun-inventory-blog-prod");
        assert_ne!(config_map_name("Blog_Prod"), config_map_name("blog-prod"));
    }

    #[test]
    fn keys_round_trip() {
        let key = ObjectKey {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: Some("blog".into()),
            name: "blog".into(),
        };
        assert_eq!(ObjectKey::from_inventory(&key.to_inventory()), Some(key));
        let ns = ObjectKey {
            group: String::new(),
            kind: "Namespace".into(),
            namespace: None,
            name: "blog".into(),
        };
        assert_eq!(ObjectKey::from_inventory(&ns.to_inventory()), Some(ns));
    }
}
