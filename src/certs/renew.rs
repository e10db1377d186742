//! Ask cert-manager to reissue a Certificate, as `cmctl renew` does.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use super::fetch::certificate_resource;
use crate::cluster::client::plain_client_error;

/// The condition cmctl sets.
pub const RENEW_REASON: &str = "ManuallyTriggered";
pub const RENEW_MESSAGE: &str = "Certificate re-issuance manually triggered";

/// `status.conditions` with the Issuing condition added or replaced
/// (status True, reason ManuallyTriggered), the others kept in order.
pub fn conditions_with_issuing(certificate: &Value, now_rfc3339: &str) -> Vec<Value> {
    let generation = certificate.pointer("/metadata/generation").cloned();
    let mut issuing = json!({
        "type": "Issuing",
        "status": "True",
        "reason": RENEW_REASON,
        "message": RENEW_MESSAGE,
        "lastTransitionTime": now_rfc3339,
    });
    if let (Some(generation), Some(map)) = (generation, issuing.as_object_mut()) {
        map.insert("observedGeneration".to_string(), generation);
    }
    let mut conditions: Vec<Value> = certificate
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match conditions
        .iter_mut()
        .find(|condition| condition.get("type").and_then(Value::as_str) == Some("Issuing"))
    {
        Some(existing) => *existing = issuing,
        None => conditions.push(issuing),
    }
    conditions
}

/// Ask cert-manager to reissue, as `cmctl renew` does: add/replace the
/// Issuing condition (status True, reason ManuallyTriggered, message
/// "Certificate re-issuance manually triggered") through a merge patch on
/// the status subresource of cert-manager.io/v1 certificates. The patch
/// carries the resourceVersion read, so a concurrent change is a conflict
/// rather than lost conditions.
pub async fn renew(client: &kube::Client, namespace: &str, name: &str) -> Result<String, String> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &certificate_resource());
    let current = api.get(name).await.map_err(|error| match &error {
        kube::Error::Api(status) if status.code == 404 => {
            format!("certificate {namespace}/{name} not found (is cert-manager installed?)")
        }
        _ => plain_client_error(&error),
    })?;
    let value = serde_json::to_value(&current)
        .map_err(|error| format!("reading certificate {namespace}/{name}: {error}"))?;
    let already = value
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|condition| {
            condition.get("type").and_then(Value::as_str) == Some("Issuing")
                && condition.get("status").and_then(Value::as_str) == Some("True")
        });
    if already {
        return Ok(format!(
            "Certificate {namespace}/{name} is already being issued"
        ));
    }
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut patch = json!({
        "status": { "conditions": conditions_with_issuing(&value, &now) },
    });
    if let Some(version) = current.metadata.resource_version.as_deref() {
        patch["metadata"] = json!({ "resourceVersion": version });
    }
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|error| match &error {
            kube::Error::Api(status) if status.code == 409 => {
                format!("certificate {namespace}/{name} changed meanwhile; try again")
            }
            _ => plain_client_error(&error),
        })?;
    Ok(format!(
        "Manually triggered issuance of Certificate {namespace}/{name}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_or_adds_the_issuing_condition() {
        let certificate = json!({
            "metadata": {"generation": 2},
            "status": {"conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Issuing", "status": "False", "reason": "Done"},
            ]},
        });
        let conditions = conditions_with_issuing(&certificate, "2026-01-01T00:00:00Z");
        assert_eq!(conditions.len(), 2);
        assert_eq!(conditions[0]["type"], "Ready");
        assert_eq!(conditions[1]["status"], "True");
        assert_eq!(conditions[1]["reason"], RENEW_REASON);
        assert_eq!(conditions[1]["observedGeneration"], 2);
        let fresh = conditions_with_issuing(&json!({}), "2026-01-01T00:00:00Z");
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0]["message"], RENEW_MESSAGE);
    }
}
