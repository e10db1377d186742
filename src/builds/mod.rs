//! Builds (DESIGN §7): a `builds:` entry of `bosun.yaml` becomes a Job
//! running the kaniko executor in the build namespace, or an Argo Workflow
//! from a WorkflowTemplate. This module only makes and reads the objects;
//! creating them is the caller's business (after [`preflight::check`]).

use std::collections::BTreeMap;

use crate::gitops::spec::{BuildContext, BuildSpec};

pub mod job;
pub mod launch;
pub mod preflight;
pub mod status;
pub mod workflow;

pub use job::{kaniko_git_context, kaniko_job, try_kaniko_job};
pub use preflight::{Missing, check, setup_manifests};
pub use status::{BuildPhase, BuildRun, RunKind, run_from_job, run_from_workflow};
pub use workflow::workflow_from_template;

/// The namespace `kustomize/` creates for builds.
pub const DEFAULT_NAMESPACE: &str = "bosun-builds";
/// The service account `kustomize/` creates; it has no RBAC at all.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "bosun-builder";
/// Upstream kaniko was archived in June 2025; default to a maintained fork's
/// image (configurable).
pub const DEFAULT_EXECUTOR_IMAGE: &str = "cgr.dev/chainguard/kaniko:latest";
/// Label: the build's name in `bosun.yaml`.
pub const BUILD_LABEL: &str = "bosun.dev/build";
/// Label: the short commit sha.
pub const COMMIT_LABEL: &str = "bosun.dev/commit";
/// Label: the app the build feeds (when the build names one).
pub const APP_LABEL: &str = "bosun.dev/app";
/// Annotation: the `image:tag` pushed.
pub const IMAGE_ANNOTATION: &str = "bosun.dev/image";
/// Annotation: the full commit sha.
pub const COMMIT_ANNOTATION: &str = "bosun.dev/commit-sha";

const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// How many characters of a sha the labels, names and default tag use
/// (git's default abbreviation).
const SHORT_SHA: usize = 7;
/// Pods of a Job carry its name in a label, so the whole name, with the
/// 5-character suffix the API server appends to `generateName`, must fit 63.
const MAX_NAME: usize = 63;
const GENERATED_SUFFIX: usize = 5;

/// Cluster-side settings for builds (bosun's config; not from the repo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// Used when the build does not name a namespace.
    pub namespace: String,
    pub service_account: String,
    pub executor_image: String,
    /// Finished Jobs are deleted after this long (their logs with them).
    pub ttl_seconds: i32,
    /// A build running longer than this is failed (DeadlineExceeded).
    pub active_deadline_seconds: i64,
    /// A PVC mounted at `/cache` for kaniko (`kustomize/cache-pvc/`).
    pub cache_pvc: Option<String>,
    /// A Secret with `username` and `password` keys (e.g. of type
    /// `kubernetes.io/basic-auth`) that kaniko uses to clone a private repo
    /// over https (`GIT_USERNAME`/`GIT_PASSWORD`). Git contexts only.
    pub git_credentials_secret: Option<String>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            namespace: DEFAULT_NAMESPACE.to_string(),
            service_account: DEFAULT_SERVICE_ACCOUNT.to_string(),
            executor_image: DEFAULT_EXECUTOR_IMAGE.to_string(),
            ttl_seconds: 86_400,
            active_deadline_seconds: 3_600,
            cache_pvc: None,
            git_credentials_secret: None,
        }
    }
}

/// Where kaniko reads the build context from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextSource {
    /// The repo's remote at a commit: kaniko's git context. The commit must
    /// have been pushed: the cluster clones the remote, not this checkout.
    Git {
        /// The remote URL as git shows it (https, ssh or scp-like).
        url: String,
        /// The full sha.
        commit: String,
        /// The branch holding the commit (`None`: the remote's HEAD).
        branch: Option<String>,
        /// The repo-relative context directory.
        sub_path: Option<String>,
    },
    /// The node's checkout through a hostPath, pinned to this node. It
    /// builds the working tree as it is, uncommitted changes included.
    HostPath {
        node: String,
        /// The checkout's absolute path on the node.
        repo_dir: String,
        sub_path: Option<String>,
    },
}

impl ContextSource {
    /// The repo-relative context directory of a build whose context is a
    /// directory of the repo (`None` for the root or a URL context).
    pub fn sub_path_of(build: &BuildSpec) -> Option<String> {
        match &build.context {
            BuildContext::Repo(path) => {
                let text = path.to_string_lossy().replace('\\', "/");
                let text = text.trim_matches('/');
                (!text.is_empty() && text != ".").then(|| text.to_string())
            }
            BuildContext::Url(_) => None,
        }
    }
}

/// One build to run: what, at which commit, from where, tagged how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequest {
    pub build: BuildSpec,
    /// The full sha.
    pub commit: String,
    pub source: ContextSource,
    /// `build.tag`, or the short sha.
    pub tag: String,
}

impl BuildRequest {
    /// A request tagged as the build says, or with the short sha.
    pub fn new(build: BuildSpec, commit: impl Into<String>, source: ContextSource) -> Self {
        let commit = commit.into();
        let tag = build
            .tag
            .clone()
            .unwrap_or_else(|| short_sha(&commit).to_string());
        BuildRequest {
            build,
            commit,
            source,
            tag,
        }
    }

    /// `image:tag`, what kaniko pushes.
    pub fn destination(&self) -> String {
        format!("{}:{}", self.build.image, self.tag)
    }

    pub fn short_commit(&self) -> &str {
        short_sha(&self.commit)
    }

    /// The build's own namespace, else the configured one.
    pub fn namespace<'a>(&'a self, opts: &'a BuildOptions) -> &'a str {
        namespace_for(&self.build, opts)
    }
}

/// The namespace a build runs in.
pub fn namespace_for<'a>(build: &'a BuildSpec, opts: &'a BuildOptions) -> &'a str {
    build.namespace.as_deref().unwrap_or(&opts.namespace)
}

/// Why no build object could be made from a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The context cannot be given to kaniko (e.g. a local remote).
    #[error("{0}")]
    Context(String),
    /// A value the API server or the registry would refuse.
    #[error("build {build:?}: {message}")]
    Invalid { build: String, message: String },
}

fn short_sha(commit: &str) -> &str {
    commit.get(..SHORT_SHA).unwrap_or(commit)
}

/// Labels on a build object and its pods; `kind_name` is the
/// `app.kubernetes.io/name` value, when there is one.
fn labels(req: &BuildRequest, kind_name: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    labels.insert(MANAGED_BY_LABEL.to_string(), "bosun".to_string());
    if let Some(name) = kind_name {
        labels.insert(NAME_LABEL.to_string(), name.to_string());
    }
    labels.insert(BUILD_LABEL.to_string(), req.build.name.clone());
    labels.insert(COMMIT_LABEL.to_string(), req.short_commit().to_string());
    if let Some(app) = &req.build.app {
        labels.insert(APP_LABEL.to_string(), app.clone());
    }
    labels
}

fn annotations(req: &BuildRequest) -> BTreeMap<String, String> {
    BTreeMap::from([
        (IMAGE_ANNOTATION.to_string(), req.destination()),
        (COMMIT_ANNOTATION.to_string(), req.commit.clone()),
    ])
}

/// `<prefix><name>-<short sha>-`: lowercase DNS-1123, the name part cut so
/// that the generated name (with its 5-character suffix) fits 63.
fn generate_name(prefix: &str, name: &str, short: &str) -> String {
    let mut clean = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        // Runs of '-' (from "my_app.v2") read badly; keep one.
        if !(c == '-' && clean.ends_with('-')) {
            clean.push(c);
        }
    }
    let short: String = short
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let room = (MAX_NAME - GENERATED_SUFFIX).saturating_sub(prefix.len() + short.len() + 2);
    clean.truncate(room);
    let clean = clean.trim_matches('-');
    let clean = if clean.is_empty() { "build" } else { clean };
    if prefix.is_empty() {
        // A name must start with a letter or digit, which `clean` now does.
        format!("{clean}-{short}-")
    } else {
        format!("{prefix}{clean}-{short}-")
    }
}

/// What the API server and the registry would refuse, caught before.
fn validate(req: &BuildRequest) -> Result<(), BuildError> {
    let invalid = |message: String| BuildError::Invalid {
        build: req.build.name.clone(),
        message,
    };
    if !label_value_ok(&req.build.name) {
        return Err(invalid(format!(
            "the name {:?} cannot be the {BUILD_LABEL} label value (at most 63 letters, \
             digits, '-', '_' or '.', starting and ending with a letter or digit)",
            req.build.name
        )));
    }
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    if !(req.commit.len() == 40 || req.commit.len() == 64) || !hex(&req.commit) {
        return Err(invalid(format!(
            "{:?} is not a full commit sha (40 or 64 hex digits)",
            req.commit
        )));
    }
    let last = req.build.image.rsplit('/').next().unwrap_or_default();
    if req.build.image.trim().is_empty() || req.build.image.chars().any(char::is_whitespace) {
        return Err(invalid(format!(
            "image {:?} is not a valid image name",
            req.build.image
        )));
    }
    if last.contains(':') || last.contains('@') {
        return Err(invalid(format!(
            "image {:?} already has a tag or digest; set the tag with `tag:` in bosun.yaml",
            req.build.image
        )));
    }
    // Docker's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
    let tag_ok = req.tag.len() <= 128
        && req
            .tag
            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && req
            .tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !tag_ok {
        return Err(invalid(format!(
            "tag {:?} is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)",
            req.tag
        )));
    }
    Ok(())
}

fn label_value_ok(value: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    value.len() <= 63
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric())
        && value.chars().all(ok_char)
}

/// A repo-relative sub path kaniko may be pointed at: no escape from the
/// checkout, whatever the caller was handed.
fn clean_sub_path(sub: Option<&str>) -> Result<Option<String>, String> {
    let Some(sub) = sub else { return Ok(None) };
    let trimmed = sub.trim().trim_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Ok(None);
    }
    if sub.trim().starts_with('/') || trimmed.split('/').any(|part| part == "..") {
        return Err(format!(
            "context {sub:?} must be a directory inside the repository"
        ));
    }
    Ok(Some(trimmed.to_string()))
}

/// `https://user:token@host/repo` → `https://host/repo`: Jobs and
/// Workflows are readable by anyone who can list them. scp-like `git@host:repo` has no
/// secret in it and stays.
pub(crate) fn without_credentials(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority, Some(path)),
        None => (rest, None),
    };
    let host = match authority.rsplit_once('@') {
        // ssh://git@host keeps its user name: it is not a secret.
        Some((user, host)) if !user.contains(':') && scheme.contains("ssh") => {
            format!("{user}@{host}")
        }
        Some((_, host)) => host.to_string(),
        None => authority.to_string(),
    };
    match path {
        Some(path) => format!("{scheme}://{host}/{path}"),
        None => format!("{scheme}://{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_name_is_dns_and_fits() {
        assert_eq!(
            generate_name("build-", "blog", "0123456"),
            "build-blog-0123456-"
        );
        assert_eq!(
            generate_name("build-", "My_App.v2", "abcdef0"),
            "build-my-app-v2-abcdef0-"
        );
        let long = "x".repeat(100);
        let name = generate_name("build-", &long, "abcdef0");
        assert_eq!(name.len() + GENERATED_SUFFIX, MAX_NAME);
        assert!(name.ends_with("-abcdef0-"));
        assert_eq!(generate_name("", "--", "abcdef0"), "build-abcdef0-");
    }

    #[test]
    fn sub_paths_stay_inside() {
        assert_eq!(
            clean_sub_path(Some("apps/blog/")),
            Ok(Some("apps/blog".to_string()))
        );
        assert_eq!(clean_sub_path(Some(".")), Ok(None));
        assert!(clean_sub_path(Some("../etc")).is_err());
        assert!(clean_sub_path(Some("/etc")).is_err());
    }
}
