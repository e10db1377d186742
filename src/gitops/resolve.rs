//! Kinds to API paths through discovery, so any kind a repo holds (CRDs
//! included) can be read, applied and pruned.

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::discovery::{Discovery, Scope};

use super::object::{ObjectKey, RenderedObject};

/// A resolved kind: how to reach it, and whether it lives in a namespace.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// One discovery run, reused for every object of a diff or sync.
pub struct Resolver {
    discovery: Discovery,
}

impl Resolver {
    pub async fn discover(client: &Client) -> Result<Resolver, kube::Error> {
        let discovery = Discovery::new(client.clone()).run().await?;
        Ok(Resolver { discovery })
    }

    /// The resource for an apiVersion and kind, as a manifest names them.
    pub fn for_api_version(&self, api_version: &str, kind: &str) -> Option<Resolved> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        self.discovery
            .resolve_gvk(&gvk)
            .map(|(resource, caps)| Resolved {
                resource,
                namespaced: caps.scope == Scope::Namespaced,
            })
    }

    /// The resource for a rendered object's apiVersion and kind.
    pub fn for_object(&self, obj: &RenderedObject) -> Option<Resolved> {
        self.for_api_version(&obj.api_version, &obj.kind)
    }

    /// The resource for a key, in the version its manifest names.
    pub fn for_key_version(
        &self,
        key: &ObjectKey,
        manifest: &serde_json::Value,
    ) -> Option<Resolved> {
        let api_version = manifest
            .get("apiVersion")
            .and_then(serde_json::Value::as_str)?;
        self.for_api_version(api_version, &key.kind)
    }

    /// Every namespaced resource the server lets one list (preferred
    /// versions, subresources excluded): what a namespace can hold.
    pub fn namespaced_listable(&self) -> Vec<Resolved> {
        self.discovery
            .groups()
            .flat_map(|group| group.recommended_resources())
            .filter(|(_, caps)| {
                caps.scope == Scope::Namespaced
                    && caps.supports_operation(kube::discovery::verbs::LIST)
            })
            .map(|(resource, _)| Resolved {
                resource,
                namespaced: true,
            })
            .collect()
    }

    /// The resource for an inventory key (group and kind, the preferred version).
    pub fn for_key(&self, key: &ObjectKey) -> Option<Resolved> {
        self.discovery
            .get(&key.group)?
            .recommended_kind(&key.kind)
            .map(|(resource, caps)| Resolved {
                resource,
                namespaced: caps.scope == Scope::Namespaced,
            })
    }
}

/// A dynamic API handle for one object's resource and namespace.
pub fn api(client: &Client, resolved: &Resolved, namespace: Option<&str>) -> Api<DynamicObject> {
    match (resolved.namespaced, namespace) {
        (true, Some(ns)) => Api::namespaced_with(client.clone(), ns, &resolved.resource),
        _ => Api::all_with(client.clone(), &resolved.resource),
    }
}

/// The error text of a kube call, the apiserver's message when there is one.
pub fn kube_message(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => status.message.clone(),
        other => crate::cluster::client::plain_client_error(other),
    }
}
