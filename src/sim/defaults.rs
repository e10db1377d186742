//! Defaulting the apiserver applies on create, for the kinds where clients
//! rely on it (a Job's selector and pod labels).

use serde_json::{Map, Value, json};

use super::registry::ResourceDef;

/// Fills in what the apiserver defaults on a new object of `def`.
pub(crate) fn on_create(def: &ResourceDef, obj: &mut Value) {
    if def.group == "batch" && def.kind == "Job" {
        job(obj);
    }
}

fn object_at<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let m = v.as_object_mut()?;
    let entry = m.entry(key).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut()
}

/// batch/v1 Job: the generated selector and pod labels (unless
/// `manualSelector`), and the spec fields `kubectl get job -o yaml` shows
/// on a fresh Job. Expects name and uid to be set.
fn job(obj: &mut Value) {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let uid = obj
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    let parallelism_set = spec.get("parallelism").is_some_and(|v| !v.is_null());
    let completions_set = spec.get("completions").is_some_and(|v| !v.is_null());
    if !parallelism_set {
        spec.insert("parallelism".into(), json!(1));
    }
    // A work queue (parallelism without completions) keeps completions unset.
    if !completions_set && !parallelism_set {
        spec.insert("completions".into(), json!(1));
    }
    for (k, v) in [
        ("backoffLimit", json!(6)),
        ("completionMode", json!("NonIndexed")),
        ("suspend", json!(false)),
        ("podReplacementPolicy", json!("TerminatingOrFailed")),
        ("manualSelector", json!(false)),
    ] {
        spec.entry(k).or_insert(v);
    }
    if manual {
        return;
    }
    let generated = [
        ("batch.kubernetes.io/controller-uid", uid.as_str()),
        ("batch.kubernetes.io/job-name", name.as_str()),
        ("controller-uid", uid.as_str()),
        ("job-name", name.as_str()),
    ];
    spec.insert(
        "selector".into(),
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
    );
    let template_labels = spec
        .entry("template")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .and_then(|t| {
            let meta = t.entry("metadata").or_insert_with(|| json!({}));
            object_at(meta, "labels").map(|labels| {
                for (k, v) in generated {
                    labels.insert(k.into(), json!(v));
                }
                labels.clone()
            })
        })
        .unwrap_or_default();
    // A Job without labels of its own takes its pods' labels.
    if let Some(meta) = object_at(obj, "metadata") {
        let empty = meta
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty);
        if empty {
            meta.insert("labels".into(), Value::Object(template_labels));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_gets_selector_labels_and_spec_defaults() {
        let mut j = json!({"metadata": {"name": "build-1", "uid": "u-1"},
            "spec": {"backoffLimit": 0, "template": {"metadata": {"labels": {"app": "x"}},
                     "spec": {"containers": []}}}});
        job(&mut j);
        assert_eq!(j["spec"]["backoffLimit"], 0);
        assert_eq!(j["spec"]["completions"], 1);
        assert_eq!(
            j["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u-1"
        );
        let labels = &j["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels["job-name"], "build-1");
        assert_eq!(labels["app"], "x");
        assert_eq!(j["metadata"]["labels"], *labels);
    }

    #[test]
    fn manual_selector_and_own_labels_are_kept() {
        let mut j = json!({"metadata": {"name": "q", "uid": "u", "labels": {"mine": "1"}},
            "spec": {"manualSelector": true, "parallelism": 3, "selector": {"matchLabels": {"a": "b"}}}});
        job(&mut j);
        assert_eq!(j["spec"]["selector"]["matchLabels"], json!({"a": "b"}));
        assert!(j["spec"].get("completions").is_none());
        assert_eq!(j["metadata"]["labels"], json!({"mine": "1"}));
    }
}
