//! Helm 3 releases read from Helm's own storage, in-process (no helm
//! binary): a Secret of type `helm.sh/release.v1` named
//! `sh.helm.release.v1.NAME.vN` holds, under `data.release`, the release as
//! JSON, gzipped, base64-encoded (helm/pkg/storage/driver/util.go
//! `encodeRelease`; the API's own base64 of Secret data comes on top and is
//! already removed by the client). `decodeRelease` accepts an un-gzipped
//! body too, and so does this.
//!
//! Values and manifests hold passwords: rows keep only the release's
//! summary; values are shown with every leaf masked, manifests with Secret
//! data masked (cluster::redact).

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::api::core::v1::Secret;
use serde_json::Value;

/// The Secret type Helm stores releases under.
pub const RELEASE_SECRET_TYPE: &str = "helm.sh/release.v1";

/// gzip's magic bytes, as Helm checks them.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];
/// A release larger than this once unpacked is refused (a gzip bomb).
const MAX_RELEASE: u64 = 64 << 20;

/// The release JSON held by a release Secret.
pub fn decode_secret(secret: &Secret) -> Result<Value, String> {
    let data = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .ok_or("no data.release")?;
    decode(&data.0)
}

/// `decodeRelease`: base64, then gunzip when gzipped, then JSON.
pub fn decode(encoded: &[u8]) -> Result<Value, String> {
    let text: Vec<u8> = encoded
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD
        .decode(&text)
        .map_err(|e| format!("data.release is not base64: {e}"))?;
    let json = if bytes.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_RELEASE)
            .read_to_end(&mut out)
            .map_err(|e| format!("data.release is not valid gzip: {e}"))?;
        out
    } else {
        bytes
    };
    serde_json::from_slice(&json).map_err(|e| format!("the release is not JSON: {e}"))
}

/// What `helm list` / `helm history` show of one revision.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub status: String,
    /// `name-version`, as `helm list` prints CHART.
    pub chart: String,
    pub app_version: String,
    /// RFC 3339, `info.last_deployed`.
    pub updated: String,
    pub description: String,
}

pub fn summary(release: &Value) -> Summary {
    let text = |pointer: &str| {
        release
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let chart_name = text("/chart/metadata/name");
    let chart_version = text("/chart/metadata/version");
    Summary {
        name: text("/name"),
        namespace: text("/namespace"),
        revision: release.get("version").and_then(Value::as_i64).unwrap_or(0),
        status: text("/info/status"),
        chart: if chart_version.is_empty() {
            chart_name
        } else {
            format!("{chart_name}-{chart_version}")
        },
        app_version: text("/chart/metadata/appVersion"),
        updated: text("/info/last_deployed"),
        description: text("/info/description"),
    }
}

/// `helm get values` (the user-supplied values), every leaf masked with
/// its size: the keys say what was set, never to what.
pub fn values_masked(release: &Value) -> String {
    let mut config = release.get("config").cloned().unwrap_or(Value::Null);
    if config.is_null() || config.as_object().is_some_and(|m| m.is_empty()) {
        return "USER-SUPPLIED VALUES:\nnull\n".into();
    }
    mask_leaves(&mut config);
    format!(
        "USER-SUPPLIED VALUES:\n{}",
        serde_yaml::to_string(&config).unwrap_or_default()
    )
}

fn mask_leaves(value: &mut Value) {
    match value {
        Value::Object(map) => map.values_mut().for_each(mask_leaves),
        Value::Array(items) => items.iter_mut().for_each(mask_leaves),
        Value::Null => {}
        leaf => {
            let size = match &*leaf {
                Value::String(s) => s.len(),
                other => other.to_string().len(),
            };
            *leaf = Value::String(super::redact::masked(size));
        }
    }
}

/// `helm get manifest`, with the data of every Secret in it masked.
pub fn manifest_redacted(release: &Value) -> String {
    let manifest = release
        .get("manifest")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = String::new();
    for document in manifest.split("\n---") {
        let trimmed = document.trim_start_matches('-').trim_start_matches('\n');
        let parsed: Option<Value> = serde_yaml::from_str(trimmed).ok();
        match parsed {
            Some(mut object) if super::redact::is_secret(&object) => {
                super::redact::redact_secret(&mut object);
                let source = trimmed
                    .lines()
                    .take_while(|l| l.starts_with('#'))
                    .collect::<Vec<_>>()
                    .join("\n");
                out.push_str("---\n");
                if !source.is_empty() {
                    out.push_str(&source);
                    out.push('\n');
                }
                out.push_str(&serde_yaml::to_string(&object).unwrap_or_default());
            }
            _ if trimmed.trim().is_empty() => {}
            _ => {
                out.push_str("---\n");
                out.push_str(trimmed.trim_end());
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod test_encode {
    //! Helm's `encodeRelease`, for tests and the simulator's seed.
    use super::*;
    use std::io::Write;

    pub fn encode(release: &Value) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = gz.write_all(release.to_string().as_bytes());
        STANDARD.encode(gz.finish().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::test_encode::encode;
    use super::*;
    use serde_json::json;

    fn release() -> Value {
        json!({
            "name": "traefik", "namespace": "kube-system", "version": 3,
            "info": {"status": "deployed", "last_deployed": "2026-11-30T10:00:00Z",
                     "description": "Upgrade complete"},
            "chart": {"metadata": {"name": "traefik", "version": "27.0.201", "appVersion": "v2.11.10"}},
            "config": {"dashboard": {"enabled": true}, "auth": {"password": "hunter2"}},
            "manifest": "---\n# Source: traefik/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: aHVudGVyMg==\n---\n# Source: traefik/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: traefik\n"
        })
    }

    #[test]
    fn helm_storage_round_trips_and_summarises_as_helm_list() {
        let encoded = encode(&release());
        let decoded = decode(encoded.as_bytes()).unwrap();
        let summary = summary(&decoded);
        assert_eq!(summary.chart, "traefik-27.0.201");
        assert_eq!(summary.app_version, "v2.11.10");
        assert_eq!((summary.revision, summary.status.as_str()), (3, "deployed"));
        // Un-gzipped bodies are accepted, as Helm's decodeRelease does.
        let plain = STANDARD.encode(release().to_string());
        assert_eq!(decode(plain.as_bytes()).unwrap()["name"], "traefik");
    }

    #[test]
    fn values_and_manifests_never_show_secrets() {
        let values = values_masked(&release());
        assert!(
            values.contains("password: '<masked: 7 bytes>'")
                || values.contains("password: <masked: 7 bytes>"),
            "{values}"
        );
        assert!(!values.contains("hunter2"), "{values}");
        let manifest = manifest_redacted(&release());
        assert!(!manifest.contains("aHVudGVyMg=="), "{manifest}");
        assert!(
            manifest.contains("# Source: traefik/templates/svc.yaml"),
            "{manifest}"
        );
        assert!(manifest.contains("kind: Service"), "{manifest}");
    }

    #[test]
    fn a_malformed_release_says_what_is_wrong() {
        assert!(decode(b"!!!").is_err_and(|e| e.contains("not base64")));
        let not_gzip = STANDARD.encode([0x1f, 0x8b, 0x08, 0, 1, 2]);
        assert!(decode(not_gzip.as_bytes()).is_err_and(|e| e.contains("not valid gzip")));
        let not_json = STANDARD.encode("{nope");
        assert!(decode(not_json.as_bytes()).is_err_and(|e| e.contains("not JSON")));
    }
}
