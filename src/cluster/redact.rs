//! Secret values never reach a screen or an output unless revealed
//! (DESIGN §14; docs/ARCHITECTURE.md "Secrets").
//!
//! A Secret's content lives in three places: `data`, `stringData`, and —
//! when it was written by `kubectl apply` (client-side) — the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, which holds
//! the whole manifest as JSON, `stringData` in plain text included. Argo CD
//! masks the data inside that annotation too (gitops-engine `HideSecretData`);
//! so does this module. managedFields name keys (`f:data: {f:password: {}}`),
//! never values, and are not touched.

use base64::Engine;
use serde_json::Value;

/// Written by `kubectl apply` (client-side): the applied manifest as JSON.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether a JSON object is a core/v1 Secret.
pub fn is_secret(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some("Secret")
        && object.get("apiVersion").and_then(Value::as_str) == Some("v1")
}

/// Masks a Secret's values wherever they are (no-op for other kinds).
pub fn redact_if_secret(object: &mut Value) {
    if is_secret(object) {
        redact_secret(object);
    }
}

/// Replaces every value of `data` and `stringData` with its size, and does
/// the same inside the last-applied annotation. An annotation that is not
/// JSON is replaced whole: it cannot be masked piecewise.
pub fn redact_secret(object: &mut Value) {
    mask_values(object);
    let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let Some(Value::String(applied)) = annotations.get(LAST_APPLIED) else {
        return;
    };
    let masked = match serde_json::from_str::<Value>(applied) {
        Ok(mut inner) if inner.is_object() => {
            mask_values(&mut inner);
            // Inner annotations could nest another copy; mask it as well.
            if let Some(nested) = inner
                .pointer_mut("/metadata/annotations")
                .and_then(Value::as_object_mut)
                && nested.contains_key(LAST_APPLIED)
            {
                nested.insert(LAST_APPLIED.into(), Value::from("<masked>"));
            }
            serde_json::to_string(&inner).unwrap_or_else(|_| "<masked>".into())
        }
        _ => "<masked: not JSON>".into(),
    };
    annotations.insert(LAST_APPLIED.into(), Value::String(masked));
}

fn mask_values(object: &mut Value) {
    if let Some(map) = object.get_mut("data").and_then(Value::as_object_mut) {
        for value in map.values_mut() {
            let size = value.as_str().map(decoded_len).unwrap_or(0);
            *value = Value::String(masked(size));
        }
    }
    if let Some(map) = object.get_mut("stringData").and_then(Value::as_object_mut) {
        for value in map.values_mut() {
            let size = value.as_str().map(str::len).unwrap_or(0);
            *value = Value::String(masked(size));
        }
    }
}

/// The masked form of a value of `size` bytes.
pub fn masked(size: usize) -> String {
    format!("<masked: {size} bytes>")
}

/// The size a [`masked`] value records.
pub fn masked_size(text: &str) -> Option<usize> {
    text.strip_prefix("<masked: ")?
        .strip_suffix(" bytes>")?
        .parse()
        .ok()
}

/// Bytes a base64 value decodes to (its text length when it is not base64).
pub fn decoded_len(encoded: &str) -> usize {
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map(|bytes| bytes.len())
        .unwrap_or(encoded.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_string_data_and_last_applied_are_masked() {
        let key = "c2VjcmV0LWtleQ=="; // "secret-key"
        let applied = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {}},
            "data": {"tls.key": key}, "stringData": {"password": "hunter2"}});
        let mut secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {LAST_APPLIED: applied.to_string(), "a": "b"}},
            "data": {"tls.key": key}});
        redact_if_secret(&mut secret);
        let text = secret.to_string();
        assert!(!text.contains(key), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(secret["data"]["tls.key"], "<masked: 10 bytes>");
        let inner: Value = serde_json::from_str(
            secret["metadata"]["annotations"][LAST_APPLIED]
                .as_str()
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(inner["stringData"]["password"], "<masked: 7 bytes>");
        assert_eq!(secret["metadata"]["annotations"]["a"], "b");
    }

    #[test]
    fn an_annotation_that_is_not_json_is_replaced_whole() {
        let mut secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"annotations": {LAST_APPLIED: "{not json hunter2"}}});
        redact_secret(&mut secret);
        assert_eq!(
            secret["metadata"]["annotations"][LAST_APPLIED],
            "<masked: not JSON>"
        );
    }

    #[test]
    fn other_kinds_are_left_alone() {
        let mut config = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}});
        redact_if_secret(&mut config);
        assert_eq!(config["data"]["a"], "b");
    }
}
