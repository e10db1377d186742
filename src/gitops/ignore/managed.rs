//! `managedFieldsManagers`: the fields a live object's `managedFields`
//! say another manager owns (FieldsV1: `f:<field>`, `k:<key json>` for an
//! item of a keyed list, `v:<value json>` for an item of a set, `.` for
//! the node itself), resolved on an object and removed from it, as Argo CD
//! removes them from both sides before comparing.

use serde_json::Value;

/// One step of a FieldsV1 path.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Field(String),
    /// The list item whose fields equal these.
    Key(serde_json::Map<String, Value>),
    /// The set item equal to this.
    Item(Value),
}

/// The leaf paths the named managers own in `live`.
pub fn owned_paths(live: &Value, managers: &[String]) -> Vec<Vec<Seg>> {
    let mut out = Vec::new();
    let entries = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for entry in entries {
        let manager = entry.get("manager").and_then(Value::as_str).unwrap_or("");
        if !managers.iter().any(|m| m == manager) {
            continue;
        }
        if let Some(fields) = entry.get("fieldsV1") {
            collect(fields, &mut Vec::new(), &mut out);
        }
    }
    out
}

fn collect(node: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    let Some(map) = node.as_object() else {
        return;
    };
    let mut children = 0;
    for (name, child) in map {
        let seg = if let Some(field) = name.strip_prefix("f:") {
            Seg::Field(field.to_string())
        } else if let Some(key) = name.strip_prefix("k:") {
            match serde_json::from_str::<Value>(key) {
                Ok(Value::Object(key)) => Seg::Key(key),
                _ => continue,
            }
        } else if let Some(value) = name.strip_prefix("v:") {
            match serde_json::from_str::<Value>(value) {
                Ok(value) => Seg::Item(value),
                Err(_) => continue,
            }
        } else {
            continue;
        };
        children += 1;
        path.push(seg);
        collect(child, path, out);
        path.pop();
    }
    if children == 0 && !path.is_empty() {
        out.push(path.clone());
    }
}

/// Removes the value at `path` from `object`, if it is there.
pub fn remove(object: &mut Value, path: &[Seg]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = object;
    for seg in parents {
        let Some(next) = step(node, seg) else {
            return;
        };
        node = next;
    }
    match (last, node) {
        (Seg::Field(field), Value::Object(map)) => {
            map.remove(field);
        }
        (Seg::Key(_) | Seg::Item(_), Value::Array(items)) => {
            items.retain(|item| !matches_item(item, last));
        }
        _ => {}
    }
}

/// The value at `path` in `object`.
pub fn get<'a>(object: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(object, |node, seg| match (seg, node) {
        (Seg::Field(field), Value::Object(map)) => map.get(field),
        (Seg::Key(_) | Seg::Item(_), Value::Array(items)) => {
            items.iter().find(|item| matches_item(item, seg))
        }
        _ => None,
    })
}

fn step<'a>(node: &'a mut Value, seg: &Seg) -> Option<&'a mut Value> {
    match (seg, node) {
        (Seg::Field(field), Value::Object(map)) => map.get_mut(field),
        (Seg::Key(_) | Seg::Item(_), Value::Array(items)) => {
            items.iter_mut().find(|item| matches_item(item, seg))
        }
        _ => None,
    }
}

fn matches_item(item: &Value, seg: &Seg) -> bool {
    match seg {
        Seg::Key(key) => key.iter().all(|(k, v)| item.get(k) == Some(v)),
        Seg::Item(value) => item == value,
        Seg::Field(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_of_the_named_managers_are_found_and_removed() {
        let mut live = json!({
            "metadata": {"managedFields": [
                {"manager": "bosun", "fieldsV1": {"f:spec": {"f:template": {}}}},
                {"manager": "vpa-recommender", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {
                    "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:resources": {"f:requests": {"f:cpu": {}}}}}
                }}}}},
                {"manager": "kube-controller-manager", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
            ]},
            "spec": {"replicas": 4, "template": {"spec": {"containers": [
                {"name": "web", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}}
            ]}}}
        });
        let managers = vec![
            "vpa-recommender".to_string(),
            "kube-controller-manager".to_string(),
        ];
        let paths = owned_paths(&live, &managers);
        assert_eq!(paths.len(), 2, "{paths:?}");
        for path in &paths {
            remove(&mut live, path);
        }
        assert_eq!(live["spec"].get("replicas"), None);
        assert_eq!(
            live["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"],
            json!({"memory": "64Mi"})
        );
    }
}
