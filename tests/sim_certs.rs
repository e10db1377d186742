//! The simulated cluster's cert-manager and traefik resources and its
//! generated TLS Secrets, driven over real HTTP by the real kube client.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use bosun::sim::{SimCluster, SimError, SimOptions, generate_tls_secret_data};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
    WatchEvent, WatchParams,
};
use kube::{Client, ResourceExt};
use openssl::asn1::Asn1Time;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::X509;
use serde_json::{Value, json};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("cluster")
}

async fn start(cert_manager: bool) -> (SimCluster, Client) {
    let sim = SimCluster::start(SimOptions {
        seed_dir: Some(samples_dir()),
        bookmark_interval: Duration::from_millis(500),
        cert_manager,
        ..SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts");
    let kc = kube::config::Kubeconfig::read_from(sim.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    let client = Client::try_from(config).expect("client");
    (sim, client)
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn certificates() -> ApiResource {
    resource("cert-manager.io", "v1", "Certificate", "certificates")
}

fn secret_bytes(secret: &Secret, key: &str) -> Vec<u8> {
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| b.0.clone())
        .unwrap_or_else(|| panic!("secret {} has no {key}", secret.name_any()))
}

fn sans(cert: &X509) -> BTreeSet<String> {
    cert.subject_alt_names()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.dnsname().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn cn(name: &openssl::x509::X509NameRef) -> String {
    name.entries_by_nid(Nid::COMMONNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .unwrap_or_default()
}

/// |cert.notAfter - (now + days)| in seconds.
fn not_after_off_by(cert: &X509, days: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let want = Asn1Time::from_unix(now + days * 86_400).expect("time");
    let diff = want.diff(cert.not_after()).expect("diff");
    (i64::from(diff.days) * 86_400 + i64::from(diff.secs)).abs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_serves_cert_manager_and_traefik() {
    let (_sim, client) = start(true).await;
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let cm = discovery
        .groups()
        .find(|g| g.name() == "cert-manager.io")
        .expect("cert-manager.io is served");
    let kinds: BTreeSet<String> = cm
        .versioned_resources("v1")
        .into_iter()
        .map(|(r, caps)| {
            let scope = match caps.scope {
                kube::discovery::Scope::Cluster => "cluster",
                kube::discovery::Scope::Namespaced => "ns",
            };
            format!("{}:{scope}", r.plural)
        })
        .collect();
    for want in [
        "certificates:ns",
        "certificaterequests:ns",
        "issuers:ns",
        "clusterissuers:cluster",
    ] {
        assert!(kinds.contains(want), "{want} in {kinds:?}");
    }
    let traefik = discovery
        .groups()
        .find(|g| g.name() == "traefik.io")
        .expect("traefik.io is served");
    assert!(
        traefik
            .versioned_resources("v1alpha1")
            .iter()
            .any(|(r, _)| r.plural == "ingressroutes" && r.kind == "IngressRoute")
    );

    // Short names, as kubectl resolves `cert`.
    let list: Value = client
        .request(
            http::Request::get("/apis/cert-manager.io/v1")
                .body(Vec::new())
                .expect("request"),
        )
        .await
        .expect("resource list");
    let cert = list["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["name"] == "certificates"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(cert["shortNames"], json!(["cert", "certs"]));
    assert!(
        list["resources"]
            .as_array()
            .is_some_and(|rs| rs.iter().any(|r| r["name"] == "certificates/status"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_cert_manager_the_group_is_absent() {
    let (_sim, client) = start(false).await;
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let groups: BTreeSet<String> = discovery.groups().map(|g| g.name().to_string()).collect();
    assert!(!groups.contains("cert-manager.io"), "{groups:?}");
    assert!(groups.contains("traefik.io"), "{groups:?}");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &certificates());
    match api.list(&ListParams::default()).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 404),
        other => panic!("expected 404, got {other:?}"),
    }
    let issuers = resource("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &issuers);
    assert!(matches!(api.get("letsencrypt-prod").await, Err(kube::Error::Api(s)) if s.code == 404));
    // The rest of the seed (TLS secrets included) still loads.
    let secrets: Api<Secret> = Api::namespaced(client, "blog");
    assert!(secrets.get("blog-tls").await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_issuers_and_routes_from_the_samples() {
    let (_sim, client) = start(true).await;
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &certificates());
    let certs = api.list(&ListParams::default()).await.expect("list");
    let names: BTreeSet<String> = certs
        .items
        .iter()
        .map(|c| format!("{}/{}", c.namespace().unwrap_or_default(), c.name_any()))
        .collect();
    let want: BTreeSet<String> = [
        "blog/blog-tls",
        "harbor/harbor-tls",
        "minio/minio-tls",
        "argo/argo-tls",
        "monitoring/grafana-tls",
        "blog-dev/blog-dev-tls",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(names, want);
    let ready = |c: &DynamicObject| {
        c.data["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|x| x["type"] == "Ready"))
            .map(|x| x["status"].as_str().unwrap_or_default().to_string())
    };
    let argo = certs
        .items
        .iter()
        .find(|c| c.name_any() == "argo-tls")
        .expect("argo");
    assert_eq!(ready(argo).as_deref(), Some("False"));
    assert_eq!(
        argo.data["spec"]["issuerRef"],
        json!({"name": "letsencrypt-prod", "kind": "ClusterIssuer", "group": "cert-manager.io"})
    );
    // Timestamps were shifted like every other seed timestamp: notAfter ~ now + 60d.
    let blog = certs
        .items
        .iter()
        .find(|c| c.name_any() == "blog-tls")
        .expect("blog");
    let not_after: jiff::Timestamp = blog.data["status"]["notAfter"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .expect("notAfter");
    let left = not_after.duration_since(jiff::Timestamp::now()).as_hours();
    assert!((59 * 24..=60 * 24).contains(&left), "{left}h left");

    let requests = resource(
        "cert-manager.io",
        "v1",
        "CertificateRequest",
        "certificaterequests",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "minio", &requests);
    let failed = api.get("minio-tls-2").await.expect("minio request");
    assert!(
        failed.data["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready"
                && c["reason"] == "Failed"
                && c["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("rateLimited"))))
    );

    let issuers = resource("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &issuers);
    let list = api.list(&ListParams::default()).await.expect("issuers");
    assert_eq!(list.items.len(), 2);
    // Cluster-scoped create / delete.
    let obj: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
        "metadata": {"name": "ca"}, "spec": {"ca": {"secretName": "ca-key-pair"}}
    }))
    .expect("object");
    api.create(&PostParams::default(), &obj)
        .await
        .expect("create");
    api.delete("ca", &Default::default()).await.expect("delete");

    let routes = resource("traefik.io", "v1alpha1", "IngressRoute", "ingressroutes");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &routes);
    let list = api.list(&ListParams::default()).await.expect("routes");
    assert_eq!(list.items.len(), 4);
    let grafana = list
        .items
        .iter()
        .find(|r| r.name_any() == "grafana")
        .expect("grafana");
    assert_eq!(
        grafana.data["spec"]["tls"],
        json!({"certResolver": "letsencrypt"})
    );

    // The Ingress whose TLS secret does not exist.
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), "default");
    let nas = ingresses.get("nas").await.expect("nas ingress");
    let tls = nas.spec.and_then(|s| s.tls).unwrap_or_default();
    assert_eq!(tls[0].secret_name.as_deref(), Some("nas-tls"));
    let secrets: Api<Secret> = Api::namespaced(client, "default");
    assert!(matches!(secrets.get("nas-tls").await, Err(kube::Error::Api(s)) if s.code == 404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_tls_secrets_hold_real_certificates() {
    let (_sim, client) = start(true).await;
    let secrets: Api<Secret> = Api::all(client.clone());

    // The field selector on type picks exactly the TLS secrets.
    let tls = secrets
        .list(&ListParams::default().fields("type=kubernetes.io/tls"))
        .await
        .expect("tls secrets");
    let names: BTreeSet<String> = tls.items.iter().map(|s| s.name_any()).collect();
    for n in [
        "blog-tls",
        "harbor-tls",
        "minio-tls",
        "argo-tls",
        "grafana-tls",
        "blog-dev-tls",
        "handmade-tls",
        "broken-tls",
        "empty-tls",
    ] {
        assert!(names.contains(n), "{n} in {names:?}");
    }
    assert!(
        tls.items
            .iter()
            .all(|s| s.type_.as_deref() == Some("kubernetes.io/tls"))
    );
    let all = secrets.list(&ListParams::default()).await.expect("secrets");
    assert!(all.items.len() > tls.items.len(), "other secrets exist");

    let harbor: Api<Secret> = Api::namespaced(client.clone(), "harbor");
    let s = harbor.get("harbor-tls").await.expect("harbor-tls");
    let chain = X509::stack_from_pem(&secret_bytes(&s, "tls.crt")).expect("pem");
    assert_eq!(chain.len(), 1, "chain=1");
    assert_eq!(sans(&chain[0]), BTreeSet::from(["harbor.home.lab".into()]));
    assert!(not_after_off_by(&chain[0], 10) < 60);
    assert_eq!(cn(chain[0].issuer_name()), "R10");
    let key = PKey::private_key_from_pem(&secret_bytes(&s, "tls.key")).expect("key");
    assert!(chain[0].public_key().is_ok_and(|p| p.public_eq(&key)));
    let ca = X509::from_pem(&secret_bytes(&s, "ca.crt")).expect("ca");
    assert!(
        ca.public_key()
            .and_then(|k| chain[0].verify(&k))
            .unwrap_or(false)
    );

    let blog: Api<Secret> = Api::namespaced(client.clone(), "blog");
    let s = blog.get("blog-tls").await.expect("blog-tls");
    let pem = secret_bytes(&s, "tls.crt");
    let text = String::from_utf8_lossy(&pem);
    assert_eq!(text.matches("-----BEGIN CERTIFICATE-----").count(), 2);
    let chain = X509::stack_from_pem(&pem).expect("pem");
    assert_eq!(
        sans(&chain[0]),
        BTreeSet::from(["blog.home.lab".into(), "www.blog.home.lab".into()])
    );
    assert!(not_after_off_by(&chain[0], 60) < 60);
    assert_eq!(cn(chain[1].subject_name()), "R11");
    assert!(
        s.metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key("sim.bosun.dev/generate-certificate"))
    );

    // Expired, and the Secret that disagrees with its Certificate.
    let argo: Api<Secret> = Api::namespaced(client.clone(), "argo");
    let s = argo.get("argo-tls").await.expect("argo-tls");
    let chain = X509::stack_from_pem(&secret_bytes(&s, "tls.crt")).expect("pem");
    assert!(not_after_off_by(&chain[0], -3) < 60);
    let dev: Api<Secret> = Api::namespaced(client.clone(), "blog-dev");
    let s = dev.get("blog-dev-tls").await.expect("blog-dev-tls");
    let chain = X509::stack_from_pem(&secret_bytes(&s, "tls.crt")).expect("pem");
    assert!(not_after_off_by(&chain[0], 5) < 60);

    // Self-signed by hand.
    let default: Api<Secret> = Api::namespaced(client.clone(), "default");
    let s = default.get("handmade-tls").await.expect("handmade-tls");
    let chain = X509::stack_from_pem(&secret_bytes(&s, "tls.crt")).expect("pem");
    assert_eq!(cn(chain[0].subject_name()), "nas.home.lab");
    assert_eq!(cn(chain[0].issuer_name()), "nas.home.lab");
    assert!(not_after_off_by(&chain[0], 200) < 60);

    // Served exactly as given.
    let ks: Api<Secret> = Api::namespaced(client, "kube-system");
    let broken = ks.get("broken-tls").await.expect("broken-tls");
    assert_eq!(
        secret_bytes(&broken, "tls.crt"),
        b"this is not a certificate"
    );
    let empty = ks.get("empty-tls").await.expect("empty-tls");
    assert!(secret_bytes(&empty, "tls.crt").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_merge_patch_sets_issuing_and_is_watched() {
    let (_sim, client) = start(true).await;
    let api: Api<DynamicObject> = Api::namespaced_with(client, "blog", &certificates());
    let before = api.get("blog-tls").await.expect("blog-tls");
    let list = api.list(&ListParams::default()).await.expect("list");
    let rv = list.metadata.resource_version.expect("list rv");
    let mut stream = api
        .watch(&WatchParams::default(), &rv)
        .await
        .expect("watch")
        .boxed();

    let mut conditions = before.data["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    conditions.push(json!({
        "type": "Issuing", "status": "True", "reason": "ManuallyTriggered",
        "message": "Certificate re-issuance manually triggered",
        "lastTransitionTime": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }));
    let patched = api
        .patch_status(
            "blog-tls",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"conditions": conditions}})),
        )
        .await
        .expect("status patch");
    let types = |o: &DynamicObject| -> Vec<String> {
        o.data["status"]["conditions"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["type"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(types(&patched), vec!["Ready", "Issuing"]);
    assert_eq!(patched.data["spec"], before.data["spec"], "spec untouched");

    let event = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.next().await {
                Some(Ok(WatchEvent::Modified(o))) => return o,
                Some(Ok(WatchEvent::Error(e))) => panic!("watch error: {e:?}"),
                Some(Ok(_)) => continue,
                other => panic!("watch ended: {other:?}"),
            }
        }
    })
    .await
    .expect("a Modified event");
    assert_eq!(event.name_any(), "blog-tls");
    assert_eq!(types(&event), vec!["Ready", "Issuing"]);

    // A status patch does not touch the spec.
    let patched = api
        .patch_status(
            "blog-tls",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"secretName": "other"}})),
        )
        .await
        .expect("status patch");
    assert_eq!(patched.data["spec"]["secretName"], "blog-tls");
}

#[test]
fn generate_tls_secret_data_is_fast_and_checks_its_spec() {
    let b64 = base64::engine::general_purpose::STANDARD;
    let start = Instant::now();
    for i in 0..10 {
        let spec = format!(
            "notBefore=-30d notAfter=+{i}d dnsNames=s{i}.home.lab,www.s{i}.home.lab issuer=R3 chain={}",
            1 + i % 2
        );
        let data = generate_tls_secret_data(&spec).expect("generated");
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["ca.crt", "tls.crt", "tls.key"]);
        let crt = b64.decode(&data["tls.crt"]).expect("base64");
        let chain = X509::stack_from_pem(&crt).expect("pem");
        assert_eq!(chain.len(), 1 + i % 2);
        assert_eq!(cn(chain[0].subject_name()), format!("s{i}.home.lab"));
        let org = chain[0]
            .issuer_name()
            .entries_by_nid(Nid::ORGANIZATIONNAME)
            .next()
            .and_then(|e| e.data().to_string().ok());
        assert_eq!(org.as_deref(), Some("Let's Encrypt"));
        assert!(not_after_off_by(&chain[0], i as i64) < 60);
    }
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?}");
    for bad in ["", "chain=3 cn=x", "notAfter=soon cn=x", "what"] {
        assert!(
            matches!(generate_tls_secret_data(bad), Err(SimError::CertGen { .. })),
            "{bad:?}"
        );
    }
}
