//! The certs view against the simulated cluster: joined rows, details,
//! renew (confirm, cert-manager's Issuing condition), masked YAML,
//! read-only mode.

mod common;

use std::time::Duration;

use bosun::app::view::ViewKind;
use bosun::cluster::kind::ResourceKind;
use bosun::cluster::watch::WatchStatus;
use common::{Harness, kube_client, sample_cluster};
use crossterm::event::KeyCode;
use kube::api::{Api, DynamicObject};

const WAIT: Duration = Duration::from_secs(15);

async fn certs_ready(app: &mut Harness) {
    app.wait_for("certificates and secrets", WAIT, |state, _| {
        [
            ResourceKind::Certificates,
            ResourceKind::TlsSecrets,
            ResourceKind::Ingresses,
            ResourceKind::IngressRoutes,
        ]
        .iter()
        .all(|kind| state.status_of(*kind) == WatchStatus::Live)
            && !state.certs.is_empty()
    })
    .await;
}

async fn select(app: &mut Harness, filter: &str) {
    app.key(KeyCode::Char('/')).await;
    app.keys(filter).await;
    app.key(KeyCode::Enter).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certs_view_details_renew_and_masked_yaml() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Certs, 180, 45).await;
    certs_ready(&mut app).await;
    let screen = app.screen();
    assert!(screen.contains("Certificates(all)"), "{screen}");
    for name in [
        "argo-tls",
        "minio-tls",
        "harbor-tls",
        "blog-tls",
        "handmade-tls",
        "broken-tls",
        "ingress/nas",
    ] {
        assert!(screen.contains(name), "{name} missing:\n{screen}");
    }
    // The expired one comes first.
    assert!(
        screen.find("argo-tls") < screen.find("blog-tls "),
        "{screen}"
    );

    // enter: conditions with messages, the chain, SANs, users.
    select(&mut app, "argo-tls").await;
    app.key(KeyCode::Enter).await;
    let screen = app.screen();
    assert!(screen.contains("DNS-01"), "{screen}");
    assert!(screen.contains("SANs:"), "{screen}");
    assert!(screen.contains("expired"), "{screen}");
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Esc).await;

    // R asks, then sets cert-manager's Issuing condition.
    select(&mut app, "minio-tls").await;
    app.key(KeyCode::Char('R')).await;
    assert!(
        app.screen()
            .contains("Ask cert-manager to reissue certificate/minio-tls -n minio?")
    );
    app.key(KeyCode::Char('y')).await;
    app.wait_for("renewal asked", WAIT, |_, screen| {
        screen.contains("Manually triggered issuance")
    })
    .await;
    let certificates: Api<DynamicObject> = Api::namespaced_with(
        kube_client(&sim).await,
        "minio",
        &bosun::certs::certificate_resource(),
    );
    let minio = certificates.get("minio-tls").await.expect("minio-tls");
    let issuing = minio.data["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|condition| condition["type"] == "Issuing" && condition["status"] == "True");
    assert!(issuing, "{:?}", minio.data["status"]);
    app.wait_for("the row says Issuing", WAIT, |state, _| {
        state
            .certs
            .iter()
            .any(|entry| entry.view.name == "minio-tls" && entry.view.ready == "Issuing")
    })
    .await;
    app.key(KeyCode::Esc).await;

    // y on a secret: values masked.
    select(&mut app, "handmade-tls").await;
    app.key(KeyCode::Char('y')).await;
    app.wait_for("yaml", WAIT, |_, screen| screen.contains("kind: Secret"))
        .await;
    let screen = app.screen();
    assert!(screen.contains("<masked:"), "{screen}");
    assert!(
        !screen.contains("LS0tLS1CRUdJTi"),
        "certificate data leaked:\n{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_is_refused_read_only_and_on_secrets() {
    let sim = sample_cluster().await;
    let mut app = Harness::start(&sim, ViewKind::Certs, 180, 45).await;
    certs_ready(&mut app).await;
    select(&mut app, "handmade-tls").await;
    app.key(KeyCode::Char('R')).await;
    assert!(app.state.confirm.is_none());
    assert!(
        app.screen()
            .contains("renew works on cert-manager Certificates")
    );
    app.key(KeyCode::Esc).await;
    app.state.readonly = true;
    select(&mut app, "minio-tls").await;
    app.key(KeyCode::Char('R')).await;
    assert!(app.state.confirm.is_none());
    assert!(app.screen().contains("read-only mode"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_cert_manager_the_rest_still_works() {
    let sim = bosun::sim::SimCluster::start(bosun::sim::SimOptions {
        seed_dir: Some(common::samples_dir()),
        cert_manager: false,
        ..bosun::sim::SimOptions::default()
    })
    .await
    .expect("sim");
    let mut app = Harness::start(&sim, ViewKind::Certs, 180, 45).await;
    app.wait_for("certificates absent, secrets listed", WAIT, |state, _| {
        matches!(
            state.status_of(ResourceKind::Certificates),
            WatchStatus::Absent { .. }
        ) && ResourceKind::ALL
            .iter()
            .filter(|kind| **kind != ResourceKind::Certificates)
            // Argo Rollouts' CRDs are not served here either.
            .filter(|kind| !matches!(kind, ResourceKind::Rollouts | ResourceKind::AnalysisRuns))
            .all(|kind| state.status_of(*kind) == WatchStatus::Live)
            && !state.certs.is_empty()
    })
    .await;
    let screen = app.screen();
    // Hand-made TLS secrets still show; the connection is not "reconnecting".
    assert!(screen.contains("handmade-tls"), "{screen}");
    assert!(screen.contains("live"), "{screen}");
    assert!(!screen.contains("reconnecting"), "{screen}");
}
