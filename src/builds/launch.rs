//! From a `builds:` entry to a running Job or Workflow: where the context
//! comes from (the pushed commit, or this node's checkout), the preflight,
//! the create, and following it to the end. Shared by `b` in the TUI and
//! `bosun build`.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use serde_json::Value;

use super::preflight;
use super::status::{self, BuildRun};
use super::{BuildOptions, BuildRequest, ContextSource, job, workflow};
use crate::gitops::repo;
use crate::gitops::spec::{BuildContext, BuildSpec};

/// Where a build's context comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContextMode {
    /// The repo's remote at HEAD (HEAD must be pushed); a node's checkout
    /// when the remote is local to this machine and a build node is set.
    #[default]
    Auto,
    Git,
    HostPath,
}

/// What the user configured for builds.
#[derive(Debug, Clone, Default)]
pub struct LaunchConfig {
    pub options: BuildOptions,
    pub mode: ContextMode,
    /// The node whose filesystem holds this checkout (hostPath builds);
    /// default: the node named like this machine.
    pub node: Option<String>,
}

/// A created run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub kind: status::RunKind,
    pub namespace: String,
    pub name: String,
    pub destination: String,
    pub commit: String,
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// The request for a build at the repo's HEAD: commit, tag, context.
pub fn request(
    root: &Path,
    build: &BuildSpec,
    config: &LaunchConfig,
) -> Result<BuildRequest, String> {
    let git = repo::open(root).map_err(|e| e.to_string())?;
    let status = repo::status(&git).map_err(|e| e.to_string())?;
    let head = status
        .head
        .as_ref()
        .ok_or("the repo has no commits yet: nothing to build")?;
    let commit = head.id.clone();
    let tag = build.tag.clone().unwrap_or_else(|| head.short.clone());
    let workdir = git
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.to_path_buf());
    let sub_path = |dir: &Path| -> Option<String> {
        // Context dirs are relative to the spec root, which may sit inside
        // a bigger git work tree.
        let absolute = root.join(dir);
        let relative = absolute
            .strip_prefix(&workdir)
            .ok()?
            .to_string_lossy()
            .into_owned();
        (!relative.is_empty()).then_some(relative)
    };
    let (url_context, dir) = match &build.context {
        BuildContext::Url(url) => (Some(url.clone()), None),
        BuildContext::Repo(dir) => (None, Some(dir.clone())),
    };
    if let Some(url) = url_context {
        return Ok(BuildRequest {
            build: build.clone(),
            commit,
            source: ContextSource::Git {
                url,
                commit: String::new(),
                branch: None,
                sub_path: None,
            },
            tag,
        });
    }
    let dir = dir.unwrap_or_default();
    let remote_url = status
        .upstream
        .as_deref()
        .and_then(|u| u.split_once('/').map(|(remote, _)| remote.to_string()))
        .or_else(|| Some("origin".to_string()))
        .and_then(|name| git.find_remote(&name).ok())
        .and_then(|r| r.url().ok().map(str::to_string));
    let local_remote = remote_url
        .as_deref()
        .is_none_or(|u| u.starts_with("file://") || u.starts_with('/'));
    let use_hostpath = match config.mode {
        ContextMode::HostPath => true,
        ContextMode::Git => false,
        ContextMode::Auto => local_remote && config.node.is_some(),
    };
    if use_hostpath {
        let node = config
            .node
            .clone()
            .or_else(hostname)
            .ok_or("a hostPath build needs the node holding this checkout (set build_node)")?;
        return Ok(BuildRequest {
            build: build.clone(),
            commit,
            source: ContextSource::HostPath {
                node,
                repo_dir: workdir.to_string_lossy().into_owned(),
                sub_path: sub_path(&dir),
            },
            tag,
        });
    }
    let Some(url) = remote_url else {
        return Err("the repo has no remote the cluster could clone: push it somewhere, or use a hostPath build (build_context = \"hostpath\")".into());
    };
    if status.ahead > 0 {
        return Err(format!(
            "HEAD {} is not on the remote yet (↑{}): push first, or use a hostPath build",
            head.short, status.ahead
        ));
    }
    Ok(BuildRequest {
        build: build.clone(),
        commit,
        source: ContextSource::Git {
            url,
            commit: head.id.clone(),
            branch: status.branch.clone(),
            sub_path: sub_path(&dir),
        },
        tag,
    })
}

fn workflows_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Workflow"),
        "workflows",
    )
}

/// Checks what the build needs, then creates its Job (or Workflow).
/// Nothing is created when something is missing.
pub async fn start(
    client: &Client,
    req: &BuildRequest,
    config: &LaunchConfig,
) -> Result<Started, String> {
    let missing = preflight::check(client, &req.build, &config.options).await;
    if !missing.is_empty() {
        let lines: Vec<String> = missing.iter().map(ToString::to_string).collect();
        return Err(lines.join("\n"));
    }
    let namespace = super::namespace_for(&req.build, &config.options).to_string();
    if let Some(template) = &req.build.workflow_template {
        let body = workflow::workflow_from_template(req, template, &namespace);
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &namespace, &workflows_resource());
        let object: DynamicObject =
            serde_json::from_value(body).map_err(|e| format!("the workflow: {e}"))?;
        let created = api
            .create(&PostParams::default(), &object)
            .await
            .map_err(|e| crate::gitops::resolve::kube_message(&e))?;
        return Ok(Started {
            kind: status::RunKind::Workflow,
            namespace,
            name: created.metadata.name.unwrap_or_default(),
            destination: req.destination(),
            commit: req.commit.clone(),
        });
    }
    let mut job = job::try_kaniko_job(req, &config.options).map_err(|e| e.to_string())?;
    job.metadata.namespace = Some(namespace.clone());
    let api: Api<Job> = Api::namespaced(client.clone(), &namespace);
    let created = api
        .create(&PostParams::default(), &job)
        .await
        .map_err(|e| crate::gitops::resolve::kube_message(&e))?;
    Ok(Started {
        kind: status::RunKind::Job,
        namespace,
        name: created.metadata.name.unwrap_or_default(),
        destination: req.destination(),
        commit: req.commit.clone(),
    })
}

/// The run as it is now.
pub async fn get(client: &Client, started: &Started) -> Result<Option<BuildRun>, String> {
    let value: Option<Value> = match started.kind {
        status::RunKind::Job => {
            let api: Api<Job> = Api::namespaced(client.clone(), &started.namespace);
            api.get_opt(&started.name)
                .await
                .map_err(|e| crate::gitops::resolve::kube_message(&e))?
                .and_then(|j| serde_json::to_value(j).ok())
        }
        status::RunKind::Workflow => {
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &started.namespace, &workflows_resource());
            api.get_opt(&started.name)
                .await
                .map_err(|e| crate::gitops::resolve::kube_message(&e))?
                .and_then(|w| serde_json::to_value(w).ok())
        }
    };
    Ok(value.and_then(|v| match started.kind {
        status::RunKind::Job => status::run_from_job(&v),
        status::RunKind::Workflow => status::run_from_workflow(&v),
    }))
}

/// Polls the run until it is terminal (or gone), reporting each phase change.
pub async fn wait(
    client: &Client,
    started: &Started,
    timeout: Duration,
    mut on_change: impl FnMut(&BuildRun),
) -> Result<BuildRun, String> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = None;
    loop {
        match get(client, started).await? {
            Some(run) => {
                if last.as_ref() != Some(&run.phase) {
                    on_change(&run);
                    last = Some(run.phase);
                }
                if run.terminal() {
                    return Ok(run);
                }
            }
            None => {
                return Err(format!(
                    "{} {} disappeared",
                    started.kind.as_str(),
                    started.name
                ));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{} {} did not finish within {}s",
                started.kind.as_str(),
                started.name,
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Cancels a run: deletes the Job (its pods go too) or the Workflow.
pub async fn cancel(
    client: &Client,
    kind: status::RunKind,
    namespace: &str,
    name: &str,
) -> Result<(), String> {
    let params = DeleteParams::background();
    let result = match kind {
        status::RunKind::Job => {
            let api: Api<Job> = Api::namespaced(client.clone(), namespace);
            api.delete(name, &params).await.map(|_| ())
        }
        status::RunKind::Workflow => {
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), namespace, &workflows_resource());
            api.delete(name, &params).await.map(|_| ())
        }
    };
    result.map_err(|e| crate::gitops::resolve::kube_message(&e))
}

/// `deployment/blog -n blog` → (kind, namespace, name) for a restart.
pub fn parse_then(
    target: &str,
    default_namespace: &str,
) -> Result<(crate::cluster::kind::ResourceKind, String, String), String> {
    let mut parts = target.split_whitespace();
    let workload = parts.next().ok_or("an empty `then` entry")?;
    let mut namespace = default_namespace.to_string();
    while let Some(part) = parts.next() {
        match part {
            "-n" | "--namespace" => {
                namespace = parts
                    .next()
                    .ok_or_else(|| format!("`{target}`: -n needs a namespace"))?
                    .to_string();
            }
            other => {
                if let Some(ns) = other.strip_prefix("--namespace=") {
                    namespace = ns.to_string();
                } else {
                    return Err(format!("`{target}`: unexpected \"{other}\""));
                }
            }
        }
    }
    let (kind, name) = crate::headless::parse_workload(workload)?;
    Ok((kind, namespace, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::kind::ResourceKind;

    #[test]
    fn then_targets_parse_like_kubectl() {
        assert_eq!(
            parse_then("deployment/blog -n blog", "default"),
            Ok((ResourceKind::Deployments, "blog".into(), "blog".into()))
        );
        assert_eq!(
            parse_then("sts/mariadb", "db"),
            Ok((ResourceKind::StatefulSets, "db".into(), "mariadb".into()))
        );
        assert!(parse_then("deployment/blog -n", "x").is_err());
        assert!(parse_then("configmap/x", "x").is_err());
    }
}
