//! The apiserver's write semantics on top of the store: create, update,
//! patch, delete, with metadata defaulting, conflict checks, generation
//! bumps, status handling and finalizers.

use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::managed;
use super::patch;
use super::registry::{Registry, ResourceDef, ResourceId};
use super::store::{ObjKey, Store};
use super::util;

/// Which part of an object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Main,
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatchKind {
    Merge,
    Json,
    Strategic,
}

pub(crate) fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?
        .get(field)?
        .as_str()
        .filter(|s| !s.is_empty())
}

pub(crate) fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = json!({});
    }
    let Value::Object(root) = obj else {
        unreachable!("just made an object")
    };
    let meta = root.entry("metadata").or_insert_with(|| json!({}));
    if !meta.is_object() {
        *meta = json!({});
    }
    match meta {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

pub(crate) fn set_type_meta(def: &ResourceDef, obj: &mut Value) {
    if let Value::Object(m) = obj {
        m.insert("kind".into(), json!(def.kind));
        m.insert("apiVersion".into(), json!(def.api_version()));
        if def.kind == "Secret" {
            fold_string_data(m);
        }
    }
}

/// The apiserver writes a Secret's `stringData` into `data` (base64) and
/// never stores `stringData` itself.
fn fold_string_data(secret: &mut Map<String, Value>) {
    use base64::Engine as _;
    let Some(Value::Object(strings)) = secret.remove("stringData") else {
        return;
    };
    let data = secret
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Value::Object(data) = data {
        for (key, value) in strings {
            let text = value.as_str().unwrap_or_default();
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            data.insert(key, Value::String(encoded));
        }
    }
}

fn key(def: &ResourceDef, ns: Option<&str>, name: &str) -> ObjKey {
    let ns = if def.namespaced {
        ns.unwrap_or_default()
    } else {
        ""
    };
    (ns.to_string(), name.to_string())
}

fn finalizers_pending(obj: &Value) -> bool {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty())
}

pub(crate) fn create(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    body: Value,
    dry_run: bool,
) -> Result<Value, ApiError> {
    create_as(store, reg, id, ns, body, dry_run, None)
}

/// [`create`], recording `manager` (when given) in managedFields.
pub(crate) fn create_as(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    mut body: Value,
    dry_run: bool,
    manager: Option<&str>,
) -> Result<Value, ApiError> {
    let def = &reg.get(id);
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    if let Some(kind) = body.get("kind").and_then(Value::as_str)
        && kind != def.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind of the object ({kind}) does not match the resource ({})",
            def.kind
        )));
    }
    let ns = if def.namespaced {
        let Some(ns) = ns else {
            return Err(ApiError::method_not_allowed());
        };
        if let Some(body_ns) = meta_str(&body, "namespace")
            && body_ns != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        if let Some(ns_id) = reg.by_kind("v1", "Namespace")
            && store.get(ns_id, "", ns).is_none()
        {
            return Err(ApiError::not_found(&reg.get(ns_id), ns));
        }
        Some(ns)
    } else {
        None
    };
    let name = match (meta_str(&body, "name"), meta_str(&body, "generateName")) {
        (Some(n), _) => n.to_string(),
        (None, Some(prefix)) => loop {
            let candidate = format!("{prefix}{}", util::name_suffix());
            if store.get(id, ns.unwrap_or_default(), &candidate).is_none() {
                break candidate;
            }
        },
        (None, None) => {
            return Err(ApiError::invalid(
                def,
                "",
                "metadata.name",
                "Required value: name or generateName is required",
            ));
        }
    };
    let k = key(def, ns, &name);
    if store.get(id, &k.0, &k.1).is_some() {
        return Err(ApiError::already_exists(def, &name));
    }
    set_type_meta(def, &mut body);
    if let Some(m) = manager {
        managed::record_update(None, &mut body, m, &def.api_version(), def.has_status());
    }
    let rv = if dry_run { store.rv() } else { store.next_rv() };
    let meta = meta_mut(&mut body);
    meta.insert("name".into(), json!(name));
    match ns {
        Some(ns) => meta.insert("namespace".into(), json!(ns)),
        None => meta.remove("namespace"),
    };
    meta.insert("uid".into(), json!(util::new_uid()));
    meta.insert("creationTimestamp".into(), json!(util::now_rfc3339()));
    meta.insert("generation".into(), json!(1));
    meta.insert("resourceVersion".into(), json!(rv.to_string()));
    meta.remove("deletionTimestamp");
    super::defaults::on_create(def, &mut body);
    if dry_run {
        return Ok(body);
    }
    Ok(store.put(id, k, body, rv).value.as_ref().clone())
}

/// PUT semantics; also the final step of every patch.
#[allow(clippy::too_many_arguments)]
pub(crate) fn update(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    name: &str,
    body: Value,
    target: Target,
    dry_run: bool,
) -> Result<Value, ApiError> {
    update_as(store, reg, id, ns, name, body, target, dry_run, None)
}

/// [`update`], recording `manager` (when given) in managedFields.
#[allow(clippy::too_many_arguments)]
pub(crate) fn update_as(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    name: &str,
    body: Value,
    target: Target,
    dry_run: bool,
    manager: Option<&str>,
) -> Result<Value, ApiError> {
    let def = &reg.get(id);
    let k = key(def, ns, name);
    let Some(current) = store.get(id, &k.0, &k.1).map(|s| s.value.clone()) else {
        return Err(ApiError::not_found(def, name));
    };
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    if let Some(body_name) = meta_str(&body, "name")
        && body_name != name
    {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    if let Some(want) = meta_str(&body, "resourceVersion")
        && Some(want) != meta_str(&current, "resourceVersion")
    {
        return Err(ApiError::conflict(def, name));
    }
    let mut next = match target {
        Target::Main => {
            let mut n = body;
            // The main endpoint cannot change status where /status exists.
            if def.has_status()
                && let Value::Object(m) = &mut n
            {
                match current.get("status") {
                    Some(s) => m.insert("status".into(), s.clone()),
                    None => m.remove("status"),
                };
            }
            n
        }
        Target::Status => {
            let mut n = current.as_ref().clone();
            if let Value::Object(m) = &mut n {
                match body.get("status") {
                    Some(s) => m.insert("status".into(), s.clone()),
                    None => m.remove("status"),
                };
            }
            n
        }
    };
    set_type_meta(def, &mut next);
    let spec_changed = next.get("spec") != current.get("spec");
    {
        let cur_meta = current.get("metadata").and_then(Value::as_object);
        let meta = meta_mut(&mut next);
        meta.insert("name".into(), json!(name));
        if def.namespaced {
            meta.insert("namespace".into(), json!(k.0));
        } else {
            meta.remove("namespace");
        }
        for field in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "resourceVersion",
        ] {
            match cur_meta.and_then(|m| m.get(field)) {
                Some(v) => meta.insert(field.into(), v.clone()),
                None => meta.remove(field),
            };
        }
        let generation = cur_meta
            .and_then(|m| m.get("generation"))
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let generation = if spec_changed && target == Target::Main {
            generation + 1
        } else {
            generation
        };
        meta.insert("generation".into(), json!(generation));
    }
    if target == Target::Main {
        match manager {
            Some(m) => {
                managed::record_update(
                    Some(&current),
                    &mut next,
                    m,
                    &def.api_version(),
                    def.has_status(),
                );
            }
            None => {
                // Writers that do not say who they are keep the bookkeeping.
                if next.pointer("/metadata/managedFields").is_none()
                    && let Some(mf) = current.pointer("/metadata/managedFields")
                {
                    meta_mut(&mut next).insert("managedFields".into(), mf.clone());
                }
            }
        }
    }
    // A no-op write keeps the resourceVersion and emits nothing, as on the apiserver.
    if next == *current {
        return Ok(next);
    }
    let terminating = meta_str(&next, "deletionTimestamp").is_some();
    if dry_run {
        return Ok(next);
    }
    let rv = store.next_rv();
    meta_mut(&mut next).insert("resourceVersion".into(), json!(rv.to_string()));
    if terminating && !finalizers_pending(&next) {
        // The last finalizer is gone: the pending delete completes.
        store.remove(id, &k, next.clone(), rv);
        return Ok(next);
    }
    Ok(store.put(id, k, next, rv).value.as_ref().clone())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn patch(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    name: &str,
    kind: PatchKind,
    patch_body: &Value,
    target: Target,
    dry_run: bool,
    manager: Option<&str>,
) -> Result<Value, ApiError> {
    let def = &reg.get(id);
    let k = key(def, ns, name);
    let Some(current) = store.get(id, &k.0, &k.1).map(|s| s.value.clone()) else {
        return Err(ApiError::not_found(def, name));
    };
    let patched = apply_patch(&current, kind, patch_body)?;
    update_as(store, reg, id, ns, name, patched, target, dry_run, manager)
}

/// What a server-side apply request carries besides the object.
pub(crate) struct ApplyParams<'a> {
    pub manager: &'a str,
    pub force: bool,
    pub dry_run: bool,
}

/// Server-side apply (`application/apply-patch+yaml`): creates the object
/// when absent, else merges the applied fields with conflict detection.
/// Returns the result and whether it was created.
pub(crate) fn server_side_apply(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    name: &str,
    applied: &Value,
    params: &ApplyParams<'_>,
) -> Result<(Value, bool), ApiError> {
    let def = &reg.get(id);
    if !applied.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a YAML or JSON object",
        ));
    }
    if let Some(kind) = applied.get("kind").and_then(Value::as_str)
        && kind != def.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind of the object ({kind}) does not match the resource ({})",
            def.kind
        )));
    }
    if let Some(body_name) = meta_str(applied, "name")
        && body_name != name
    {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    if def.namespaced
        && let (Some(body_ns), Some(ns)) = (meta_str(applied, "namespace"), ns)
        && body_ns != ns
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    let req = managed::ApplyRequest {
        manager: params.manager,
        force: params.force,
        api_version: &def.api_version(),
        has_status: def.has_status(),
    };
    let k = key(def, ns, name);
    let current = store.get(id, &k.0, &k.1).map(|s| s.value.clone());
    match current {
        None => {
            let mut obj = managed::apply(None, applied, &req)?;
            meta_mut(&mut obj).insert("name".into(), json!(name));
            let created = create_as(store, reg, id, ns, obj, params.dry_run, None)?;
            Ok((created, true))
        }
        Some(current) => {
            let merged = managed::apply(Some(&current), applied, &req)?;
            let updated = update_as(
                store,
                reg,
                id,
                ns,
                name,
                merged,
                Target::Main,
                params.dry_run,
                None,
            )?;
            Ok((updated, false))
        }
    }
}

pub(crate) fn apply_patch(
    current: &Value,
    kind: PatchKind,
    patch_body: &Value,
) -> Result<Value, ApiError> {
    let bad = |e: patch::PatchError| ApiError::new(422, "Invalid", e.to_string());
    match kind {
        PatchKind::Merge => {
            let mut v = current.clone();
            patch::merge(&mut v, patch_body);
            Ok(v)
        }
        PatchKind::Json => patch::json_patch(current, patch_body).map_err(bad),
        PatchKind::Strategic => {
            let mut v = current.clone();
            patch::strategic(&mut v, patch_body).map_err(bad)?;
            Ok(v)
        }
    }
}

/// Preconditions a DELETE body may carry.
#[derive(Debug, Default)]
pub(crate) struct Preconditions {
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

pub(crate) fn delete(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    name: &str,
    pre: &Preconditions,
    dry_run: bool,
) -> Result<Value, ApiError> {
    let def = &reg.get(id);
    let k = key(def, ns, name);
    let Some(current) = store.get(id, &k.0, &k.1).map(|s| s.value.clone()) else {
        return Err(ApiError::not_found(def, name));
    };
    if pre
        .uid
        .as_deref()
        .is_some_and(|u| Some(u) != meta_str(&current, "uid"))
        || pre
            .resource_version
            .as_deref()
            .is_some_and(|r| Some(r) != meta_str(&current, "resourceVersion"))
    {
        return Err(ApiError::conflict(def, name));
    }
    let mut last = current.as_ref().clone();
    if dry_run {
        return Ok(last);
    }
    if finalizers_pending(&current) {
        if meta_str(&current, "deletionTimestamp").is_some() {
            return Ok(last);
        }
        let rv = store.next_rv();
        let meta = meta_mut(&mut last);
        meta.insert("deletionTimestamp".into(), json!(util::now_rfc3339()));
        meta.insert("deletionGracePeriodSeconds".into(), json!(0));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        return Ok(store.put(id, k, last, rv).value.as_ref().clone());
    }
    if def.kind == "Namespace" && def.group.is_empty() {
        cascade_namespace(store, reg, name);
    }
    let rv = store.next_rv();
    meta_mut(&mut last).insert("resourceVersion".into(), json!(rv.to_string()));
    store.remove(id, &k, last.clone(), rv);
    Ok(last)
}

/// What a DELETE does to the deleted object's dependents
/// (`propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Propagation {
    /// Dependents stay, their ownerReferences to the owner removed.
    Orphan,
    /// The garbage collector deletes dependents after the owner is gone
    /// (Foreground is treated the same: dependents go within a step).
    Background,
}

/// Removes ownerReferences to `owner_uid` from every object in `ns` (all
/// namespaces for a cluster-scoped owner), as the garbage collector does
/// for an orphaning delete. Watchers see MODIFIED events.
pub(crate) fn orphan_dependents(store: &mut Store, reg: &Registry, ns: &str, owner_uid: &str) {
    if owner_uid.is_empty() {
        return;
    }
    let refers = |v: &Value| {
        v.pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r.get("uid").and_then(Value::as_str) == Some(owner_uid))
            })
    };
    for (id, _) in reg.all() {
        let dependents: Vec<(ObjKey, Value)> = store
            .res(id)
            .map(|r| {
                r.objects
                    .iter()
                    .filter(|(k, s)| (ns.is_empty() || k.0 == ns) && refers(&s.value))
                    .map(|(k, s)| (k.clone(), s.value.as_ref().clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (k, mut obj) in dependents {
            let rv = store.next_rv();
            let meta = meta_mut(&mut obj);
            let left: Vec<Value> = meta
                .get("ownerReferences")
                .and_then(Value::as_array)
                .map(|refs| {
                    refs.iter()
                        .filter(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if left.is_empty() {
                meta.remove("ownerReferences");
            } else {
                meta.insert("ownerReferences".into(), json!(left));
            }
            meta.insert("resourceVersion".into(), json!(rv.to_string()));
            store.put(id, k, obj, rv);
        }
    }
}

/// What the namespace controller would do: remove everything inside.
fn cascade_namespace(store: &mut Store, reg: &Registry, ns: &str) {
    for (id, def) in reg.all() {
        if !def.namespaced {
            continue;
        }
        let keys: Vec<(ObjKey, Value)> = store
            .res(id)
            .map(|r| {
                r.objects
                    .range((ns.to_string(), String::new())..)
                    .take_while(|(k, _)| k.0 == ns)
                    .map(|(k, s)| (k.clone(), s.value.as_ref().clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (k, mut last) in keys {
            let rv = store.next_rv();
            meta_mut(&mut last).insert("resourceVersion".into(), json!(rv.to_string()));
            store.remove(id, &k, last, rv);
        }
    }
}

/// Create-or-replace without preconditions, for the seed, tests and the
/// demo ticker. Keeps identity fields the new object leaves out.
pub(crate) fn apply_unchecked(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    mut obj: Value,
) -> Result<Value, ApiError> {
    let def = &reg.get(id);
    let Some(name) = meta_str(&obj, "name").map(str::to_string) else {
        return Err(ApiError::invalid(
            def,
            "",
            "metadata.name",
            "Required value",
        ));
    };
    let ns = if def.namespaced {
        meta_str(&obj, "namespace").unwrap_or("default").to_string()
    } else {
        String::new()
    };
    let k: ObjKey = (ns.clone(), name);
    let current = store.get(id, &k.0, &k.1).map(|s| s.value.clone());
    set_type_meta(def, &mut obj);
    let spec_changed = current
        .as_ref()
        .is_some_and(|c| c.get("spec") != obj.get("spec"));
    let rv = store.next_rv();
    let cur_meta = current
        .as_ref()
        .and_then(|c| c.get("metadata"))
        .and_then(Value::as_object)
        .cloned();
    let meta = meta_mut(&mut obj);
    if def.namespaced {
        meta.insert("namespace".into(), json!(ns));
    }
    for field in ["uid", "creationTimestamp"] {
        if !meta.contains_key(field) {
            let v = cur_meta
                .as_ref()
                .and_then(|m| m.get(field))
                .cloned()
                .unwrap_or_else(|| {
                    json!(if field == "uid" {
                        util::new_uid()
                    } else {
                        util::now_rfc3339()
                    })
                });
            meta.insert(field.into(), v);
        }
    }
    if !meta.contains_key("generation") {
        let g = cur_meta
            .as_ref()
            .and_then(|m| m.get("generation"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        meta.insert(
            "generation".into(),
            json!(if spec_changed || g == 0 { g + 1 } else { g }),
        );
    }
    meta.insert("resourceVersion".into(), json!(rv.to_string()));
    Ok(store.put(id, k, obj, rv).value.as_ref().clone())
}

pub(crate) fn delete_unchecked(
    store: &mut Store,
    reg: &Registry,
    id: ResourceId,
    ns: Option<&str>,
    name: &str,
) -> Result<(), ApiError> {
    let def = &reg.get(id);
    let k = key(
        def,
        if def.namespaced {
            Some(ns.unwrap_or("default"))
        } else {
            None
        },
        name,
    );
    let Some(current) = store.get(id, &k.0, &k.1).map(|s| s.value.clone()) else {
        return Err(ApiError::not_found(def, name));
    };
    if def.kind == "Namespace" && def.group.is_empty() {
        cascade_namespace(store, reg, name);
    }
    let rv = store.next_rv();
    let mut last = current.as_ref().clone();
    meta_mut(&mut last).insert("resourceVersion".into(), json!(rv.to_string()));
    store.remove(id, &k, last, rv);
    Ok(())
}
