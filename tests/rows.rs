//! Row projection rules against fixtures: kubectl's pod STATUS/READY/RESTARTS,
//! rollout state of workloads, node conditions.

use bosun::cluster::rows::pod::{PodRow, summarize};
use bosun::cluster::rows::workload::{
    RolloutState, daemonset_rollout, deployment_rollout, statefulset_rollout,
};
use bosun::cluster::rows::{Health, NodeRow, WorkloadRow};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use serde::Deserialize;

/// "now" of every fixture: 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

fn fixture_pods() -> Vec<Pod> {
    let text = include_str!("fixtures/pods.yaml");
    serde_yaml::Deserializer::from_str(text)
        .map(|document| Pod::deserialize(document).expect("fixture pod parses"))
        .collect()
}

#[test]
fn pod_status_ready_restarts_match_kubectl_on_every_fixture() {
    let pods = fixture_pods();
    assert!(pods.len() >= 30, "the corpus lost fixtures");
    let mut failures = Vec::new();
    for pod in &pods {
        let annotations = pod.metadata.annotations.clone().unwrap_or_default();
        let expect = |key: &str| {
            annotations
                .get(&format!("expect.bosun.dev/{key}"))
                .cloned()
                .unwrap_or_default()
        };
        let row = PodRow::from_pod(pod);
        let summary = summarize(pod);
        let got = (
            summary.status.clone(),
            format!("{}/{}", row.ready, row.total),
            row.restarts_text(NOW),
        );
        let want = (expect("status"), expect("ready"), expect("restarts"));
        if got != want {
            failures.push(format!(
                "{}: got {:?}, want {:?}",
                pod.metadata.name.as_deref().unwrap_or("?"),
                got,
                want
            ));
        }
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

#[test]
fn pod_health_classifies_failures() {
    let pods = fixture_pods();
    let health = |name: &str| {
        let pod = pods
            .iter()
            .find(|pod| pod.metadata.name.as_deref() == Some(name))
            .expect("fixture exists");
        PodRow::from_pod(pod).health
    };
    assert_eq!(health("running"), Health::Ok);
    assert_eq!(health("running-half-ready"), Health::Warn);
    assert_eq!(health("crashloop"), Health::Error);
    assert_eq!(health("image-pull-backoff"), Health::Error);
    assert_eq!(health("init-crashloop"), Health::Error);
    assert_eq!(health("oomkilled"), Health::Error);
    assert_eq!(health("evicted"), Health::Error);
    assert_eq!(health("completed"), Health::Done);
    assert_eq!(health("init-running"), Health::Pending);
    assert_eq!(health("terminating"), Health::Pending);
}

#[test]
fn failing_pods_carry_the_reason_in_plain_words() {
    let pods = fixture_pods();
    let row = |name: &str| {
        PodRow::from_pod(
            pods.iter()
                .find(|pod| pod.metadata.name.as_deref() == Some(name))
                .expect("fixture exists"),
        )
    };
    assert!(row("crashloop").message.contains("back-off 5m0s"));
    assert!(
        row("config-error")
            .message
            .contains("secret \"db\" not found")
    );
    assert_eq!(row("running").message.as_ref(), "");
    // Pending counts as failing only once it has waited too long.
    let pending = row("pending-unscheduled");
    let created = pending.created.expect("fixture has a creation time");
    assert!(!pending.is_failing(created + 60, 300));
    assert!(pending.is_failing(created + 600, 300));
    assert!(!row("terminating").is_failing(NOW, 300));
    assert!(row("crashloop").is_failing(NOW, 300));
}

fn deployment(yaml: &str) -> Deployment {
    serde_yaml::from_str(yaml).expect("deployment fixture parses")
}

const DEPLOYMENT_BASE: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: blog, namespace: blog, generation: 4}
spec:
  replicas: 3
  selector: {matchLabels: {app: blog}}
  template:
    metadata: {labels: {app: blog}}
    spec: {containers: [{name: ghost, image: "ghost:5"}]}
"#;

fn deployment_with_status(status: &str, extra_spec: &str) -> Deployment {
    let mut text = DEPLOYMENT_BASE.to_string();
    text.push_str(extra_spec);
    text.push_str("status:\n");
    text.push_str(status);
    deployment(&text)
}

#[test]
fn deployment_rollout_follows_kubectl_rollout_status() {
    let complete = deployment_with_status(
        "  observedGeneration: 4\n  replicas: 3\n  updatedReplicas: 3\n  readyReplicas: 3\n  availableReplicas: 3\n",
        "",
    );
    assert_eq!(deployment_rollout(&complete), RolloutState::Complete);

    let unobserved = deployment_with_status(
        "  observedGeneration: 3\n  replicas: 3\n  updatedReplicas: 3\n  availableReplicas: 3\n",
        "",
    );
    assert!(
        matches!(deployment_rollout(&unobserved), RolloutState::Progressing(why) if why.contains("observed"))
    );

    let updating = deployment_with_status(
        "  observedGeneration: 4\n  replicas: 4\n  updatedReplicas: 2\n  availableReplicas: 3\n",
        "",
    );
    assert_eq!(
        deployment_rollout(&updating),
        RolloutState::Progressing("2 of 3 updated".to_string())
    );

    let old_pending = deployment_with_status(
        "  observedGeneration: 4\n  replicas: 4\n  updatedReplicas: 3\n  availableReplicas: 3\n",
        "",
    );
    assert_eq!(
        deployment_rollout(&old_pending),
        RolloutState::Progressing("1 old replicas pending termination".to_string())
    );

    let unavailable = deployment_with_status(
        "  observedGeneration: 4\n  replicas: 3\n  updatedReplicas: 3\n  availableReplicas: 2\n",
        "",
    );
    assert_eq!(
        deployment_rollout(&unavailable),
        RolloutState::Progressing("2 of 3 updated available".to_string())
    );

    let failed = deployment_with_status(
        "  observedGeneration: 4\n  replicas: 3\n  updatedReplicas: 1\n  conditions:\n  - {type: Progressing, status: \"False\", reason: ProgressDeadlineExceeded}\n",
        "",
    );
    assert!(matches!(
        deployment_rollout(&failed),
        RolloutState::Failed(_)
    ));
    assert_eq!(deployment_rollout(&failed).health(), Health::Error);

    let paused = deployment_with_status("  observedGeneration: 4\n", "  paused: true\n");
    assert_eq!(deployment_rollout(&paused), RolloutState::Paused);

    let row = WorkloadRow::from_deployment(&complete);
    assert_eq!(
        (row.desired, row.ready, row.updated, row.available),
        (3, 3, 3, 3)
    );
    assert_eq!(row.selector.to_query(), "app=blog");
}

#[test]
fn statefulset_rollout_uses_revisions_and_partitions() {
    let parse = |extra: &str, status: &str| -> StatefulSet {
        serde_yaml::from_str(&format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: mariadb, namespace: mariadb, generation: 2}}\nspec:\n  replicas: 3\n  serviceName: mariadb\n  selector: {{matchLabels: {{app: mariadb}}}}\n  template: {{metadata: {{labels: {{app: mariadb}}}}, spec: {{containers: [{{name: db, image: mariadb}}]}}}}\n{extra}status:\n{status}"
        ))
        .expect("statefulset fixture parses")
    };
    let done = parse(
        "",
        "  replicas: 3\n  observedGeneration: 2\n  readyReplicas: 3\n  currentRevision: r2\n  updateRevision: r2\n",
    );
    assert_eq!(statefulset_rollout(&done), RolloutState::Complete);
    let rolling = parse(
        "",
        "  replicas: 3\n  observedGeneration: 2\n  readyReplicas: 3\n  updatedReplicas: 1\n  currentRevision: r1\n  updateRevision: r2\n",
    );
    assert_eq!(
        statefulset_rollout(&rolling),
        RolloutState::Progressing("1 of 3 updated".into())
    );
    let not_ready = parse(
        "",
        "  replicas: 3\n  observedGeneration: 2\n  readyReplicas: 2\n  currentRevision: r2\n  updateRevision: r2\n",
    );
    assert_eq!(
        statefulset_rollout(&not_ready),
        RolloutState::Progressing("2 of 3 ready".into())
    );
    let partition = "  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}\n";
    let partitioned = parse(
        partition,
        "  replicas: 3\n  observedGeneration: 2\n  readyReplicas: 3\n  updatedReplicas: 1\n  currentRevision: r1\n  updateRevision: r2\n",
    );
    assert_eq!(statefulset_rollout(&partitioned), RolloutState::Complete);
    let on_delete = parse(
        "  updateStrategy: {type: OnDelete}\n",
        "  replicas: 3\n  readyReplicas: 0\n",
    );
    assert_eq!(statefulset_rollout(&on_delete), RolloutState::Complete);
}

#[test]
fn daemonset_rollout_counts_scheduled_and_available() {
    let parse = |status: &str| -> DaemonSet {
        serde_yaml::from_str(&format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: node-exporter, namespace: monitoring, generation: 1}}\nspec:\n  selector: {{matchLabels: {{app: ne}}}}\n  template: {{metadata: {{labels: {{app: ne}}}}, spec: {{containers: [{{name: ne, image: prom/node-exporter}}]}}}}\nstatus:\n  currentNumberScheduled: 2\n  numberMisscheduled: 0\n  observedGeneration: 1\n{status}"
        ))
        .expect("daemonset fixture parses")
    };
    let done = parse(
        "  desiredNumberScheduled: 2\n  numberReady: 2\n  updatedNumberScheduled: 2\n  numberAvailable: 2\n",
    );
    assert_eq!(daemonset_rollout(&done), RolloutState::Complete);
    let updating = parse(
        "  desiredNumberScheduled: 2\n  numberReady: 2\n  updatedNumberScheduled: 1\n  numberAvailable: 2\n",
    );
    assert_eq!(
        daemonset_rollout(&updating),
        RolloutState::Progressing("1 of 2 updated".into())
    );
    let unavailable = parse(
        "  desiredNumberScheduled: 2\n  numberReady: 1\n  updatedNumberScheduled: 2\n  numberAvailable: 1\n",
    );
    assert_eq!(
        daemonset_rollout(&unavailable),
        RolloutState::Progressing("1 of 2 updated available".into())
    );
    let row = WorkloadRow::from_daemonset(&done);
    assert_eq!((row.desired, row.ready), (2, 2));
}

#[test]
fn node_status_roles_and_conditions() {
    let parse = |labels: &str, conditions: &str, unschedulable: bool| -> Node {
        serde_yaml::from_str(&format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: k3s-server\n  labels: {{{labels}}}\nspec: {{unschedulable: {unschedulable}}}\nstatus:\n  conditions:\n{conditions}  allocatable: {{cpu: '4', memory: 16Gi}}\n  nodeInfo: {{kubeletVersion: v1.33.3+k3s1, architecture: amd64, bootID: x, containerRuntimeVersion: c, kernelVersion: k, kubeProxyVersion: p, machineID: m, operatingSystem: linux, osImage: o, systemUUID: u}}\n"
        ))
        .expect("node fixture parses")
    };
    let ready = "  - {type: Ready, status: 'True'}\n  - {type: MemoryPressure, status: 'False'}\n";
    let node = NodeRow::from_node(&parse(
        "node-role.kubernetes.io/control-plane: 'true', node-role.kubernetes.io/master: 'true'",
        ready,
        false,
    ));
    assert_eq!(node.status.as_ref(), "Ready");
    assert_eq!(node.roles.as_ref(), "control-plane,master");
    assert_eq!(node.version.as_ref(), "v1.33.3+k3s1");
    assert_eq!(node.health, Health::Ok);
    assert_eq!(node.cpu_allocatable, Some(4000));

    let cordoned = NodeRow::from_node(&parse("kubernetes.io/role: worker", ready, true));
    assert_eq!(cordoned.status.as_ref(), "Ready,SchedulingDisabled");
    assert_eq!(cordoned.roles.as_ref(), "worker");
    assert_eq!(cordoned.health, Health::Warn);

    let pressure = NodeRow::from_node(&parse(
        "",
        "  - {type: Ready, status: 'True'}\n  - {type: MemoryPressure, status: 'True'}\n",
        false,
    ));
    assert_eq!(pressure.pressures.as_ref(), "MemoryPressure");
    assert_eq!(pressure.roles.as_ref(), "<none>");
    assert_eq!(pressure.health, Health::Warn);

    let down = NodeRow::from_node(&parse("", "  - {type: Ready, status: Unknown}\n", false));
    assert_eq!(down.status.as_ref(), "Unknown");
    assert_eq!(down.health, Health::Error);
    let not_ready = NodeRow::from_node(&parse("", "  - {type: Ready, status: 'False'}\n", false));
    assert_eq!(not_ready.status.as_ref(), "NotReady");
}
