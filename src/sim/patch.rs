//! The three patch formats the apiserver accepts besides apply: JSON merge
//! (RFC 7386), JSON patch (RFC 6902) and strategic merge for the common
//! Kubernetes list keys.

use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PatchError {
    #[error("the patch must be a JSON array of operations")]
    NotArray,
    #[error("invalid JSON patch operation: {0}")]
    BadOp(String),
    #[error("path {0} does not exist")]
    Missing(String),
    #[error("test operation failed at {0}")]
    TestFailed(String),
    #[error("strategic merge patch must be an object")]
    NotObject,
}

/// RFC 7386: objects merge recursively, `null` deletes, everything else replaces.
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(path: &str) -> Result<(String, String), PatchError> {
    if !path.starts_with('/') {
        return Err(PatchError::BadOp(format!(
            "path {path:?} must start with /"
        )));
    }
    let idx = path.rfind('/').unwrap_or(0);
    Ok((path[..idx].to_string(), unescape(&path[idx + 1..])))
}

fn add_at(doc: &mut Value, path: &str, value: Value) -> Result<(), PatchError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = split_pointer(path)?;
    let target = doc
        .pointer_mut(&parent)
        .ok_or_else(|| PatchError::Missing(path.to_string()))?;
    match target {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| PatchError::Missing(path.to_string()))?;
            if i > a.len() {
                return Err(PatchError::Missing(path.to_string()));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(PatchError::Missing(path.to_string())),
    }
}

fn remove_at(doc: &mut Value, path: &str) -> Result<Value, PatchError> {
    let (parent, last) = split_pointer(path)?;
    let target = doc
        .pointer_mut(&parent)
        .ok_or_else(|| PatchError::Missing(path.to_string()))?;
    match target {
        Value::Object(m) => m
            .remove(&last)
            .ok_or_else(|| PatchError::Missing(path.to_string())),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| PatchError::Missing(path.to_string()))?;
            if i >= a.len() {
                return Err(PatchError::Missing(path.to_string()));
            }
            Ok(a.remove(i))
        }
        _ => Err(PatchError::Missing(path.to_string())),
    }
}

/// RFC 6902, applied to a copy so a failing operation leaves nothing behind.
pub(crate) fn json_patch(doc: &Value, ops: &Value) -> Result<Value, PatchError> {
    let ops = ops.as_array().ok_or(PatchError::NotArray)?;
    let mut doc = doc.clone();
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| PatchError::BadOp(format!("missing path in {op}")))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| PatchError::BadOp(format!("missing value in {op}")))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| PatchError::BadOp(format!("missing from in {op}")))
        };
        match name {
            "add" => add_at(&mut doc, path, value()?)?,
            "remove" => {
                remove_at(&mut doc, path)?;
            }
            "replace" => {
                let v = value()?;
                let slot = doc
                    .pointer_mut(path)
                    .ok_or_else(|| PatchError::Missing(path.to_string()))?;
                *slot = v;
            }
            "move" => {
                let v = remove_at(&mut doc, from()?)?;
                add_at(&mut doc, path, v)?;
            }
            "copy" => {
                let f = from()?;
                let v = doc
                    .pointer(f)
                    .cloned()
                    .ok_or_else(|| PatchError::Missing(f.to_string()))?;
                add_at(&mut doc, path, v)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(PatchError::TestFailed(path.to_string()));
                }
            }
            other => return Err(PatchError::BadOp(format!("unknown op {other:?}"))),
        }
    }
    Ok(doc)
}

/// The merge key of a list field, by field name, as the Kubernetes Go types
/// declare it (`patchMergeKey`). Lists not named here are replaced whole.
pub(crate) fn merge_key(field: &str, sample: Option<&Value>) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "env" => "name",
        // Container ports merge by containerPort, Service ports by port.
        "ports" => {
            if sample.and_then(|s| s.get("containerPort")).is_some() {
                "containerPort"
            } else {
                "port"
            }
        }
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        _ => return None,
    })
}

/// Lists of scalars with `patchStrategy: merge`: union instead of replace.
fn is_primitive_merge_list(field: &str) -> bool {
    field == "finalizers"
}

pub(crate) fn strategic(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    if !patch.is_object() {
        return Err(PatchError::NotObject);
    }
    strategic_map(target, patch);
    Ok(())
}

fn strategic_map(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut m = p.clone();
            m.remove("$patch");
            *target = Value::Object(m);
            return;
        }
        Some("delete") => {
            *target = Value::Null;
            return;
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    for (k, v) in p {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(remove)) = (t.get_mut(field), v) {
                list.retain(|x| !remove.contains(x));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match v {
            Value::Array(items) => {
                let existing = t.entry(k.clone()).or_insert(Value::Null);
                strategic_list(k, existing, items);
            }
            Value::Object(_) => {
                let slot = t.entry(k.clone()).or_insert(Value::Null);
                strategic_map(slot, v);
                if slot.is_null() {
                    t.remove(k);
                }
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

fn strategic_list(field: &str, existing: &mut Value, items: &[Value]) {
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        *existing = Value::Array(
            items
                .iter()
                .filter(|i| i.get("$patch").is_none())
                .cloned()
                .collect(),
        );
        return;
    }
    if is_primitive_merge_list(field) {
        let mut list = existing.as_array().cloned().unwrap_or_default();
        for i in items {
            if !list.contains(i) {
                list.push(i.clone());
            }
        }
        *existing = Value::Array(list);
        return;
    }
    let sample = items
        .first()
        .or_else(|| existing.as_array().and_then(|a| a.first()));
    let Some(key) = merge_key(field, sample) else {
        *existing = Value::Array(items.to_vec());
        return;
    };
    let mut list = existing.as_array().cloned().unwrap_or_default();
    for item in items {
        let Some(id) = item.get(key) else {
            list.push(item.clone());
            continue;
        };
        let pos = list.iter().position(|e| e.get(key) == Some(id));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                list.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => strategic_map(&mut list[i], item),
            (None, false) => {
                let mut fresh = Value::Object(Map::new());
                strategic_map(&mut fresh, item);
                list.push(fresh);
            }
        }
    }
    *existing = Value::Array(list);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn json_patch_ops() {
        let d = json!({"a": [1, 2], "b": {"x/y": 1}});
        let ops = json!([
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "replace", "path": "/b/x~1y", "value": 2},
            {"op": "test", "path": "/a/0", "value": 1},
            {"op": "remove", "path": "/a/1"},
            {"op": "copy", "from": "/a", "path": "/c"}
        ]);
        let r = json_patch(&d, &ops).unwrap_or_default();
        assert_eq!(r, json!({"a": [1, 3], "b": {"x/y": 2}, "c": [1, 3]}));
        assert!(json_patch(&d, &json!([{"op": "remove", "path": "/zz"}])).is_err());
    }

    #[test]
    fn strategic_containers() {
        let mut t = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "b:1"}
        ], "tolerations": [{"key": "x"}]}, "metadata": {"finalizers": ["f1"]}});
        let p = json!({
            "spec": {"containers": [{"name": "a", "image": "a:2"}, {"name": "b", "$patch": "delete"}],
                     "$setElementOrder/containers": [{"name": "a"}],
                     "tolerations": [{"key": "y"}]},
            "metadata": {"finalizers": ["f2"]}
        });
        strategic(&mut t, &p).ok();
        assert_eq!(
            t["spec"]["containers"],
            json!([{"name": "a", "image": "a:2", "ports": [{"containerPort": 80}]}])
        );
        assert_eq!(t["spec"]["tolerations"], json!([{"key": "y"}]));
        assert_eq!(t["metadata"]["finalizers"], json!(["f1", "f2"]));
    }
}
