//! SOPS-encrypted Secrets in a Flux repo (`tests/fixtures/repos/sops`,
//! encrypted files from Flux's own test data): decrypted before the diff
//! and the sync with the identities sops would use, never shown, never sent
//! encrypted; without a matching identity the object is an error naming
//! the recipient and where bosun looked, and the rest of the app syncs
//! only through the confirm. What reached the cluster is read from the
//! simulated cluster.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use base64::Engine;
use bosun::sim::{SimCluster, SimOptions};

const REMOTE: &str = "ssh://git@github.com/example/homelab";

fn key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sops")
        .join(name)
}

/// bosun with only `key_file` as identity (no user keys file, no
/// SOPS_AGE_KEY from the machine running the tests).
async fn bosun(
    sim: &SimCluster,
    root: &Path,
    state: &Path,
    key_file: &Path,
    args: &[&str],
) -> (Option<i32>, String) {
    // A sops binary on PATH would be used instead: keep to in-process.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let without_sops =
        std::env::join_paths(std::env::split_paths(&path).filter(|dir| !dir.join("sops").exists()))
            .unwrap_or_default();
    let env: [(&str, &OsStr); 3] = [
        ("SOPS_AGE_KEY_FILE", key_file.as_os_str()),
        ("XDG_CONFIG_HOME", state.as_os_str()),
        ("PATH", without_sops.as_os_str()),
    ];
    let out = common::bosun_cli_env(sim.kubeconfig_path(), root, state, args, &env).await;
    (out.status.code(), common::output_text(&out))
}

/// The simulated cluster and the fixture repo; `None` (said) without
/// kubectl to render with.
async fn setup() -> Option<(SimCluster, tempfile::TempDir, PathBuf)> {
    if !common::kubectl_present() {
        eprintln!("skipped: kubectl (kustomize) is not on PATH");
        return None;
    }
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let (dir, root) = common::fixture_repo("sops", REMOTE);
    Some((sim, dir, root))
}

fn secret_value(sim: &SimCluster, namespace: &str, name: &str) -> Option<String> {
    let secret = sim.get_object("v1", "Secret", Some(namespace), name)?;
    let encoded = secret.pointer("/data/key")?.as_str()?.to_string();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_secret_is_decrypted_applied_and_never_shown() {
    let Some((sim, dir, root)) = setup().await else {
        return;
    };
    let state = dir.path().join("state");
    let identity = key("age-global.txt");

    let (_, diff) = bosun(&sim, &root, &state, &identity, &["diff", "vault"]).await;
    assert!(diff.contains("Secret"), "{diff}");
    assert!(
        !diff.contains("ENC["),
        "the diff shows no ciphertext: {diff}"
    );

    let (code, said) = bosun(&sim, &root, &state, &identity, &["sync", "vault", "--yes"]).await;
    assert_eq!(code, Some(0), "{said}");
    let plaintext = secret_value(&sim, "vault", "global-age-secret").expect("applied");
    assert!(
        !plaintext.is_empty() && !plaintext.starts_with("ENC["),
        "decrypted: {plaintext:?}"
    );
    let live = sim
        .get_object("v1", "Secret", Some("vault"), "global-age-secret")
        .expect("live");
    assert!(live.get("sops").is_none(), "the sops block is not applied");
    // kustomize's namespace won over the file's `namespace: default`.
    assert!(
        sim.get_object("v1", "Secret", Some("default"), "global-age-secret")
            .is_none()
    );
    assert!(!diff.contains(&plaintext), "never shown: {diff}");
    assert!(!said.contains(&plaintext), "never shown: {said}");

    // In sync afterwards: the decrypted form is what the cluster holds.
    let (code, status) = bosun(&sim, &root, &state, &identity, &["diff", "vault"]).await;
    assert_eq!(code, Some(0), "{status}");
    assert!(!status.contains(&plaintext), "{status}");
    for entry in walk(&state) {
        let text = std::fs::read(&entry).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        assert!(
            !text.contains(&plaintext),
            "{} holds the plaintext",
            entry.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_key_the_secret_is_an_error_and_the_rest_syncs_after_the_confirm() {
    let Some((sim, dir, root)) = setup().await else {
        return;
    };
    let state = dir.path().join("state");
    let identity = key("age-global.txt");
    let expected = format!(
        "Secret mail/age is encrypted with SOPS for \
         age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29; \
         apps/mail/secret.yaml: no matching identity (looked in SOPS_AGE_KEY_FILE={}",
        identity.display()
    );

    let (code, diff) = bosun(&sim, &root, &state, &identity, &["diff", "mail"]).await;
    assert_ne!(code, Some(0), "{diff}");
    assert!(diff.contains(&expected), "{diff}");

    // Without a terminal and without --yes nothing is synced.
    let (code, refused) = bosun(&sim, &root, &state, &identity, &["sync", "mail"]).await;
    assert_ne!(code, Some(0), "{refused}");
    assert!(
        sim.client_writes()
            .iter()
            .all(|w| w.namespace.as_deref() != Some("mail"))
    );

    let (_, said) = bosun(&sim, &root, &state, &identity, &["sync", "mail", "--yes"]).await;
    assert!(said.contains(&expected), "{said}");
    assert!(
        sim.get_object("v1", "ConfigMap", Some("mail"), "mail-config")
            .is_some(),
        "the rest of the app synced: {said}"
    );
    assert!(
        !sim.client_writes()
            .iter()
            .any(|w| w.kind == "Secret" && w.name == "age"),
        "the encrypted Secret never reached the API server"
    );

    // With its key it decrypts too.
    let (code, said) = bosun(
        &sim,
        &root,
        &state,
        &key("age.txt"),
        &["sync", "mail", "--yes"],
    )
    .await;
    assert_eq!(code, Some(0), "{said}");
    assert!(secret_value(&sim, "mail", "age").is_some_and(|v| !v.starts_with("ENC[")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_after_encryption_fails_its_mac() {
    let Some((sim, dir, root)) = setup().await else {
        return;
    };
    let state = dir.path().join("state");
    let file = root.join("apps/vault/secret.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace("type: Opaque", "type: kubernetes.io/basic-auth"),
    )
    .expect("write");
    common::commit_all(&root, "change a value the MAC covers");
    let identity = key("age-global.txt");
    let (_, said) = bosun(&sim, &root, &state, &identity, &["sync", "vault", "--yes"]).await;
    assert!(said.contains("MAC mismatch"), "{said}");
    assert!(
        !sim.client_writes().iter().any(|w| w.kind == "Secret"),
        "{said}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sops_binary_decrypts_when_it_is_on_path() {
    let Some(sops) = bosun::gitops::sops::binary::find() else {
        eprintln!("skipped: no sops binary on PATH (the in-process path is tested above)");
        return;
    };
    if !common::kubectl_present() {
        return;
    }
    let sim = SimCluster::start(SimOptions::default()).await.expect("sim");
    let (dir, root) = common::fixture_repo("sops", REMOTE);
    let state = dir.path().join("state");
    let identity = key("age-global.txt");
    let env: [(&str, &OsStr); 2] = [
        ("SOPS_AGE_KEY_FILE", identity.as_os_str()),
        ("XDG_CONFIG_HOME", state.as_os_str()),
    ];
    let out = common::bosun_cli_env(
        sim.kubeconfig_path(),
        &root,
        &state,
        &["sync", "vault", "--yes"],
        &env,
    )
    .await;
    let said = common::output_text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} said: {said}",
        sops.display()
    );
    assert!(
        secret_value(&sim, "vault", "global-age-secret").is_some_and(|v| !v.starts_with("ENC["))
    );
}
