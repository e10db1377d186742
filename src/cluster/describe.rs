//! `kubectl describe`-like text from a JSON object: the fields people look
//! at first, then conditions and events.

use std::fmt::Write;

use serde_json::Value;

use super::age::{human_duration, now};
use super::kind::ResourceKind;

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn scalar(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A timestamp field as epoch seconds.
pub fn event_time(event: &Value) -> Option<i64> {
    [
        "/lastTimestamp",
        "/eventTime",
        "/series/lastObservedTime",
        "/firstTimestamp",
        "/metadata/creationTimestamp",
    ]
    .iter()
    .find_map(|pointer| event.pointer(pointer).and_then(Value::as_str))
    .and_then(|stamp| stamp.parse::<jiff::Timestamp>().ok())
    .map(|stamp| stamp.as_second())
}

fn map_lines(out: &mut String, title: &str, map: Option<&Value>) {
    // kubectl describe skips the last-applied annotation for every kind
    // (describe.go `skipAnnotations`): it is a copy of the whole manifest,
    // and for a Secret it holds the values.
    let entries: Vec<(String, String)> = map
        .and_then(Value::as_object)
        .map(|object| {
            object
                .iter()
                .filter(|(key, _)| key.as_str() != super::redact::LAST_APPLIED)
                .map(|(key, value)| (key.clone(), scalar(Some(value))))
                .collect()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        let _ = writeln!(out, "{title:<16}<none>");
        return;
    }
    for (index, (key, value)) in entries.iter().enumerate() {
        let label = if index == 0 { title } else { "" };
        let _ = writeln!(out, "{label:<16}{key}={value}");
    }
}

fn header(out: &mut String, object: &Value) {
    let _ = writeln!(out, "{:<16}{}", "Name:", text(object, "/metadata/name"));
    let namespace = text(object, "/metadata/namespace");
    if !namespace.is_empty() {
        let _ = writeln!(out, "{:<16}{namespace}", "Namespace:");
    }
    map_lines(out, "Labels:", object.pointer("/metadata/labels"));
    map_lines(out, "Annotations:", object.pointer("/metadata/annotations"));
    let created = text(object, "/metadata/creationTimestamp");
    if !created.is_empty() {
        let _ = writeln!(out, "{:<16}{created}", "Created:");
    }
    let deleted = text(object, "/metadata/deletionTimestamp");
    if !deleted.is_empty() {
        let _ = writeln!(out, "{:<16}{deleted}", "Deleting since:");
    }
    if let Some(owners) = object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
    {
        for owner in owners {
            let _ = writeln!(
                out,
                "{:<16}{}/{}",
                "Controlled By:",
                text(owner, "/kind"),
                text(owner, "/name")
            );
        }
    }
}

/// kubectl's Secret section: the type, then each key with its size only
/// (`"%s:\t%d bytes"`, keys sorted). The object arrives redacted; the size
/// is read back from the mask.
fn secret_data(out: &mut String, object: &Value) {
    let _ = writeln!(out, "\n{:<16}{}", "Type:", text(object, "/type"));
    let _ = writeln!(out, "\nData\n====");
    let Some(data) = object.get("data").and_then(Value::as_object) else {
        return;
    };
    let mut keys: Vec<&String> = data.keys().collect();
    keys.sort();
    let width = keys.iter().map(|k| k.len() + 1).max().unwrap_or(0) + 2;
    for key in keys {
        let size = data
            .get(key)
            .and_then(Value::as_str)
            .map(|value| {
                super::redact::masked_size(value)
                    .unwrap_or_else(|| super::redact::decoded_len(value))
            })
            .unwrap_or(0);
        let _ = writeln!(out, "{:<width$}{size} bytes", format!("{key}:"));
    }
}

fn resources(out: &mut String, indent: &str, container: &Value) {
    for (title, pointer) in [
        ("Limits", "/resources/limits"),
        ("Requests", "/resources/requests"),
    ] {
        if let Some(map) = container.pointer(pointer).and_then(Value::as_object) {
            let _ = writeln!(out, "{indent}{title}:");
            for (key, value) in map {
                let _ = writeln!(out, "{indent}  {key}: {}", scalar(Some(value)));
            }
        }
    }
}

fn state_lines(out: &mut String, indent: &str, title: &str, state: Option<&Value>) {
    let Some(state) = state.and_then(Value::as_object) else {
        return;
    };
    for (name, detail) in state {
        let mut label = name.clone();
        if let Some(first) = label.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(out, "{indent}{title:<14}{label}");
        if let Some(fields) = detail.as_object() {
            for (key, value) in fields {
                let _ = writeln!(out, "{indent}  {key}: {}", scalar(Some(value)));
            }
        }
    }
}

fn containers(out: &mut String, object: &Value, spec_field: &str, status_field: &str, title: &str) {
    let Some(specs) = object
        .pointer(&format!("/spec/{spec_field}"))
        .and_then(Value::as_array)
    else {
        return;
    };
    let statuses = object
        .pointer(&format!("/status/{status_field}"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let _ = writeln!(out, "{title}:");
    for container in specs {
        let name = text(container, "/name");
        let status = statuses.iter().find(|status| text(status, "/name") == name);
        let _ = writeln!(out, "  {name}:");
        let _ = writeln!(out, "    {:<14}{}", "Image:", text(container, "/image"));
        if let Some(ports) = container.pointer("/ports").and_then(Value::as_array) {
            let list: Vec<String> = ports
                .iter()
                .map(|port| {
                    format!(
                        "{}/{}",
                        scalar(port.get("containerPort")),
                        scalar(port.get("protocol"))
                    )
                })
                .collect();
            let _ = writeln!(out, "    {:<14}{}", "Ports:", list.join(", "));
        }
        if let Some(status) = status {
            state_lines(out, "    ", "State:", status.get("state"));
            state_lines(out, "    ", "Last State:", status.pointer("/lastState"));
            let _ = writeln!(out, "    {:<14}{}", "Ready:", scalar(status.get("ready")));
            let _ = writeln!(
                out,
                "    {:<14}{}",
                "Restart Count:",
                scalar(status.get("restartCount"))
            );
        }
        resources(out, "    ", container);
        if let Some(env) = container.pointer("/env").and_then(Value::as_array) {
            let _ = writeln!(out, "    Environment:");
            for variable in env {
                let value = if variable.get("valueFrom").is_some() {
                    "<set from a reference>".to_string()
                } else {
                    scalar(variable.get("value"))
                };
                let _ = writeln!(out, "      {}: {value}", text(variable, "/name"));
            }
        }
    }
}

/// `kubectl describe hpa`'s middle: the target, the metrics, the range
/// and the replica counts.
/// A k3s HelmChart's chart, target and job; a HelmChartConfig's (or a
/// HelmChart's) valuesContent as written.
fn helm_chart(out: &mut String, object: &Value) {
    for (label, pointer) in [
        ("Chart:", "/spec/chart"),
        ("Version:", "/spec/version"),
        ("Repo:", "/spec/repo"),
        ("Target NS:", "/spec/targetNamespace"),
        ("Failure Policy:", "/spec/failurePolicy"),
        ("Job:", "/status/jobName"),
    ] {
        let value = text(object, pointer);
        if !value.is_empty() {
            let _ = writeln!(out, "{label:<16}{value}");
        }
    }
    let values = text(object, "/spec/valuesContent");
    if !values.is_empty() {
        let _ = writeln!(out, "Values Content:");
        for line in values.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
}

fn hpa(out: &mut String, object: &Value) {
    use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
    let Ok(parsed) = serde_json::from_value::<HorizontalPodAutoscaler>(object.clone()) else {
        let _ = writeln!(
            out,
            "(not a readable autoscaling/v2 HorizontalPodAutoscaler)"
        );
        return;
    };
    let row = crate::cluster::rows::HpaRow::from_hpa(&parsed);
    let _ = writeln!(out, "{:<32}{}", "Reference:", row.reference);
    let _ = writeln!(out, "Metrics:                        ( current / target )");
    for metric in row.targets.split(", ") {
        let _ = writeln!(out, "  {metric}");
    }
    let _ = writeln!(out, "{:<32}{}", "Min replicas:", row.min_text());
    let _ = writeln!(out, "{:<32}{}", "Max replicas:", row.max_pods);
    let _ = writeln!(
        out,
        "{:<32}{} current / {} desired",
        format!("{} pods:", row.target_kind),
        row.replicas,
        row.desired
    );
}

fn conditions(out: &mut String, object: &Value) {
    let Some(conditions) = object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
    else {
        return;
    };
    let _ = writeln!(out, "Conditions:");
    let _ = writeln!(
        out,
        "  {:<28}{:<8}{:<28}MESSAGE",
        "TYPE", "STATUS", "REASON"
    );
    for condition in conditions {
        let _ = writeln!(
            out,
            "  {:<28}{:<8}{:<28}{}",
            text(condition, "/type"),
            text(condition, "/status"),
            text(condition, "/reason"),
            text(condition, "/message")
        );
    }
}

fn events(out: &mut String, events: &[Value]) {
    if events.is_empty() {
        let _ = writeln!(out, "Events:         <none>");
        return;
    }
    let now = now();
    let _ = writeln!(out, "Events:");
    let _ = writeln!(
        out,
        "  {:<8}{:<22}{:<10}{:<24}MESSAGE",
        "TYPE", "REASON", "AGE", "FROM"
    );
    for event in events {
        let age = event_time(event)
            .map(|when| human_duration(now - when))
            .unwrap_or_else(|| "<unknown>".to_string());
        let count = event.get("count").and_then(Value::as_i64).unwrap_or(1);
        let age = if count > 1 {
            format!("{age} (x{count})")
        } else {
            age
        };
        let from = match text(event, "/source/component") {
            "" => text(event, "/reportingComponent"),
            component => component,
        };
        let _ = writeln!(
            out,
            "  {:<8}{:<22}{:<10}{:<24}{}",
            text(event, "/type"),
            text(event, "/reason"),
            age,
            from,
            text(event, "/message").trim()
        );
    }
}

/// Render the describe text for one object.
pub fn describe(kind: ResourceKind, object: &Value, related_events: &[Value]) -> String {
    let mut out = String::new();
    header(&mut out, object);
    match kind {
        ResourceKind::Pods => {
            let _ = writeln!(out, "{:<16}{}", "Node:", text(object, "/spec/nodeName"));
            let _ = writeln!(out, "{:<16}{}", "Status:", text(object, "/status/phase"));
            let reason = text(object, "/status/reason");
            if !reason.is_empty() {
                let _ = writeln!(out, "{:<16}{reason}", "Reason:");
                let _ = writeln!(out, "{:<16}{}", "Message:", text(object, "/status/message"));
            }
            let _ = writeln!(out, "{:<16}{}", "IP:", text(object, "/status/podIP"));
            let _ = writeln!(
                out,
                "{:<16}{}",
                "QoS Class:",
                text(object, "/status/qosClass")
            );
            containers(
                &mut out,
                object,
                "initContainers",
                "initContainerStatuses",
                "Init Containers",
            );
            containers(
                &mut out,
                object,
                "containers",
                "containerStatuses",
                "Containers",
            );
        }
        ResourceKind::Deployments | ResourceKind::StatefulSets | ResourceKind::DaemonSets => {
            let selector = object
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object)
                .map(|labels| {
                    labels
                        .iter()
                        .map(|(key, value)| format!("{key}={}", scalar(Some(value))))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let _ = writeln!(out, "{:<16}{selector}", "Selector:");
            let status = object.get("status").cloned().unwrap_or_default();
            let desired = scalar(object.pointer("/spec/replicas"));
            if !desired.is_empty() {
                let _ = writeln!(
                    out,
                    "{:<16}{desired} desired | {} updated | {} total | {} available",
                    "Replicas:",
                    scalar(status.get("updatedReplicas")),
                    scalar(status.get("replicas")),
                    scalar(status.get("availableReplicas"))
                );
            }
            let strategy = match text(object, "/spec/strategy/type") {
                "" => text(object, "/spec/updateStrategy/type"),
                strategy => strategy,
            };
            let _ = writeln!(out, "{:<16}{strategy}", "Strategy:");
            let template = object
                .pointer("/spec/template")
                .cloned()
                .unwrap_or_default();
            let _ = writeln!(out, "Pod Template:");
            map_lines(&mut out, "  Labels:", template.pointer("/metadata/labels"));
            containers(&mut out, &template, "containers", "-", "  Containers");
        }
        ResourceKind::Nodes => {
            let _ = writeln!(
                out,
                "{:<16}{}",
                "Unschedulable:",
                scalar(object.pointer("/spec/unschedulable"))
            );
            for (title, pointer) in [
                ("Capacity:", "/status/capacity"),
                ("Allocatable:", "/status/allocatable"),
            ] {
                let _ = writeln!(out, "{title}");
                if let Some(map) = object.pointer(pointer).and_then(Value::as_object) {
                    for (key, value) in map {
                        let _ = writeln!(out, "  {key}: {}", scalar(Some(value)));
                    }
                }
            }
            if let Some(info) = object
                .pointer("/status/nodeInfo")
                .and_then(Value::as_object)
            {
                let _ = writeln!(out, "System Info:");
                for (key, value) in info {
                    let _ = writeln!(out, "  {key}: {}", scalar(Some(value)));
                }
            }
        }
        ResourceKind::Namespaces => {
            let _ = writeln!(out, "{:<16}{}", "Status:", text(object, "/status/phase"));
        }
        ResourceKind::TlsSecrets | ResourceKind::HelmReleases => secret_data(&mut out, object),
        ResourceKind::Hpas => hpa(&mut out, object),
        // Custom resources: the header and conditions say it.
        ResourceKind::Jobs
        | ResourceKind::Certificates
        | ResourceKind::Ingresses
        | ResourceKind::IngressRoutes
        | ResourceKind::Rollouts
        | ResourceKind::RolloutReplicaSets
        | ResourceKind::AnalysisRuns => {}
        ResourceKind::HelmCharts | ResourceKind::HelmChartConfigs => helm_chart(&mut out, object),
        ResourceKind::Events => {
            let _ = writeln!(out, "{:<16}{}", "Type:", text(object, "/type"));
            let _ = writeln!(out, "{:<16}{}", "Reason:", text(object, "/reason"));
            let _ = writeln!(
                out,
                "{:<16}{}/{}",
                "Object:",
                text(object, "/involvedObject/kind"),
                text(object, "/involvedObject/name")
            );
            let _ = writeln!(out, "{:<16}{}", "Count:", scalar(object.get("count")));
            let _ = writeln!(out, "{:<16}{}", "Message:", text(object, "/message"));
        }
    }
    conditions(&mut out, object);
    if kind != ResourceKind::Events {
        events(&mut out, related_events);
    }
    out
}
