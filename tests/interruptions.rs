//! Nothing half-done without a trace: quitting (`q`, a signal) during a
//! sync stops it after the object being applied, and the audit log and the
//! inventory say "interrupted after N of M objects". The simulated cluster
//! answers writes slowly so that the sync is still running when asked.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bosun::app::view::ViewKind;
use bosun::sim::{SimCluster, SimOptions};
use common::Harness;
use crossterm::event::KeyCode;

const WAIT: Duration = Duration::from_secs(60);
const OBJECTS: usize = 12;

/// A repo with one app: a namespace and OBJECTS ConfigMaps.
fn repo(dir: &Path) -> PathBuf {
    let root = dir.join("repo");
    std::fs::create_dir_all(root.join("app")).expect("mkdir");
    std::fs::write(
        root.join("bosun.yaml"),
        "apps:\n  - name: many\n    path: app\n    namespace: many\n",
    )
    .expect("spec");
    let mut manifests = String::from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: many\n");
    for i in 0..OBJECTS {
        manifests.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i:02}\ndata:\n  i: \"{i}\"\n"
        ));
    }
    std::fs::write(root.join("app/all.yaml"), manifests).expect("manifests");
    std::fs::write(
        root.join("app/kustomization.yaml"),
        "resources: [all.yaml]\n",
    )
    .expect("kustomization");
    common::commit_all(&root, "many");
    root
}

/// The sync has applied something: its namespace, where the inventory goes.
async fn wait_for_the_namespace(sim: &SimCluster) {
    let client = common::kube_client(sim).await;
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
    let deadline = tokio::time::Instant::now() + WAIT;
    while namespaces.get_opt("many").await.ok().flatten().is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sync never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn inventory_result(sim: &SimCluster) -> String {
    let client = common::kube_client(sim).await;
    bosun::gitops::inventory::read(&client, "many", "many")
        .await
        .ok()
        .flatten()
        .map(|i| i.result)
        .unwrap_or_default()
}

fn interrupted_count(result: &str) -> Option<(usize, usize)> {
    let rest = result
        .to_lowercase()
        .split_once("interrupted after ")?
        .1
        .to_string();
    let (done, rest) = rest.split_once(" of ")?;
    let total = rest.split_whitespace().next()?;
    Some((done.parse().ok()?, total.parse().ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_the_tui_mid_sync_asks_then_stops_cleanly() {
    quit_mid_sync(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_to_the_tui_mid_sync_stops_it_cleanly_without_asking() {
    quit_mid_sync(true).await;
}

async fn quit_mid_sync(by_signal: bool) {
    if !common::kubectl_present() {
        return;
    }
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let dir = tempfile::tempdir().expect("dir");
    let root = repo(dir.path());
    let mut app = Harness::start(&sim, ViewKind::Apps, 160, 40).await;
    app.start_gitops(&root);
    app.wait_for("the app diffed", WAIT, |state, _| {
        state
            .gitops
            .app("many")
            .is_some_and(|a| a.eval.is_some() && !a.refreshing)
    })
    .await;
    sim.slow_writes(Duration::from_millis(250));
    app.key(KeyCode::Char('S')).await;
    app.key(KeyCode::Char('S')).await;
    app.key(KeyCode::Char('y')).await;
    assert!(app.state.gitops.syncing.contains_key("many"));
    // Once it has applied something (the namespace, where the inventory
    // goes), q asks first, naming what is in flight.
    wait_for_the_namespace(&sim).await;
    if by_signal {
        // What SIGTERM, SIGHUP, SIGINT or SIGQUIT become: nobody is asked.
        app.handle(bosun::app::AppEvent::Terminate).await;
        assert!(app.state.confirm.is_none());
    } else {
        app.key(KeyCode::Char('q')).await;
        let question = app
            .state
            .confirm
            .as_ref()
            .map(|c| c.question.clone())
            .expect("q asks while a sync runs");
        assert!(question.contains("a sync of many"), "{question}");
        assert!(!app.state.quit);
        app.key(KeyCode::Char('y')).await;
    }
    assert!(!app.state.quit, "waits for the sync to stop");
    app.wait_for("quit after the sync stopped", WAIT, |state, _| state.quit)
        .await;
    let result = inventory_result(&sim).await;
    let (done, total) = interrupted_count(&result).unwrap_or_else(|| panic!("{result}"));
    assert_eq!(total, OBJECTS + 1, "{result}");
    assert!(done >= 1 && done < total, "{result}");
    let audit = std::fs::read_to_string(app.audit_dir.path().join("audit.log")).expect("audit");
    assert!(audit.contains("interrupted after"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_bosun_sync_stops_after_the_current_object() {
    if !common::kubectl_present() {
        return;
    }
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let dir = tempfile::tempdir().expect("dir");
    let root = repo(dir.path());
    let state = dir.path().join("state");
    sim.slow_writes(Duration::from_millis(250));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env("BOSUN_STATE_DIR", &state)
        .env("BOSUN_CONFIG_DIR", &state)
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .arg("--repo")
        .arg(&root)
        .args(["sync", "--yes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bosun starts");
    // Wait until it applies (the namespace exists), then signal.
    wait_for_the_namespace(&sim).await;
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("output");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("interrupted after"), "{said}");
    let result = inventory_result(&sim).await;
    let (done, total) = interrupted_count(&result).unwrap_or_else(|| panic!("{result}"));
    assert!(done < total, "{result}");
    let audit = std::fs::read_to_string(state.join("audit.log")).expect("audit");
    assert!(audit.contains("interrupted after"), "{audit}");
}
