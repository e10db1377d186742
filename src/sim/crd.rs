//! CustomResourceDefinitions: a stored CRD becomes served resources (one per
//! served version) after a short delay, when its status says Established;
//! deleting it removes the resource and its objects.

use std::sync::Arc;

use serde_json::{Value, json};

use super::objects::meta_mut;
use super::registry::{self, Registry, ResourceDef, ResourceId, Virtual};
use super::state::Shared;
use super::store::Store;
use super::util;

const CRD_API_VERSION: &str = "apiextensions.k8s.io/v1";
const CRD_KIND: &str = "CustomResourceDefinition";

pub(crate) fn is_crd(reg: &Registry, id: ResourceId) -> bool {
    reg.by_kind(CRD_API_VERSION, CRD_KIND) == Some(id)
}

/// The resources a CRD declares, one per served version.
fn defs_of(crd: &Value) -> Vec<ResourceDef> {
    let spec = crd.get("spec").cloned().unwrap_or(Value::Null);
    let s = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let (Some(group), Some(plural), Some(kind)) = (
        s(&spec, "/group"),
        s(&spec, "/names/plural"),
        s(&spec, "/names/kind"),
    ) else {
        return Vec::new();
    };
    let singular = s(&spec, "/names/singular").unwrap_or_else(|| kind.to_lowercase());
    let list = |p: &str| -> Vec<String> {
        spec.pointer(p)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let short_names = registry::intern_list(&list("/names/shortNames"));
    let categories = registry::intern_list(&list("/names/categories"));
    let namespaced = s(&spec, "/scope").as_deref() != Some("Cluster");
    let versions = spec
        .get("versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|v| {
            let name = v.get("name").and_then(Value::as_str)?;
            let status = v.pointer("/subresources/status").is_some();
            let scale = v.pointer("/subresources/scale").is_some();
            let subresources: &'static [&'static str] = match (scale, status) {
                (true, true) => &["scale", "status"],
                (true, false) => &["scale"],
                (false, true) => &["status"],
                (false, false) => &[],
            };
            Some(ResourceDef {
                group: registry::intern(&group),
                version: registry::intern(name),
                plural: registry::intern(&plural),
                singular: registry::intern(&singular),
                kind: registry::intern(&kind),
                namespaced,
                short_names,
                subresources,
                categories,
                virtual_kind: Virtual::None,
                dynamic: true,
                removed: false,
            })
        })
        .collect()
}

fn established(crd: &Value) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Established")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn establish_status(crd: &Value) -> Value {
    let now = util::now_rfc3339();
    let cond = |t: &str, reason: &str, msg: &str| json!({"type": t, "status": "True", "lastTransitionTime": now, "reason": reason, "message": msg});
    let storage: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    json!({
        "conditions": [
            cond("NamesAccepted", "NoConflicts", "no conflicts found"),
            cond("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "acceptedNames": crd.pointer("/spec/names").cloned().unwrap_or(json!({})),
        "storedVersions": storage,
    })
}

/// Makes the registry match the stored CRDs. With `establish`, CRDs not
/// yet Established become so (status written, watchers notified) and are
/// served; without it only already Established ones are. Resources whose
/// CRD is gone are removed along with their objects. Call with the store's
/// write lock held.
pub(crate) fn sync(store: &mut Store, reg: &Registry, establish: bool) {
    let Some(crd_id) = reg.by_kind(CRD_API_VERSION, CRD_KIND) else {
        return;
    };
    let crds: Vec<((String, String), Value)> = store
        .res(crd_id)
        .map(|r| {
            r.objects
                .iter()
                .map(|(k, s)| (k.clone(), s.value.as_ref().clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut wanted: Vec<ResourceDef> = Vec::new();
    for (key, crd) in crds {
        let terminating = crd.pointer("/metadata/deletionTimestamp").is_some();
        if terminating {
            continue;
        }
        if !established(&crd) {
            if !establish {
                continue;
            }
            let mut next = crd.clone();
            if let Value::Object(m) = &mut next {
                m.insert("status".into(), establish_status(&crd));
            }
            let rv = store.next_rv();
            meta_mut(&mut next).insert("resourceVersion".into(), json!(rv.to_string()));
            store.put(crd_id, key, next, rv);
        }
        wanted.extend(defs_of(&crd));
    }
    // Remove runtime resources no CRD declares any more.
    for (id, def) in reg.all() {
        if !def.dynamic {
            continue;
        }
        let keep = wanted
            .iter()
            .any(|w| w.group == def.group && w.version == def.version && w.plural == def.plural);
        if keep {
            continue;
        }
        let objects: Vec<((String, String), Value)> = store
            .res(id)
            .map(|r| {
                r.objects
                    .iter()
                    .map(|(k, s)| (k.clone(), s.value.as_ref().clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (k, mut last) in objects {
            let rv = store.next_rv();
            meta_mut(&mut last).insert("resourceVersion".into(), json!(rv.to_string()));
            store.remove(id, &k, last, rv);
        }
        reg.remove_dynamic(id);
    }
    for def in wanted {
        reg.upsert_dynamic(def);
    }
    store.ensure(reg.len());
}

/// After a CRD write: removals take effect at once; new CRDs are
/// Established one `rollout_step` later, as clients must wait for.
pub(crate) fn after_write(shared: &Arc<Shared>) {
    {
        let mut store = shared.write();
        sync(&mut store, &shared.registry, false);
    }
    let delay = shared.opts.rollout_step;
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            let shared = shared.clone();
            handle.spawn(async move {
                tokio::time::sleep(delay).await;
                let mut store = shared.write();
                sync(&mut store, &shared.registry, true);
            });
        }
        Err(_) => {
            let mut store = shared.write();
            sync(&mut store, &shared.registry, true);
        }
    }
}
