//! Nothing leaks: a Secret written by `kubectl apply` (client-side) carries
//! its whole manifest — private key included — in the last-applied
//! annotation. No byte of it may reach a screen (YAML, describe, diff) or an
//! output (`bosun diff`, `bosun status`, the state directory's logs).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use base64::Engine;
use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::watch::WatchStatus;
use common::Harness;
use crossterm::event::KeyCode;

const WAIT: Duration = Duration::from_secs(30);
const PLAIN: &str = "plain-text-value-7Qz9";

/// A fresh EC key and a self-signed certificate for `host`, as PEM.
fn key_and_cert(host: &str) -> (String, String) {
    let (key, cert) = common::self_signed(host);
    let key_pem = String::from_utf8(key.private_key_to_pem_pkcs8().expect("pem")).expect("utf8");
    let cert_pem = String::from_utf8(cert.to_pem().expect("pem")).expect("utf8");
    (key_pem, cert_pem)
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn secret_yaml(key_pem: &str, cert_pem: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak-tls\n  namespace: default\n\
         type: kubernetes.io/tls\ndata:\n  tls.crt: {}\n  tls.key: {}\nstringData:\n  note: {PLAIN}\n",
        b64(cert_pem),
        b64(key_pem)
    )
}

/// Every 16-character window (step 8) of the key's base64, of its PEM body
/// lines, and the plain-text value: if any shows up, part of the key did.
fn fragments(key_pem: &str) -> Vec<String> {
    let mut texts = vec![b64(key_pem)];
    texts.extend(
        key_pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .map(str::to_string),
    );
    let mut out = vec![PLAIN.to_string()];
    for text in texts {
        let chars: Vec<char> = text.chars().collect();
        let mut start = 0;
        while start + 16 <= chars.len() {
            out.push(chars[start..start + 16].iter().collect());
            start += 8;
        }
    }
    out
}

fn assert_clean(what: &str, text: &str, fragments: &[String]) {
    for fragment in fragments {
        assert!(
            !text.contains(fragment.as_str()),
            "{what} shows part of the secret ({fragment}):\n{text}"
        );
    }
}

fn kubectl_apply(kubeconfig: &Path, file: &Path) -> bool {
    match std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["apply", "--validate=false", "-f"])
        .arg(file)
        .output()
    {
        Ok(out) if out.status.success() => true,
        Ok(out) => panic!(
            "kubectl apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(error) => {
            eprintln!("skipping: kubectl is not runnable ({error})");
            false
        }
    }
}

/// A git repo whose app renders the same Secret with another key.
fn repo_with_secret(dir: &Path, yaml: &str) -> PathBuf {
    let root = dir.join("repo");
    std::fs::create_dir_all(root.join("app")).expect("dirs");
    std::fs::write(
        root.join("bosun.yaml"),
        "apps:\n  - name: leak\n    path: app\n    namespace: default\n",
    )
    .expect("spec");
    std::fs::write(
        root.join("app/kustomization.yaml"),
        "resources: [secret.yaml]\n",
    )
    .expect("kustomization");
    std::fs::write(root.join("app/secret.yaml"), yaml).expect("secret");
    common::commit_all(&root, "secret");
    root
}

fn detail_text(app: &Harness) -> String {
    app.state
        .detail
        .as_ref()
        .map(|d| d.lines.join("\n"))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_side_applied_secret_never_shows_its_key() {
    if !common::kubectl_present() {
        return;
    }
    let sim = common::sample_cluster().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (live_key, live_cert) = key_and_cert("leak.example");
    let (repo_key, repo_cert) = key_and_cert("leak.example");
    let file = dir.path().join("secret.yaml");
    std::fs::write(&file, secret_yaml(&live_key, &live_cert)).expect("write");
    if !kubectl_apply(sim.kubeconfig_path(), &file) {
        return;
    }
    let mut bad = fragments(&live_key);
    bad.extend(fragments(&repo_key));

    // The object really carries the key in its last-applied annotation.
    let client = common::kube_client(&sim).await;
    let live: k8s_openapi::api::core::v1::Secret = kube::Api::namespaced(client.clone(), "default")
        .get("leak-tls")
        .await
        .expect("secret");
    let applied = live
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(bosun::cluster::redact::LAST_APPLIED))
        .cloned()
        .unwrap_or_default();
    assert!(
        applied.contains(&b64(&live_key)),
        "kubectl did not write last-applied"
    );

    // TUI: the certs view's YAML and describe.
    let mut app = Harness::start(&sim, ViewKind::Certs, 200, 50).await;
    app.wait_for("the secret listed", WAIT, |state, screen| {
        state.status_of(ResourceKind::TlsSecrets) == WatchStatus::Live
            && screen.contains("leak-tls")
    })
    .await;
    app.key(KeyCode::Char('/')).await;
    app.keys("leak-tls").await;
    app.key(KeyCode::Enter).await;
    app.key(KeyCode::Char('y')).await;
    app.wait_for("yaml", WAIT, |state, _| {
        state.detail.as_ref().is_some_and(|d| !d.loading)
    })
    .await;
    let yaml = detail_text(&app);
    assert!(yaml.contains("last-applied-configuration"), "{yaml}");
    assert!(yaml.contains("<masked:"), "{yaml}");
    assert_clean("the YAML view", &yaml, &bad);
    assert_clean("the YAML screen", &app.screen(), &bad);
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Char('d')).await;
    app.wait_for("describe", WAIT, |state, _| {
        state.detail.as_ref().is_some_and(|d| !d.loading)
    })
    .await;
    let describe = detail_text(&app);
    assert!(describe.contains("tls.key:"), "{describe}");
    assert!(describe.contains(" bytes"), "{describe}");
    assert!(!describe.contains("last-applied"), "{describe}");
    assert_clean("describe", &describe, &bad);
    assert_clean("the describe screen", &app.screen(), &bad);
    app.key(KeyCode::Esc).await;

    // TUI: the apps view's diff of a repo that wants another key.
    let root = repo_with_secret(dir.path(), &secret_yaml(&repo_key, &repo_cert));
    app.handle(bosun::app::AppEvent::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char(':'),
        crossterm::event::KeyModifiers::NONE,
    )))
    .await;
    app.keys("apps").await;
    app.key(KeyCode::Enter).await;
    app.start_gitops(&root);
    app.wait_for("the app diffed", WAIT, |state, _| {
        state
            .gitops
            .app("leak")
            .is_some_and(|a| a.eval.is_some() && !a.refreshing)
    })
    .await;
    app.key(KeyCode::Char('D')).await;
    let diff = detail_text(&app);
    assert!(diff.contains("Secret default/leak-tls"), "{diff}");
    assert!(diff.contains("(changed)"), "{diff}");
    assert_clean("the diff view", &diff, &bad);
    assert_clean("the diff screen", &app.screen(), &bad);

    // Headless: diff and status, and whatever they leave in the state dir.
    let state_dir = tempfile::tempdir().expect("state");
    for args in [
        vec!["diff", "leak"],
        vec!["status", "-o", "json"],
        vec!["sync", "leak", "--dry-run"],
    ] {
        let kubeconfig = sim.kubeconfig_path().to_path_buf();
        let root = root.clone();
        let state = state_dir.path().to_path_buf();
        let label = format!("bosun {}", args.join(" "));
        let output = tokio::task::spawn_blocking(move || {
            Command::cargo_bin("bosun")
                .expect("binary")
                .env("BOSUN_CONFIG_DIR", &state)
                .env("BOSUN_STATE_DIR", &state)
                .env("BOSUN_LOG", "debug")
                .env("NO_COLOR", "1")
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .arg("--repo")
                .arg(&root)
                .args(&args)
                .output()
                .expect("runs")
        })
        .await
        .expect("joined");
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_clean(&label, &out, &bad);
    }
    for entry in std::fs::read_dir(state_dir.path()).expect("state dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            assert_clean(&path.display().to_string(), &text, &bad);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_values_and_manifests_never_show_their_secrets() {
    let sim = common::sample_cluster().await;
    let mut app = common::Harness::start(
        &sim,
        bosun::app::view::ViewKind::Resource(bosun::cluster::kind::ResourceKind::HelmReleases),
        160,
        40,
    )
    .await;
    app.wait_for("the releases", Duration::from_secs(20), |_, screen| {
        screen.contains("harbor-1.15.1") && screen.contains("traefik-27.0.201")
    })
    .await;
    app.select_where(|state, i| &*state.stores.helm_releases.rows()[i].release == "harbor")
        .await;
    for (key, shows) in [('v', "harborAdminPassword"), ('m', "kind: Secret")] {
        app.key(crossterm::event::KeyCode::Char(key)).await;
        app.wait_for("the release part", Duration::from_secs(20), |state, _| {
            state.detail.as_ref().is_some_and(|d| !d.loading)
        })
        .await;
        let text = app.detail_text();
        assert!(text.contains(shows), "{text}");
        for secret in [
            "Harbor12345",
            "SGFyYm9yMTIzNDU=",
            "bm90LWEtcmVhbC1rZXktMTIzNA==",
        ] {
            assert!(!text.contains(secret), "{secret} shown: {text}");
            assert!(!app.screen().contains(secret));
        }
        app.key(crossterm::event::KeyCode::Esc).await;
    }
}
