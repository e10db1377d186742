//! Flux's post-build variable substitution on an app's rendered objects
//! (kustomize-controller `build()` → fluxcd/pkg `SubstituteVariables`;
//! docs/ARCHITECTURE.md "Declared apps"):
//!
//! - variables come from `substituteFrom` in order (later entries win), then
//!   `substitute` inline (wins over all); newlines are dropped from values;
//!   Secret data is base64-decoded;
//! - ConfigMaps and Secrets are read from the cluster, in the Kustomization's
//!   namespace, and — before the first sync, when they are not there yet —
//!   from what the repository renders; `optional` ones may be missing;
//! - nothing happens when the merged variables are empty;
//! - every variable name must match Flux's pattern;
//! - each object is substituted on its YAML text unless it is labelled or
//!   annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`, then read
//!   back (so `replicas: ${N}` becomes a number, as in Flux).

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

use super::app::{AppSpec, PostBuild, SubstituteFrom};
use super::envsubst;
use super::object::{ObjectKey, RenderedObject};
use super::resolve::kube_message;

/// Objects of this key's kind Flux would opt out.
pub const SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// ConfigMaps and Secrets the repository renders, by key: where variables
/// come from before the cluster has them.
pub type RepoConfig = HashMap<ObjectKey, Value>;

/// The app's objects with its variables substituted (unchanged without
/// `postBuild`). The error names where the app is declared.
pub async fn apply(
    client: &Client,
    app: &AppSpec,
    objects: &[RenderedObject],
    repo: &RepoConfig,
) -> Result<Vec<RenderedObject>, String> {
    let Some(post_build) = &app.post_build else {
        return Ok(objects.to_vec());
    };
    let origin = app.origin.describe();
    let vars = variables(client, post_build, repo)
        .await
        .map_err(|why| format!("{origin}: spec.postBuild: {why}"))?;
    if vars.is_empty() {
        return Ok(objects.to_vec());
    }
    for name in vars.keys() {
        envsubst::check_name(name).map_err(|why| format!("{origin}: spec.postBuild: {why}"))?;
    }
    objects
        .iter()
        .map(|object| {
            substitute_object(object, &vars).map_err(|why| {
                format!(
                    "{origin}: post build failed for '{}': envsubst error: {why}",
                    object.name
                )
            })
        })
        .collect()
}

fn opted_out(manifest: &Value) -> bool {
    ["/metadata/labels", "/metadata/annotations"]
        .iter()
        .any(|pointer| {
            manifest
                .pointer(pointer)
                .and_then(|m| m.get(SUBSTITUTE_ANNOTATION))
                .and_then(Value::as_str)
                == Some("disabled")
        })
}

fn substitute_object(
    object: &RenderedObject,
    vars: &BTreeMap<String, String>,
) -> Result<RenderedObject, String> {
    if opted_out(&object.manifest) {
        return Ok(object.clone());
    }
    let text = serde_yaml::to_string(&object.manifest).map_err(|e| e.to_string())?;
    let replaced = envsubst::substitute(&text, vars)
        .map_err(|e| format!("variable substitution failed: {e}"))?;
    if replaced == text {
        return Ok(object.clone());
    }
    let objects = super::render::parse_manifests(&replaced)
        .map_err(|(_, message)| format!("YAMLToJSON: {message}"))?;
    let mut substituted = objects
        .into_iter()
        .next()
        .ok_or_else(|| "the object became empty".to_string())?;
    substituted.secret_paths = object.secret_paths.clone();
    substituted.decrypt_error = object.decrypt_error.clone();
    Ok(substituted)
}

/// The merged variables: substituteFrom in order, then substitute.
async fn variables(
    client: &Client,
    post_build: &PostBuild,
    repo: &RepoConfig,
) -> Result<BTreeMap<String, String>, String> {
    let mut vars = BTreeMap::new();
    for source in &post_build.substitute_from {
        match read_source(client, source, repo).await? {
            Some(data) => vars.extend(data),
            None if source.optional => {}
            None => {
                return Err(format!(
                    "substitute from '{}/{}' error: not found in namespace {} (in the cluster or the repository)",
                    source.kind, source.name, source.namespace
                ));
            }
        }
    }
    vars.extend(
        post_build
            .substitute
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    for value in vars.values_mut() {
        *value = value.replace('\n', "");
    }
    Ok(vars)
}

/// A ConfigMap's or Secret's data, decoded; `None` when it exists nowhere.
async fn read_source(
    client: &Client,
    source: &SubstituteFrom,
    repo: &RepoConfig,
) -> Result<Option<BTreeMap<String, String>>, String> {
    let gvk = GroupVersionKind::gvk("", "v1", &source.kind);
    let resource = ApiResource::from_gvk(&gvk);
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &source.namespace, &resource);
    let live = api
        .get_opt(&source.name)
        .await
        .map_err(|e| {
            format!(
                "substitute from '{}/{}' error: {}",
                source.kind,
                source.name,
                kube_message(&e)
            )
        })?
        .map(|object| serde_json::to_value(&object).unwrap_or(Value::Null));
    let key = ObjectKey {
        group: String::new(),
        kind: source.kind.clone(),
        namespace: Some(source.namespace.clone()),
        name: source.name.clone(),
    };
    let Some(object) = live.or_else(|| repo.get(&key).cloned()) else {
        return Ok(None);
    };
    Ok(Some(data_of(&source.kind, &object)))
}

fn data_of(kind: &str, object: &Value) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    let strings = |field: &str| {
        object
            .get(field)
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    if kind == "Secret" {
        for (key, encoded) in strings("data") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            data.insert(key, decoded);
        }
        // stringData wins, as the API server merges it.
        data.extend(strings("stringData"));
    } else {
        data.extend(strings("data"));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(manifest: Value) -> RenderedObject {
        RenderedObject::from_manifest(manifest).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn objects_are_substituted_and_retyped_unless_opted_out() {
        let vars: BTreeMap<String, String> = [("N", "3"), ("APP", "web")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let deploy = object(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "${APP}"}, "spec": {"replicas": "${N}"}}));
        let done = substitute_object(&deploy, &vars).expect("substituted");
        assert_eq!(done.name, "web");
        assert_eq!(done.manifest["spec"]["replicas"], json!(3));
        let kept = object(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {SUBSTITUTE_ANNOTATION: "disabled"}},
            "data": {"script": "echo ${HOME}"}}));
        assert_eq!(
            substitute_object(&kept, &vars).expect("untouched").manifest["data"]["script"],
            "echo ${HOME}"
        );
        let unset = object(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x"}, "data": {"v": "${MISSING}"}}));
        let error = substitute_object(&unset, &vars).expect_err("strict");
        assert!(
            error.contains("variable not set (strict mode): \"MISSING\""),
            "{error}"
        );
    }

    #[test]
    fn secret_data_is_decoded_and_string_data_wins() {
        let secret = json!({"data": {"a": "b25l", "b": "dHdv"}, "stringData": {"b": "2"}});
        let data = data_of("Secret", &secret);
        assert_eq!(data.get("a").map(String::as_str), Some("one"));
        assert_eq!(data.get("b").map(String::as_str), Some("2"));
    }
}
