//! The `/scale` subresource as autoscaling/v1 Scale.

use std::sync::Arc;

use http::{Method, Response};
use serde_json::{Map, Value, json};

use super::super::api_error::ApiError;
use super::super::body::{self, Body};
use super::super::objects::{self, Target, meta_str};
use super::super::state::Shared;
use super::Ctx;
use super::path::ResourcePath;
use super::write::patch_kind;

/// `matchLabels` rendered as a selector string, as Scale.status.selector is.
fn selector_string(obj: &Value) -> String {
    let labels = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    labels
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",")
}

fn to_scale(obj: &Value) -> Value {
    let mut meta = json!({});
    for f in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta_str(obj, f) {
            meta[f] = json!(v);
        }
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": meta,
        "spec": {"replicas": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)},
        "status": {
            "replicas": obj.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector_string(obj),
        },
    })
}

pub(super) fn handle(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let def = &shared.registry.get(rp.id);
    let name = rp.name.as_deref().unwrap_or_default();
    let ns = rp.ns.as_deref().unwrap_or_default();
    let mut store = shared.write();
    let current = store
        .get(rp.id, ns, name)
        .map(|s| s.value.as_ref().clone())
        .ok_or_else(|| ApiError::not_found(def, name))?;
    let scale = to_scale(&current);
    let wanted = match ctx.method {
        Method::GET => return Ok(body::json(200, &scale)),
        Method::PUT => ctx.json_body()?,
        Method::PATCH => {
            objects::apply_patch(&scale, patch_kind(&ctx.content_type)?, &ctx.json_body()?)?
        }
        _ => return Err(ApiError::method_not_allowed()),
    };
    if let Some(rv) = meta_str(&wanted, "resourceVersion")
        && Some(rv) != meta_str(&current, "resourceVersion")
    {
        return Err(ApiError::conflict(def, name));
    }
    let Some(replicas) = wanted
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .filter(|r| *r >= 0)
    else {
        return Err(ApiError::invalid(
            def,
            name,
            "spec.replicas",
            "Invalid value: must be a non-negative integer",
        ));
    };
    let mut next = current;
    super::super::patch::merge(&mut next, &json!({"spec": {"replicas": replicas}}));
    let manager = ctx.manager();
    let updated = objects::update_as(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        name,
        next,
        Target::Main,
        ctx.dry_run(),
        Some(&manager),
    )?;
    drop(store);
    Ok(body::json(200, &to_scale(&updated)))
}
