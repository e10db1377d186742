//! create, update, patch, delete and deletecollection.

use std::sync::Arc;

use http::Response;
use serde_json::{Value, json};

use super::super::api_error::ApiError;
use super::super::body::{self, Body};
use super::super::crd;
use super::super::objects::{self, ApplyParams, PatchKind, Preconditions, Propagation, Target};
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
    let manager = ctx.manager();
    let mut store = shared.write();
    let obj = objects::create_as(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        body,
        ctx.dry_run(),
        Some(&manager),
    )?;
    drop(store);
    record(shared, rp, ctx, "create", &obj);
    after_write(shared, rp, ctx);
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
    let manager = ctx.manager();
    let mut store = shared.write();
    let obj = objects::update_as(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        name,
        body,
        target,
        ctx.dry_run(),
        Some(&manager),
    )?;
    drop(store);
    record(shared, rp, ctx, "update", &obj);
    after_write(shared, rp, ctx);
    Ok(body::json(200, &obj))
}

pub(super) fn patch(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    name: &str,
    ctx: &Ctx,
    status: bool,
) -> Result<Response<Body>, ApiError> {
    if is_apply(&ctx.content_type) {
        return apply(shared, rp, name, ctx, status);
    }
    let kind = patch_kind(&ctx.content_type)?;
    let def = shared.registry.get(rp.id);
    if kind == PatchKind::Strategic && def.is_custom() {
        // The API server has no strategic merge for custom resources.
        return Err(ApiError::unsupported_media_type(&ctx.content_type));
    }
    let patch_body = ctx.json_body()?;
    if !ctx.dry_run() {
        shared
            .client_patches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(super::super::state::ClientPatch {
                kind: def.kind.to_string(),
                namespace: rp.ns.clone(),
                name: name.to_string(),
                subresource: status.then(|| "status".to_string()),
                content_type: ctx
                    .content_type
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                body: patch_body.clone(),
            });
    }
    let target = if status { Target::Status } else { Target::Main };
    let manager = ctx.manager();
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
        Some(&manager),
    )?;
    drop(store);
    record(shared, rp, ctx, "patch", &obj);
    after_write(shared, rp, ctx);
    Ok(body::json(200, &obj))
}

fn is_apply(content_type: &str) -> bool {
    content_type.split(';').next().unwrap_or_default().trim() == "application/apply-patch+yaml"
}

/// Server-side apply. On `/status` the applied status is merged in (no
/// ownership tracking for status).
fn apply(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    name: &str,
    ctx: &Ctx,
    status: bool,
) -> Result<Response<Body>, ApiError> {
    let Some(manager) = ctx.query.get("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(ApiError::bad_request(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    };
    let force = match ctx.query.get("force") {
        None | Some("" | "false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid value for force: {other:?}"
            )));
        }
    };
    let applied = ctx.json_body()?;
    let mut store = shared.write();
    if status {
        let obj = objects::patch(
            &mut store,
            &shared.registry,
            rp.id,
            rp.ns.as_deref(),
            name,
            PatchKind::Strategic,
            &json!({"status": applied.get("status").cloned().unwrap_or(json!({}))}),
            Target::Status,
            ctx.dry_run(),
            None,
        )?;
        drop(store);
        return Ok(body::json(200, &obj));
    }
    let params = ApplyParams {
        manager,
        force,
        dry_run: ctx.dry_run(),
    };
    let (obj, created) = objects::server_side_apply(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        name,
        &applied,
        &params,
    )?;
    drop(store);
    record(shared, rp, ctx, "apply", &obj);
    after_write(shared, rp, ctx);
    Ok(body::json(if created { 201 } else { 200 }, &obj))
}

/// Keeps the write in the server's client-write log (not dry runs).
fn record(shared: &Arc<Shared>, rp: &ResourcePath, ctx: &Ctx, verb: &'static str, obj: &Value) {
    if ctx.dry_run() {
        return;
    }
    let kind = shared.registry.get(rp.id).kind;
    let name = objects::meta_str(obj, "name").unwrap_or_default();
    shared.record_write(verb, kind, objects::meta_str(obj, "namespace"), name);
}

/// Writes to CustomResourceDefinitions change what the server serves.
fn after_write(shared: &Arc<Shared>, rp: &ResourcePath, ctx: &Ctx) {
    if !ctx.dry_run() && crd::is_crd(&shared.registry, rp.id) {
        crd::after_write(shared);
    }
}

/// A DELETE says dry-run in the query or, as kube-rs and kubectl send it,
/// in the DeleteOptions body (`dryRun: ["All"]`).
fn delete_dry_run(ctx: &Ctx) -> bool {
    if ctx.dry_run() {
        return true;
    }
    if ctx.body.is_empty() {
        return false;
    }
    serde_json::from_slice::<Value>(&ctx.body)
        .ok()
        .and_then(|v| v.get("dryRun").and_then(Value::as_array).cloned())
        .is_some_and(|modes| modes.iter().any(|m| m.as_str() == Some("All")))
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

/// The apiserver's warning when a batch/v1 Job is deleted without a
/// propagationPolicy (its default for Jobs orphans the pods).
const JOB_ORPHAN_WARNING: &str = "299 - \"child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning\"";

/// The effective propagation policy and whether it was left to the
/// kind's default. batch/v1 Jobs orphan their pods by default (kept for
/// compatibility by the real apiserver); everything else is Background.
fn propagation(
    shared: &Shared,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<(Propagation, bool), ApiError> {
    let body: Option<Value> = if ctx.body.is_empty() {
        None
    } else {
        serde_json::from_slice(&ctx.body).ok()
    };
    let from_body = body
        .as_ref()
        .and_then(|b| b.get("propagationPolicy"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let policy = ctx
        .query
        .get("propagationPolicy")
        .map(str::to_string)
        .or(from_body);
    let orphan_flag = ctx.query.flag("orphanDependents")
        || body
            .as_ref()
            .and_then(|b| b.get("orphanDependents"))
            .and_then(Value::as_bool)
            == Some(true);
    match policy.as_deref() {
        Some("Orphan") => Ok((Propagation::Orphan, false)),
        Some("Background" | "Foreground") => Ok((Propagation::Background, false)),
        Some(other) => Err(ApiError::bad_request(format!(
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
        ))),
        None if orphan_flag => Ok((Propagation::Orphan, false)),
        None => {
            let def = shared.registry.get(rp.id);
            if def.group == "batch" && def.version == "v1" && def.kind == "Job" {
                Ok((Propagation::Orphan, true))
            } else {
                Ok((Propagation::Background, true))
            }
        }
    }
}

pub(super) fn delete(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    name: &str,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let pre = preconditions(ctx)?;
    let (policy, defaulted) = propagation(shared, rp, ctx)?;
    let dry_run = delete_dry_run(ctx);
    let mut store = shared.write();
    let obj = objects::delete(
        &mut store,
        &shared.registry,
        rp.id,
        rp.ns.as_deref(),
        name,
        &pre,
        dry_run,
    )?;
    if !dry_run && policy == Propagation::Orphan {
        let ns = objects::meta_str(&obj, "namespace").unwrap_or_default();
        let uid = objects::meta_str(&obj, "uid").unwrap_or_default();
        objects::orphan_dependents(&mut store, &shared.registry, ns, uid);
    }
    drop(store);
    if !dry_run {
        record(shared, rp, ctx, "delete", &obj);
        after_write(shared, rp, ctx);
    }
    let mut resp = body::json(200, &obj);
    if defaulted && policy == Propagation::Orphan {
        resp.headers_mut().insert(
            http::header::WARNING,
            http::HeaderValue::from_static(JOB_ORPHAN_WARNING),
        );
    }
    Ok(resp)
}

pub(super) fn delete_collection(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let def = &shared.registry.get(rp.id);
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
    let (policy, _) = propagation(shared, rp, ctx)?;
    let dry_run = delete_dry_run(ctx);
    let mut items = Vec::new();
    for (ns, name) in names {
        let ns = (!ns.is_empty()).then_some(ns);
        let obj = objects::delete(
            &mut store,
            &shared.registry,
            rp.id,
            ns.as_deref(),
            &name,
            &pre,
            dry_run,
        )?;
        if !dry_run && policy == Propagation::Orphan {
            let uid = objects::meta_str(&obj, "uid").unwrap_or_default();
            objects::orphan_dependents(
                &mut store,
                &shared.registry,
                ns.as_deref().unwrap_or_default(),
                uid,
            );
        }
        items.push(obj);
    }
    let rv = store.rv();
    drop(store);
    after_write(shared, rp, ctx);
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
