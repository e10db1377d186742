//! get, watch, metrics and pod logs.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, Response};
use serde_json::json;

use super::super::api_error::ApiError;
use super::super::body::{self, Body};
use super::super::logs::{self, LogQuery};
use super::super::metrics;
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
    let def = &shared.registry.get(rp.id);
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
    let def = &shared.registry.get(rp.id);
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

fn log_number<T: std::str::FromStr + PartialOrd + Default>(
    q: &super::Query,
    key: &str,
) -> Result<Option<T>, ApiError> {
    match q.get(key) {
        None | Some("") => Ok(None),
        Some(v) => match v.parse::<T>() {
            Ok(n) if n >= T::default() => Ok(Some(n)),
            _ => Err(ApiError::bad_request(format!(
                "{key}: Invalid value: \"{v}\": must be a non-negative integer"
            ))),
        },
    }
}

/// `pods/{name}/log`, answered by the log simulation.
pub(super) fn log(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    if ctx.method != Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    let q = &ctx.query;
    let since_time = match q.get("sinceTime") {
        None | Some("") => None,
        Some(t) => Some(t.parse::<jiff::Timestamp>().map_err(|_| {
            ApiError::bad_request(format!(
                "sinceTime: Invalid value: \"{t}\": not an RFC3339 time"
            ))
        })?),
    };
    let query = LogQuery {
        container: q
            .get("container")
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        follow: q.flag("follow"),
        tail_lines: log_number(q, "tailLines")?,
        since_seconds: log_number(q, "sinceSeconds")?,
        since_time,
        timestamps: q.flag("timestamps"),
        previous: q.flag("previous"),
        limit_bytes: log_number(q, "limitBytes")?,
    };
    logs::serve(
        shared,
        rp.id,
        rp.ns.as_deref().unwrap_or_default(),
        rp.name.as_deref().unwrap_or_default(),
        &query,
    )
}
