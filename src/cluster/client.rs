//! Finding the kubeconfig the way a k3s user expects, and building a client
//! from it. Errors say what to do, not just what failed.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};

/// Where k3s writes its admin kubeconfig (kube-rs' inference never looks).
pub const K3S_KUBECONFIG: &str = "/etc/rancher/k3s/k3s.yaml";

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "no kubeconfig found (looked at {}). Point bosun at one with --kubeconfig or $KUBECONFIG, or try `bosun --demo`",
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { searched: Vec<PathBuf> },
    #[error(
        "cannot read {path}: permission denied. k3s writes it readable by root only; either start k3s with `--write-kubeconfig-mode 644`, or copy it once: `mkdir -p ~/.kube && sudo k3s kubectl config view --raw > ~/.kube/config`"
    )]
    K3sPermission { path: PathBuf },
    #[error("kubeconfig {} does not exist", .path.display())]
    Missing { path: PathBuf },
    #[error("cannot read kubeconfig {}: {}", .path.display(), io_reason(.source))]
    Unreadable { path: PathBuf, source: io::Error },
    #[error("{path} has no contexts: it is empty or not a kubeconfig")]
    NoContexts { path: String },
    #[error("kubeconfig {path} is not valid: {message}")]
    Invalid { path: String, message: String },
    #[error("context \"{name}\" is not in the kubeconfig (available: {})", .available.join(", "))]
    MissingContext {
        name: String,
        available: Vec<String>,
    },
    #[error("the kubeconfig sets no current-context; pick one with --context (available: {})", .available.join(", "))]
    NoCurrentContext { available: Vec<String> },
    #[error("cannot use context \"{context}\": {message}")]
    Config { context: String, message: String },
}

/// Which kubeconfig was used, for the status line and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeconfigSource {
    Flag(PathBuf),
    Env(Vec<PathBuf>),
    Home(PathBuf),
    K3s(PathBuf),
}

impl KubeconfigSource {
    pub fn describe(&self) -> String {
        let join = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(":")
        };
        match self {
            KubeconfigSource::Flag(path)
            | KubeconfigSource::Home(path)
            | KubeconfigSource::K3s(path) => path.display().to_string(),
            KubeconfigSource::Env(paths) => join(paths),
        }
    }
}

/// The inputs of the kubeconfig search, passed in so tests need no
/// process environment.
#[derive(Debug, Clone, Default)]
pub struct KubeconfigSearch {
    pub flag: Option<PathBuf>,
    /// The raw `$KUBECONFIG` value (colon-separated).
    pub env: Option<OsString>,
    pub home: Option<PathBuf>,
    pub k3s: PathBuf,
}

impl KubeconfigSearch {
    pub fn from_process(flag: Option<PathBuf>) -> Self {
        KubeconfigSearch {
            flag,
            env: std::env::var_os("KUBECONFIG"),
            home: directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf()),
            k3s: PathBuf::from(K3S_KUBECONFIG),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadedKubeconfig {
    pub kubeconfig: Kubeconfig,
    pub source: KubeconfigSource,
}

impl LoadedKubeconfig {
    pub fn context_names(&self) -> Vec<String> {
        self.kubeconfig
            .contexts
            .iter()
            .map(|context| context.name.clone())
            .collect()
    }
}

/// An I/O error in plain words, without Rust's "(os error N)".
fn io_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "it does not exist".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
    }
}

fn read(path: &Path) -> Result<Kubeconfig, ConnectError> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            ConnectError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            ConnectError::Unreadable {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    Kubeconfig::from_yaml(&text).map_err(|error| ConnectError::Invalid {
        path: path.display().to_string(),
        message: error.to_string(),
    })
}

/// `--kubeconfig`, then `$KUBECONFIG` (merged), then `~/.kube/config`, then
/// the k3s file.
pub fn locate_kubeconfig(search: &KubeconfigSearch) -> Result<LoadedKubeconfig, ConnectError> {
    if let Some(path) = &search.flag {
        return Ok(LoadedKubeconfig {
            kubeconfig: read(path)?,
            source: KubeconfigSource::Flag(path.clone()),
        });
    }
    let mut searched = Vec::new();
    if let Some(value) = &search.env {
        let paths: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|path| !path.as_os_str().is_empty())
            .collect();
        // kubectl ignores listed files that do not exist.
        let existing: Vec<PathBuf> = paths.iter().filter(|path| path.exists()).cloned().collect();
        if !existing.is_empty() {
            let mut merged = Kubeconfig::default();
            for path in &existing {
                let next = read(path)?;
                merged = merged.merge(next).map_err(|error| ConnectError::Invalid {
                    path: path.display().to_string(),
                    message: error.to_string(),
                })?;
            }
            return Ok(LoadedKubeconfig {
                kubeconfig: merged,
                source: KubeconfigSource::Env(existing),
            });
        }
        searched.extend(paths);
    }
    if let Some(home) = &search.home {
        let path = home.join(".kube").join("config");
        if path.exists() {
            return Ok(LoadedKubeconfig {
                kubeconfig: read(&path)?,
                source: KubeconfigSource::Home(path),
            });
        }
        searched.push(path);
    }
    let k3s = &search.k3s;
    match std::fs::read_to_string(k3s) {
        Ok(text) => Ok(LoadedKubeconfig {
            kubeconfig: Kubeconfig::from_yaml(&text).map_err(|error| ConnectError::Invalid {
                path: k3s.display().to_string(),
                message: error.to_string(),
            })?,
            source: KubeconfigSource::K3s(k3s.clone()),
        }),
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            Err(ConnectError::K3sPermission { path: k3s.clone() })
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            searched.push(k3s.clone());
            Err(ConnectError::NotFound { searched })
        }
        Err(source) => Err(ConnectError::Unreadable {
            path: k3s.clone(),
            source,
        }),
    }
}

/// What the header and status bar show about the connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextInfo {
    pub context: String,
    pub cluster: String,
    pub user: String,
    pub server: String,
    /// The context's namespace, if it sets one.
    pub namespace: Option<String>,
}

/// Resolve the context (named, or current) without touching the network.
pub fn context_info(
    loaded: &LoadedKubeconfig,
    context: Option<&str>,
) -> Result<ContextInfo, ConnectError> {
    let available = loaded.context_names();
    if available.is_empty() {
        return Err(ConnectError::NoContexts {
            path: loaded.source.describe(),
        });
    }
    let name = match context
        .map(str::to_string)
        .or_else(|| loaded.kubeconfig.current_context.clone())
    {
        Some(name) if !name.is_empty() => name,
        _ => return Err(ConnectError::NoCurrentContext { available }),
    };
    let Some(named) = loaded
        .kubeconfig
        .contexts
        .iter()
        .find(|candidate| candidate.name == name)
    else {
        return Err(ConnectError::MissingContext { name, available });
    };
    let context = named.context.clone().unwrap_or_default();
    let server = loaded
        .kubeconfig
        .clusters
        .iter()
        .find(|cluster| cluster.name == context.cluster)
        .and_then(|cluster| cluster.cluster.as_ref())
        .and_then(|cluster| cluster.server.clone())
        .unwrap_or_default();
    Ok(ContextInfo {
        context: name,
        cluster: context.cluster.clone(),
        user: context.user.clone().unwrap_or_default(),
        server,
        namespace: context.namespace.clone().filter(|ns| !ns.is_empty()),
    })
}

/// Build a client for a context. No request is made; connection problems
/// surface later as watch errors, so the UI never waits on the network here.
pub async fn client_for(
    loaded: &LoadedKubeconfig,
    context: Option<&str>,
) -> Result<(kube::Client, ContextInfo), ConnectError> {
    let info = context_info(loaded, context)?;
    let options = KubeConfigOptions {
        context: Some(info.context.clone()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(loaded.kubeconfig.clone(), &options)
        .await
        .map_err(|error| ConnectError::Config {
            context: info.context.clone(),
            message: explain_credentials(loaded, &info, &error.to_string()),
        })?;
    let client = kube::Client::try_from(config).map_err(|error| ConnectError::Config {
        context: info.context.clone(),
        message: explain_credentials(loaded, &info, &error.to_string()),
    })?;
    if let Ok(mut trust) = TRUST.write() {
        *trust = Some(trust_source(loaded, &info));
    }
    Ok((client, info))
}

/// What the client trusts the server's certificate by, in words, for the
/// connection made last: "certificate-authority-data of cluster home in
/// ~/.kube/config". Errors are phrased deep inside watcher tasks, which do
/// not know the kubeconfig; this is the one piece of it they need.
static TRUST: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

fn trust_source(loaded: &LoadedKubeconfig, info: &ContextInfo) -> String {
    let file = loaded.source.describe();
    let cluster = loaded
        .kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == info.cluster)
        .and_then(|c| c.cluster.as_ref());
    let field = match cluster {
        Some(c) if c.certificate_authority_data.is_some() => {
            "certificate-authority-data".to_string()
        }
        Some(c) if c.certificate_authority.is_some() => format!(
            "certificate-authority {}",
            c.certificate_authority.as_deref().unwrap_or_default()
        ),
        _ => "the system's CAs (no certificate-authority set)".to_string(),
    };
    format!("{field} of cluster {} in {file}", info.cluster)
}

/// A credentials error named by file, user entry and field: "kubeconfig
/// ~/.kube/config, user admin, client-key-data: failed to decode base64".
fn explain_credentials(loaded: &LoadedKubeconfig, info: &ContextInfo, message: &str) -> String {
    let lower = message.to_lowercase();
    let user = loaded
        .kubeconfig
        .auth_infos
        .iter()
        .find(|u| u.name == info.user)
        .and_then(|u| u.auth_info.as_ref());
    let pick = |data: bool, name: &str| {
        if data {
            format!("{name}-data")
        } else {
            name.to_string()
        }
    };
    let field = if lower.contains("client key") || lower.contains("private key") {
        user.map(|u| pick(u.client_key_data.is_some(), "client-key"))
    } else if lower.contains("client certificate")
        || lower.contains("leaf certificate")
        || lower.contains("identity")
    {
        user.map(|u| pick(u.client_certificate_data.is_some(), "client-certificate"))
    } else if lower.contains("certificate authority") || lower.contains("root certificate") {
        return format!("{message} (the CA: {})", trust_source(loaded, info));
    } else {
        None
    };
    match field {
        Some(field) => format!(
            "kubeconfig {}, user {}, {field}: {message}",
            loaded.source.describe(),
            info.user
        ),
        None => message.to_string(),
    }
}

/// Every message in an error's source chain, outermost first.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut next = error.source();
    while let Some(inner) = next {
        parts.push(inner.to_string());
        next = inner.source();
    }
    parts.join(": ")
}

/// Whether the TLS handshake failed because the server's certificate was
/// not trusted (an unknown CA, or a certificate for another name).
pub fn is_trust_failure(error: &kube::Error) -> bool {
    let text = chain(error).to_lowercase();
    text.contains("certificate verify failed") || text.contains("unknownissuer")
}

/// A client error in plain words for the status bar.
pub fn plain_client_error(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => match status.code {
            401 => {
                "the API server rejected the credentials (401): they may have expired".to_string()
            }
            403 => format!("forbidden: {}", status.message),
            404 => format!("not found: {}", status.message),
            410 => "the watch fell too far behind (410 Gone); listing again".to_string(),
            code if code >= 500 => format!("the API server failed ({code}): {}", status.message),
            code => format!("{} ({code})", status.message),
        },
        _ if is_trust_failure(error) => {
            let trust = TRUST
                .read()
                .ok()
                .and_then(|t| t.clone())
                .unwrap_or_else(|| "the kubeconfig's certificate-authority".to_string());
            format!(
                "the server's certificate is not trusted by {trust} (an unknown CA, or a certificate for another name)"
            )
        }
        kube::Error::HyperError(inner) => format!("connection to the API server failed: {inner}"),
        kube::Error::Service(inner) => {
            let text = chain(inner.as_ref());
            if text.contains("Connection refused") || text.contains("connection refused") {
                "the API server is not answering (connection refused)".to_string()
            } else if text.contains("timed out") || text.contains("deadline") {
                "the API server did not answer in time".to_string()
            } else {
                format!("cannot reach the API server: {text}")
            }
        }
        other => other.to_string(),
    }
}
