//! A build that names a WorkflowTemplate runs as an Argo Workflow instead of
//! a kaniko Job; the template does the building, bosun passes the facts.

use serde_json::{Value, json};

use super::{BuildRequest, ContextSource, annotations, generate_name, labels, without_credentials};

/// An `argoproj.io/v1alpha1` Workflow running `template` for `req`, with the
/// parameters `commit` (full sha), `image` (image:tag), `revision` (short
/// sha) and `context`: the remote URL for a git context (credentials
/// removed), else the repo-relative context directory (`.` for the root).
/// Carries the same bosun labels and annotations as a kaniko Job, without
/// `app.kubernetes.io/name: kaniko` (the template decides what builds).
pub fn workflow_from_template(req: &BuildRequest, template: &str, namespace: &str) -> Value {
    let context = match &req.source {
        ContextSource::Git { url, .. } => without_credentials(url),
        ContextSource::HostPath { sub_path, .. } => sub_path
            .as_deref()
            .map(|sub| sub.trim_matches('/'))
            .filter(|sub| !sub.is_empty())
            .unwrap_or(".")
            .to_string(),
    };
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": generate_name("", &req.build.name, req.short_commit()),
            "namespace": namespace,
            "labels": labels(req, None),
            "annotations": annotations(req),
        },
        "spec": {
            "workflowTemplateRef": {"name": template},
            "arguments": {
                "parameters": [
                    {"name": "commit", "value": req.commit},
                    {"name": "image", "value": req.destination()},
                    {"name": "revision", "value": req.short_commit()},
                    {"name": "context", "value": context},
                ],
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use crate::builds::without_credentials;

    #[test]
    fn credentials_are_dropped() {
        assert_eq!(
            without_credentials("https://me:ghp_x@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            without_credentials("ssh://git@host:22/a/b.git"),
            "ssh://git@host:22/a/b.git"
        );
        assert_eq!(without_credentials("git@host:a/b.git"), "git@host:a/b.git");
    }
}
