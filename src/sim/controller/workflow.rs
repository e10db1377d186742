//! A tiny Argo Workflows controller: a Workflow (from a WorkflowTemplate
//! through `spec.workflowTemplateRef`, or with its own `templates`) runs
//! its entrypoint as one pod (`init`, `wait` and `main` containers, as
//! Argo's emissary executor lays them out) and goes Pending → Running →
//! Succeeded or Failed with the outcome knob; a missing template is an
//! Error. Only single-pod workflows are modelled: steps and DAGs run
//! their first container template.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::job::{PodStep, schedule, unschedulable_status};
use super::{Controller, Cx, new_pod, ns_name, owned, uid};
use crate::sim::objects::meta_str;
use crate::sim::util::now_rfc3339;

pub(super) const API_VERSION: &str = "argoproj.io/v1alpha1";
const EXEC_IMAGE: &str = "quay.io/argoproj/argoexec:v3.6.2";
const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";
const COMPLETED_LABEL: &str = "workflows.argoproj.io/completed";
const PHASE_LABEL: &str = "workflows.argoproj.io/phase";

/// What a Workflow runs, resolved from its spec and template.
struct Run {
    template: String,
    /// `local/<workflow>` or `namespaced/<template>`, as node templateScope.
    scope: String,
    main: Value,
    service_account: Option<Value>,
    node_selector: Option<Value>,
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// `name → value` of a parameters list (`value`, else `default`).
fn parameters(list: Option<&Value>) -> HashMap<String, String> {
    list.and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    let name = p.get("name")?.as_str()?;
                    let value = p
                        .get("value")
                        .or_else(|| p.get("default"))
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .unwrap_or_default();
                    Some((name.to_string(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Replaces `{{key}}` in every string of `v`.
fn substitute(v: &mut Value, vars: &HashMap<String, String>) {
    match v {
        Value::String(s) if s.contains("{{") => {
            for (k, val) in vars {
                *s = s.replace(&format!("{{{{{k}}}}}"), val);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, vars)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute(x, vars)),
        _ => {}
    }
}

fn resolve(cx: &Cx, wf: &Value) -> Result<Run, String> {
    let (ns, name) = ns_name(wf);
    let spec = wf.get("spec").cloned().unwrap_or_else(|| json!({}));
    let (source, scope) = match str_at(&spec, "/workflowTemplateRef/name") {
        Some(tname) => {
            let missing = || format!("workflowtemplates.argoproj.io \"{tname}\" not found");
            let tid = cx.ids.workflow_templates.ok_or_else(missing)?;
            let t = cx.get(tid, &ns, tname).ok_or_else(missing)?;
            (
                t.get("spec").cloned().unwrap_or_else(|| json!({})),
                format!("namespaced/{tname}"),
            )
        }
        None => (spec.clone(), format!("local/{name}")),
    };
    // The Workflow's arguments override the template's.
    let mut params = parameters(source.pointer("/arguments/parameters"));
    params.extend(parameters(spec.pointer("/arguments/parameters")));
    let entrypoint = str_at(&spec, "/entrypoint")
        .or_else(|| str_at(&source, "/entrypoint"))
        .unwrap_or_default()
        .to_string();
    let mut templates: Vec<Value> = source
        .get("templates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(own) = spec.get("templates").and_then(Value::as_array)
        && str_at(&spec, "/workflowTemplateRef/name").is_some()
    {
        templates.extend(own.iter().cloned());
    }
    if templates.is_empty() {
        return Err("invalid spec: spec.templates is empty".into());
    }
    let runnable = |t: &&Value| t.get("container").or_else(|| t.get("script")).is_some();
    let tmpl = templates
        .iter()
        .find(|t| t.get("name").and_then(Value::as_str) == Some(entrypoint.as_str()))
        .ok_or_else(|| format!("invalid spec: template name '{entrypoint}' undefined"))?;
    let tmpl = Some(tmpl)
        .filter(runnable)
        .or_else(|| templates.iter().find(runnable))
        .ok_or_else(|| format!("invalid spec: template '{entrypoint}' runs no container"))?;
    let mut vars: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (format!("workflow.parameters.{k}"), v.clone()))
        .collect();
    vars.insert("workflow.name".into(), name.clone());
    vars.insert("workflow.namespace".into(), ns.clone());
    // Inputs default to what the template declares, with workflow
    // parameters substituted in.
    let mut inputs = parameters(tmpl.pointer("/inputs/parameters"));
    for (k, v) in inputs.iter_mut() {
        let mut s = Value::String(v.clone());
        substitute(&mut s, &vars);
        *v = s.as_str().unwrap_or_default().to_string();
        if v.is_empty()
            && let Some(p) = params.get(k)
        {
            v.clone_from(p);
        }
    }
    vars.extend(
        inputs
            .into_iter()
            .map(|(k, v)| (format!("inputs.parameters.{k}"), v)),
    );
    let mut main = tmpl
        .get("container")
        .or_else(|| tmpl.get("script"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    substitute(&mut main, &vars);
    if let Value::Object(m) = &mut main {
        m.insert("name".into(), json!("main"));
        m.remove("source");
    }
    Ok(Run {
        template: tmpl
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        scope,
        main,
        service_account: spec
            .get("serviceAccountName")
            .or_else(|| source.get("serviceAccountName"))
            .cloned(),
        node_selector: tmpl
            .get("nodeSelector")
            .or_else(|| spec.get("nodeSelector"))
            .or_else(|| source.get("nodeSelector"))
            .cloned(),
    })
}

fn exec_container(name: &str) -> Value {
    json!({
        "name": name,
        "image": EXEC_IMAGE,
        "command": ["argoexec", name, "--loglevel", "info", "--log-format", "text"],
    })
}

fn create_pod(cx: &mut Cx, wf: &Value, run: &Run) {
    let (ns, name) = ns_name(wf);
    let mut spec = json!({
        "initContainers": [exec_container("init")],
        "containers": [exec_container("wait"), run.main],
        "restartPolicy": "Never",
    });
    if let Some(sa) = &run.service_account {
        spec["serviceAccountName"] = sa.clone();
    }
    if let Some(sel) = &run.node_selector {
        spec["nodeSelector"] = sel.clone();
    }
    let node = schedule(cx, &spec, &name);
    let template = json!({
        "metadata": {
            "labels": {WORKFLOW_LABEL: name, COMPLETED_LABEL: "false"},
            "annotations": {
                "workflows.argoproj.io/node-name": name,
                "workflows.argoproj.io/node-id": name,
                "kubectl.kubernetes.io/default-container": "main",
            },
        },
        "spec": spec,
    });
    // The root pod of a single-pod workflow is named like the workflow.
    let mut pod = new_pod(&name, &ns, &template, &Map::new(), wf, node.as_deref());
    if node.is_none() {
        pod["status"] = unschedulable_status(cx);
    }
    cx.create(cx.ids.pods, pod);
}

/// Labels Argo keeps on a Workflow (and its pod) for selection.
fn set_labels(cx: &mut Cx, id: usize, ns: &str, name: &str, labels: &[(&str, &str)]) {
    let Some(mut obj) = cx.get(id, ns, name) else {
        return;
    };
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        let l = meta.entry("labels").or_insert_with(|| json!({}));
        if let Value::Object(l) = l {
            for (k, v) in labels {
                l.insert((*k).to_string(), json!(v));
            }
        }
    }
    cx.update(id, obj);
}

/// The workflow's one node, as Argo records it in `status.nodes`.
fn node(
    name: &str,
    template: &str,
    scope: &str,
    pod: Option<&Value>,
    phase: &str,
    started: &Value,
    finished: Option<&str>,
) -> Value {
    let mut node = json!({
        "id": name,
        "name": name,
        "displayName": name,
        "type": "Pod",
        "templateName": template,
        "templateScope": scope,
        "phase": phase,
        "startedAt": started,
        "finishedAt": finished,
        "progress": if phase == "Succeeded" { "1/1" } else { "0/1" },
    });
    if let Some(host) = pod.and_then(|p| p.pointer("/spec/nodeName")) {
        node["hostNodeName"] = host.clone();
    }
    match phase {
        "Failed" => {
            node["message"] = json!("Error (exit code 1)");
            node["outputs"] = json!({"exitCode": "1"});
        }
        "Succeeded" => node["outputs"] = json!({"exitCode": "0"}),
        _ => {}
    }
    json!({ name: node })
}

fn fail(cx: &mut Cx, wf_id: usize, wf: &Value, message: &str) {
    let (ns, name) = ns_name(wf);
    let now = now_rfc3339();
    set_labels(
        cx,
        wf_id,
        &ns,
        &name,
        &[(PHASE_LABEL, "Error"), (COMPLETED_LABEL, "true")],
    );
    let mut status = wf.get("status").cloned().unwrap_or_else(|| json!({}));
    status["phase"] = json!("Error");
    status["message"] = json!(message);
    if status.get("startedAt").is_none_or(Value::is_null) {
        status["startedAt"] = json!(now);
    }
    status["finishedAt"] = json!(now);
    cx.set_status(wf_id, wf, status);
}

pub(super) fn reconcile(ctl: &mut Controller, cx: &mut Cx, wf: &Value) {
    let Some(wf_id) = cx.ids.workflows else {
        return;
    };
    if meta_str(wf, "deletionTimestamp").is_some() {
        return;
    }
    let phase = str_at(wf, "/status/phase").unwrap_or_default();
    if matches!(phase, "Succeeded" | "Failed" | "Error") {
        return;
    }
    let (ns, name) = ns_name(wf);
    let now = now_rfc3339();
    if phase.is_empty() {
        // The template is read once, when the workflow starts.
        let run = match resolve(cx, wf) {
            Ok(run) => run,
            Err(message) => return fail(cx, wf_id, wf, &message),
        };
        create_pod(cx, wf, &run);
        set_labels(
            cx,
            wf_id,
            &ns,
            &name,
            &[(PHASE_LABEL, "Pending"), (COMPLETED_LABEL, "false")],
        );
        let status = json!({
            "phase": "Pending",
            "progress": "0/1",
            "startedAt": null,
            "finishedAt": null,
            "nodes": node(&name, &run.template, &run.scope, None, "Pending", &Value::Null, None),
        });
        cx.set_status(wf_id, wf, status);
        return;
    }
    let pods = owned(cx.store, cx.ids.pods, &ns, uid(wf));
    let Some(pod) = pods.first() else {
        // Someone deleted the pod under it: Argo calls that an error.
        return fail(cx, wf_id, wf, "pod deleted");
    };
    let recorded = |f: &str| {
        wf.pointer(&format!("/status/nodes/{name}/{f}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (template, scope) = (recorded("templateName"), recorded("templateScope"));
    let code = cx.knobs.outcome(&name).exit_code();
    let held = cx.knobs.is_held(&name);
    let step = ctl.step_batch_pod(
        cx,
        pod,
        held,
        &|c| if c == "main" { code } else { 0 },
        false,
    );
    let pod_name = meta_str(pod, "name").unwrap_or_default().to_string();
    let pod = cx.get(cx.ids.pods, &ns, &pod_name);
    let mut status = wf.get("status").cloned().unwrap_or_else(|| json!({}));
    let started = status
        .get("startedAt")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| json!(now));
    match step {
        PodStep::Pending => return,
        PodStep::Running => {
            if phase == "Running" {
                return;
            }
            set_labels(cx, wf_id, &ns, &name, &[(PHASE_LABEL, "Running")]);
            status["phase"] = json!("Running");
            status["startedAt"] = started.clone();
            status["conditions"] = json!([{"type": "PodRunning", "status": "True"}]);
            status["nodes"] = node(
                &name,
                &template,
                &scope,
                pod.as_ref(),
                "Running",
                &started,
                None,
            );
        }
        PodStep::Succeeded | PodStep::Failed => {
            let done = if step == PodStep::Succeeded {
                "Succeeded"
            } else {
                "Failed"
            };
            set_labels(
                cx,
                wf_id,
                &ns,
                &name,
                &[(PHASE_LABEL, done), (COMPLETED_LABEL, "true")],
            );
            set_labels(
                cx,
                cx.ids.pods,
                &ns,
                &pod_name,
                &[(COMPLETED_LABEL, "true")],
            );
            status["phase"] = json!(done);
            status["startedAt"] = started.clone();
            status["finishedAt"] = json!(now);
            // Progress counts succeeded pods, so a failed run stays 0/1.
            status["progress"] = json!(if done == "Succeeded" { "1/1" } else { "0/1" });
            status["conditions"] = json!([
                {"type": "PodRunning", "status": "False"},
                {"type": "Completed", "status": "True"},
            ]);
            if done == "Failed" {
                status["message"] = json!("Error (exit code 1)");
            }
            status["resourcesDuration"] = json!({"cpu": 2, "memory": 9});
            status["nodes"] = node(
                &name,
                &template,
                &scope,
                pod.as_ref(),
                done,
                &started,
                Some(&now),
            );
        }
    }
    cx.set_status(wf_id, wf, status);
}
