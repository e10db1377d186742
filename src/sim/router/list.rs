//! list: selectors, namespace scoping, and limit/continue paging built by
//! concatenating each object's pre-serialized JSON.

use std::ops::Bound;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::{BufMut, Bytes, BytesMut};
use http::Response;
use serde::{Deserialize, Serialize};

use super::super::api_error::ApiError;
use super::super::body::{self, Body};
use super::super::selector::{FieldSelector, LabelSelector, Selectors};
use super::super::state::Shared;
use super::super::store::ObjKey;
use super::path::ResourcePath;
use super::{Ctx, Query};

pub(super) fn selectors(q: &Query) -> Result<Selectors, ApiError> {
    Ok(Selectors {
        labels: LabelSelector::parse(q.get("labelSelector").unwrap_or_default())?,
        fields: FieldSelector::parse(q.get("fieldSelector").unwrap_or_default())?,
    })
}

/// What a continue token remembers: the list's resourceVersion and the
/// last key served.
#[derive(Debug, Serialize, Deserialize)]
struct Continue {
    v: String,
    rv: u64,
    ns: String,
    name: String,
}

fn encode_continue(rv: u64, key: &ObjKey) -> String {
    let c = Continue {
        v: "meta.k8s.io/v1".into(),
        rv,
        ns: key.0.clone(),
        name: key.1.clone(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())
}

fn decode_continue(token: &str) -> Result<Continue, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let raw = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    serde_json::from_slice(&raw).map_err(|_| bad())
}

const EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. \
You can start a new list without the continue parameter, or use the continue token in this response to \
retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - \
objects that were created, modified, or deleted between the time the first chunk was returned and now may \
show up in the list.";

pub(super) fn list(
    shared: &Arc<Shared>,
    rp: &ResourcePath,
    ctx: &Ctx,
) -> Result<Response<Body>, ApiError> {
    let def = &shared.registry.get(rp.id);
    let sel = selectors(&ctx.query)?;
    let limit = ctx
        .query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|&l| l > 0);
    let token = ctx
        .query
        .get("continue")
        .filter(|t| !t.is_empty())
        .map(decode_continue)
        .transpose()?;
    let ns = rp.ns.as_deref();

    let (list_rv, items, next) = {
        let store = shared.read();
        let Some(res) = store.res(rp.id) else {
            return Err(ApiError::path_not_found());
        };
        let (list_rv, lower) = match &token {
            Some(t) => {
                if t.rv < store.history_start(rp.id) {
                    return Err(ApiError::expired(EXPIRED));
                }
                (t.rv, Bound::Excluded((t.ns.clone(), t.name.clone())))
            }
            None => (
                store.rv(),
                ns.map_or(Bound::Unbounded, |n| {
                    Bound::Included((n.to_string(), String::new()))
                }),
            ),
        };
        let mut items: Vec<Bytes> = Vec::new();
        let mut last_key: Option<&ObjKey> = None;
        let mut more = false;
        for (k, s) in res.objects.range((lower, Bound::Unbounded)) {
            if ns.is_some_and(|n| n != k.0) {
                break;
            }
            if !sel.is_empty() && !sel.matches(&s.value) {
                continue;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                more = true;
                break;
            }
            items.push(s.bytes.clone());
            last_key = Some(k);
        }
        let next = if more {
            last_key.map(|k| encode_continue(list_rv, k))
        } else {
            None
        };
        (list_rv, items, next)
    };

    let size: usize = items.iter().map(|b| b.len() + 1).sum();
    let mut out = BytesMut::with_capacity(size + 256);
    out.put_slice(b"{\"kind\":\"");
    out.put_slice(def.kind.as_bytes());
    out.put_slice(b"List\",\"apiVersion\":\"");
    out.put_slice(def.api_version().as_bytes());
    out.put_slice(b"\",\"metadata\":{\"resourceVersion\":\"");
    out.put_slice(list_rv.to_string().as_bytes());
    out.put_slice(b"\"");
    if let Some(c) = next {
        out.put_slice(b",\"continue\":\"");
        out.put_slice(c.as_bytes());
        out.put_slice(b"\"");
    }
    out.put_slice(b"},\"items\":[");
    for (i, b) in items.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        out.put_slice(b);
    }
    out.put_slice(b"]}");
    Ok(body::json_bytes(200, out.freeze()))
}
