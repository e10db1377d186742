//! Request dispatch: discovery, health, and resource requests.

mod list;
mod path;
mod read;
mod scale;
mod write;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use serde_json::Value;

use super::api_error::ApiError;
use super::body::{self, Body};
use super::discovery;
use super::faults;
use super::registry::Virtual;
use super::state::Shared;
use super::watch;
use path::{ResourcePath, Route};

/// Decoded query parameters (the first value of a repeated key wins).
#[derive(Debug, Default)]
pub(crate) struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(q: Option<&str>) -> Self {
        let mut m = HashMap::new();
        for pair in q.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                let s = s.replace('+', " ");
                urlencoding::decode(&s).map(|c| c.into_owned()).unwrap_or(s)
            };
            m.entry(dec(k)).or_insert_with(|| dec(v));
        }
        Query(m)
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    pub fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1"))
    }
}

/// What a request carries besides its route.
pub(crate) struct Ctx {
    pub method: Method,
    pub query: Query,
    pub content_type: String,
    pub body: Bytes,
    pub user_agent: String,
}

impl Ctx {
    /// JSON (or YAML, which kubectl never sends but humans with curl might).
    pub fn json_body(&self) -> Result<Value, ApiError> {
        if self.content_type.contains("yaml") {
            return serde_yaml::from_slice(&self.body)
                .map_err(|e| ApiError::bad_request(format!("couldn't decode YAML body: {e}")));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::bad_request(format!("couldn't decode JSON body: {e}")))
    }

    pub fn dry_run(&self) -> bool {
        self.query.get("dryRun") == Some("All")
    }

    /// Who an ordinary write is recorded for in managedFields: the
    /// `fieldManager` parameter, else the user agent's program name
    /// (`kubectl`, `kube-rs`), as the apiserver defaults it.
    pub fn manager(&self) -> String {
        if let Some(m) = self.query.get("fieldManager").filter(|m| !m.is_empty()) {
            return m.to_string();
        }
        let prog = self.user_agent.split('/').next().unwrap_or_default().trim();
        if prog.is_empty() {
            "unknown".to_string()
        } else {
            prog.to_string()
        }
    }
}

const MAX_BODY: usize = 64 * 1024 * 1024;

pub(crate) async fn handle<B>(shared: Arc<Shared>, req: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    tracing::debug!(method = %parts.method, uri = %parts.uri, "sim request");
    let route = match path::parse(&shared.registry, parts.uri.path()) {
        Ok(r) => r,
        Err(e) => return body::error(&e),
    };
    let reg = &shared.registry;
    let not_found = || body::error(&ApiError::path_not_found());
    match route {
        Route::Root => body::json(
            200,
            &serde_json::json!({"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"]}),
        ),
        Route::Health => body::bytes_response(200, "text/plain; charset=utf-8", "ok"),
        Route::Version => body::json(200, &discovery::version(&shared.opts.server_version)),
        Route::Api => body::json(200, &discovery::api_versions(&shared.server_address)),
        Route::ApiGroupList => body::json(200, &discovery::api_group_list(reg)),
        Route::ApiGroup(g) => {
            discovery::api_group(reg, &g).map_or_else(not_found, |v| body::json(200, &v))
        }
        Route::ResourceList { group, version } => discovery::resource_list(reg, &group, &version)
            .map_or_else(not_found, |v| body::json(200, &v)),
        Route::Resource(rp) => {
            let content_type = parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            let body = if matches!(
                parts.method,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                match Limited::new(body, MAX_BODY).collect().await {
                    Ok(b) => b.to_bytes(),
                    Err(e) => {
                        return body::error(&ApiError::bad_request(format!(
                            "reading request body: {e}"
                        )));
                    }
                }
            } else {
                Bytes::new()
            };
            let user_agent = parts
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let ctx = Ctx {
                user_agent,
                method: parts.method,
                query: Query::parse(parts.uri.query()),
                content_type,
                body,
            };
            let writes = matches!(
                ctx.method,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) && ctx.query.get("dryRun").is_none();
            let delay = shared.faults.write_delay();
            if writes && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            resource(&shared, rp, ctx)
        }
    }
}

fn verb(rp: &ResourcePath, ctx: &Ctx, is_watch: bool) -> &'static str {
    match (&ctx.method, rp.name.is_some()) {
        (&Method::GET, _) if is_watch => "watch",
        (&Method::GET, false) => "list",
        (&Method::GET, true) => "get",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, false) => "deletecollection",
        (&Method::DELETE, true) => "delete",
        _ => "get",
    }
}

fn resource(shared: &Arc<Shared>, rp: ResourcePath, ctx: Ctx) -> Response<Body> {
    let def = &shared.registry.get(rp.id);
    let is_watch = ctx.method == Method::GET
        && rp.name.is_none()
        && (rp.legacy_watch || ctx.query.flag("watch"));
    if shared.faults.is_forbidden(def.plural) {
        let verb = verb(&rp, &ctx, is_watch);
        return body::error(&faults::forbidden(
            def,
            verb,
            rp.ns.as_deref(),
            rp.name.as_deref(),
            rp.sub.as_deref(),
        ));
    }
    if let Some(code) = shared.faults.take(def.plural, is_watch) {
        let err = ApiError::from_code(code, format!("injected fault: {code}"));
        if is_watch && code == 410 {
            let current = shared.read().rv();
            return watch::stream_response(watch::error_event(&watch::too_old(0, current)));
        }
        return body::error(&err);
    }
    let result = match (def.virtual_kind, rp.sub.as_deref()) {
        (Virtual::PodMetrics | Virtual::NodeMetrics, _) => read::metrics(shared, &rp, &ctx),
        (_, Some("scale")) => scale::handle(shared, &rp, &ctx),
        (_, Some("log")) => read::log(shared, &rp, &ctx),
        (_, sub) => {
            let status = sub == Some("status");
            match (&ctx.method, rp.name.as_deref()) {
                (&Method::GET, None) if is_watch => read::watch(shared, &rp, &ctx),
                (&Method::GET, None) => list::list(shared, &rp, &ctx),
                (&Method::GET, Some(name)) => read::get(shared, &rp, name),
                (&Method::POST, None) => write::create(shared, &rp, &ctx),
                (&Method::PUT, Some(name)) => write::update(shared, &rp, name, &ctx, status),
                (&Method::PATCH, Some(name)) => write::patch(shared, &rp, name, &ctx, status),
                (&Method::DELETE, Some(name)) => write::delete(shared, &rp, name, &ctx),
                (&Method::DELETE, None) => write::delete_collection(shared, &rp, &ctx),
                _ => Err(ApiError::method_not_allowed()),
            }
        }
    };
    result.unwrap_or_else(|e| body::error(&e))
}
