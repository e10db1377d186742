//! create, update, patch, delete and deletecollection.

use std::sync::Arc;

use http::Response;
use serde_json::{Value, json};

use super::super::api_error::ApiError;
use super::super::body::{self, Body};
use super::super::objects::{self, PatchKind, Preconditions, Target};
use super::super::state::Shared;
use super::Ctx;
use super::list::selectors;
use super::path::ResourcePath;

pub(super) fn patch_kind(content_type: &str) -> Result<PatchKind, ApiError> {
    let base = content_type.split(';').next().unwrap_or_default().trim();
    match base {
        "application/merge-patch+json" => Ok(PatchKind::Merge),
        "application/json-patch+json" => Ok(PatchKind::Json),
        "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

pub(super) fn create(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let body = ctx.json_body()?;
    let mut store = shared.write();
    let obj = objects::create(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        body,
        ctx.dry_run(),
    )?;
    drop(store);
    Ok(body::json(201, &obj))
}

pub(super) fn update(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    name: &str,
    ctx: &Ctx,
    status: bool,
) -> Result<Response<Body>, ApiError> {
    let body = ctx.json_body()?;
    let target = if status { Target::Status } else { Target::Main };
    let mut store = shared.write();
    let obj = objects::update(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        name,
        body,
        target,
        ctx.dry_run(),
    )?;
    drop(store);
    Ok(body::json(200, &obj))
}

pub(super) fn patch(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    name: &str,
    ctx: &Ctx,
    status: bool,
) -> Result<Response<Body>, ApiError> {
    let kind = patch_kind(&ctx.content_type)?;
    let patch_body = ctx.json_body()?;
    let target = if status { Target::Status } else { Target::Main };
    let mut store = shared.write();
    let obj = objects::patch(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        name,
        kind,
        &patch_body,
        target,
        ctx.dry_run(),
    )?;
    drop(store);
    Ok(body::json(200, &obj))
}

fn preconditions(ctx: &Ctx) -> Result<Preconditions, ApiError> {
    if ctx.body.is_empty() {
        return Ok(Preconditions::default());
    }
    let v: Value = ctx.json_body()?;
    let get = |k: &str| {
        v.pointer(&format!("/preconditions/{k}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(Preconditions {
        uid: get("uid"),
        resource_version: get("resourceVersion"),
    })
}

pub(super) fn delete(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    name: &str,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let pre = preconditions(ctx)?;
    let mut store = shared.write();
    let obj = objects::delete(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        name,
        &pre,
        ctx.dry_run(),
    )?;
    drop(store);
    Ok(body::json(200, &obj))
}

pub(super) fn delete_collection(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let def = shared.registry.get(rp.id);
    let sel = selectors(&ctx.query)?;
    let mut store = shared.write();
    let names: Vec<(String, String)> = store
        .res(rp.id)
        .map(|r| {
            r.objects
                .iter()
                .filter(|((ns, _), s)| {
                    rp.ns.as_deref().is_none_or(|n| n == ns) && sel.matches(&s.value)
                })
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    let pre = Preconditions::default();
    let mut items = Vec::new();
    for (ns, name) in names {
        let ns = (!ns.is_empty()).then_some(ns);
        items.push(objects::delete(
            &mut store,
            &shared.registry,
            rp.id,
            ns.as_deref(),
            &name,
            &pre,
            ctx.dry_run(),
        )?);
    }
    let rv = store.rv();
    drop(store);
    Ok(body::json(
        200,
        &json!({
            "kind": format!("{}List", def.kind),
            "apiVersion": def.api_version(),
            "metadata": {"resourceVersion": rv.to_string()},
            "items": items,
        }),
    ))
}
