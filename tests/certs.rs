//! Certificates (DESIGN §8): X.509 parsing on real PEMs made here with
//! openssl, the join of Certificates / Secrets / hosts, the urgency and
//! health rules, traefik host rules, and — against the simulated cluster —
//! the renew patch and `bosun certs`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bosun::certs::{
    CertHealth, CertificateRow, HostRoute, TlsSecretRow, Urgency, certificate_resource, health,
    join, parse_chain, routes_from_ingress, routes_from_ingressroute, urgency,
};
use bosun::headless::certs::{CertsArgs, exit_code, json_text, parse_window, table};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DynamicObject};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};
use serde_json::json;

const DAY: i64 = 86_400;

fn now() -> i64 {
    bosun::cluster::age::now()
}

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("curve");
    PKey::from_ec_key(EcKey::generate(&group).expect("ec key")).expect("pkey")
}

/// A certificate valid from now+`from_days` to now+`to_days`, signed by
/// `signer` (self-signed when None).
fn make_cert(
    cn: &str,
    sans: &[&str],
    from_days: i64,
    to_days: i64,
    signer: Option<(&X509, &PKey<Private>)>,
) -> (X509, PKey<Private>) {
    let key = key();
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_nid(Nid::COMMONNAME, cn).expect("cn");
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "bosun tests")
        .expect("o");
    let name = name.build();
    let mut builder = X509::builder().expect("builder");
    builder.set_version(2).expect("version");
    let serial = Asn1Integer::from_bn(&BigNum::from_u32(7).expect("bn")).expect("serial");
    builder.set_serial_number(&serial).expect("serial");
    builder.set_subject_name(&name).expect("subject");
    match signer {
        Some((ca, _)) => builder.set_issuer_name(ca.subject_name()).expect("issuer"),
        None => builder.set_issuer_name(&name).expect("issuer"),
    }
    builder.set_pubkey(&key).expect("pubkey");
    let not_before = Asn1Time::from_unix(now() + from_days * DAY).expect("time");
    let not_after = Asn1Time::from_unix(now() + to_days * DAY).expect("time");
    builder.set_not_before(&not_before).expect("nb");
    builder.set_not_after(&not_after).expect("na");
    if sans.is_empty() {
        let ca = BasicConstraints::new().critical().ca().build().expect("bc");
        builder.append_extension(ca).expect("ext");
    } else {
        let mut san = SubjectAlternativeName::new();
        for name in sans {
            if name.parse::<std::net::IpAddr>().is_ok() {
                san.ip(name);
            } else {
                san.dns(name);
            }
        }
        let context = builder.x509v3_context(signer.map(|(ca, _)| ca.as_ref()), None);
        let san = san.build(&context).expect("san");
        builder.append_extension(san).expect("ext");
    }
    let signing_key = signer.map(|(_, key)| key).unwrap_or(&key);
    builder
        .sign(signing_key, MessageDigest::sha256())
        .expect("sign");
    (builder.build(), key)
}

fn pem(cert: &X509) -> String {
    String::from_utf8(cert.to_pem().expect("pem")).expect("utf8")
}

/// A leaf for `hosts` expiring in `to_days`, signed by a fresh CA; the PEM
/// holds leaf then CA.
fn chain(hosts: &[&str], to_days: i64) -> String {
    let (ca, ca_key) = make_cert("Bosun Test CA", &[], -400, 4000, None);
    let (leaf, _) = make_cert(hosts[0], hosts, -30, to_days, Some((&ca, &ca_key)));
    format!("{}{}", pem(&leaf), pem(&ca))
}

fn tls_secret(namespace: &str, name: &str, tls_crt: &[u8]) -> Secret {
    let mut secret = Secret::default();
    secret.metadata.namespace = Some(namespace.to_string());
    secret.metadata.name = Some(name.to_string());
    secret.type_ = Some("kubernetes.io/tls".to_string());
    secret.data = Some(BTreeMap::from([
        ("tls.crt".to_string(), ByteString(tls_crt.to_vec())),
        ("tls.key".to_string(), ByteString(b"secret".to_vec())),
    ]));
    secret
}

fn certificate(value: serde_json::Value) -> CertificateRow {
    let object: DynamicObject = serde_json::from_value(value).expect("certificate object");
    CertificateRow::from_object(&object)
}

fn ready_certificate(namespace: &str, name: &str, secret: &str, hosts: &[&str]) -> CertificateRow {
    certificate(json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"namespace": namespace, "name": name, "creationTimestamp": "2025-09-04T18:00:00Z"},
        "spec": {
            "secretName": secret,
            "dnsNames": hosts,
            "issuerRef": {"name": "letsencrypt-prod", "kind": "ClusterIssuer", "group": "cert-manager.io"},
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "Certificate is up to date and has not expired"}],
        },
    }))
}

fn route(namespace: &str, source: &str, hosts: &[&str], secret: Option<&str>) -> HostRoute {
    HostRoute {
        namespace: namespace.to_string(),
        source: source.to_string(),
        hosts: hosts.iter().map(|host| host.to_string()).collect(),
        secret_name: secret.map(str::to_string),
        cert_resolver: None,
    }
}

// ---------------------------------------------------------------- x509

#[test]
fn parses_a_chain_of_two() {
    let text = chain(&["blog.home.lab", "www.home.lab", "192.168.1.10"], 60);
    let info = parse_chain(text.as_bytes()).expect("parses");
    assert_eq!(info.subject, "blog.home.lab");
    assert_eq!(
        info.sans,
        vec!["blog.home.lab", "www.home.lab", "192.168.1.10"]
    );
    assert_eq!(info.issuer, "Bosun Test CA");
    assert_eq!(info.chain_len, 2);
    assert!(!info.self_signed);
    assert!((info.not_after - (now() + 60 * DAY)).abs() < 120);
    assert!((info.not_before - (now() - 30 * DAY)).abs() < 120);
}

#[test]
fn expired_and_not_yet_valid_certificates_still_parse() {
    let (expired, _) = make_cert("old.home.lab", &["old.home.lab"], -90, -2, None);
    let info = parse_chain(pem(&expired).as_bytes()).expect("parses");
    assert!(info.not_after < now());
    assert!(info.self_signed);
    assert_eq!(info.chain_len, 1);
    assert_eq!(info.issuer, "old.home.lab");

    let (future, _) = make_cert("new.home.lab", &["new.home.lab"], 5, 90, None);
    let info = parse_chain(pem(&future).as_bytes()).expect("parses");
    assert!(info.not_before > now());
}

#[test]
fn bad_tls_crt_values_are_plain_errors() {
    assert_eq!(parse_chain(b""), Err("empty certificate chain".to_string()));
    assert_eq!(
        parse_chain(b"just some text\n"),
        Err("not PEM data".to_string())
    );
    assert_eq!(
        parse_chain(&[0x30, 0x82, 0xff, 0x00, 0x9c, 0xfe]),
        Err("not PEM data".to_string())
    );
    let garbage = "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZSBnYXJiYWdlIGdhcmJhZ2U=\n-----END CERTIFICATE-----\n";
    let error = parse_chain(garbage.as_bytes()).expect_err("garbage");
    assert!(
        error.starts_with("PEM block 1 is not an X.509 certificate: "),
        "{error}"
    );
    let key = String::from_utf8(key().private_key_to_pem_pkcs8().expect("key pem")).expect("utf8");
    let error = parse_chain(key.as_bytes()).expect_err("a key");
    assert_eq!(
        error,
        "PEM block 1 is not an X.509 certificate: it is a PRIVATE KEY"
    );
    // A second block that is damaged names its number.
    let text = format!("{}{garbage}", chain(&["a.home.lab"], 30));
    let error = parse_chain(text.as_bytes()).expect_err("damaged second");
    assert!(error.starts_with("PEM block 3 is not"), "{error}");
}

#[test]
fn secrets_are_parsed_on_arrival() {
    let text = chain(&["blog.home.lab"], 30);
    let row = TlsSecretRow::from_secret(&tls_secret("blog", "blog-tls", text.as_bytes()));
    assert_eq!(row.namespace, "blog");
    assert_eq!(row.name, "blog-tls");
    assert_eq!(row.cert.as_ref().map(|cert| cert.chain_len), Ok(2));
    assert_eq!(row.managed_by_certificate, None);

    let mut empty = tls_secret("blog", "empty", b"");
    empty.metadata.annotations = Some(BTreeMap::from([(
        "cert-manager.io/certificate-name".to_string(),
        "blog".to_string(),
    )]));
    let row = TlsSecretRow::from_secret(&empty);
    assert_eq!(row.cert, Err("empty certificate chain".to_string()));
    assert_eq!(row.managed_by_certificate.as_deref(), Some("blog"));

    let mut keyless = tls_secret("blog", "x", b"");
    keyless.data = Some(BTreeMap::new());
    assert_eq!(
        TlsSecretRow::from_secret(&keyless).cert,
        Err("the secret has no tls.crt".to_string())
    );

    let undecodable: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"namespace": "blog", "name": "broken"},
        "data": {"tls.crt": "%%% not base64 %%%"},
    }))
    .expect("object");
    assert_eq!(
        TlsSecretRow::from_dynamic(&undecodable).cert,
        Err("tls.crt is not valid base64".to_string())
    );
}

// ---------------------------------------------------------------- rules

#[test]
fn urgency_rule() {
    assert_eq!(urgency(None), Urgency::Ok);
    assert_eq!(urgency(Some(-1)), Urgency::Expired);
    assert_eq!(urgency(Some(0)), Urgency::Error);
    assert_eq!(urgency(Some(2)), Urgency::Error);
    assert_eq!(urgency(Some(3)), Urgency::Warn);
    assert_eq!(urgency(Some(13)), Urgency::Warn);
    assert_eq!(urgency(Some(14)), Urgency::Ok);
}

#[test]
fn health_follows_argo_cds_certificate_rule() {
    let mut cert = ready_certificate("blog", "blog", "blog-tls", &["blog.home.lab"]);
    assert_eq!(cert.ready, Some(true));
    assert_eq!(cert.issuer, "ClusterIssuer/letsencrypt-prod");
    assert_eq!(health(&cert), CertHealth::Healthy);
    cert.ready = Some(false);
    assert_eq!(health(&cert), CertHealth::Degraded);
    cert.issuing = true;
    assert_eq!(health(&cert), CertHealth::Progressing);
    cert.issuing = false;
    cert.ready = None;
    assert_eq!(health(&cert), CertHealth::Progressing);

    let parsed = certificate(json!({
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"namespace": "nas", "name": "nas"},
        "spec": {"secretName": "nas-tls", "issuerRef": {"name": "home-ca"}},
        "status": {
            "notAfter": "2026-03-21T10:00:00Z",
            "renewalTime": "2026-02-19T10:00:00Z",
            "conditions": [
                {"type": "Ready", "status": "False", "reason": "DoesNotExist", "message": "Issuing certificate as Secret does not exist"},
                {"type": "Issuing", "status": "True", "reason": "DoesNotExist", "message": "Issuing certificate as Secret does not exist"},
            ],
        },
    }));
    assert_eq!(parsed.issuer, "Issuer/home-ca");
    assert!(parsed.issuing);
    assert_eq!(parsed.issuing_reason, "DoesNotExist");
    assert_eq!(parsed.ready, Some(false));
    assert_eq!(parsed.ready_reason, "DoesNotExist");
    assert_eq!(parsed.not_after, Some(1_774_087_200));
    assert_eq!(parsed.renewal_time, Some(1_771_495_200));
    assert_eq!(parsed.conditions.len(), 2);
    assert_eq!(health(&parsed), CertHealth::Progressing);
}

// ---------------------------------------------------------------- hosts

fn ingressroute(value: serde_json::Value) -> DynamicObject {
    serde_json::from_value(value).expect("ingressroute")
}

#[test]
fn ingressroute_hosts() {
    let object = ingressroute(json!({
        "apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
        "metadata": {"namespace": "harbor", "name": "harbor"},
        "spec": {
            "routes": [
                {"match": "Host(`harbor.home.lab`) || Host(`registry.home.lab`)", "kind": "Rule"},
                {"match": "Host(`a.home.lab`,`b.home.lab`) && PathPrefix(`/v2`)", "kind": "Rule"},
                {"match": "Host(`harbor.home.lab`)", "kind": "Rule"},
            ],
            "tls": {"secretName": "harbor-tls"},
        },
    }));
    let routes = routes_from_ingressroute(&object);
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].source, "ingressroute/harbor");
    assert_eq!(
        routes[0].hosts,
        vec![
            "harbor.home.lab",
            "registry.home.lab",
            "a.home.lab",
            "b.home.lab"
        ]
    );
    assert_eq!(routes[0].secret_name.as_deref(), Some("harbor-tls"));
    assert_eq!(routes[0].cert_resolver, None);

    let tcp = ingressroute(json!({
        "apiVersion": "traefik.io/v1alpha1", "kind": "IngressRouteTCP",
        "metadata": {"namespace": "db", "name": "postgres"},
        "spec": {
            "routes": [{"match": "HostSNI(`db.home.lab`)"}],
            "tls": {"certResolver": "letsencrypt", "domains": [{"main": "home.lab", "sans": ["*.home.lab"]}]},
        },
    }));
    let routes = routes_from_ingressroute(&tcp);
    assert_eq!(routes[0].source, "ingressroutetcp/postgres");
    assert_eq!(
        routes[0].hosts,
        vec!["db.home.lab", "home.lab", "*.home.lab"]
    );
    assert_eq!(routes[0].cert_resolver.as_deref(), Some("letsencrypt"));

    let plain_http = ingressroute(json!({
        "apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
        "metadata": {"namespace": "web", "name": "web"},
        "spec": {"routes": [{"match": "Host(`web.home.lab`)"}]},
    }));
    assert!(routes_from_ingressroute(&plain_http).is_empty());
}

#[test]
fn ingress_tls_entries() {
    let ingress: Ingress = serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"namespace": "blog", "name": "blog"},
        "spec": {
            "rules": [{"host": "blog.home.lab"}, {"host": "www.home.lab"}],
            "tls": [
                {"hosts": ["blog.home.lab"], "secretName": "blog-tls"},
                {"secretName": "www-tls"},
            ],
        },
    }))
    .expect("ingress");
    let routes = routes_from_ingress(&ingress);
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0].source, "ingress/blog");
    assert_eq!(routes[0].hosts, vec!["blog.home.lab"]);
    assert_eq!(routes[0].secret_name.as_deref(), Some("blog-tls"));
    assert_eq!(routes[1].hosts, vec!["blog.home.lab", "www.home.lab"]);
    assert_eq!(routes[1].secret_name.as_deref(), Some("www-tls"));
}

// ---------------------------------------------------------------- join

#[test]
fn join_flags_what_is_wrong_in_plain_words() {
    let now = now();
    let blog = ready_certificate("blog", "blog", "blog-tls", &["blog.home.lab"]);
    let mut nas = ready_certificate("nas", "nas", "nas-tls", &["nas.home.lab"]);
    nas.not_after = Some(now + 90 * DAY);
    let grafana = ready_certificate(
        "monitoring",
        "grafana",
        "grafana-tls",
        &["grafana.home.lab"],
    );
    let secrets = vec![
        // Renewed by hand: 5 days left, the Certificate says 90.
        TlsSecretRow::from_secret(&tls_secret(
            "nas",
            "nas-tls",
            chain(&["nas.home.lab"], 5).as_bytes(),
        )),
        TlsSecretRow::from_secret(&tls_secret(
            "monitoring",
            "grafana-tls",
            b"not a certificate",
        )),
        // Made by hand, expired, no Certificate.
        TlsSecretRow::from_secret(&tls_secret(
            "default",
            "old-tls",
            pem(&make_cert("old.home.lab", &["old.home.lab"], -90, -1, None).0).as_bytes(),
        )),
        // Made by hand, fine.
        TlsSecretRow::from_secret(&tls_secret(
            "media",
            "jellyfin-tls",
            chain(&["jellyfin.home.lab"], 200).as_bytes(),
        )),
    ];
    let mut resolver = route("web", "ingressroute/web", &["web.home.lab"], None);
    resolver.cert_resolver = Some("letsencrypt".to_string());
    let routes = vec![
        route("blog", "ingress/blog", &["blog.home.lab"], Some("blog-tls")),
        route(
            "files",
            "ingressroute/files",
            &["files.home.lab"],
            Some("files-tls"),
        ),
        route(
            "media",
            "ingress/jellyfin",
            &["jellyfin.home.lab"],
            Some("jellyfin-tls"),
        ),
        resolver,
    ];
    let views = join(&[blog, nas, grafana], &secrets, &routes, now);
    let names: Vec<(&str, &str)> = views
        .iter()
        .map(|view| (view.kind, view.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Secret", "old-tls"),
            ("Certificate", "nas"),
            ("Secret", "jellyfin-tls"),
            ("Certificate", "blog"),
            ("Route", "ingressroute/files"),
            ("Certificate", "grafana"),
        ],
        "{views:#?}"
    );
    let find = |name: &str| views.iter().find(|view| view.name == name).expect(name);

    let old = find("old-tls");
    assert_eq!(old.urgency, Urgency::Expired);
    assert_eq!(old.health, CertHealth::Degraded);
    assert_eq!(old.days_left, Some(-1));
    assert_eq!(old.ready, "-");
    assert_eq!(old.hosts, vec!["old.home.lab"]);

    let nas = find("nas");
    assert_eq!(nas.days_left, Some(5), "x509 wins over the status");
    assert_eq!(nas.urgency, Urgency::Warn);
    assert_eq!(nas.issuer, "ClusterIssuer/letsencrypt-prod");
    assert_eq!(nas.problems.len(), 1, "{:?}", nas.problems);
    assert!(
        nas.problems[0].starts_with("the secret's certificate expires ")
            && nas.problems[0].contains(" but the Certificate says "),
        "{:?}",
        nas.problems
    );
    assert_eq!(nas.cert.as_ref().map(|cert| cert.chain_len), Some(2));

    let blog = find("blog");
    assert_eq!(blog.problems, vec!["secret blog-tls is missing"]);
    assert_eq!(blog.used_by, vec!["ingress/blog blog.home.lab"]);
    assert_eq!(blog.ready, "True");
    assert_eq!(blog.health, CertHealth::Degraded);
    assert_eq!(blog.days_left, None);

    let grafana = find("grafana");
    assert_eq!(grafana.problems, vec!["tls.crt: not PEM data"]);

    let jellyfin = find("jellyfin-tls");
    assert_eq!(jellyfin.kind, "Secret");
    assert_eq!(jellyfin.health, CertHealth::Healthy);
    assert_eq!(jellyfin.urgency, Urgency::Ok);
    assert!(jellyfin.problems.is_empty(), "{:?}", jellyfin.problems);
    assert_eq!(jellyfin.used_by, vec!["ingress/jellyfin jellyfin.home.lab"]);
    assert_eq!(jellyfin.issuer, "Bosun Test CA");

    let files = find("ingressroute/files");
    assert_eq!(files.health, CertHealth::Missing);
    assert_eq!(
        files.problems,
        vec!["host files.home.lab: secret files-tls is missing"]
    );

    // A certResolver route without a secret is not a problem and no row.
    assert!(views.iter().all(|view| view.namespace != "web"));

    // The CLI's verdict: something is wrong here.
    assert_eq!(exit_code(&views, now, 14 * DAY), 1);
    let text = table(&views);
    let header = text.lines().next().expect("header");
    assert!(header.starts_with("NAMESPACE"), "{text}");
    for column in [
        "NAME",
        "KIND",
        "READY",
        "DAYS-LEFT",
        "NOT-AFTER",
        "ISSUER",
        "HOSTS",
        "SECRET",
        "PROBLEMS",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let problems_at = header.find("PROBLEMS").expect("column");
    let grafana_line = text
        .lines()
        .find(|line| line.contains("grafana"))
        .expect("row");
    assert_eq!(
        grafana_line.find("tls.crt: not PEM data"),
        Some(problems_at),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&json_text(&views)).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(6));
    assert_eq!(json[0]["urgency"], "expired");
    assert_eq!(json[0]["health"], "Degraded");
}

#[test]
fn healthy_certificates_pass_the_check() {
    let now = now();
    let mut blog = ready_certificate("blog", "blog", "blog-tls", &["blog.home.lab"]);
    let secret = TlsSecretRow::from_secret(&tls_secret(
        "blog",
        "blog-tls",
        chain(&["blog.home.lab"], 60).as_bytes(),
    ));
    blog.not_after = secret.cert.as_ref().ok().map(|cert| cert.not_after);
    let routes = [route(
        "blog",
        "ingress/blog",
        &["blog.home.lab"],
        Some("blog-tls"),
    )];
    let views = join(
        std::slice::from_ref(&blog),
        std::slice::from_ref(&secret),
        &routes,
        now,
    );
    assert_eq!(views.len(), 1);
    assert!(views[0].problems.is_empty(), "{:?}", views[0].problems);
    assert_eq!(views[0].health, CertHealth::Healthy);
    assert_eq!(exit_code(&views, now, 14 * DAY), 0);
    assert_eq!(
        exit_code(&views, now, 90 * DAY),
        1,
        "expires within 90 days"
    );

    // A host the certificate does not cover is a problem.
    let routes = [route(
        "blog",
        "ingress/blog",
        &["shop.home.lab"],
        Some("blog-tls"),
    )];
    let views = join(&[blog], &[secret], &routes, now);
    assert_eq!(
        views[0].problems,
        vec!["host shop.home.lab (ingress/blog): the certificate does not cover it"]
    );
}

#[test]
fn within_windows() {
    assert_eq!(parse_window("14d"), Some(14 * DAY));
    assert_eq!(parse_window("36h"), Some(36 * 3600));
    assert_eq!(parse_window("nope"), None);
}

// ---------------------------------------------------------------- cluster

async fn serves_cert_manager(client: &kube::Client) -> bool {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &certificate_resource());
    api.list(&Default::default()).await.is_ok()
}

fn loaded(path: &Path) -> bosun::cluster::client::LoadedKubeconfig {
    bosun::cluster::client::locate_kubeconfig(&bosun::cluster::client::KubeconfigSearch {
        flag: Some(path.to_path_buf()),
        ..Default::default()
    })
    .expect("kubeconfig loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_sets_the_issuing_condition_like_cmctl() {
    let sim = common::sample_cluster().await;
    let client = common::kube_client(&sim).await;
    if !serves_cert_manager(&client).await {
        eprintln!("skipped: the simulated cluster does not serve cert-manager.io/v1 yet");
        return;
    }
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &certificate_resource());
    let list = api
        .list(&Default::default())
        .await
        .expect("list certificates");
    let Some(target) = list
        .items
        .iter()
        .find(|item| !CertificateRow::from_object(item).issuing)
    else {
        eprintln!("skipped: no seeded Certificate that is not already issuing");
        return;
    };
    let namespace = target.metadata.namespace.clone().expect("namespace");
    let name = target.metadata.name.clone().expect("name");
    let before = CertificateRow::from_object(target);
    let message = bosun::certs::renew(&client, &namespace, &name)
        .await
        .expect("renew");
    assert_eq!(
        message,
        format!("Manually triggered issuance of Certificate {namespace}/{name}")
    );
    let namespaced: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &namespace, &certificate_resource());
    let after = namespaced.get(&name).await.expect("get");
    let row = CertificateRow::from_object(&after);
    // The sim's cert-manager may already have finished the issuance.
    let issuing = row
        .conditions
        .iter()
        .find(|condition| condition.0 == "Issuing");
    if let Some(issuing) = issuing.filter(|condition| condition.1 == "True") {
        assert_eq!(issuing.2, "ManuallyTriggered");
        assert_eq!(issuing.3, "Certificate re-issuance manually triggered");
    }
    for condition in &before.conditions {
        if condition.0 != "Issuing" {
            assert!(
                row.conditions.iter().any(|kept| kept.0 == condition.0),
                "{condition:?} was lost: {:?}",
                row.conditions
            );
        }
    }
    let missing = bosun::certs::renew(&client, &namespace, "no-such-certificate").await;
    assert!(
        missing
            .as_ref()
            .is_err_and(|error| error.contains("not found")),
        "{missing:?}"
    );
}

fn bosun_certs(kubeconfig: &Path, state: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env("BOSUN_STATE_DIR", state)
        .env("BOSUN_CONFIG_DIR", state)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("certs")
        .args(args)
        .output()
        .expect("bosun runs")
}

/// `bosun certs` exists in this build's CLI.
fn cli_has_certs(state: &Path) -> bool {
    std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .env("BOSUN_STATE_DIR", state)
        .env("BOSUN_CONFIG_DIR", state)
        .args(["certs", "--help"])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certs_command_against_the_sample_cluster() {
    let sim = common::sample_cluster().await;
    let client = common::kube_client(&sim).await;
    let sources = bosun::certs::fetch_all(&client).await.expect("fetch_all");
    if !sources.cert_manager || sources.certificates.is_empty() {
        eprintln!(
            "skipped: the simulated cluster does not serve seeded cert-manager Certificates yet"
        );
        return;
    }
    let views = join(
        &sources.certificates,
        &sources.secrets,
        &sources.routes,
        now(),
    );
    assert!(!views.is_empty());
    assert_eq!(exit_code(&views, now(), 14 * DAY), 1, "{}", table(&views));

    // The library entry point, in-process.
    let code = bosun::headless::certs::certs(
        &loaded(sim.kubeconfig_path()),
        CertsArgs {
            within: "14d".into(),
            output: "json".into(),
            context: None,
        },
    )
    .await;
    assert_eq!(code, std::process::ExitCode::from(1));
    let bad = bosun::headless::certs::certs(
        &loaded(sim.kubeconfig_path()),
        CertsArgs {
            within: "soon".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(bad, std::process::ExitCode::from(2));

    let state = tempfile::tempdir().expect("tempdir");
    if !cli_has_certs(state.path()) {
        eprintln!("skipped the binary half: `bosun certs` is not wired into the CLI yet");
        return;
    }
    let path = sim.kubeconfig_path().to_path_buf();
    let state_path = state.path().to_path_buf();
    let run = move |args: Vec<&'static str>| {
        let path = path.clone();
        let state_path = state_path.clone();
        std::thread::spawn(move || bosun_certs(&path, &state_path, &args))
            .join()
            .expect("thread")
    };
    let table_run = tokio::task::block_in_place(|| run(vec![]));
    let stdout = String::from_utf8_lossy(&table_run.stdout).to_string();
    assert_eq!(
        table_run.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&table_run.stderr)
    );
    assert!(stdout.starts_with("NAMESPACE"), "{stdout}");
    let json_run = tokio::task::block_in_place(|| run(vec!["-o", "json"]));
    assert_eq!(json_run.status.code(), Some(1));
    let parsed: serde_json::Value = serde_json::from_slice(&json_run.stdout).expect("json output");
    let rows = parsed.as_array().expect("an array");
    assert_eq!(rows.len(), views.len());
    for field in [
        "namespace",
        "name",
        "kind",
        "ready",
        "daysLeft",
        "notAfter",
        "issuer",
        "hosts",
        "secret",
        "problems",
        "health",
        "urgency",
        "usedBy",
    ] {
        assert!(rows[0].get(field).is_some(), "{field} in {}", rows[0]);
    }
    let bad_output = tokio::task::block_in_place(|| run(vec!["-o", "yaml"]));
    assert_eq!(bad_output.status.code(), Some(2));
    let bad_within = tokio::task::block_in_place(|| run(vec!["--within", "2 weeks"]));
    assert_eq!(bad_within.status.code(), Some(2));
}

/// A seed with one healthy TLS secret (and, when the sim serves
/// cert-manager, its Ready Certificate): `--within 1d` passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certs_command_passes_when_nothing_is_urgent() {
    use base64::Engine as _;
    let seed = tempfile::tempdir().expect("seed dir");
    let crt = chain(&["ok.home.lab"], 30);
    let encoded = base64::engine::general_purpose::STANDARD.encode(crt.as_bytes());
    let key = base64::engine::general_purpose::STANDARD.encode(b"not really a key");
    let not_after = parse_chain(crt.as_bytes()).expect("parses").not_after;
    let not_after = bosun::certs::rfc3339(not_after);
    let yaml = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ok\n---\n\
apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: ok-tls\n  namespace: ok\n\
data:\n  tls.crt: {encoded}\n  tls.key: {key}\n---\n\
apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ok\n  namespace: ok\n\
spec:\n  rules:\n  - host: ok.home.lab\n  tls:\n  - hosts: [ok.home.lab]\n    secretName: ok-tls\n"
    );
    std::fs::write(seed.path().join("10-ok.yaml"), yaml).expect("seed");
    let sim = bosun::sim::SimCluster::start(bosun::sim::SimOptions {
        seed_dir: Some(seed.path().to_path_buf()),
        ..bosun::sim::SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts");
    let client = common::kube_client(&sim).await;
    if serves_cert_manager(&client).await {
        let certificate = format!(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: ok\n  namespace: ok\n\
spec:\n  secretName: ok-tls\n  dnsNames: [ok.home.lab]\n  issuerRef:\n    name: home-ca\n    kind: ClusterIssuer\n\
status:\n  notAfter: '{not_after}'\n  conditions:\n  - type: Ready\n    status: 'True'\n    reason: Ready\n    message: Certificate is up to date and has not expired\n"
        );
        let value: serde_json::Value = serde_yaml::from_str(&certificate).expect("yaml");
        if let Err(error) = sim.apply_object(value) {
            eprintln!("note: could not add the Certificate ({error}); checking the secret alone");
        }
    }
    let sources = bosun::certs::fetch_all(&client).await.expect("fetch_all");
    assert_eq!(sources.secrets.len(), 1, "{sources:?}");
    assert_eq!(sources.routes.len(), 1);
    let views = join(
        &sources.certificates,
        &sources.secrets,
        &sources.routes,
        now(),
    );
    assert!(
        views.iter().all(|view| view.problems.is_empty()),
        "{views:#?}"
    );
    let code = bosun::headless::certs::certs(
        &loaded(sim.kubeconfig_path()),
        CertsArgs {
            within: "1d".into(),
            output: "table".into(),
            context: None,
        },
    )
    .await;
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{}", table(&views));
    let code = bosun::headless::certs::certs(
        &loaded(sim.kubeconfig_path()),
        CertsArgs {
            within: "60d".into(),
            output: "table".into(),
            context: None,
        },
    )
    .await;
    assert_eq!(code, std::process::ExitCode::from(1));

    let state = tempfile::tempdir().expect("tempdir");
    if !cli_has_certs(state.path()) {
        eprintln!("skipped the binary half: `bosun certs` is not wired into the CLI yet");
        return;
    }
    let path = sim.kubeconfig_path().to_path_buf();
    let state_path = state.path().to_path_buf();
    let output = tokio::task::block_in_place(|| {
        std::thread::spawn(move || bosun_certs(&path, &state_path, &["--within", "1d"]))
            .join()
            .expect("thread")
    });
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
