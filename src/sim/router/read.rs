//! get, watch, metrics and pod logs.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, Response};
use serde_json::{Value, json};

use super::super::api_error::ApiError;
use super::super::body::{self, Body};
use super::super::metrics;
use super::super::objects::meta_str;
use super::super::registry::Virtual;
use super::super::state::Shared;
use super::super::watch::{self, WatchParams};
use super::Ctx;
use super::list::selectors;
use super::path::ResourcePath;

pub(super) fn get(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    name: &str,
) -> Result<Response<Body>, ApiError> {
    let def = shared.registry.get(rp.id);
    let store = shared.read();
    let ns = if def.namespaced {
        rp.ns.as_deref().unwrap_or_default()
    } else {
        ""
    };
    match store.get(rp.id, ns, name) {
        Some(s) => Ok(body::json_bytes(200, s.bytes.clone())),
        None => Err(ApiError::not_found(def, name)),
    }
}

fn watch_list_forbidden() -> ApiError {
    let msg =
        "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled";
    ApiError::new(422, "Invalid", format!("ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: {msg}"))
        .with_details(json!({
            "group": "meta.k8s.io",
            "kind": "ListOptions",
            "causes": [{"reason": "FieldValueForbidden", "message": format!("Forbidden: {msg}"), "field": "sendInitialEvents"}]
        }))
}

pub(super) fn watch(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let q = &ctx.query;
    let initial_events = q.flag("sendInitialEvents");
    if initial_events {
        if !shared.opts.watch_list {
            return Err(watch_list_forbidden());
        }
        if q.get("resourceVersionMatch") != Some("NotOlderThan") {
            return Err(ApiError::new(
                422,
                "Invalid",
                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
    }
    let rv = match q.get("resourceVersion").unwrap_or_default() {
        "" | "0" => None,
        s => Some(
            s.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {s}")))?,
        ),
    };
    let params = WatchParams {
        id: rp.id,
        ns: rp.ns.clone(),
        sel: selectors(q)?,
        rv,
        bookmarks: q.flag("allowWatchBookmarks"),
        timeout: q
            .get("timeoutSeconds")
            .and_then(|t| t.parse::<u64>().ok())
            .map(Duration::from_secs),
        initial_events,
    };
    Ok(watch::start(shared, params))
}

pub(super) fn metrics(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    if ctx.method != Method::GET || ctx.query.flag("watch") || rp.legacy_watch {
        return Err(ApiError::method_not_allowed());
    }
    let def = shared.registry.get(rp.id);
    let sel = selectors(&ctx.query)?;
    let items = {
        let store = shared.read();
        match def.virtual_kind {
            Virtual::PodMetrics => metrics::pod_metrics(
                &store,
                &shared.registry,
                &shared.metrics,
                rp.ns.as_deref(),
                rp.name.as_deref(),
                &sel,
            ),
            _ => metrics::node_metrics(
                &store,
                &shared.registry,
                &shared.metrics,
                rp.name.as_deref(),
                &sel,
            ),
        }
    };
    match &rp.name {
        Some(name) => match items.into_iter().next() {
            Some(item) => Ok(body::json(200, &item)),
            None => Err(ApiError::new(
                404,
                "NotFound",
                format!("{}.metrics.k8s.io \"{name}\" not found", def.plural),
            )
            .with_details(json!({"name": name, "group": "metrics.k8s.io", "kind": def.plural}))),
        },
        None => Ok(body::json(
            200,
            &json!({
                "kind": metrics::list_kind(rp.id, &shared.registry),
                "apiVersion": def.api_version(),
                "metadata": {},
                "items": items,
            }),
        )),
    }
}

/// A few plausible lines per container until the log simulation lands.
pub(super) fn log(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    if ctx.method != Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    let def = shared.registry.get(rp.id);
    let name = rp.name.as_deref().unwrap_or_default();
    let pod: Value = {
        let store = shared.read();
        let s = store
            .get(rp.id, rp.ns.as_deref().unwrap_or_default(), name)
            .ok_or_else(|| ApiError::not_found(def, name))?;
        s.value.as_ref().clone()
    };
    let containers: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let container = match ctx.query.get("container") {
        Some(c) if containers.iter().any(|x| x == c) => c.to_string(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    let started = pod
        .pointer("/status/startTime")
        .and_then(Value::as_str)
        .unwrap_or("2026-01-01T00:00:00Z");
    let ts = ctx.query.flag("timestamps");
    let mut lines: Vec<String> = (0..20)
        .map(|i| {
            let msg = format!(
                "level=info msg=\"{container} handled request\" pod={} seq={i}",
                meta_str(&pod, "name").unwrap_or_default()
            );
            if ts { format!("{started} {msg}") } else { msg }
        })
        .collect();
    if let Some(n) = ctx
        .query
        .get("tailLines")
        .and_then(|t| t.parse::<usize>().ok())
    {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    Ok(body::bytes_response(200, "text/plain", text))
}
