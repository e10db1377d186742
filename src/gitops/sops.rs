//! SOPS-encrypted documents (a top-level `sops:` block, values
//! `ENC[AES256_GCM,…]`), as Flux's kustomize-controller finds them in a
//! repo. bosun does not decrypt them yet: such an object is an error on its
//! app and is never sent to the API server, neither in the diff's dry run
//! nor in a sync (docs/ARCHITECTURE.md "Secrets").

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
        "{kind} {at} is encrypted with SOPS{who}; bosun does not decrypt SOPS yet, so it is \
         never applied (the encrypted form would land in the cluster as is)"
    )
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
}
