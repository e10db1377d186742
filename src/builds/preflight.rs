//! Say what a build is missing in the cluster before anything is created:
//! a kaniko Job for a missing namespace or secret fails in ways (a pod stuck
//! in ContainerCreating, a 401 from the registry) that hide the cause.

use std::fmt;

use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};

use super::{BuildOptions, DEFAULT_NAMESPACE, DEFAULT_SERVICE_ACCOUNT, namespace_for};
use crate::cluster::client::plain_client_error;
use crate::gitops::spec::BuildSpec;

const ARGO_API: &str = "argoproj.io/v1alpha1";
const DOCKERCONFIGJSON: &str = "kubernetes.io/dockerconfigjson";

/// One thing a build needs that the cluster lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Namespace(String),
    ServiceAccount {
        namespace: String,
        name: String,
    },
    RegistrySecret {
        namespace: String,
        name: String,
    },
    /// The registry secret exists but kaniko cannot read it as config.json.
    WrongSecretType {
        namespace: String,
        name: String,
        found: String,
    },
    WorkflowTemplate {
        namespace: String,
        name: String,
    },
    /// argoproj.io/v1alpha1 workflowtemplates is not served.
    ArgoNotInstalled,
    /// A check could not be made (forbidden, unreachable): the build may
    /// still work, but bosun cannot say so.
    Unchecked {
        what: String,
        reason: String,
    },
}

const SETUP_HINT: &str = "create what builds need with `kubectl apply -k kustomize/` \
     (from bosun's repository) or `bosun build --print-setup | kubectl apply -f -`";

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Namespace(namespace) => write!(
                f,
                "build namespace {namespace:?} does not exist: {SETUP_HINT}"
            ),
            Missing::ServiceAccount { namespace, name } => write!(
                f,
                "service account {name:?} is missing in namespace {namespace:?}: {SETUP_HINT}"
            ),
            Missing::RegistrySecret { namespace, name } => write!(
                f,
                "registry secret {name:?} is missing in namespace {namespace:?}: \
                 kubectl create secret docker-registry {name} -n {namespace} \
                 --docker-server=... --docker-username=... --docker-password=..."
            ),
            Missing::WrongSecretType {
                namespace,
                name,
                found,
            } => write!(
                f,
                "registry secret {name:?} in namespace {namespace:?} is of type {found:?}; \
                 kaniko needs a {DOCKERCONFIGJSON} secret (its .dockerconfigjson becomes \
                 config.json): kubectl delete secret {name} -n {namespace} && \
                 kubectl create secret docker-registry {name} -n {namespace} \
                 --docker-server=... --docker-username=... --docker-password=..."
            ),
            Missing::WorkflowTemplate { namespace, name } => write!(
                f,
                "WorkflowTemplate {name:?} is missing in namespace {namespace:?}: create it \
                 there, or drop `workflowTemplate` from the build to build with kaniko"
            ),
            Missing::ArgoNotInstalled => write!(
                f,
                "the build names a WorkflowTemplate but Argo Workflows is not installed \
                 ({ARGO_API} workflowtemplates is not served): install it, or drop \
                 `workflowTemplate` from the build to build with kaniko"
            ),
            Missing::Unchecked { what, reason } => write!(f, "cannot check {what}: {reason}"),
        }
    }
}

/// What `build` lacks in the cluster, with GETs only (and discovery for
/// Argo). Empty when the build can be submitted.
///
/// A kaniko build needs the namespace, the service account and, when it
/// names one, a `kubernetes.io/dockerconfigjson` registry secret; a
/// Workflow build needs Argo, the WorkflowTemplate and the secret if named
/// (the template decides how it runs, not bosun's service account).
pub async fn check(client: &kube::Client, build: &BuildSpec, opts: &BuildOptions) -> Vec<Missing> {
    let namespace = namespace_for(build, opts).to_string();
    let mut missing = Vec::new();
    let unchecked = |what: String, error: &kube::Error| Missing::Unchecked {
        what,
        reason: plain_client_error(error),
    };

    // `false` only when the namespace surely does not exist; everything in
    // it is then missing without asking.
    let namespace_exists = match Api::<Namespace>::all(client.clone())
        .get_opt(&namespace)
        .await
    {
        Ok(Some(_)) => true,
        Ok(None) => {
            missing.push(Missing::Namespace(namespace.clone()));
            false
        }
        // The runner Role (kustomize/runner-rbac) is namespaced and cannot
        // grant reading Namespaces: let the checks inside it answer.
        Err(error) if is_forbidden(&error) => true,
        Err(error) => {
            // Unreachable: every other GET would fail the same way.
            missing.push(unchecked(format!("namespace {namespace:?}"), &error));
            return missing;
        }
    };

    if let Some(template) = &build.workflow_template {
        match argo_served(client).await {
            Ok(true) => {
                if !namespace_exists {
                    missing.push(Missing::WorkflowTemplate {
                        namespace: namespace.clone(),
                        name: template.clone(),
                    });
                } else {
                    let api: Api<DynamicObject> = Api::namespaced_with(
                        client.clone(),
                        &namespace,
                        &workflow_template_resource(),
                    );
                    match api.get_opt(template).await {
                        Ok(Some(_)) => {}
                        Ok(None) => missing.push(Missing::WorkflowTemplate {
                            namespace: namespace.clone(),
                            name: template.clone(),
                        }),
                        Err(error) => missing.push(unchecked(
                            format!("WorkflowTemplate {template:?} in {namespace:?}"),
                            &error,
                        )),
                    }
                }
            }
            Ok(false) => missing.push(Missing::ArgoNotInstalled),
            Err(error) => missing.push(unchecked(format!("for {ARGO_API}"), &error)),
        }
    } else if namespace_exists {
        // A missing namespace already says to apply kustomize/, which
        // creates the service account too.
        let name = &opts.service_account;
        match Api::<ServiceAccount>::namespaced(client.clone(), &namespace)
            .get_opt(name)
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => missing.push(Missing::ServiceAccount {
                namespace: namespace.clone(),
                name: name.clone(),
            }),
            Err(error) => missing.push(unchecked(
                format!("service account {name:?} in {namespace:?}"),
                &error,
            )),
        }
    }

    if let Some(name) = &build.registry_secret {
        let absent = || Missing::RegistrySecret {
            namespace: namespace.clone(),
            name: name.clone(),
        };
        if !namespace_exists {
            // kustomize/ does not hold credentials: this stays to do.
            missing.push(absent());
        } else {
            match Api::<Secret>::namespaced(client.clone(), &namespace)
                .get_opt(name)
                .await
            {
                Ok(Some(secret)) => {
                    // The API server defaults an unset type to Opaque.
                    let found = secret.type_.unwrap_or_else(|| "Opaque".to_string());
                    if found != DOCKERCONFIGJSON {
                        missing.push(Missing::WrongSecretType {
                            namespace: namespace.clone(),
                            name: name.clone(),
                            found,
                        });
                    }
                }
                Ok(None) => missing.push(absent()),
                Err(error) => missing.push(unchecked(
                    format!("registry secret {name:?} in {namespace:?}"),
                    &error,
                )),
            }
        }
    }
    missing
}

fn is_forbidden(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 403)
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

fn workflow_template_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "WorkflowTemplate"),
        "workflowtemplates",
    )
}

/// Discovery of argoproj.io/v1alpha1: a 404 means the group is not served.
async fn argo_served(client: &kube::Client) -> Result<bool, kube::Error> {
    match client.list_api_group_resources(ARGO_API).await {
        Ok(list) => Ok(list
            .resources
            .iter()
            .any(|resource| resource.name == "workflowtemplates")),
        Err(error) if is_not_found(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

const NAMESPACE_YAML: &str = include_str!("../../kustomize/namespace.yaml");
const SERVICE_ACCOUNT_YAML: &str = include_str!("../../kustomize/serviceaccount.yaml");
const CACHE_PVC_YAML: &str = include_str!("../../kustomize/cache-pvc/pvc.yaml");

/// The objects `kustomize/` creates, as one YAML stream for
/// `bosun build --print-setup | kubectl apply -f -`: the namespace and the
/// service account (renamed when the options are not the defaults), and the
/// cache PVC when `cache_pvc` is set.
pub fn setup_manifests(opts: &BuildOptions) -> String {
    let namespace = opts.namespace.as_str();
    let mut documents = vec![
        rename(NAMESPACE_YAML, &[("name", DEFAULT_NAMESPACE, namespace)]),
        rename(
            SERVICE_ACCOUNT_YAML,
            &[
                ("name", DEFAULT_SERVICE_ACCOUNT, &opts.service_account),
                ("namespace", DEFAULT_NAMESPACE, namespace),
            ],
        ),
    ];
    if let Some(pvc) = &opts.cache_pvc {
        documents.push(rename(
            CACHE_PVC_YAML,
            &[
                ("name", "kaniko-cache", pvc),
                ("namespace", DEFAULT_NAMESPACE, namespace),
            ],
        ));
    }
    let mut out = String::from(
        "# What bosun's builds need in the cluster (bosun's kustomize/).\n\
         # Registry credentials are not included: create them with\n\
         #   kubectl create secret docker-registry <registrySecret> -n ",
    );
    out.push_str(namespace);
    out.push_str(" --docker-server=... --docker-username=... --docker-password=...\n");
    for document in documents {
        out.push_str("---\n");
        out.push_str(document.trim_end());
        out.push('\n');
    }
    out
}

/// Replaces the value of `key: from` lines (whatever the indentation) with
/// `to`; other lines, comments included, stay as written.
fn rename(yaml: &str, renames: &[(&str, &str, &str)]) -> String {
    let mut out = String::with_capacity(yaml.len());
    for line in yaml.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let renamed = renames.iter().find_map(|(key, from, to)| {
            let value = trimmed.strip_prefix(key)?.strip_prefix(':')?.trim();
            (value == *from).then(|| format!("{indent}{key}: {}", yaml_string(to)))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// A plain scalar only when every YAML reader (kubectl's is YAML 1.1, where
/// `0123` is octal and `no` is false) reads it back as this string; else
/// JSON-quoted, which YAML reads as the same string.
fn yaml_string(value: &str) -> String {
    const SPECIAL: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
    ];
    let plain = value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && !SPECIAL.contains(&value.to_ascii_lowercase().as_str());
    if plain {
        value.to_string()
    } else {
        serde_json::Value::String(value.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_setup_is_the_kustomize_files() {
        let text = setup_manifests(&BuildOptions::default());
        assert!(text.contains(NAMESPACE_YAML.trim_end()));
        assert!(text.contains(SERVICE_ACCOUNT_YAML.trim_end()));
        assert!(!text.contains("PersistentVolumeClaim"));
    }

    #[test]
    fn setup_renames_namespace_and_account() {
        let opts = BuildOptions {
            namespace: "ci".into(),
            service_account: "builder".into(),
            cache_pvc: Some("cache".into()),
            ..BuildOptions::default()
        };
        let text = setup_manifests(&opts);
        let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|doc| serde::Deserialize::deserialize(doc).expect("yaml"))
            .collect();
        let names: Vec<(String, Option<String>)> = docs
            .iter()
            .map(|d| {
                (
                    d["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    d["metadata"]["namespace"].as_str().map(str::to_string),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("ci".to_string(), None),
                ("builder".to_string(), Some("ci".to_string())),
                ("cache".to_string(), Some("ci".to_string())),
            ]
        );
        assert!(!text.contains(DEFAULT_NAMESPACE), "{text}");
        // A numeric-looking name stays a string.
        assert_eq!(yaml_string("0123"), "\"0123\"");
        assert_eq!(yaml_string("no"), "\"no\"");
        assert_eq!(yaml_string("bosun-builds"), "bosun-builds");
    }
}
