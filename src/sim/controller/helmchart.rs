//! k3s' helm-controller, as small as the demo and tests need
//! (k3s-io/helm-controller): a HelmChart is installed by a Job named
//! `helm-install-NAME` in its namespace, annotated with
//! `helmcharts.helm.cattle.io/configHash` (the chart's spec and its
//! HelmChartConfig's valuesContent); when that hash changes the Job is
//! replaced, so editing a HelmChartConfig reinstalls the chart. The status
//! gets `jobName` and the JobCreated condition. The seeded charts' hashes
//! are taken when the simulator starts, so their seeded Jobs stay until
//! the chart or its config changes.

use serde_json::{Value, json};

use super::{Controller, Cx, all, hex, ns_name, uid};
use crate::sim::registry::ResourceId;

const HASH: &str = "helmcharts.helm.cattle.io/configHash";

fn config_hash(chart: &Value, config: Option<&Value>) -> String {
    let values = config
        .and_then(|c| c.pointer("/spec/valuesContent"))
        .cloned()
        .unwrap_or(Value::Null);
    let seed = format!(
        "{}|{values}",
        chart.get("spec").cloned().unwrap_or(Value::Null)
    );
    format!("SHA256={}", hex(&seed, 64).to_uppercase())
}

fn install_job(chart: &Value, job_name: &str, hash: &str) -> Value {
    let (ns, name) = ns_name(chart);
    let text = |p: &str| {
        chart
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let target = match text("/spec/targetNamespace") {
        t if t.is_empty() => ns.clone(),
        t => t,
    };
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "namespace": ns,
            "annotations": {
                HASH: hash,
                "objectset.rio.cattle.io/owner-gvk": "helm.cattle.io/v1, Kind=HelmChart",
                "objectset.rio.cattle.io/owner-name": name,
                "objectset.rio.cattle.io/owner-namespace": ns,
            },
            "labels": {"helmcharts.helm.cattle.io/chart": name},
            "ownerReferences": [super::owner_ref(chart)],
        },
        "spec": {
            "backoffLimit": 1000,
            "template": {
                "metadata": {"labels": {"helmcharts.helm.cattle.io/chart": name}},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "serviceAccountName": format!("helm-{name}"),
                    "containers": [{
                        "name": "helm",
                        "image": "rancher/klipper-helm:v0.9.4-build20250113",
                        "args": ["install"],
                        "env": [
                            {"name": "NAME", "value": name},
                            {"name": "VERSION", "value": text("/spec/version")},
                            {"name": "REPO", "value": text("/spec/repo")},
                            {"name": "CHART", "value": text("/spec/chart")},
                            {"name": "TARGET_NAMESPACE", "value": target},
                        ],
                    }],
                },
            },
        },
    })
}

pub(super) struct HelmIds {
    pub charts: ResourceId,
    pub configs: Option<ResourceId>,
}

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, ids: &HelmIds) {
    for chart in all(cx.store, ids.charts) {
        let (ns, name) = ns_name(&chart);
        let config = ids.configs.and_then(|id| cx.get(id, &ns, &name));
        let hash = config_hash(&chart, config.as_ref());
        let job_name = format!("helm-install-{name}");
        let job = cx.get(cx.ids.jobs, &ns, &job_name);
        let chart_uid = uid(&chart).to_string();
        let replace = match ctl.helm_hashes.get(&chart_uid) {
            None => job.is_none(),
            Some(seen) => *seen != hash,
        };
        ctl.helm_hashes.insert(chart_uid, hash.clone());
        if replace {
            if let Some(job) = &job {
                cx.delete(cx.ids.jobs, job);
            }
            cx.create(cx.ids.jobs, install_job(&chart, &job_name, &hash));
        }
        let mut status = chart
            .get("status")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({}));
        if status.get("jobName").and_then(Value::as_str) != Some(job_name.as_str()) {
            status["jobName"] = json!(job_name);
            status["conditions"] = json!([{
                "type": "JobCreated", "status": "True", "reason": "Job created",
                "message": format!("Applying HelmChart using Job {ns}/{job_name}"),
            }]);
            cx.set_status(ids.charts, &chart, status);
        }
    }
}

/// The configHash of every HelmChart in the seed.
pub(super) fn seeded_hashes(
    store: &crate::sim::store::Store,
    reg: &crate::sim::registry::Registry,
) -> std::collections::HashMap<String, String> {
    let Some(charts) = reg.by_kind("helm.cattle.io/v1", "HelmChart") else {
        return Default::default();
    };
    let configs = reg.by_kind("helm.cattle.io/v1", "HelmChartConfig");
    all(store, charts)
        .iter()
        .map(|chart| {
            let (ns, name) = ns_name(chart);
            let config = configs
                .and_then(|id| store.get(id, &ns, &name))
                .map(|s| s.value.as_ref().clone());
            (uid(chart).to_string(), config_hash(chart, config.as_ref()))
        })
        .collect()
}
