//! Bad input gets a clear message naming the file and the field, and loses
//! nothing else: kubeconfig, context, config (themes: tests/themes.rs).

mod common;

use std::path::Path;

use assert_cmd::Command;
use bosun::cluster::client::{ConnectError, KubeconfigSearch, context_info, locate_kubeconfig};
use bosun::config::settings::{Settings, WatchListSetting};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(name)
}

#[test]
fn broken_kubeconfig_names_the_file() {
    let search = KubeconfigSearch {
        flag: Some(fixture("kubeconfig-broken.yaml")),
        ..KubeconfigSearch::default()
    };
    let error = locate_kubeconfig(&search).expect_err("a broken kubeconfig is an error");
    let text = error.to_string();
    assert!(matches!(error, ConnectError::Invalid { .. }), "{error:?}");
    assert!(text.contains("kubeconfig-broken.yaml"), "{text}");
    assert!(text.contains("not valid"), "{text}");
}

#[test]
fn missing_context_lists_the_available_ones() {
    let search = KubeconfigSearch {
        flag: Some(fixture("kubeconfig-one-context.yaml")),
        ..KubeconfigSearch::default()
    };
    let loaded = locate_kubeconfig(&search).expect("loads");
    let error = context_info(&loaded, Some("prod")).expect_err("no such context");
    let text = error.to_string();
    assert!(text.contains("\"prod\""), "{text}");
    assert!(text.contains("available: homelab"), "{text}");
    assert!(context_info(&loaded, None).is_ok());
}

#[test]
fn search_order_and_the_k3s_hint() {
    let home = tempfile::tempdir().expect("tempdir");
    let k3s = home.path().join("k3s.yaml");
    // Nothing anywhere: say where we looked and suggest --demo.
    let search = KubeconfigSearch {
        flag: None,
        env: None,
        home: Some(home.path().to_path_buf()),
        k3s: k3s.clone(),
    };
    let text = locate_kubeconfig(&search)
        .expect_err("nothing found")
        .to_string();
    assert!(
        text.contains(".kube/config") && text.contains("k3s.yaml") && text.contains("--demo"),
        "{text}"
    );
    // The k3s file is used when nothing else exists.
    std::fs::copy(fixture("kubeconfig-one-context.yaml"), &k3s).expect("copy");
    let loaded = locate_kubeconfig(&search).expect("k3s file found");
    assert_eq!(
        loaded.source,
        bosun::cluster::client::KubeconfigSource::K3s(k3s.clone())
    );
    // $KUBECONFIG wins over it, ignoring listed files that do not exist.
    let env_file = home.path().join("env.yaml");
    std::fs::copy(fixture("kubeconfig-one-context.yaml"), &env_file).expect("copy");
    let joined =
        std::env::join_paths([home.path().join("missing.yaml"), env_file.clone()]).expect("join");
    let loaded = locate_kubeconfig(&KubeconfigSearch {
        env: Some(joined),
        ..search.clone()
    })
    .expect("env");
    assert_eq!(
        loaded.source,
        bosun::cluster::client::KubeconfigSource::Env(vec![env_file])
    );
    // Unreadable k3s file: the message says how to fix it.
    let hint = ConnectError::K3sPermission { path: k3s }.to_string();
    assert!(hint.contains("--write-kubeconfig-mode 644"), "{hint}");
    assert!(
        hint.contains("sudo k3s kubectl config view --raw > ~/.kube/config"),
        "{hint}"
    );
}

#[test]
fn broken_config_warns_per_field_and_keeps_the_rest() {
    let path = fixture("config-broken.toml");
    let mut warnings = Vec::new();
    let settings = Settings::load(Some(&path), &mut warnings);
    let fields: Vec<&str> = warnings.iter().map(|w| w.field.as_str()).collect();
    assert!(fields.contains(&"metrics_interval"), "{warnings:?}");
    assert!(fields.contains(&"watch_list"), "{warnings:?}");
    assert!(fields.contains(&"colour"), "{warnings:?}");
    assert!(fields.contains(&"keys.global.describe"), "{warnings:?}");
    assert!(fields.contains(&"keys.global.teleport"), "{warnings:?}");
    assert_eq!(warnings.len(), 5, "{warnings:?}");
    assert!(warnings.iter().all(|w| w.file == path));
    assert!(warnings[0].to_string().contains("config-broken.toml"));
    // The good values apply; the bad ones keep their defaults.
    assert_eq!(settings.theme, "light");
    assert_eq!(settings.metrics_interval.as_secs(), 15);
    assert_eq!(settings.watch_list, WatchListSetting::Auto);
    assert_eq!(
        settings.keymap.keys_for(
            bosun::config::keymap::KeyContext::Global,
            bosun::app::action::Action::Describe
        ),
        vec!["d".to_string()]
    );
}

#[test]
fn config_that_is_not_toml_is_one_warning_with_a_line() {
    let path = fixture("config-not-toml.toml");
    let mut warnings = Vec::new();
    let settings = Settings::load(Some(&path), &mut warnings);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].message.contains("line"), "{:?}", warnings[0]);
    assert_eq!(settings.theme, "default");
}

#[test]
fn the_binary_reports_bad_kubeconfig_and_context_plainly() {
    let state = tempfile::tempdir().expect("tempdir");
    Command::cargo_bin("bosun")
        .expect("binary")
        .env("BOSUN_STATE_DIR", state.path())
        .env("BOSUN_CONFIG_DIR", state.path())
        .args([
            "--kubeconfig",
            fixture("kubeconfig-broken.yaml")
                .to_str()
                .unwrap_or_default(),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("kubeconfig-broken.yaml"));
    Command::cargo_bin("bosun")
        .expect("binary")
        .env("BOSUN_STATE_DIR", state.path())
        .env("BOSUN_CONFIG_DIR", state.path())
        .args([
            "--kubeconfig",
            fixture("kubeconfig-one-context.yaml")
                .to_str()
                .unwrap_or_default(),
        ])
        .args(["--context", "prod"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "context \"prod\" is not in the kubeconfig",
        ));
    Command::cargo_bin("bosun")
        .expect("binary")
        .arg("--version")
        .assert()
        .success()
        .stdout(predicates::str::contains(env!("CARGO_PKG_VERSION")));
}

fn bosun_stderr(args: &[&str]) -> (Option<i32>, String) {
    let state = tempfile::tempdir().expect("tempdir");
    let output = Command::cargo_bin("bosun")
        .expect("binary")
        .env("BOSUN_STATE_DIR", state.path())
        .env("BOSUN_CONFIG_DIR", state.path())
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_missing_or_empty_kubeconfig_is_one_clean_sentence() {
    let (code, stderr) =
        bosun_stderr(&["--kubeconfig", "/no/such/kubeconfig", "restart", "deploy/x"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "bosun: kubeconfig /no/such/kubeconfig does not exist\n"
    );
    let empty = fixture("kubeconfig-empty.yaml");
    let (code, stderr) = bosun_stderr(&[
        "--kubeconfig",
        empty.to_str().unwrap_or_default(),
        "restart",
        "deploy/x",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("kubeconfig-empty.yaml has no contexts"),
        "{stderr}"
    );
}

#[test]
fn a_bad_client_key_names_the_file_the_user_and_the_field() {
    let file = fixture("kubeconfig-bad-client-key.yaml");
    let (code, stderr) = bosun_stderr(&[
        "--kubeconfig",
        file.to_str().unwrap_or_default(),
        "restart",
        "deploy/x",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("kubeconfig-bad-client-key.yaml, user admin, client-key-data:"),
        "{stderr}"
    );
}

#[test]
fn an_untrusted_server_certificate_says_so() {
    use base64::Engine;
    // A TLS server with one certificate; the kubeconfig trusts another.
    let (key, cert) = common::self_signed("k3s");
    let (_, other) = common::self_signed("k3s");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut acceptor =
        openssl::ssl::SslAcceptor::mozilla_intermediate_v5(openssl::ssl::SslMethod::tls())
            .expect("acceptor");
    acceptor.set_private_key(&key).expect("key");
    acceptor.set_certificate(&cert).expect("cert");
    let acceptor = acceptor.build();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = acceptor.accept(stream);
        }
    });
    let dir = tempfile::tempdir().expect("dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let ca = base64::engine::general_purpose::STANDARD.encode(other.to_pem().expect("pem"));
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: home\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority-data: {ca}\ncontexts:\n- name: home\n  context: {{cluster: home, user: admin}}\ncurrent-context: home\nusers:\n- name: admin\n  user: {{token: t}}\n"
        ),
    )
    .expect("kubeconfig");
    let (code, stderr) = bosun_stderr(&[
        "--kubeconfig",
        kubeconfig.to_str().unwrap_or_default(),
        "restart",
        "deploy/x",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the server's certificate is not trusted by certificate-authority-data of cluster home in {}",
            kubeconfig.display()
        )),
        "{stderr}"
    );
}
