//! The simulator's Job controller, build logs and Argo Workflows, driven
//! over real HTTP by the real kube client: what the builds feature sees.

use std::time::Duration;

use bosun::sim::{JobOutcome, SimCluster, SimOptions};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch,
    PatchParams, PostParams,
};
use kube::discovery::Discovery;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

const NS: &str = "bosun-builds";
const DEST: &str = "harbor.home.lab/blog/blog:0123456";
const KANIKO_ERROR: &str = "error building image: error building stage: failed to execute command: waiting for process to exit: exit status 1";

const SEED: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: k3s-server, labels: {kubernetes.io/hostname: k3s-server}}
status:
  conditions: [{type: Ready, status: "True"}]
  addresses: [{type: InternalIP, address: 192.168.1.10}]
---
apiVersion: v1
kind: Node
metadata: {name: k3s-agent-1, labels: {kubernetes.io/hostname: k3s-agent-1}}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: k3s-agent-2, labels: {kubernetes.io/hostname: k3s-agent-2}}
status: {conditions: [{type: Ready, status: "False"}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: bosun-builds}
---
apiVersion: batch/v1
kind: Job
metadata: {name: seeded-backup, namespace: bosun-builds, uid: job-seeded}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: backup, image: "mariadb:11.4"}]
"#;

struct Env {
    sim: SimCluster,
    client: Client,
    _seed: tempfile::TempDir,
}

async fn env_with(argo: bool) -> Env {
    let seed = tempfile::tempdir().expect("tempdir");
    std::fs::write(seed.path().join("10-seed.yaml"), SEED).expect("seed");
    let sim = SimCluster::start(SimOptions {
        seed_dir: Some(seed.path().to_path_buf()),
        rollout_step: Duration::from_millis(50),
        log_interval: Duration::from_millis(50),
        argo_workflows: argo,
        ..SimOptions::default()
    })
    .await
    .expect("sim starts");
    let kc = kube::config::Kubeconfig::read_from(sim.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    let client = Client::try_from(config).expect("client");
    Env {
        sim,
        client,
        _seed: seed,
    }
}

async fn env() -> Env {
    env_with(false).await
}

/// A kaniko build Job shaped like the builds feature makes them, with
/// `spec` merged over the defaults.
fn kaniko_job(name: &str, spec: Value) -> Job {
    let mut job = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NS, "labels": {"bosun.dev/build": "blog"}},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": {"bosun.dev/build": "blog"}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "kaniko",
                        "image": "cgr.dev/chainguard/kaniko:latest",
                        "args": [
                            "--dockerfile=Dockerfile",
                            "--context=git://github.com/example/homelab.git#refs/heads/main#0123456789abcdef0123456789abcdef01234567",
                            "--context-sub-path=apps/blog/src",
                            format!("--destination={DEST}"),
                            "--digest-file=/dev/termination-log",
                        ],
                    }],
                },
            },
        },
    });
    if let (Some(base), Value::Object(extra)) = (job["spec"].as_object_mut(), spec) {
        for (k, v) in extra {
            if k == "template" {
                // Only pod-spec fields are overridden in these tests.
                if let (Some(pod), Some(over)) = (
                    base["template"]["spec"].as_object_mut(),
                    v.get("spec").and_then(Value::as_object),
                ) {
                    pod.extend(over.clone());
                }
            } else {
                base.insert(k, v);
            }
        }
    }
    serde_json::from_value(job).expect("a Job")
}

async fn create_job(e: &Env, job: &Job) -> Job {
    Api::<Job>::namespaced(e.client.clone(), NS)
        .create(&PostParams::default(), job)
        .await
        .expect("create job")
}

fn true_conditions(job: &Job) -> Vec<String> {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(|cs| {
            cs.iter()
                .filter(|c| c.status == "True")
                .map(|c| c.type_.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn finished(job: &Job) -> bool {
    true_conditions(job)
        .iter()
        .any(|c| c == "Complete" || c == "Failed")
}

/// Watches `name` until `done`, recording every distinct list of True
/// conditions it went through.
async fn watch_job<F>(e: &Env, name: &str, secs: u64, done: F) -> (Job, Vec<Vec<String>>)
where
    F: Fn(&Job) -> bool,
{
    let api = Api::<Job>::namespaced(e.client.clone(), NS);
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher(api, cfg).applied_objects().boxed();
    let mut seen: Vec<Vec<String>> = Vec::new();
    let result = tokio::time::timeout(Duration::from_secs(secs), async {
        while let Some(job) = stream.try_next().await.expect("watch works") {
            let conds = true_conditions(&job);
            if seen.last() != Some(&conds) {
                seen.push(conds);
            }
            if done(&job) {
                return job;
            }
        }
        panic!("the watch ended");
    })
    .await;
    match result {
        Ok(job) => (job, seen),
        Err(_) => panic!("timed out waiting for job {name}; conditions seen: {seen:?}"),
    }
}

async fn job_pods(e: &Env, job: &str) -> Vec<Pod> {
    Api::<Pod>::namespaced(e.client.clone(), NS)
        .list(&ListParams::default().labels(&format!("batch.kubernetes.io/job-name={job}")))
        .await
        .expect("list pods")
        .items
}

/// Polls `probe` every 50 ms until it returns Some.
async fn eventually<T, Fut>(secs: u64, what: &str, mut probe: impl FnMut() -> Fut) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

fn terminated(pod: &Pod) -> Option<k8s_openapi::api::core::v1::ContainerStateTerminated> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .first()?
        .state
        .as_ref()?
        .terminated
        .clone()
}

async fn running_pod(e: &Env, job: &str) -> Pod {
    eventually(20, "a running pod", || async {
        job_pods(e, job)
            .await
            .into_iter()
            .find(|p| phase(p) == "Running")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_completes_with_success_criteria_first_and_a_kaniko_log() {
    let e = env().await;
    let created = create_job(&e, &kaniko_job("build-blog-ok", json!({}))).await;
    // The apiserver's defaulting: generated selector and pod labels.
    let uid = created.uid().expect("uid");
    let spec = created.spec.as_ref().expect("spec");
    assert_eq!(
        spec.selector
            .as_ref()
            .and_then(|s| s.match_labels.as_ref())
            .and_then(|m| m.get("batch.kubernetes.io/controller-uid")),
        Some(&uid)
    );
    assert_eq!(spec.completions, Some(1));

    let (job, seen) = watch_job(&e, "build-blog-ok", 30, finished).await;
    assert_eq!(true_conditions(&job), ["SuccessCriteriaMet", "Complete"]);
    let interim = seen
        .iter()
        .position(|c| c == &["SuccessCriteriaMet"])
        .unwrap_or_else(|| panic!("SuccessCriteriaMet alone first: {seen:?}"));
    assert_eq!(interim, seen.len() - 2, "{seen:?}");
    let status = job.status.as_ref().expect("status");
    assert_eq!(status.succeeded, Some(1));
    assert_eq!(status.active.unwrap_or(0), 0);
    assert!(status.start_time.is_some() && status.completion_time.is_some());
    let complete = status
        .conditions
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Complete"))
        .expect("Complete");
    assert_eq!(complete.reason.as_deref(), Some("CompletionsReached"));

    let pods = job_pods(&e, "build-blog-ok").await;
    assert_eq!(pods.len(), 1);
    let pod = &pods[0];
    let name = pod.name_any();
    let suffix = name
        .strip_prefix("build-blog-ok-")
        .expect("named after the job");
    assert_eq!(suffix.len(), 5, "{name}");
    assert_eq!(phase(pod), "Succeeded");
    let labels = pod.labels();
    assert_eq!(
        labels.get("job-name").map(String::as_str),
        Some("build-blog-ok")
    );
    assert_eq!(labels.get("controller-uid"), Some(&uid));
    assert_eq!(labels.get("batch.kubernetes.io/controller-uid"), Some(&uid));
    assert_eq!(
        labels.get("bosun.dev/build").map(String::as_str),
        Some("blog")
    );
    let owner = &pod.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("Job", uid.as_str(), Some(true))
    );
    let node = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default();
    assert!(
        ["k3s-server", "k3s-agent-1"].contains(&node.as_str()),
        "not on the NotReady node: {node}"
    );
    let term = terminated(pod).expect("terminated");
    assert_eq!(
        (term.exit_code, term.reason.as_deref()),
        (0, Some("Completed"))
    );
    let digest = term.message.clone().expect("kaniko's digest file");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    let log = Api::<Pod>::namespaced(e.client.clone(), NS)
        .logs(&name, &LogParams::default())
        .await
        .expect("logs");
    assert!(
        log.contains("INFO[0000] Retrieving image manifest "),
        "{log}"
    );
    assert!(log.contains("Built cross stage deps: map[]"), "{log}");
    assert!(log.contains(&format!("Pushing image to {DEST}")), "{log}");
    let last = log.lines().last().expect("lines");
    assert!(last.starts_with("INFO["), "{last}");
    assert!(
        last.ends_with(&format!("Pushed harbor.home.lab/blog/blog@{digest}")),
        "{last}"
    );
    // A finished container's log is complete: tail and timestamps work on it.
    let tail = Api::<Pod>::namespaced(e.client.clone(), NS)
        .logs(
            &name,
            &LogParams {
                tail_lines: Some(2),
                timestamps: true,
                ..LogParams::default()
            },
        )
        .await
        .expect("logs");
    let tail: Vec<&str> = tail.lines().collect();
    assert_eq!(tail.len(), 2);
    assert!(
        tail[1].ends_with(last)
            && tail[1]
                .split(' ')
                .next()
                .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok())
    );

    // The seeded Job was left as it was: no pods, no status.
    let seeded = Api::<Job>::namespaced(e.client.clone(), NS)
        .get("seeded-backup")
        .await
        .expect("seeded job");
    assert!(
        seeded
            .status
            .is_none_or(|s| s.conditions.is_none() && s.active.is_none())
    );
    assert!(job_pods(&e, "seeded-backup").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_job_reports_failure_target_first_and_logs_kanikos_error() {
    let e = env().await;
    e.sim.set_job_outcome("build-bad", JobOutcome::Fail);
    // A longer prefix wins over a shorter one.
    e.sim.set_job_outcome("build-bad-but-", JobOutcome::Succeed);
    create_job(&e, &kaniko_job("build-bad-1", json!({}))).await;
    create_job(&e, &kaniko_job("build-bad-but-fine", json!({}))).await;

    let (job, seen) = watch_job(&e, "build-bad-1", 30, finished).await;
    assert_eq!(true_conditions(&job), ["FailureTarget", "Failed"]);
    assert!(seen.iter().any(|c| c == &["FailureTarget"]), "{seen:?}");
    let status = job.status.as_ref().expect("status");
    let failed = status
        .conditions
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Failed"))
        .expect("Failed");
    assert_eq!(failed.reason.as_deref(), Some("BackoffLimitExceeded"));
    assert_eq!(
        failed.message.as_deref(),
        Some("Job has reached the specified backoff limit")
    );
    assert_eq!(status.failed, Some(1));
    assert!(status.completion_time.is_none());

    let pods = job_pods(&e, "build-bad-1").await;
    assert_eq!(pods.len(), 1, "backoffLimit 0: one attempt");
    assert_eq!(phase(&pods[0]), "Failed");
    let term = terminated(&pods[0]).expect("terminated");
    assert_eq!((term.exit_code, term.reason.as_deref()), (1, Some("Error")));
    let log = Api::<Pod>::namespaced(e.client.clone(), NS)
        .logs(&pods[0].name_any(), &LogParams::default())
        .await
        .expect("logs");
    assert_eq!(log.lines().last(), Some(KANIKO_ERROR), "{log}");
    assert!(!log.contains("Pushed "), "{log}");

    let (fine, _) = watch_job(&e, "build-bad-but-fine", 30, finished).await;
    assert!(true_conditions(&fine).contains(&"Complete".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_limit_two_makes_three_attempts_before_failing() {
    let e = env().await;
    e.sim.set_job_outcome("retry-", JobOutcome::Fail);
    create_job(&e, &kaniko_job("retry-me", json!({"backoffLimit": 2}))).await;
    let (job, _) = watch_job(&e, "retry-me", 60, finished).await;
    assert!(true_conditions(&job).contains(&"Failed".to_string()));
    assert_eq!(job.status.as_ref().and_then(|s| s.failed), Some(3));
    let pods = job_pods(&e, "retry-me").await;
    assert_eq!(
        pods.len(),
        3,
        "{:?}",
        pods.iter().map(|p| p.name_any()).collect::<Vec<_>>()
    );
    assert!(pods.iter().all(|p| phase(p) == "Failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_after_finished_deletes_the_job_and_its_pods() {
    let e = env().await;
    create_job(
        &e,
        &kaniko_job("short-lived", json!({"ttlSecondsAfterFinished": 1})),
    )
    .await;
    let (job, _) = watch_job(&e, "short-lived", 30, finished).await;
    assert!(true_conditions(&job).contains(&"Complete".to_string()));
    assert_eq!(job_pods(&e, "short-lived").await.len(), 1);
    let jobs = Api::<Job>::namespaced(e.client.clone(), NS);
    eventually(20, "the job and its pod to go", || async {
        let gone = jobs.get_opt("short-lived").await.expect("get").is_none();
        (gone && job_pods(&e, "short-lived").await.is_empty()).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_job_in_the_background_deletes_its_pods_and_the_default_orphans_them() {
    let e = env().await;
    e.sim.hold_jobs("cancel-", true);
    let jobs = Api::<Job>::namespaced(e.client.clone(), NS);

    create_job(&e, &kaniko_job("cancel-me", json!({}))).await;
    running_pod(&e, "cancel-me").await;
    jobs.delete("cancel-me", &DeleteParams::background())
        .await
        .expect("delete");
    eventually(20, "the cancelled build's pod to go", || async {
        job_pods(&e, "cancel-me").await.is_empty().then_some(())
    })
    .await;

    // Without a propagationPolicy the apiserver orphans a batch/v1 Job's
    // pods (and says so in a Warning header).
    create_job(&e, &kaniko_job("cancel-orphan", json!({}))).await;
    let pod = running_pod(&e, "cancel-orphan").await;
    let req = http::Request::delete(format!("/apis/batch/v1/namespaces/{NS}/jobs/cancel-orphan"))
        .body(kube::client::Body::from(Vec::<u8>::new()))
        .expect("request");
    let resp = e.client.send(req).await.expect("delete");
    assert_eq!(resp.status(), 200);
    let warning = resp
        .headers()
        .get(http::header::WARNING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        warning.contains("child pods are preserved by default"),
        "{warning:?}"
    );
    let pods = Api::<Pod>::namespaced(e.client.clone(), NS);
    let orphan = eventually(20, "the pod to be orphaned", || async {
        pods.get(&pod.name_any())
            .await
            .ok()
            .filter(|p| p.owner_references().is_empty())
    })
    .await;
    assert_eq!(phase(&orphan), "Running");
    assert!(jobs.get_opt("cancel-orphan").await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_selector_hostname_pins_the_pod_and_a_missing_node_leaves_it_pending() {
    let e = env().await;
    e.sim.hold_jobs("pinned-", true);
    for node in ["k3s-server", "k3s-agent-1"] {
        let name = format!("pinned-{node}");
        let spec =
            json!({"template": {"spec": {"nodeSelector": {"kubernetes.io/hostname": node}}}});
        create_job(&e, &kaniko_job(&name, spec)).await;
        let pod = running_pod(&e, &name).await;
        assert_eq!(
            pod.spec.as_ref().and_then(|s| s.node_name.as_deref()),
            Some(node)
        );
    }
    // The only node with that hostname is NotReady: the scheduler says so.
    let spec =
        json!({"template": {"spec": {"nodeSelector": {"kubernetes.io/hostname": "k3s-agent-2"}}}});
    create_job(&e, &kaniko_job("pinned-nowhere", spec)).await;
    let pod = eventually(20, "the pending pod", || async {
        job_pods(&e, "pinned-nowhere").await.into_iter().next()
    })
    .await;
    assert_eq!(phase(&pod), "Pending");
    assert!(
        pod.spec
            .as_ref()
            .and_then(|s| s.node_name.as_ref())
            .is_none()
    );
    let scheduled = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"))
        .expect("PodScheduled");
    assert_eq!(
        (scheduled.status.as_str(), scheduled.reason.as_deref()),
        ("False", Some("Unschedulable"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_job_keeps_running_and_its_follow_stream_ends_with_the_build() {
    let e = env().await;
    e.sim.hold_jobs("held-", true);
    create_job(&e, &kaniko_job("held-build", json!({}))).await;
    let pod = running_pod(&e, "held-build").await;
    let pods = Api::<Pod>::namespaced(e.client.clone(), NS);
    let mut lines = pods
        .log_stream(
            &pod.name_any(),
            &LogParams {
                follow: true,
                ..LogParams::default()
            },
        )
        .await
        .expect("log stream")
        .lines();
    // An unheld build ends after 20 steps of 50 ms; held, it runs on.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let now = pods.get(&pod.name_any()).await.expect("pod");
    assert_eq!(phase(&now), "Running");
    let job = Api::<Job>::namespaced(e.client.clone(), NS)
        .get("held-build")
        .await
        .expect("job");
    assert_eq!(job.status.as_ref().and_then(|s| s.active), Some(1));
    assert!(true_conditions(&job).is_empty());

    e.sim.hold_jobs("held-", false);
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        let mut got = Vec::new();
        while let Some(l) = lines.try_next().await.expect("stream ok") {
            got.push(l);
        }
        got
    })
    .await
    .expect("the follow stream ends when the container terminates");
    let last = got.last().expect("lines");
    assert!(
        last.contains("Pushed harbor.home.lab/blog/blog@sha256:"),
        "{got:?}"
    );
    assert!(
        got.iter().any(|l| l.contains("Retrieving image manifest")),
        "{got:?}"
    );
    let (job, _) = watch_job(&e, "held-build", 30, finished).await;
    assert!(true_conditions(&job).contains(&"Complete".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_deadline_fails_a_job_that_runs_too_long() {
    let e = env().await;
    e.sim.hold_jobs("slow-", true);
    create_job(
        &e,
        &kaniko_job("slow-build", json!({"activeDeadlineSeconds": 1})),
    )
    .await;
    let (job, seen) = watch_job(&e, "slow-build", 30, finished).await;
    assert_eq!(
        true_conditions(&job),
        ["FailureTarget", "Failed"],
        "{seen:?}"
    );
    let failed = job
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Failed"))
        .expect("Failed");
    assert_eq!(failed.reason.as_deref(), Some("DeadlineExceeded"));
    // The running pod was stopped.
    eventually(20, "the pod to be deleted", || async {
        job_pods(&e, "slow-build").await.is_empty().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_job_runs_nothing_until_resumed() {
    let e = env().await;
    create_job(&e, &kaniko_job("later", json!({"suspend": true}))).await;
    let (job, _) = watch_job(&e, "later", 20, |j| {
        true_conditions(j).contains(&"Suspended".to_string())
    })
    .await;
    assert!(
        job.status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .is_none()
    );
    assert!(job_pods(&e, "later").await.is_empty());
    Api::<Job>::namespaced(e.client.clone(), NS)
        .patch(
            "later",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspend": false}})),
        )
        .await
        .expect("resume");
    let (job, _) = watch_job(&e, "later", 30, finished).await;
    assert!(true_conditions(&job).contains(&"Complete".to_string()));
    assert_eq!(job_pods(&e, "later").await.len(), 1);
}

fn argo(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", kind),
        plural,
    )
}

fn workflows(e: &Env) -> Api<DynamicObject> {
    Api::namespaced_with(e.client.clone(), NS, &argo("Workflow", "workflows"))
}

async fn create_template(e: &Env) {
    let t = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "kaniko-build", "namespace": NS},
        "spec": {
            "entrypoint": "build",
            "arguments": {"parameters": [{"name": "image", "value": "registry.local/app:latest"}]},
            "templates": [{
                "name": "build",
                "inputs": {"parameters": [{"name": "image", "value": "{{workflow.parameters.image}}"}]},
                "container": {
                    "image": "gcr.io/kaniko-project/executor:v1.23.2",
                    "args": ["--context=dir:///workspace", "--destination={{inputs.parameters.image}}"],
                },
            }],
        },
    });
    let api: Api<DynamicObject> = Api::namespaced_with(
        e.client.clone(),
        NS,
        &argo("WorkflowTemplate", "workflowtemplates"),
    );
    api.create(
        &PostParams::default(),
        &serde_json::from_value(t).expect("template"),
    )
    .await
    .expect("create template");
}

async fn submit(e: &Env, name: &str, template: &str) {
    let wf = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "workflowTemplateRef": {"name": template},
            "arguments": {"parameters": [{"name": "image", "value": DEST}]},
        },
    });
    workflows(e)
        .create(
            &PostParams::default(),
            &serde_json::from_value(wf).expect("workflow"),
        )
        .await
        .expect("create workflow");
}

fn wf_phase(wf: &DynamicObject) -> String {
    wf.data
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Watches a Workflow until it has a terminal phase; every phase seen, in order.
async fn watch_workflow(e: &Env, name: &str) -> (DynamicObject, Vec<String>) {
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher(workflows(e), cfg).applied_objects().boxed();
    let mut phases: Vec<String> = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(wf) = stream.try_next().await.expect("watch works") {
            let p = wf_phase(&wf);
            if phases.last() != Some(&p) {
                phases.push(p.clone());
            }
            if matches!(p.as_str(), "Succeeded" | "Failed" | "Error") {
                return wf;
            }
        }
        panic!("the watch ended");
    })
    .await;
    match found {
        Ok(wf) => (wf, phases),
        Err(_) => panic!("timed out waiting for workflow {name}: {phases:?}"),
    }
}

async fn workflow_log(e: &Env, name: &str) -> String {
    let pods = Api::<Pod>::namespaced(e.client.clone(), NS);
    let list = pods
        .list(&ListParams::default().labels(&format!("workflows.argoproj.io/workflow={name}")))
        .await
        .expect("list");
    assert_eq!(list.items.len(), 1, "one pod per workflow");
    pods.logs(
        &list.items[0].name_any(),
        &LogParams {
            container: Some("main".into()),
            ..LogParams::default()
        },
    )
    .await
    .expect("logs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_from_a_template_goes_pending_running_succeeded() {
    let e = env_with(true).await;
    create_template(&e).await;
    submit(&e, "build-blog-wf", "kaniko-build").await;
    let (wf, phases) = watch_workflow(&e, "build-blog-wf").await;
    let order: Vec<&str> = phases
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(order, ["Pending", "Running", "Succeeded"], "{phases:?}");
    let status = &wf.data["status"];
    assert!(
        status["startedAt"].is_string() && status["finishedAt"].is_string(),
        "{status}"
    );
    assert_eq!(status["progress"], "1/1");
    assert_eq!(
        wf.labels()
            .get("workflows.argoproj.io/completed")
            .map(String::as_str),
        Some("true")
    );
    let log = workflow_log(&e, "build-blog-wf").await;
    assert!(log.contains(&format!("Pushing image to {DEST}")), "{log}");
    assert!(
        log.lines()
            .last()
            .is_some_and(|l| l.contains("Pushed harbor.home.lab/blog/blog@sha256:")),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_fails_with_the_outcome_knob_and_errors_without_its_template() {
    let e = env_with(true).await;
    create_template(&e).await;
    e.sim.set_job_outcome("broken-", JobOutcome::Fail);
    submit(&e, "broken-build", "kaniko-build").await;
    let (wf, phases) = watch_workflow(&e, "broken-build").await;
    assert_eq!(wf_phase(&wf), "Failed", "{phases:?}");
    assert!(phases.iter().any(|p| p == "Running"), "{phases:?}");
    assert_eq!(wf.data["status"]["message"], "Error (exit code 1)");
    assert!(wf.data["status"]["finishedAt"].is_string());
    let log = workflow_log(&e, "broken-build").await;
    assert_eq!(log.lines().last(), Some(KANIKO_ERROR), "{log}");

    submit(&e, "orphan-build", "no-such-template").await;
    let (wf, _) = watch_workflow(&e, "orphan-build").await;
    assert_eq!(wf_phase(&wf), "Error");
    assert_eq!(
        wf.data["status"]["message"],
        "workflowtemplates.argoproj.io \"no-such-template\" not found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argo_kinds_are_served_only_when_enabled() {
    let without = env().await;
    let discovery = Discovery::new(without.client.clone())
        .run()
        .await
        .expect("discovery");
    assert!(discovery.groups().all(|g| g.name() != "argoproj.io"));
    match workflows(&without).list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 404),
        other => panic!("expected 404, got {other:?}"),
    }

    let with = env_with(true).await;
    let discovery = Discovery::new(with.client.clone())
        .run()
        .await
        .expect("discovery");
    let (res, _) = discovery
        .groups()
        .find(|g| g.name() == "argoproj.io")
        .and_then(|g| g.recommended_kind("Workflow"))
        .expect("Workflow is discovered");
    assert_eq!(res.plural, "workflows");
    assert!(workflows(&with).list(&ListParams::default()).await.is_ok());
}
