//! The `sops` binary, when it is on PATH: it knows every key type (PGP,
//! KMS, Vault, age plugins) and checks the MAC itself. The encrypted file
//! goes in on stdin and the plaintext comes back on stdout — argv only, no
//! shell, never a temporary file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// How long one decryption may take (a KMS call included).
const TIMEOUT: Duration = Duration::from_secs(30);

/// `sops` on PATH, if any.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("sops"))
        .find(|candidate| candidate.is_file())
}

/// `sops --decrypt --input-type yaml --output-type yaml /dev/stdin`, the
/// file's text on stdin; the decrypted documents, or sops' own words.
pub async fn decrypt(sops: &Path, text: &str) -> Result<Vec<Value>, String> {
    let mut child = tokio::process::Command::new(sops)
        .args([
            "--decrypt",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "/dev/stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", sops.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .await
            .map_err(|e| format!("writing to sops: {e}"))?;
    }
    let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("sops did not answer within {}s", TIMEOUT.as_secs()))?
        .map_err(|e| format!("sops: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("sops failed ({}): {last}", output.status));
    }
    let plain = String::from_utf8(output.stdout).map_err(|_| "sops output is not UTF-8")?;
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&plain) {
        // The error never quotes the plaintext.
        let value = Value::deserialize(document).map_err(|_| "sops output is not YAML")?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}
