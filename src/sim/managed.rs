//! Server-side apply: `metadata.managedFields` in the FieldsV1 notation
//! (`f:spec`, `k:{"name":"web"}`, `.`), apply merges with conflicts between
//! managers, and ownership bookkeeping for ordinary updates.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::patch;
use super::util;

/// One owned field: FieldsV1 path elements (`f:x`, `k:{...}`, `.`).
pub(crate) type FieldPath = Vec<String>;
pub(crate) type FieldSet = BTreeSet<FieldPath>;

/// Metadata the server owns; never part of anyone's field set.
const SERVER_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// The fields an object sets, as leaf paths.
pub(crate) fn fields_of(obj: &Value, has_status: bool) -> FieldSet {
    let mut out = FieldSet::new();
    let Value::Object(root) = obj else {
        return out;
    };
    let mut prefix = Vec::new();
    for (k, v) in root {
        match k.as_str() {
            "apiVersion" | "kind" => continue,
            "status" if has_status => continue,
            "metadata" => {
                if let Value::Object(m) = v {
                    prefix.push("f:metadata".to_string());
                    for (mk, mv) in m {
                        if SERVER_META.contains(&mk.as_str()) {
                            continue;
                        }
                        walk_field(mk, mv, &mut prefix, &mut out);
                    }
                    prefix.pop();
                }
                continue;
            }
            _ => walk_field(k, v, &mut prefix, &mut out),
        }
    }
    out
}

fn list_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let key = patch::merge_key(field, items.first())?;
    items
        .iter()
        .all(|i| i.get(key).is_some_and(|k| !k.is_null()))
        .then_some(key)
}

fn key_token(key: &str, item: &Value) -> String {
    let mut m = Map::new();
    m.insert(
        key.to_string(),
        item.get(key).cloned().unwrap_or(Value::Null),
    );
    format!("k:{}", Value::Object(m))
}

fn walk_field(k: &str, v: &Value, prefix: &mut FieldPath, out: &mut FieldSet) {
    prefix.push(format!("f:{k}"));
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (ck, cv) in m {
                walk_field(ck, cv, prefix, out);
            }
        }
        Value::Array(items) if !items.is_empty() => match list_key(k, items) {
            Some(key) => {
                for item in items {
                    prefix.push(key_token(key, item));
                    let mut dot = prefix.clone();
                    dot.push(".".into());
                    out.insert(dot);
                    if let Value::Object(m) = item {
                        for (ck, cv) in m {
                            walk_field(ck, cv, prefix, out);
                        }
                    }
                    prefix.pop();
                }
            }
            None => {
                out.insert(prefix.clone());
            }
        },
        _ => {
            out.insert(prefix.clone());
        }
    }
    prefix.pop();
}

fn parse_key(token: &str) -> Option<(String, Value)> {
    let raw = token.strip_prefix("k:")?;
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(raw) else {
        return None;
    };
    m.into_iter().next()
}

/// The value at a field path (a keyed item for a trailing `.`).
pub(crate) fn navigate<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for tok in path {
        if tok == "." {
            continue;
        }
        if let Some(f) = tok.strip_prefix("f:") {
            cur = cur.get(f)?;
        } else {
            let (k, v) = parse_key(tok)?;
            cur = cur.as_array()?.iter().find(|i| i.get(&k) == Some(&v))?;
        }
    }
    Some(cur)
}

fn navigate_mut<'a>(obj: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = obj;
    for tok in path {
        if tok == "." {
            continue;
        }
        if let Some(f) = tok.strip_prefix("f:") {
            cur = cur.get_mut(f)?;
        } else {
            let (k, v) = parse_key(tok)?;
            cur = cur
                .as_array_mut()?
                .iter_mut()
                .find(|i| i.get(&k) == Some(&v))?;
        }
    }
    Some(cur)
}

/// Removes the field (or the keyed list item, for a trailing `.`).
fn remove_path(obj: &mut Value, path: &[String]) {
    let path: &[String] = match path.split_last() {
        Some((last, rest)) if last == "." => rest,
        _ => path,
    };
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let Some(container) = navigate_mut(obj, parent) else {
        return;
    };
    if let Some(f) = last.strip_prefix("f:") {
        if let Value::Object(m) = container {
            m.remove(f);
        }
    } else if let (Some((k, v)), Value::Array(items)) = (parse_key(last), container) {
        items.retain(|i| i.get(&k) != Some(&v));
    }
}

/// After a removal, containers left empty that nobody owns as a whole go
/// too (`ports: []` once its last applied item is dropped).
fn prune_empty_parents(obj: &mut Value, removed: &[String], list: &[Entry]) {
    let mut path = removed.to_vec();
    while path.len() > 1 {
        path.pop();
        if path.last().is_some_and(|t| t.starts_with("k:")) {
            // A list item is removed through its `.` path, never implicitly.
            return;
        }
        let empty = match navigate(obj, &path) {
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if !empty || list.iter().any(|e| e.fields.contains(&path)) {
            return;
        }
        remove_path(obj, &path);
    }
}

/// `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`.
pub(crate) fn render_path(path: &[String]) -> String {
    let mut s = String::new();
    for tok in path {
        if tok == "." {
            continue;
        }
        if let Some(f) = tok.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some((k, v)) = parse_key(tok) {
            s.push_str(&format!("[{k}={v}]"));
        }
    }
    s
}

/// FieldsV1 JSON from a set of leaf paths.
pub(crate) fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for tok in path {
            let child = node
                .entry(tok.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            let Value::Object(next) = child else { break };
            node = next;
        }
    }
    Value::Object(root)
}

pub(crate) fn from_fields_v1(v: &Value) -> FieldSet {
    fn rec(v: &Value, prefix: &mut FieldPath, out: &mut FieldSet) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, c) in m {
                    prefix.push(k.clone());
                    rec(c, prefix, out);
                    prefix.pop();
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.insert(prefix.clone());
                }
            }
        }
    }
    let mut out = FieldSet::new();
    rec(v, &mut Vec::new(), &mut out);
    out
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl Entry {
    fn new(manager: &str, operation: &str, api_version: &str) -> Self {
        Entry {
            manager: manager.to_string(),
            operation: operation.to_string(),
            api_version: api_version.to_string(),
            time: util::now_rfc3339(),
            subresource: None,
            fields: FieldSet::new(),
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(&self.fields),
        });
        if let Some(s) = &self.subresource {
            v["subresource"] = json!(s);
        }
        v
    }

    fn is(&self, manager: &str, operation: &str) -> bool {
        self.manager == manager && self.operation == operation && self.subresource.is_none()
    }
}

pub(crate) fn entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
            Some(Entry {
                manager: s("manager")?,
                operation: s("operation").unwrap_or_else(|| "Update".into()),
                api_version: s("apiVersion").unwrap_or_default(),
                time: s("time").unwrap_or_default(),
                subresource: s("subresource"),
                fields: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
            })
        })
        .collect()
}

/// Drops paths that no longer exist in `obj` and entries left empty, then
/// writes the list into `obj` (or removes the key when nothing is managed).
fn store_entries(obj: &mut Value, mut list: Vec<Entry>) {
    let snapshot = obj.clone();
    for e in &mut list {
        e.fields.retain(|p| navigate(&snapshot, p).is_some());
    }
    list.retain(|e| !e.fields.is_empty());
    let meta = super::objects::meta_mut(obj);
    if list.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert(
            "managedFields".into(),
            Value::Array(list.iter().map(Entry::to_json).collect()),
        );
    }
}

/// Ownership after an ordinary write (create, update, non-apply patch):
/// `manager` takes the fields whose value changed; others lose them.
pub(crate) fn record_update(
    current: Option<&Value>,
    next: &mut Value,
    manager: &str,
    api_version: &str,
    has_status: bool,
) {
    let mut list = match current {
        // A body without managedFields keeps the live ones.
        Some(c) if next.pointer("/metadata/managedFields").is_none() => entries(c),
        _ => entries(next),
    };
    let changed: FieldSet = fields_of(next, has_status)
        .into_iter()
        .filter(|p| {
            if p.last().is_some_and(|t| t == ".") {
                current.is_none_or(|c| navigate(c, p).is_none())
            } else {
                current.is_none_or(|c| navigate(c, p) != navigate(next, p))
            }
        })
        .collect();
    if !changed.is_empty() {
        for e in list.iter_mut() {
            if !e.is(manager, "Update") {
                e.fields.retain(|p| !changed.contains(p));
            }
        }
        match list.iter_mut().find(|e| e.is(manager, "Update")) {
            Some(e) => {
                e.fields.extend(changed);
                e.time = util::now_rfc3339();
                e.api_version = api_version.to_string();
            }
            None => {
                let mut e = Entry::new(manager, "Update", api_version);
                e.fields = changed;
                list.push(e);
            }
        }
    }
    store_entries(next, list);
}

/// The apiserver's message for apply conflicts.
fn conflict_error(conflicts: &[(String, String, FieldPath)]) -> ApiError {
    let n = conflicts.len();
    let plural = if n == 1 { "conflict" } else { "conflicts" };
    let mut managers: Vec<(&str, &str)> = Vec::new();
    for (m, av, _) in conflicts {
        if !managers.contains(&(m.as_str(), av.as_str())) {
            managers.push((m, av));
        }
    }
    let mut msg = format!("Apply failed with {n} {plural}:");
    for (m, av) in &managers {
        let paths: Vec<String> = conflicts
            .iter()
            .filter(|(cm, cav, _)| cm == m && cav == av)
            .map(|(_, _, p)| render_path(p))
            .collect();
        if paths.len() == 1 && managers.len() == 1 {
            msg.push_str(&format!(" conflict with {m:?} using {av}: {}", paths[0]));
        } else {
            let word = if paths.len() == 1 {
                "conflict"
            } else {
                "conflicts"
            };
            msg.push_str(&format!(" {word} with {m:?} using {av}:"));
            for p in paths {
                msg.push_str(&format!("\n- {p}"));
            }
        }
    }
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, av, p)| {
            json!({"reason": "FieldManagerConflict",
                   "message": format!("conflict with {m:?} using {av}"),
                   "field": render_path(p)})
        })
        .collect();
    ApiError::new(409, "Conflict", msg).with_details(json!({ "causes": causes }))
}

/// What an apply request asks for.
pub(crate) struct ApplyRequest<'a> {
    pub manager: &'a str,
    pub force: bool,
    pub api_version: &'a str,
    pub has_status: bool,
}

/// Server-side apply of `applied` onto `current` (absent: a create). Returns
/// the object to store, with its managedFields.
pub(crate) fn apply(
    current: Option<&Value>,
    applied: &Value,
    req: &ApplyRequest<'_>,
) -> Result<Value, ApiError> {
    let mut applied = applied.clone();
    if let Value::Object(m) = &mut applied {
        if req.has_status {
            m.remove("status");
        }
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            meta.remove("managedFields");
        }
    }
    let applied_set = fields_of(&applied, req.has_status);
    let Some(current) = current else {
        let mut obj = applied;
        let mut e = Entry::new(req.manager, "Apply", req.api_version);
        e.fields = applied_set;
        store_entries(&mut obj, vec![e]);
        return Ok(obj);
    };
    let mut list = entries(current);
    if list.is_empty() {
        // Objects written before any manager was tracked.
        let mut e = Entry::new("before-first-apply", "Update", req.api_version);
        e.fields = fields_of(current, req.has_status);
        if !e.fields.is_empty() {
            list.push(e);
        }
    }
    let mut conflicts: Vec<(String, String, FieldPath)> = Vec::new();
    for e in &list {
        if e.manager == req.manager {
            continue;
        }
        for p in e.fields.intersection(&applied_set) {
            if p.last().is_some_and(|t| t == ".") {
                continue;
            }
            if navigate(current, p) != navigate(&applied, p) {
                conflicts.push((e.manager.clone(), e.api_version.clone(), p.clone()));
            }
        }
    }
    if !conflicts.is_empty() {
        if !req.force {
            return Err(conflict_error(&conflicts));
        }
        let taken: FieldSet = conflicts.iter().map(|(_, _, p)| p.clone()).collect();
        for e in list.iter_mut().filter(|e| e.manager != req.manager) {
            e.fields.retain(|p| !taken.contains(p));
        }
    }
    let mut merged = current.clone();
    patch::strategic(&mut merged, &applied)
        .map_err(|e| ApiError::new(422, "Invalid", e.to_string()))?;
    // Fields this manager applied before and no longer does go away,
    // unless another manager still owns them (or something beneath them).
    let previous: FieldSet = list
        .iter()
        .find(|e| e.is(req.manager, "Apply"))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    let mut dropped: Vec<&FieldPath> = previous.difference(&applied_set).collect();
    dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in dropped {
        let subject: &[String] = match p.split_last() {
            Some((last, rest)) if last == "." => rest,
            _ => p,
        };
        let shared = list
            .iter()
            .filter(|e| !e.is(req.manager, "Apply"))
            .any(|e| e.fields.iter().any(|q| q.starts_with(subject)));
        if !shared {
            remove_path(&mut merged, p);
            prune_empty_parents(&mut merged, subject, &list);
        }
    }
    match list.iter_mut().find(|e| e.is(req.manager, "Apply")) {
        Some(e) => {
            e.fields = applied_set;
            e.time = util::now_rfc3339();
            e.api_version = req.api_version.to_string();
        }
        None => {
            let mut e = Entry::new(req.manager, "Apply", req.api_version);
            e.fields = applied_set;
            list.push(e);
        }
    }
    store_entries(&mut merged, list);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_v1_round_trip() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx", "args": ["a"]}]}}}});
        let set = fields_of(&obj, true);
        let v1 = to_fields_v1(&set);
        assert_eq!(v1["f:spec"]["f:replicas"], json!({}));
        assert_eq!(
            v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["."],
            json!({})
        );
        assert_eq!(from_fields_v1(&v1), set);
        let p: FieldPath = [
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"web\"}",
            "f:image",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(navigate(&obj, &p), Some(&json!("nginx")));
        assert_eq!(
            render_path(&p),
            ".spec.template.spec.containers[name=\"web\"].image"
        );
    }
}
