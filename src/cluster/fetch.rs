//! Full objects, fetched on demand for the YAML and describe views.

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::core::GroupVersionKind;
use serde_json::Value;

use super::describe;
use super::kind::ResourceKind;
use super::rows::RowKey;

/// What the YAML / describe views were asked to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    Yaml,
    Describe,
}

fn api_for(client: &kube::Client, kind: ResourceKind, namespace: &str) -> Api<DynamicObject> {
    let (group, version) = kind.group_version();
    let gvk = GroupVersionKind::gvk(group, version, kind.kind());
    let resource = ApiResource::from_gvk_with_plural(&gvk, kind.plural());
    if kind.namespaced() {
        Api::namespaced_with(client.clone(), namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    }
}

/// The object as JSON, managedFields dropped (as k9s shows it).
async fn get_object(
    client: &kube::Client,
    kind: ResourceKind,
    key: &RowKey,
) -> Result<Value, String> {
    let api = api_for(client, kind, &key.namespace);
    let object = api
        .get(&key.name)
        .await
        .map_err(|error| super::client::plain_client_error(&error))?;
    let mut value = serde_json::to_value(&object).map_err(|error| error.to_string())?;
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    // Whatever view asked: a Secret's values (last-applied included) are
    // masked before the text exists.
    super::redact::redact_if_secret(&mut value);
    Ok(value)
}

/// Fetch and render one object as YAML or as `kubectl describe`-like text.
pub async fn fetch_detail(
    client: &kube::Client,
    kind: ResourceKind,
    key: &RowKey,
    detail: DetailKind,
) -> Result<String, String> {
    let object = get_object(client, kind, key).await?;
    match detail {
        DetailKind::Yaml => serde_yaml::to_string(&object).map_err(|error| error.to_string()),
        DetailKind::Describe => {
            let events = events_for(client, &object).await;
            Ok(describe::describe(kind, &object, &events))
        }
    }
}

/// Events about one object, oldest first, as describe lists them. A failure
/// here only loses the events section.
async fn events_for(client: &kube::Client, object: &Value) -> Vec<Value> {
    let Some(uid) = object.pointer("/metadata/uid").and_then(Value::as_str) else {
        return Vec::new();
    };
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let api = api_for(client, ResourceKind::Events, namespace);
    let params = ListParams::default().fields(&format!("involvedObject.uid={uid}"));
    match api.list(&params).await {
        Ok(list) => {
            let mut events: Vec<Value> = list
                .items
                .iter()
                .filter_map(|event| serde_json::to_value(event).ok())
                .collect();
            events.sort_by_key(|event| describe::event_time(event).unwrap_or_default());
            events
        }
        Err(error) => {
            tracing::warn!(%error, "cannot list events for describe");
            Vec::new()
        }
    }
}

/// Delete one object (default grace period unless given).
pub async fn delete(
    client: &kube::Client,
    kind: ResourceKind,
    key: &RowKey,
    grace_seconds: Option<u32>,
) -> Result<(), String> {
    let api = api_for(client, kind, &key.namespace);
    // kubectl's default: dependents (a Job's pods) go in the background;
    // the API's own default for Jobs would orphan them.
    let mut params = kube::api::DeleteParams::background();
    if let Some(grace) = grace_seconds {
        params = params.grace_period(grace);
    }
    api.delete(&key.name, &params)
        .await
        .map(|_| ())
        .map_err(|error| super::client::plain_client_error(&error))
}

/// The live object as YAML for editing: managedFields and status dropped
/// (the server ignores status on update), resourceVersion kept so a
/// concurrent change is detected as a conflict.
pub async fn fetch_for_edit(
    client: &kube::Client,
    kind: ResourceKind,
    key: &RowKey,
) -> Result<String, String> {
    if kind == ResourceKind::TlsSecrets {
        // Its values are masked when fetched; applying them back would destroy them.
        return Err("secrets are not edited here".to_string());
    }
    let mut object = get_object(client, kind, key).await?;
    if kind == ResourceKind::HelmChartConfigs {
        // The k3s way to configure a bundled chart: only its values.
        return Ok(object
            .pointer("/spec/valuesContent")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string());
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    serde_yaml::to_string(&object).map_err(|error| error.to_string())
}

/// Saves a HelmChartConfig's edited `valuesContent`: it must be YAML; the
/// live value must still be the one the editor opened with (else a
/// conflict), and the update carries the resourceVersion it was read at.
async fn apply_values_content(
    client: &kube::Client,
    key: &RowKey,
    text: &str,
    original: &str,
) -> Result<String, EditError> {
    serde_yaml::from_str::<serde_yaml::Value>(text)
        .map_err(|error| EditError::Invalid(format!("valuesContent is not YAML: {error}")))?;
    let api = api_for(client, ResourceKind::HelmChartConfigs, &key.namespace);
    let mut live = api
        .get(&key.name)
        .await
        .map_err(|error| EditError::Rejected(super::client::plain_client_error(&error)))?;
    let current = live
        .data
        .pointer("/spec/valuesContent")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if current != original {
        return Err(EditError::Conflict(
            "spec.valuesContent changed since you opened it".to_string(),
        ));
    }
    if !live.data.get("spec").is_some_and(Value::is_object) {
        live.data["spec"] = serde_json::json!({});
    }
    live.data["spec"]["valuesContent"] = Value::String(text.to_string());
    match api
        .replace(&key.name, &kube::api::PostParams::default(), &live)
        .await
    {
        Ok(_) => Ok(format!(
            "helmchartconfig/{} valuesContent saved (k3s reinstalls the chart)",
            key.name
        )),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            Err(EditError::Conflict(status.message.clone()))
        }
        Err(error) => Err(EditError::Rejected(super::client::plain_client_error(
            &error,
        ))),
    }
}

/// Why an edit could not be applied. The editor keeps the text either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// Not YAML, or not the same object.
    Invalid(String),
    /// 409: someone changed the object since it was opened.
    Conflict(String),
    /// The server rejected it (422 validation, 403 ...).
    Rejected(String),
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::Invalid(why) => write!(f, "not applied: {why}"),
            EditError::Conflict(why) => write!(
                f,
                "conflict: the object changed since you opened it ({why}). Your text is kept; esc and `e` again to start from the live object"
            ),
            EditError::Rejected(why) => write!(f, "rejected by the API server: {why}"),
        }
    }
}

/// Replace the live object with the edited YAML (an update with the
/// resourceVersion it was read at, as kubectl edit does).
pub async fn apply_edit(
    client: &kube::Client,
    kind: ResourceKind,
    key: &RowKey,
    yaml: &str,
    original: &str,
) -> Result<String, EditError> {
    if kind == ResourceKind::HelmChartConfigs {
        return apply_values_content(client, key, yaml, original).await;
    }
    let value: Value = serde_yaml::from_str(yaml)
        .map_err(|error| EditError::Invalid(format!("YAML error: {error}")))?;
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name != key.name.as_ref() {
        return Err(EditError::Invalid(format!(
            "metadata.name changed from \"{}\" to \"{name}\"; renaming is not an edit",
            key.name
        )));
    }
    let object_kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if object_kind != kind.kind() {
        return Err(EditError::Invalid(format!(
            "kind changed from {} to \"{object_kind}\"",
            kind.kind()
        )));
    }
    let object: DynamicObject =
        serde_json::from_value(value).map_err(|error| EditError::Invalid(error.to_string()))?;
    let api = api_for(client, kind, &key.namespace);
    match api
        .replace(&key.name, &kube::api::PostParams::default(), &object)
        .await
    {
        Ok(_) => Ok(format!(
            "{}/{} edited",
            kind.kind().to_lowercase(),
            key.name
        )),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            Err(EditError::Conflict(status.message.clone()))
        }
        Err(error) => Err(EditError::Rejected(super::client::plain_client_error(
            &error,
        ))),
    }
}
