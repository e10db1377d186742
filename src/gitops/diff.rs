//! Comparing what the repo wants with what runs (DESIGN §5): both sides are
//! server answers (the live object, and a dry-run apply of the rendered one),
//! normalised so that only fields the repo controls can differ.

use serde_json::{Map, Value};
use similar::TextDiff;

/// The field manager bosun applies with.
pub const MANAGER: &str = "bosun";
pub use super::identity::{APP_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, TRACKING_ID};
/// Set by `kubectl rollout restart` (and bosun's `r`): not drift.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Metadata the server owns; never drift.
const SERVER_METADATA: [&str; 7] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionGracePeriodSeconds",
];

/// Annotations written by controllers or by client-side apply.
const SERVER_ANNOTATIONS: [&str; 3] = [
    "deployment.kubernetes.io/revision",
    crate::cluster::redact::LAST_APPLIED,
    "meta.helm.sh/release-name",
];

/// Stamps what bosun applies with the tracking labels (search keys) and the
/// tracking annotation (the owner's full identity): docs/ARCHITECTURE.md
/// "App identity".
pub fn stamp_tracking(manifest: &mut Value, app: &str, key: &super::object::ObjectKey) {
    let Some(obj) = manifest.as_object_mut() else {
        return;
    };
    let metadata = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    for (field, entries) in [
        (
            "labels",
            vec![
                (MANAGED_BY_LABEL, MANAGED_BY_VALUE.to_string()),
                (APP_LABEL, super::identity::app_label(app)),
            ],
        ),
        (
            "annotations",
            vec![(TRACKING_ID, super::identity::tracking_id(app, key))],
        ),
    ] {
        let map = metadata
            .entry(field)
            .or_insert_with(|| Value::Object(Map::new()));
        if !map.is_object() {
            *map = Value::Object(Map::new());
        }
        if let Some(map) = map.as_object_mut() {
            for (key, value) in entries {
                map.insert(key.into(), Value::from(value));
            }
        }
    }
}

/// Whether a live object is `app`'s: its tracking annotation names the app
/// and this very object (a label alone never is enough).
pub fn tracked_by(obj: &Value, app: &str) -> bool {
    super::identity::owner(obj, app) == super::identity::Owner::This
}

/// Drops what the server owns so that the comparison sees only what a
/// manifest can set.
pub fn normalize(obj: &Value) -> Value {
    let mut out = obj.clone();
    let Some(map) = out.as_object_mut() else {
        return out;
    };
    map.remove("status");
    if let Some(Value::Object(metadata)) = map.get_mut("metadata") {
        for field in SERVER_METADATA {
            metadata.remove(field);
        }
        if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
            for key in SERVER_ANNOTATIONS {
                annotations.remove(key);
            }
        }
        drop_empty(metadata, "annotations");
        drop_empty(metadata, "labels");
    }
    // The apiserver defaults these in each claim template; a manifest
    // never sets them.
    if let Some(Value::Array(claims)) = map
        .get_mut("spec")
        .and_then(|s| s.get_mut("volumeClaimTemplates"))
    {
        for claim in claims.iter_mut().filter_map(Value::as_object_mut) {
            claim.remove("status");
            if let Some(Value::Object(meta)) = claim.get_mut("metadata") {
                meta.remove("creationTimestamp");
            }
        }
    }
    if let Some(Value::Object(template_meta)) = map
        .get_mut("spec")
        .and_then(|s| s.get_mut("template"))
        .and_then(|t| t.get_mut("metadata"))
    {
        if let Some(Value::Object(annotations)) = template_meta.get_mut("annotations") {
            annotations.remove(RESTARTED_AT);
        }
        drop_empty(template_meta, "annotations");
        template_meta.remove("creationTimestamp");
    }
    out
}

fn drop_empty(map: &mut Map<String, Value>, key: &str) {
    if map
        .get(key)
        .is_some_and(|v| v.is_null() || v.as_object().is_some_and(Map::is_empty))
    {
        map.remove(key);
    }
}

/// Replaces Secret values with asterisks on both sides. Equal values mask
/// equally; a changed value gets a visibly different mask, as Argo CD does,
/// so the diff says "this key changed" without saying to what.
pub fn mask_secret_pair(live: Option<&mut Value>, desired: &mut Value) {
    let mut live = live;
    let live_data: Map<String, Value> = live
        .as_deref()
        .and_then(|l| l.get("data"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let masked = |changed: bool| {
        Value::from(if changed {
            "++++++++ (changed)"
        } else {
            "++++++++"
        })
    };
    if let Some(Value::Object(data)) = desired.get_mut("data") {
        for (key, value) in data.iter_mut() {
            let changed = live_data.get(key).is_some_and(|old| old != value);
            *value = masked(changed);
        }
    }
    if let Some(Value::Object(data)) = live.as_deref_mut().and_then(|l| l.get_mut("data")) {
        for value in data.values_mut() {
            *value = masked(false);
        }
    }
    for side in [live, Some(desired)].into_iter().flatten() {
        if let Some(Value::Object(strings)) = side.get_mut("stringData") {
            for value in strings.values_mut() {
                *value = masked(false);
            }
        }
    }
}

/// Masks the values at `paths` (SOPS-decrypted ones, any kind) on both
/// sides, the way [`mask_secret_pair`] masks Secret data: an equal value
/// masks equally, a changed one visibly differently.
pub fn mask_paths(live: Option<&mut Value>, desired: &mut Value, paths: &[Vec<String>]) {
    let mut live = live;
    for path in paths {
        let old = live.as_deref().and_then(|l| at(l, path)).cloned();
        if let Some(new) = at_mut(desired, path) {
            let changed = old.as_ref().is_some_and(|old| old != new);
            *new = Value::from(if changed {
                "++++++++ (changed)"
            } else {
                "++++++++"
            });
        }
        if let Some(old) = live.as_deref_mut().and_then(|l| at_mut(l, path)) {
            *old = Value::from("++++++++");
        }
    }
}

fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, step| match v {
        Value::Array(items) => items.get(step.parse::<usize>().ok()?),
        _ => v.get(step),
    })
}

fn at_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match v {
        Value::Array(items) => items.get_mut(step.parse::<usize>().ok()?),
        _ => v.get_mut(step),
    })
}

/// Renders an object as YAML for a diff (keys sorted, so stable).
pub fn to_yaml(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|e| format!("# cannot render as YAML: {e}\n"))
}

/// A unified diff (3 lines of context) from live to desired.
pub fn unified(label: &str, live: Option<&Value>, desired: Option<&Value>) -> String {
    let old = live.map(to_yaml).unwrap_or_default();
    let new = desired.map(to_yaml).unwrap_or_default();
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live/{label}"), &format!("desired/{label}"))
        .to_string()
}

/// The leaf paths (as field segments) where two objects differ.
pub fn changed_paths(live: &Value, desired: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    walk(live, desired, &mut Vec::new(), &mut out);
    out
}

fn walk(a: &Value, b: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let null = Value::Null;
                path.push(key.clone());
                walk(
                    x.get(key).unwrap_or(&null),
                    y.get(key).unwrap_or(&null),
                    path,
                    out,
                );
                path.pop();
            }
        }
        _ if a == b => {}
        _ => out.push(path.clone()),
    }
}

/// Field managers other than bosun that own `path` (or a list holding it)
/// in the live object's managedFields: who a forced apply takes fields from.
pub fn owners_of(live: &Value, path: &[String]) -> Vec<String> {
    let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let mut owners = Vec::new();
    for entry in entries {
        let manager = entry.get("manager").and_then(Value::as_str).unwrap_or("");
        if manager == MANAGER || manager.is_empty() {
            continue;
        }
        let Some(fields) = entry.get("fieldsV1") else {
            continue;
        };
        if owns(fields, path) && !owners.iter().any(|o| o == manager) {
            owners.push(manager.to_string());
        }
    }
    owners
}

/// Follows `f:` keys; reaching a leaf, or a list (whose items are keyed by
/// content), counts as owning.
fn owns(fields: &Value, path: &[String]) -> bool {
    let mut node = fields;
    for segment in path {
        let Some(map) = node.as_object() else {
            return true;
        };
        if map
            .keys()
            .any(|k| k.starts_with("k:") || k.starts_with("v:") || k.starts_with("i:"))
        {
            return true;
        }
        match map.get(&format!("f:{segment}")) {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decrypted_paths_mask_on_both_sides_of_any_kind() {
        let paths = vec![
            vec![
                "spec".to_string(),
                "values".to_string(),
                "password".to_string(),
            ],
            vec!["spec".to_string(), "tokens".to_string(), "1".to_string()],
        ];
        let mut live =
            json!({"spec": {"values": {"password": "old", "user": "me"}, "tokens": ["a", "b"]}});
        let mut desired =
            json!({"spec": {"values": {"password": "new", "user": "me"}, "tokens": ["a", "b"]}});
        mask_paths(Some(&mut live), &mut desired, &paths);
        assert_eq!(desired["spec"]["values"]["password"], "++++++++ (changed)");
        assert_eq!(live["spec"]["values"]["password"], "++++++++");
        assert_eq!(desired["spec"]["tokens"], json!(["a", "++++++++"]));
        assert_eq!(desired["spec"]["values"]["user"], "me");
        let text = unified("HelmRelease x", Some(&live), Some(&desired));
        assert!(!text.contains("new") && !text.contains("old"), "{text}");
    }

    #[test]
    fn normalize_drops_server_fields_and_restarts() {
        let live = json!({
            "metadata": {"name": "x", "uid": "u", "resourceVersion": "9", "generation": 3,
                "annotations": {"deployment.kubernetes.io/revision": "4"},
                "managedFields": []},
            "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: "2026-01-01T00:00:00Z"}}}},
            "status": {"replicas": 1}
        });
        assert_eq!(
            normalize(&live),
            json!({"metadata": {"name": "x"}, "spec": {"template": {"metadata": {}}}})
        );
    }

    #[test]
    fn secrets_are_masked_and_changes_still_show() {
        let mut live = json!({"data": {"a": "b2xk", "same": "eA=="}});
        let mut desired = json!({"data": {"a": "bmV3", "same": "eA==", "added": "eQ=="}});
        mask_secret_pair(Some(&mut live), &mut desired);
        let text = unified("Secret x", Some(&live), Some(&desired));
        assert!(!text.contains("bmV3") && !text.contains("b2xk"), "{text}");
        assert!(text.contains("(changed)"), "{text}");
        assert_eq!(live["data"]["same"], desired["data"]["same"]);
    }

    #[test]
    fn owners_follow_fields_v1() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "bosun", "operation": "Apply", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "other", "operation": "Update", "fieldsV1": {"f:metadata": {}}}
        ]}});
        let path = vec!["spec".to_string(), "replicas".to_string()];
        assert_eq!(owners_of(&live, &path), vec!["kubectl".to_string()]);
    }

    #[test]
    fn changed_paths_finds_leaves() {
        let a = json!({"spec": {"replicas": 1, "x": {"y": 1}}});
        let b = json!({"spec": {"replicas": 3, "x": {"y": 1}}});
        assert_eq!(
            changed_paths(&a, &b),
            vec![vec!["spec".to_string(), "replicas".to_string()]]
        );
    }
}
