//! Response bodies: whole JSON documents, or streams that can be cut.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use serde_json::Value;

use super::api_error::ApiError;

/// Yielded by a watch body to abort the response mid-stream, so the client
/// sees a broken connection rather than a clean end.
#[derive(Debug, thiserror::Error)]
#[error("watch stream cut by the simulator")]
pub(crate) struct StreamCut;

pub(crate) type Body = UnsyncBoxBody<Bytes, StreamCut>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub(crate) fn bytes_response(
    code: u16,
    content_type: &str,
    bytes: impl Into<Bytes>,
) -> Response<Body> {
    let mut resp = Response::new(full(bytes));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

pub(crate) fn json_bytes(code: u16, bytes: impl Into<Bytes>) -> Response<Body> {
    bytes_response(code, "application/json", bytes)
}

pub(crate) fn json(code: u16, value: &Value) -> Response<Body> {
    // Serializing a Value cannot fail (all keys are strings).
    json_bytes(code, serde_json::to_vec(value).unwrap_or_default())
}

pub(crate) fn error(err: &ApiError) -> Response<Body> {
    json(err.code, &err.to_status())
}
