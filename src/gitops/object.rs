//! A rendered Kubernetes object as it leaves `kustomize` / `helm template`.

use serde_json::Value;

/// One object of a render: its coordinates as written, plus the manifest.
///
/// `namespace` is what the manifest says; the app's default namespace is
/// filled in later, once discovery says whether the kind is namespaced.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedObject {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// No `metadata.name`, only `generateName` (in `name`): allowed for
    /// hooks, which get a fresh name each sync.
    pub generate_name: bool,
    pub manifest: Value,
    /// Leaf paths whose values were SOPS-decrypted: masked wherever a diff
    /// shows them (docs/ARCHITECTURE.md "Secrets").
    pub secret_paths: Vec<Vec<String>>,
    /// Why a SOPS-encrypted object could not be decrypted: it is then never
    /// sent to the API server.
    pub decrypt_error: Option<String>,
}

impl RenderedObject {
    /// Builds one from a decoded manifest; the error names the missing field.
    pub fn from_manifest(manifest: Value) -> Result<RenderedObject, String> {
        let text = |pointer: &str| {
            manifest
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let api_version = text("/apiVersion").ok_or("missing apiVersion")?;
        let kind = text("/kind").ok_or("missing kind")?;
        let (name, generate_name) = match (text("/metadata/name"), text("/metadata/generateName")) {
            (Some(name), _) if !name.is_empty() => (name, false),
            (_, Some(prefix)) if !prefix.is_empty() => (prefix, true),
            _ => return Err(format!("{kind} without metadata.name")),
        };
        let namespace = text("/metadata/namespace").filter(|ns| !ns.is_empty());
        Ok(RenderedObject {
            api_version,
            kind,
            name,
            namespace,
            generate_name,
            manifest,
            secret_paths: Vec::new(),
            decrypt_error: None,
        })
    }

    /// The API group ("" for the core group).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(group, _)| group)
            .unwrap_or("")
    }
}

/// Where an object lives, once the namespace is resolved: the identity the
/// inventory records and pruning compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectKey {
    /// `group/Kind/namespace/name`, one per line in the inventory ConfigMap.
    pub fn to_inventory(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.group,
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }

    pub fn from_inventory(line: &str) -> Option<ObjectKey> {
        let mut parts = line.trim().splitn(4, '/');
        let group = parts.next()?.to_string();
        let kind = parts.next()?.to_string();
        let namespace = parts.next()?;
        let name = parts.next()?.to_string();
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(ObjectKey {
            group,
            kind,
            namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
            name,
        })
    }
}

impl std::fmt::Display for ObjectKey {
    /// `Deployment blog/blog`, `Namespace blog`: how kubectl users say it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}
