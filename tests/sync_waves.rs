//! Syncs the way Argo CD runs them (gitops-engine): phases PreSync → Sync
//! → PostSync, waves ascending, kinds within a wave; hooks run, waited
//! for and deleted by their policy; a failed hook stops the sync and runs
//! the SyncFail hooks; Helm hooks mapped as Argo CD maps them. The fixture
//! repo `tests/fixtures/repos/waves` is Argo CD-shaped; the order things
//! were applied in is read from the simulated cluster's write log, not
//! from bosun's output.

mod common;

use std::path::Path;
use std::time::Duration;

use bosun::sim::{ClientWrite, JobOutcome, SimCluster, SimOptions};

const REMOTE: &str = "https://github.com/example/homelab.git";

async fn cluster() -> SimCluster {
    SimCluster::start(SimOptions {
        seed_dir: Some(common::samples_dir()),
        rollout_step: Duration::from_millis(40),
        ..SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts")
}

/// The first write of each object of `namespace` (hooks and resources),
/// as "Kind/name", in the order the server carried them out.
fn first_writes(writes: &[ClientWrite], namespace: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for write in writes {
        if write.namespace.as_deref() != Some(namespace) || write.verb == "delete" {
            continue;
        }
        let id = format!("{}/{}", write.kind, write.name);
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen
}

fn position(order: &[String], prefix: &str) -> usize {
    order
        .iter()
        .position(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("{prefix} never written: {order:?}"))
}

async fn sync(
    sim: &SimCluster,
    root: &Path,
    state: &Path,
    app: &str,
    timeout: &str,
) -> (Option<i32>, String) {
    let out = common::bosun_cli(
        sim.kubeconfig_path(),
        root,
        state,
        &["sync", app, "--yes", "--timeout", timeout],
    )
    .await;
    (out.status.code(), common::output_text(&out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_and_hooks_run_in_argo_cds_order() {
    let sim = cluster().await;
    let (dir, root) = common::fixture_repo("waves", REMOTE);
    let state = dir.path().join("state");
    let (code, said) = sync(&sim, &root, &state, "blog", "60s").await;
    assert_eq!(code, Some(0), "{said}");

    let writes = sim.client_writes();
    let order = first_writes(&writes, "blog");
    // PreSync hook, then waves -1, 0, 1, 3, then the PostSync hook.
    let migrate = position(&order, "Job/db-migrate");
    let db = position(&order, "StatefulSet/db");
    let db_service = position(&order, "Service/db");
    let config = position(&order, "ConfigMap/blog-config");
    let web_service = position(&order, "Service/web");
    let web = position(&order, "Deployment/web");
    let ingress = position(&order, "Ingress/web");
    let smoke = position(&order, "Job/smoke-");
    assert!(migrate < db_service && db_service < db, "{order:?}");
    assert!(db < config && config < web_service, "{order:?}");
    assert!(
        web_service < web && web < ingress && ingress < smoke,
        "{order:?}"
    );
    assert!(
        !order.iter().any(|id| id == "ConfigMap/scratch"),
        "a Skip object is never applied: {order:?}"
    );
    // Each wave waited for the one before to be Healthy.
    assert!(
        said.contains("waiting for StatefulSet blog/db to be Healthy"),
        "{said}"
    );
    assert!(
        said.contains("waiting for hook Job blog/db-migrate to complete"),
        "{said}"
    );
    assert!(said.contains("wave 1 of 6 (PreSync)"), "{said}");

    // The generateName hook got a fresh name, ran, and was deleted
    // (HookSucceeded); the PreSync one stays until the next sync.
    let smoke_name = order[smoke].trim_start_matches("Job/").to_string();
    assert!(
        smoke_name.starts_with("smoke-") && smoke_name.contains("-postsync-"),
        "{smoke_name}"
    );
    assert!(
        writes
            .iter()
            .any(|w| w.verb == "delete" && w.kind == "Job" && w.name == smoke_name),
        "{writes:?}"
    );
    assert!(
        sim.get_object("batch/v1", "Job", Some("blog"), &smoke_name)
            .is_none()
    );
    assert!(
        sim.get_object("batch/v1", "Job", Some("blog"), "db-migrate")
            .is_some()
    );
    assert!(said.contains("PostSync hook Job blog/smoke-"), "{said}");
    assert!(said.contains("succeeded (deleted)"), "{said}");

    // Hooks are not drift and never prune candidates.
    let diff = common::bosun_cli(sim.kubeconfig_path(), &root, &state, &["diff", "blog"]).await;
    let diff_said = common::output_text(&diff);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "in sync after the sync:\n{diff_said}"
    );
    assert!(!diff_said.contains("prune"), "{diff_said}");

    // Again: the PreSync Job is deleted before it is created anew
    // (BeforeHookCreation); unchanged resources are not written.
    let before = sim.client_writes().len();
    let (code, said) = sync(&sim, &root, &state, "blog", "60s").await;
    assert_eq!(code, Some(0), "{said}");
    let again: Vec<ClientWrite> = sim.client_writes()[before..].to_vec();
    let delete = again
        .iter()
        .position(|w| w.verb == "delete" && w.name == "db-migrate")
        .unwrap_or_else(|| panic!("the old run is deleted first: {again:?}"));
    let create = again
        .iter()
        .position(|w| w.verb == "apply" && w.name == "db-migrate")
        .unwrap_or_else(|| panic!("then created again: {again:?}"));
    assert!(delete < create, "{again:?}");
    assert!(
        !again
            .iter()
            .any(|w| w.kind == "Deployment" || w.kind == "StatefulSet"),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wave_that_never_becomes_healthy_stops_the_sync_naming_it() {
    let sim = cluster().await;
    sim.stall_rollouts("blog", "db", true);
    let (dir, root) = common::fixture_repo("waves", REMOTE);
    let state = dir.path().join("state");
    let (code, said) = sync(&sim, &root, &state, "blog", "3s").await;
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(
            "stopped at wave 2 of 6: gave up after 3s waiting for StatefulSet blog/db to be Healthy"
        ),
        "{said}"
    );
    let order = first_writes(&sim.client_writes(), "blog");
    for later in [
        "ConfigMap/blog-config",
        "Deployment/web",
        "Ingress/web",
        "Job/smoke-",
    ] {
        assert!(
            !order.iter().any(|id| id.starts_with(later)),
            "{later} must wait for the database: {order:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_hook_stops_the_sync_and_runs_the_syncfail_hooks() {
    let sim = cluster().await;
    sim.set_job_outcome("fails-migrate", JobOutcome::Fail);
    let (dir, root) = common::fixture_repo("waves", REMOTE);
    let state = dir.path().join("state");
    let (code, said) = sync(&sim, &root, &state, "fails", "60s").await;
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("PreSync hook Job fails/fails-migrate failed"),
        "names the hook: {said}"
    );
    // Its last log lines (the simulated container's).
    assert!(said.contains("| migrate: error: exit status 1"), "{said}");
    let writes = sim.client_writes();
    let order = first_writes(&writes, "fails");
    assert!(
        !order.iter().any(|id| id == "Deployment/shop"),
        "nothing after a failed hook: {order:?}"
    );
    assert!(
        order.iter().any(|id| id.starts_with("Job/fails-cleanup-")),
        "the SyncFail hook ran: {order:?}"
    );
    // HookFailed: the failed hook is deleted.
    assert!(
        writes
            .iter()
            .any(|w| w.verb == "delete" && w.name == "fails-migrate"),
        "{writes:?}"
    );
    let inventory = sim
        .get_object("v1", "ConfigMap", Some("fails"), "bosun-inventory-fails")
        .expect("inventory written");
    let result = inventory
        .pointer("/data/result")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        result.starts_with("Failed: stopped at wave 1 of 2 (PreSync)"),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_hooks_map_as_argo_cd_maps_them() {
    let sim = cluster().await;
    let (dir, root) = common::fixture_repo("waves", REMOTE);
    let state = dir.path().join("state");
    let (code, said) = sync(&sim, &root, &state, "wiki", "60s").await;
    assert_eq!(code, Some(0), "{said}");
    let writes = sim.client_writes();
    let order = first_writes(&writes, "wiki");
    let init = position(&order, "Job/wiki-db-init");
    let service = position(&order, "Service/wiki");
    let deployment = position(&order, "Deployment/wiki");
    let warm = position(&order, "Job/wiki-warm-cache");
    assert!(
        init < service && service < deployment && deployment < warm,
        "{order:?}"
    );
    assert!(
        !order.iter().any(|id| id == "Pod/wiki-test-connection"),
        "Helm test hooks are never run: {order:?}"
    );
    // hook-succeeded: gone after the sync; the post-install one (no
    // policy: before-hook-creation) stays.
    assert!(
        sim.get_object("batch/v1", "Job", Some("wiki"), "wiki-db-init")
            .is_none()
    );
    assert!(
        sim.get_object("batch/v1", "Job", Some("wiki"), "wiki-warm-cache")
            .is_some()
    );
}
