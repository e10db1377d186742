//! The kaniko Job a build becomes.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, EnvVarSource, HostPathVolumeSource, KeyToPath,
    PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, ResourceRequirements,
    SecretKeySelector, SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{
    BuildError, BuildOptions, BuildRequest, ContextSource, annotations, clean_sub_path,
    generate_name, labels, validate, without_credentials,
};

/// Where kaniko looks for registry credentials (`config.json`).
const DOCKER_CONFIG_DIR: &str = "/kaniko/.docker";
const WORKSPACE: &str = "/workspace";
const CACHE_DIR: &str = "/cache";

/// The Job that runs kaniko for `req`: one pod, never retried, deleted
/// `ttl_seconds` after it ends. kaniko writes the pushed digest to the
/// termination log, so the pod's terminated state carries it.
///
/// With `cache_pvc`, kaniko runs with `--cache=true --cache-dir=/cache`:
/// `--cache` caches `RUN` layers in the registry (`<image>/cache`), and
/// `/cache` serves base images once kaniko's warmer has filled it.
///
/// It always makes a Job: what it cannot turn into kaniko's terms (a local
/// remote, a relative checkout path) goes in as given, for the API server
/// or kaniko to refuse. [`try_kaniko_job`] refuses those up front.
pub fn kaniko_job(req: &BuildRequest, opts: &BuildOptions) -> Job {
    let (context, _problems) = context_parts(req, opts);
    assemble(req, opts, context)
}

/// [`kaniko_job`], or why the cluster could not run it: a remote the cluster
/// cannot clone, a sub path outside the repo, a name, sha, image or tag the
/// API server or registry would refuse.
pub fn try_kaniko_job(req: &BuildRequest, opts: &BuildOptions) -> Result<Job, BuildError> {
    validate(req)?;
    let (context, problems) = context_parts(req, opts);
    if let Some(problem) = problems.into_iter().next() {
        return Err(BuildError::Context(problem));
    }
    Ok(assemble(req, opts, context))
}

/// What the context source adds to the pod.
#[derive(Default)]
struct ContextParts {
    args: Vec<String>,
    env: Vec<EnvVar>,
    mounts: Vec<VolumeMount>,
    volumes: Vec<Volume>,
    node_selector: Option<BTreeMap<String, String>>,
}

/// The pod's context parts, and what is wrong with them (when not empty,
/// the parts hold the values as given).
fn context_parts(req: &BuildRequest, opts: &BuildOptions) -> (ContextParts, Vec<String>) {
    let mut parts = ContextParts::default();
    let mut problems = Vec::new();
    let mut sub_path_of = |sub: Option<&str>| match clean_sub_path(sub) {
        Ok(sub) => sub,
        Err(problem) => {
            problems.push(problem);
            sub.map(loose_sub_path)
        }
    };
    match &req.source {
        ContextSource::Git {
            url,
            commit,
            branch,
            sub_path,
        } => {
            let sub = sub_path_of(sub_path.as_deref());
            let context = match kaniko_git_context(url, branch.as_deref(), commit) {
                Ok(context) => context,
                Err(problem) => {
                    problems.push(problem);
                    without_credentials(url)
                }
            };
            parts.args.push(format!("--context={context}"));
            if let Some(sub) = sub {
                parts.args.push(format!("--context-sub-path={sub}"));
            }
            // kaniko clones over https unless told otherwise; an http-only
            // server (a LAN gitea) needs the method said.
            if url.trim().to_ascii_lowercase().starts_with("http://") {
                parts.env.push(plain_env("GIT_PULL_METHOD", "http"));
            }
            if let Some(secret) = &opts.git_credentials_secret {
                parts
                    .env
                    .push(secret_env("GIT_USERNAME", secret, "username"));
                parts
                    .env
                    .push(secret_env("GIT_PASSWORD", secret, "password"));
            }
        }
        ContextSource::HostPath {
            node,
            repo_dir,
            sub_path,
        } => {
            let dir = match sub_path_of(sub_path.as_deref()) {
                Some(sub) => format!("{WORKSPACE}/{sub}"),
                None => WORKSPACE.to_string(),
            };
            if node.trim().is_empty() {
                problems.push("a hostPath build needs the node that holds the checkout".into());
            }
            if !repo_dir.starts_with('/') {
                problems.push(format!(
                    "the checkout {repo_dir:?} must be an absolute path on the node"
                ));
            }
            parts.args.push(format!("--context=dir://{dir}"));
            parts.mounts.push(mount("checkout", WORKSPACE, true));
            parts.volumes.push(Volume {
                name: "checkout".to_string(),
                host_path: Some(HostPathVolumeSource {
                    path: repo_dir.clone(),
                    // Directory, not DirectoryOrCreate: a wrong path must
                    // fail the pod, not build an empty directory.
                    type_: Some("Directory".to_string()),
                }),
                ..Volume::default()
            });
            parts.node_selector = Some(BTreeMap::from([(
                "kubernetes.io/hostname".to_string(),
                node.clone(),
            )]));
        }
    }
    (parts, problems)
}

/// A sub path with its `..`, `.` and empty segments dropped: what the
/// lenient [`kaniko_job`] uses rather than point kaniko outside the repo.
fn loose_sub_path(sub: &str) -> String {
    sub.split('/')
        .filter(|part| !part.is_empty() && *part != "." && *part != "..")
        .collect::<Vec<_>>()
        .join("/")
}

fn assemble(req: &BuildRequest, opts: &BuildOptions, context: ContextParts) -> Job {
    let labels = labels(req, Some("kaniko"));
    let ContextParts {
        args: context_args,
        mut env,
        mut mounts,
        mut volumes,
        node_selector,
    } = context;
    let mut args = vec![format!("--dockerfile={}", req.build.dockerfile)];
    args.extend(context_args);
    args.push(format!("--destination={}", req.destination()));
    args.push("--digest-file=/dev/termination-log".to_string());
    args.push(format!(
        "--label=org.opencontainers.image.revision={}",
        req.commit
    ));

    if let Some(secret) = &req.build.registry_secret {
        // Forks differ in their default; say where config.json is.
        env.insert(0, plain_env("DOCKER_CONFIG", DOCKER_CONFIG_DIR));
        mounts.insert(0, mount("docker-config", DOCKER_CONFIG_DIR, true));
        volumes.insert(
            0,
            Volume {
                name: "docker-config".to_string(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(secret.clone()),
                    items: Some(vec![KeyToPath {
                        key: ".dockerconfigjson".to_string(),
                        path: "config.json".to_string(),
                        mode: None,
                    }]),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            },
        );
    }

    if let Some(pvc) = &opts.cache_pvc {
        args.push("--cache=true".to_string());
        args.push(format!("--cache-dir={CACHE_DIR}"));
        mounts.push(mount("cache", CACHE_DIR, false));
        volumes.push(Volume {
            name: "cache".to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: pvc.clone(),
                read_only: None,
            }),
            ..Volume::default()
        });
    }

    let container = Container {
        name: "kaniko".to_string(),
        image: Some(opts.executor_image.clone()),
        args: Some(args),
        env: (!env.is_empty()).then_some(env),
        // kaniko unpacks whole image filesystems: too little memory ends
        // in an OOM kill halfway through.
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("500m".to_string())),
                ("memory".to_string(), Quantity("1Gi".to_string())),
            ])),
            ..ResourceRequirements::default()
        }),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Container::default()
    };

    Job {
        metadata: ObjectMeta {
            generate_name: Some(generate_name("build-", &req.build.name, req.short_commit())),
            namespace: Some(req.namespace(opts).to_string()),
            labels: Some(labels.clone()),
            annotations: Some(annotations(req)),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            // A failed build is a result to read, not something to retry.
            backoff_limit: Some(0),
            ttl_seconds_after_finished: Some(opts.ttl_seconds),
            active_deadline_seconds: Some(opts.active_deadline_seconds),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".to_string()),
                    service_account_name: Some(opts.service_account.clone()),
                    // kaniko never calls the API server.
                    automount_service_account_token: Some(false),
                    node_selector,
                    containers: vec![container],
                    volumes: (!volumes.is_empty()).then_some(volumes),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}

fn plain_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        value_from: None,
    }
}

fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_string(),
                key: key.to_string(),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
    }
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

/// kaniko's git context for a remote at a commit:
/// `git://<host>/<path>.git#refs/heads/<branch>#<commit>` (`#HEAD#<commit>`
/// without a branch). An empty `commit` means the branch's tip (a build
/// whose context is another repository's URL): no commit part.
///
/// kaniko drops the `git://` and clones over **https** (http only with
/// `GIT_PULL_METHOD=http`), so every remote form is turned into
/// `host/path.git`: `https://` and `http://` URLs, and ssh remotes
/// (`git@host:path.git`, `ssh://git@host[:port]/path.git`), whose host is
/// assumed to serve the same repo over https. Credentials in the URL are
/// dropped (they would be readable in the Job). Private repos need
/// credentials kaniko reads from `GIT_USERNAME`/`GIT_PASSWORD` (or
/// `GIT_TOKEN`): see [`BuildOptions::git_credentials_secret`](super::BuildOptions).
///
/// A `file://` URL or a local path is refused: the cluster cannot clone it.
pub fn kaniko_git_context(url: &str, branch: Option<&str>, commit: &str) -> Result<String, String> {
    let repo = remote_host_path(url)?;
    let commit = commit.trim();
    if !commit.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{commit:?} is not a commit sha"));
    }
    let reference = match branch.map(str::trim).filter(|b| !b.is_empty()) {
        Some(branch) => {
            let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
            // '#' separates the parts of kaniko's context.
            if branch.contains('#') || branch.chars().any(char::is_whitespace) {
                return Err(format!(
                    "branch {branch:?} cannot be named in kaniko's git context"
                ));
            }
            format!("refs/heads/{branch}")
        }
        None if commit.is_empty() => return Ok(format!("git://{repo}")),
        None => "HEAD".to_string(),
    };
    if commit.is_empty() {
        Ok(format!("git://{repo}#{reference}"))
    } else {
        Ok(format!("git://{repo}#{reference}#{commit}"))
    }
}

/// `host[:port]/path.git` from any remote form git accepts for a network
/// remote; an error for local ones.
fn remote_host_path(url: &str) -> Result<String, String> {
    let url = url.trim();
    let local = || {
        format!(
            "the remote {url:?} is local to this machine; the cluster cannot clone it: \
             use a hostPath build (the node's checkout)"
        )
    };
    if url.is_empty() {
        return Err("the repository has no remote URL to build from".to_string());
    }
    let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        let keep_port = match scheme.as_str() {
            "https" | "http" | "git" => true,
            // An ssh port means nothing to the https clone.
            "ssh" | "git+ssh" | "ssh+git" => false,
            "file" => return Err(local()),
            other => {
                return Err(format!(
                    "the remote {url:?} uses {other}://, which kaniko cannot clone"
                ));
            }
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        // user[:password]@ never goes into the Job.
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let host = if keep_port {
            host
        } else {
            host.split_once(':').map_or(host, |(name, _)| name)
        };
        (host.to_string(), path.to_string())
    } else {
        // scp-like `[user@]host:path`; git reads it so only when no '/'
        // comes before the ':' (else it is a local path).
        match url.split_once(':') {
            Some((before, path)) if !before.contains('/') && !is_drive_letter(before, path) => {
                let host = before.rsplit_once('@').map_or(before, |(_, host)| host);
                (host.to_string(), path.to_string())
            }
            _ => return Err(local()),
        }
    };
    // The cluster's localhost is not this machine's.
    let bare = host
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if host.is_empty()
        || bare == "localhost"
        || bare.starts_with("127.")
        || host.starts_with("[::1]")
    {
        return Err(local());
    }
    let path = path.trim_matches('/');
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if path.is_empty() {
        return Err(format!("the remote {url:?} names no repository"));
    }
    let path = if path.ends_with(".git") {
        path.to_string()
    } else {
        format!("{path}.git")
    };
    Ok(format!("{}/{path}", host.to_ascii_lowercase()))
}

/// `C:\repo` or `C:/repo`: a Windows path, not an scp-like remote.
fn is_drive_letter(before: &str, after: &str) -> bool {
    before.len() == 1
        && before.chars().all(|c| c.is_ascii_alphabetic())
        && (after.starts_with('\\') || after.starts_with('/'))
}
