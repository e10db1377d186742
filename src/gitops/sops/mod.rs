//! SOPS-encrypted documents (a top-level `sops:` block, values
//! `ENC[AES256_GCM,…]`), as Flux's kustomize-controller finds them in a
//! repo, decrypted before the diff and the apply (docs/ARCHITECTURE.md
//! "Secrets"): with the `sops` binary when it is on PATH, else in-process
//! for age recipients. The MAC is checked on the file the object was
//! rendered from ([`sources`]); the plaintext lives in memory only and its
//! paths are masked wherever a diff shows it. An object that cannot be
//! decrypted keeps its encrypted form and an error, and is never sent to the
//! API server.
//!
//! No crate fitted: `rops` (0.1.x) is a SOPS-like reimplementation with its
//! own file handling, while bosun needs sops' key lookup, multi-document
//! files, and the MAC checked on the source file while the object comes
//! from kustomize. So the format handling is here, on the `age` crate and
//! openssl's AES-GCM, following sops' source (`sops.go`, `aes/cipher.go`,
//! `age/keysource.go`).

pub mod binary;
pub mod cipher;
pub mod keys;
pub mod sources;
pub mod tree;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keys::{Identities, KeySources};
use sources::{SourceFile, Sources};

use super::object::RenderedObject;

use serde_json::Value;

/// Whether the document is SOPS-encrypted (sops' own test: a top-level
/// `sops` mapping).
pub fn is_encrypted(manifest: &Value) -> bool {
    manifest.get("sops").is_some_and(Value::is_object)
}

/// Who it is encrypted for, from the `sops` block's key groups:
/// "age1…, PGP 1022470D…" (sops' metadata fields `age[].recipient`,
/// `pgp[].fp`, `kms[].arn`, `gcp_kms[].resource_id`, `azure_kv[].vaultUrl`,
/// `hc_vault[].vault_address`).
pub fn recipients(manifest: &Value) -> Vec<String> {
    let Some(sops) = manifest.get("sops") else {
        return Vec::new();
    };
    let fields = [
        ("age", "recipient", ""),
        ("pgp", "fp", "PGP "),
        ("kms", "arn", "AWS KMS "),
        ("gcp_kms", "resource_id", "GCP KMS "),
        ("azure_kv", "vaultUrl", "Azure Key Vault "),
        ("hc_vault", "vault_address", "Vault "),
    ];
    let mut out = Vec::new();
    for (group, field, prefix) in fields {
        for entry in sops
            .get(group)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = entry.get(field).and_then(Value::as_str) {
                out.push(format!("{prefix}{id}"));
            }
        }
    }
    out
}

/// The error an encrypted object carries.
pub fn refusal(kind: &str, namespace: Option<&str>, name: &str, manifest: &Value) -> String {
    let who = recipients(manifest);
    let who = if who.is_empty() {
        String::new()
    } else {
        format!(" for {}", who.join(", "))
    };
    let at = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    format!(
        "{kind} {at} is encrypted with SOPS{who}; it was not decrypted, so it is never applied \
         (the encrypted form would land in the cluster as is)"
    )
}

/// What decryption needs: the repo's encrypted files, the identities, and
/// the `sops` binary if there is one.
#[derive(Debug, Default)]
pub struct Decryption {
    sources: Sources,
    identities: Identities,
    binary: Option<PathBuf>,
}

impl Decryption {
    pub fn new(repo_root: &Path, keys: &KeySources, binary: Option<PathBuf>) -> Decryption {
        Decryption {
            sources: Sources::scan(repo_root),
            identities: Identities::load(keys),
            binary,
        }
    }

    /// sops' own places: the environment, the user's keys file, PATH.
    pub fn from_env(repo_root: &Path) -> Decryption {
        Decryption::new(repo_root, &KeySources::from_env(), binary::find())
    }

    /// Only when some rendered object is encrypted: a repo without SOPS
    /// pays nothing.
    pub fn needed<'a>(objects: impl IntoIterator<Item = &'a RenderedObject>) -> bool {
        objects.into_iter().any(|o| is_encrypted(&o.manifest))
    }
}

/// Decrypts the encrypted objects of one app's render; the others pass
/// through. An object that cannot be decrypted stays encrypted with
/// `decrypt_error` set.
pub async fn decrypt_objects(
    objects: &[RenderedObject],
    decryption: &Decryption,
) -> Vec<RenderedObject> {
    let mut files: HashMap<PathBuf, Result<Arc<Vec<Value>>, String>> = HashMap::new();
    let mut out = Vec::with_capacity(objects.len());
    for object in objects {
        if !is_encrypted(&object.manifest) {
            out.push(object.clone());
            continue;
        }
        let mut object = object.clone();
        match decrypt_one(&object, decryption, &mut files).await {
            Ok((manifest, paths)) => {
                object.manifest = manifest;
                object.secret_paths = paths;
            }
            Err(why) => {
                let who = recipients(&object.manifest);
                let who = if who.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", who.join(", "))
                };
                let at = match &object.namespace {
                    Some(ns) => format!("{ns}/{}", object.name),
                    None => object.name.clone(),
                };
                object.decrypt_error = Some(format!(
                    "{} {at} is encrypted with SOPS{who}; {why}",
                    object.kind
                ));
            }
        }
        out.push(object);
    }
    out
}

async fn decrypt_one(
    object: &RenderedObject,
    decryption: &Decryption,
    files: &mut HashMap<PathBuf, Result<Arc<Vec<Value>>, String>>,
) -> Result<(Value, Vec<Vec<String>>), String> {
    let mac = object
        .manifest
        .pointer("/sops/mac")
        .and_then(Value::as_str)
        .ok_or("its sops block has no mac")?;
    let source = decryption.sources.find(mac).ok_or(
        "the file it was rendered from is not in the repo, so its MAC cannot be checked; \
         it is not applied",
    )?;
    let plain = match files.get(&source.path) {
        Some(done) => done.clone(),
        None => {
            let done = decrypt_file(&source, decryption).await.map(Arc::new);
            files.insert(source.path.clone(), done.clone());
            done
        }
    }
    .map_err(|why| format!("{}: {why}", source.path.display()))?;
    let index = matching_document(&object.manifest, &source)
        .ok_or("no document of its file holds its encrypted values")?;
    let document = plain
        .get(index)
        .ok_or("the decrypted file has fewer documents")?;
    merge(&object.manifest, document)
}

/// The whole file, decrypted and its MAC checked.
async fn decrypt_file(source: &SourceFile, decryption: &Decryption) -> Result<Vec<Value>, String> {
    if let Some(sops) = &decryption.binary {
        return binary::decrypt(sops, &source.text).await;
    }
    let first = source.documents.first().ok_or("empty file")?;
    let block = first
        .get("sops")
        .map(serde_json::to_value)
        .and_then(Result::ok)
        .ok_or("no sops block")?;
    let meta = tree::Metadata::parse(&block)?;
    if meta.shamir {
        return Err("it uses several key groups (Shamir): install the sops binary".into());
    }
    if meta.age.is_empty() {
        return Err(
            "it has no age recipient; bosun decrypts age in-process, the others need the sops \
             binary on PATH"
                .into(),
        );
    }
    let key = meta.data_key(&decryption.identities).ok_or_else(|| {
        let mut why = format!(
            "no matching identity (looked in {})",
            if decryption.identities.looked_in.is_empty() {
                "SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt: none set or present"
                    .to_string()
            } else {
                decryption.identities.looked_in.join(", ")
            }
        );
        for problem in &decryption.identities.problems {
            why.push_str(&format!("; {problem}"));
        }
        why
    })?;
    tree::decrypt_documents(&source.documents, &meta, &key)
}

/// Which document of the file the object is: the one holding its
/// ciphertexts (each is unique: a fresh IV per value).
fn matching_document(manifest: &Value, source: &SourceFile) -> Option<usize> {
    let mut ciphertexts = HashSet::new();
    encrypted_leaves(manifest, &mut Vec::new(), &mut |_, text| {
        ciphertexts.insert(text.to_string());
    });
    source.documents.iter().position(|document| {
        let document = serde_json::to_value(document).unwrap_or(Value::Null);
        let mut found = false;
        encrypted_leaves(&document, &mut Vec::new(), &mut |_, text| {
            found |= ciphertexts.contains(text);
        });
        found
    })
}

/// A step into a JSON value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Calls `found` for every `ENC[…]` string outside the `sops` block.
fn encrypted_leaves(value: &Value, path: &mut Vec<Step>, found: &mut dyn FnMut(&[Step], &str)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if path.is_empty() && key == "sops" {
                    continue;
                }
                path.push(Step::Key(key.clone()));
                encrypted_leaves(child, path, found);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Index(index));
                encrypted_leaves(child, path, found);
                path.pop();
            }
        }
        Value::String(text) if cipher::is_encrypted_value(text) => found(path, text),
        _ => {}
    }
}

/// The rendered object with each encrypted value replaced by the plaintext
/// at the same place of its decrypted document, and the `sops` block gone;
/// with the paths replaced (for masking).
fn merge(rendered: &Value, plain: &Value) -> Result<(Value, Vec<Vec<String>>), String> {
    let mut places = Vec::new();
    encrypted_leaves(rendered, &mut Vec::new(), &mut |path, _| {
        places.push(path.to_vec())
    });
    let mut out = rendered.clone();
    if let Value::Object(map) = &mut out {
        map.remove("sops");
    }
    let mut paths = Vec::new();
    for place in places {
        let shown = place
            .iter()
            .map(|step| match step {
                Step::Key(k) => k.clone(),
                Step::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>();
        let value = lookup(plain, &place)
            .ok_or_else(|| format!("{} is not in the decrypted file", shown.join(".")))?;
        if let Some(slot) = lookup_mut(&mut out, &place) {
            *slot = value.clone();
        }
        paths.push(shown);
    }
    Ok((out, paths))
}

fn lookup<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |at, step| match step {
        Step::Key(k) => at.get(k),
        Step::Index(i) => at.get(i),
    })
}

fn lookup_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |at, step| match step {
        Step::Key(k) => at.get_mut(k),
        Step::Index(i) => at.get_mut(i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_sops_block_and_its_recipients() {
        let doc = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db"},
            "stringData": {"password": "ENC[AES256_GCM,data:Tr7o,iv:1=,tag:2=,type:str]"},
            "sops": {
                "age": [{"recipient": "age1qe5lxzzeppw5k79vxn3872272sgy224g2nzqlzy3uljs84say3yqgvd0sw",
                         "enc": "-----BEGIN AGE ENCRYPTED FILE-----\n…"}],
                "pgp": [{"fp": "1022470DE3F0BC54BC6AB62DE05550BC07FB1A0A"}],
                "lastmodified": "2024-01-01T00:00:00Z",
                "mac": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
                "version": "3.8.1"
            }
        });
        assert!(is_encrypted(&doc));
        assert!(!is_encrypted(
            &json!({"kind": "Secret", "data": {"sops": "x"}})
        ));
        assert_eq!(
            recipients(&doc),
            [
                "age1qe5lxzzeppw5k79vxn3872272sgy224g2nzqlzy3uljs84say3yqgvd0sw",
                "PGP 1022470DE3F0BC54BC6AB62DE05550BC07FB1A0A"
            ]
        );
        let why = refusal("Secret", Some("blog"), "db", &doc);
        assert!(
            why.starts_with("Secret blog/db is encrypted with SOPS for age1qe5l"),
            "{why}"
        );
    }

    const VAULT_SECRET: &str =
        include_str!("../../../tests/fixtures/repos/sops/apps/vault/secret.yaml");
    const MAIL_SECRET: &str =
        include_str!("../../../tests/fixtures/repos/sops/apps/mail/secret.yaml");
    const GLOBAL_KEY: &str = include_str!("../../../tests/fixtures/sops/age-global.txt");
    const MAIL_KEY: &str = include_str!("../../../tests/fixtures/sops/age.txt");

    /// A repo holding `files`, and decryption with `key` as SOPS_AGE_KEY.
    fn repo(files: &[(&str, &str)], key: Option<&str>) -> (tempfile::TempDir, Decryption) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let keys = KeySources {
            age_key: key.map(str::to_string),
            age_key_file: None,
            config_dir: None,
        };
        let decryption = Decryption::new(dir.path(), &keys, None);
        (dir, decryption)
    }

    /// What kustomize renders from the file with `namespace: vault`.
    fn rendered(text: &str, namespace: &str) -> RenderedObject {
        let mut manifest: Value = serde_yaml::from_str(text).unwrap();
        manifest["metadata"]["namespace"] = json!(namespace);
        manifest["metadata"]["labels"] = json!({"app.kubernetes.io/part-of": "vault"});
        RenderedObject::from_manifest(manifest).unwrap()
    }

    async fn one(object: RenderedObject, decryption: &Decryption) -> RenderedObject {
        decrypt_objects(&[object], decryption).await.remove(0)
    }

    #[tokio::test]
    async fn sops_files_decrypt_in_process_and_pass_their_mac() {
        for (file, key, name) in [
            (VAULT_SECRET, GLOBAL_KEY, "global-age-secret"),
            (MAIL_SECRET, MAIL_KEY, "age"),
        ] {
            let (_dir, decryption) = repo(&[("apps/vault/secret.yaml", file)], Some(key));
            let object = one(rendered(file, "vault"), &decryption).await;
            assert_eq!(object.decrypt_error, None, "{name}");
            assert!(!is_encrypted(&object.manifest));
            let value = object.manifest["stringData"]["key"].as_str().unwrap();
            assert!(!value.is_empty() && !value.starts_with("ENC["), "{name}");
            // kustomize's changes stay; only the ciphertexts were replaced.
            assert_eq!(object.manifest["metadata"]["namespace"], "vault");
            assert_eq!(object.manifest["metadata"]["name"], name);
            assert_eq!(object.secret_paths, vec![vec!["stringData", "key"]]);
        }
    }

    #[tokio::test]
    async fn without_a_matching_identity_the_error_says_for_whom_and_where_it_looked() {
        let (_dir, decryption) = repo(&[("apps/vault/secret.yaml", VAULT_SECRET)], Some(MAIL_KEY));
        let object = one(rendered(VAULT_SECRET, "vault"), &decryption).await;
        let why = object.decrypt_error.unwrap_or_default();
        assert!(
            why.starts_with(
                "Secret vault/global-age-secret is encrypted with SOPS for \
                 age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph; \
                 apps/vault/secret.yaml: no matching identity (looked in SOPS_AGE_KEY)"
            ),
            "{why}"
        );
        assert!(is_encrypted(&object.manifest), "kept encrypted, never sent");
        let (_dir, none) = repo(&[("apps/vault/secret.yaml", VAULT_SECRET)], None);
        let why = one(rendered(VAULT_SECRET, "vault"), &none)
            .await
            .decrypt_error
            .unwrap_or_default();
        assert!(
            why.contains("no matching identity (looked in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn a_changed_file_fails_its_mac_or_its_tag() {
        // An unencrypted value changed after encryption: the MAC catches it.
        let changed = VAULT_SECRET.replace("type: Opaque", "type: kubernetes.io/basic-auth");
        let (_dir, decryption) = repo(&[("apps/vault/secret.yaml", &changed)], Some(GLOBAL_KEY));
        let why = one(rendered(&changed, "vault"), &decryption)
            .await
            .decrypt_error
            .unwrap_or_default();
        assert!(why.contains("MAC mismatch"), "{why}");
        // The MAC itself altered.
        let mac = VAULT_SECRET.replace("data:5vkroTHj", "data:6vkroTHj");
        let (_dir, decryption) = repo(&[("apps/vault/secret.yaml", &mac)], Some(GLOBAL_KEY));
        let why = one(rendered(&mac, "vault"), &decryption)
            .await
            .decrypt_error
            .unwrap_or_default();
        assert!(why.contains("cannot read sops.mac"), "{why}");
        // A ciphertext altered.
        let value = VAULT_SECRET.replace("data:5d9WYyV8", "data:6d9WYyV8");
        let (_dir, decryption) = repo(&[("apps/vault/secret.yaml", &value)], Some(GLOBAL_KEY));
        let why = one(rendered(&value, "vault"), &decryption)
            .await
            .decrypt_error
            .unwrap_or_default();
        assert!(
            why.contains("stringData.key: AES-GCM authentication failed"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn an_object_whose_file_is_not_in_the_repo_is_refused() {
        let (_dir, decryption) = repo(&[], Some(GLOBAL_KEY));
        let why = one(rendered(VAULT_SECRET, "vault"), &decryption)
            .await
            .decrypt_error
            .unwrap_or_default();
        assert!(
            why.contains("not in the repo, so its MAC cannot be checked"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn every_rule_and_mac_only_encrypted_round_trip() {
        use super::tree::test_encrypt::{Options, encrypt_document};
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public();
        let plain: serde_yaml::Value = serde_yaml::from_str(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  \
             token: s3cret\n  port: 8080\n  debug: true\n  user_unencrypted: admin\n\
             list:\n  - one\n  - two\n",
        )
        .unwrap();
        use age::secrecy::ExposeSecret;
        let key = identity.to_string().expose_secret().to_string();
        let cases = [
            (None, false),
            (None, true),
            (Some(("encrypted_regex", "^(data|list)$")), false),
            (
                Some(("unencrypted_regex", "^(apiVersion|kind|metadata)$")),
                true,
            ),
            (Some(("encrypted_suffix", "ken")), false),
        ];
        for (rule, mac_only_encrypted) in cases {
            let text = encrypt_document(
                &plain,
                &Options {
                    recipients: std::slice::from_ref(&recipient),
                    rule,
                    mac_only_encrypted,
                },
            );
            let (_dir, decryption) = repo(&[("app.yaml", &text)], Some(&key));
            let manifest: Value = serde_yaml::from_str(&text).unwrap();
            let object = RenderedObject {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                name: "app".into(),
                namespace: None,
                generate_name: false,
                manifest,
                secret_paths: Vec::new(),
                decrypt_error: None,
            };
            let object = one(object, &decryption).await;
            assert_eq!(object.decrypt_error, None, "{rule:?} {mac_only_encrypted}");
            assert_eq!(object.manifest["data"]["token"], "s3cret");
            assert_eq!(object.manifest["data"]["port"], 8080);
            assert_eq!(object.manifest["data"]["debug"], true);
            assert_eq!(object.manifest["data"]["user_unencrypted"], "admin");
            assert_eq!(object.manifest["list"], json!(["one", "two"]));
            assert!(!object.secret_paths.is_empty());
        }
    }
}
