//! Flux `Kustomization` objects (kustomize.toolkit.fluxcd.io/v1, v1beta2)
//! as apps, built the way kustomize-controller builds them
//! (docs/ARCHITECTURE.md "Declared apps"): the path inside the source, a
//! generated kustomization when the directory has none, targetNamespace /
//! namePrefix / nameSuffix overriding, patches and components appended,
//! images replaced by name, `--load-restrictor LoadRestrictionsNone`
//! confined to the repository, then post-build substitution.
//!
//! Unknown fields are an error on that app, naming the file and the field.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_yaml::{Mapping, Value as Yaml};

use super::app::{
    AppSource, AppSpec, EditStyle, KustomizeOptions, Origin, PostBuild, Readiness,
    SubstituteFromRef,
};
use super::declared::{Document, Metadata, yaml_field_error};

/// Where Flux's bootstrap puts its objects.
pub const FLUX_NAMESPACE: &str = "flux-system";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Kustomization {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    #[serde(default)]
    #[allow(dead_code)]
    metadata: Metadata,
    #[serde(default)]
    spec: Option<Spec>,
    #[serde(default)]
    #[allow(dead_code)]
    status: Option<Yaml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    #[allow(dead_code)]
    interval: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    retry_interval: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    timeout: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    source_ref: Option<SourceRef>,
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    target_namespace: Option<String>,
    #[serde(default)]
    name_prefix: Option<String>,
    #[serde(default)]
    name_suffix: Option<String>,
    #[serde(default)]
    components: Vec<String>,
    #[serde(default)]
    ignore_missing_components: bool,
    #[serde(default)]
    patches: Vec<Patch>,
    /// v1beta2
    #[serde(default)]
    patches_strategic_merge: Vec<Yaml>,
    /// v1beta2
    #[serde(default)]
    patches_json6902: Vec<Json6902>,
    #[serde(default)]
    images: Vec<Image>,
    #[serde(default)]
    depends_on: Vec<Dependency>,
    #[serde(default)]
    post_build: Option<RawPostBuild>,
    #[serde(default)]
    wait: bool,
    #[serde(default)]
    health_checks: Vec<HealthCheck>,
    #[serde(default)]
    #[allow(dead_code)]
    force: bool,
    #[serde(default)]
    suspend: bool,
    #[serde(default)]
    common_metadata: Option<Yaml>,
    #[serde(default)]
    #[allow(dead_code)]
    service_account_name: Option<String>,
    #[serde(default)]
    kube_config: Option<Yaml>,
    #[serde(default)]
    decryption: Option<Yaml>,
    #[serde(default)]
    #[allow(dead_code)]
    deletion_policy: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    health_check_exprs: Option<Yaml>,
    /// v1beta2
    #[serde(default)]
    #[allow(dead_code)]
    validation: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    build_metadata: Option<Yaml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SourceRef {
    #[serde(default)]
    #[allow(dead_code)]
    api_version: Option<String>,
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Patch {
    patch: String,
    #[serde(default)]
    target: Option<Yaml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Json6902 {
    patch: Yaml,
    target: Yaml,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Image {
    name: String,
    #[serde(default)]
    new_name: Option<String>,
    #[serde(default)]
    new_tag: Option<String>,
    #[serde(default)]
    digest: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Dependency {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    ready_expr: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPostBuild {
    #[serde(default)]
    substitute: BTreeMap<String, String>,
    #[serde(default)]
    substitute_from: Vec<SubstituteFromRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HealthCheck {
    #[serde(default)]
    api_version: Option<String>,
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

/// A Flux GitRepository's coordinates and URL, to match `sourceRef`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRepository {
    pub namespace: String,
    pub name: String,
    pub url: String,
}

/// A Kustomization document as an app. `dependsOn` entries are returned as
/// `namespace/name` of the Kustomizations; the caller maps them to app
/// names. Never fails: what cannot be used is the app's `problem`.
pub fn kustomization(
    doc: &Document<'_>,
    root: &Path,
    remotes: &[String],
    git_repositories: &[GitRepository],
) -> AppSpec {
    let namespace = doc
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| FLUX_NAMESPACE.to_string());
    let mut app = AppSpec::new(
        doc.name(),
        AppSource::External {
            reason: "not resolved".into(),
        },
    );
    app.origin = Origin::Kustomization {
        file: doc.file.to_path_buf(),
        namespace: namespace.clone(),
    };
    app.readiness = Readiness::Applied;
    let parsed: Kustomization = match doc.parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            app.problem = Some(yaml_field_error(doc, &error));
            return app;
        }
    };
    let at = |field: &str, message: String| format!("{}: {field}: {message}", doc.location());
    let spec = parsed.spec.unwrap_or_default();
    app.prune = spec.prune;
    app.namespace = spec.target_namespace.clone().filter(|n| !n.is_empty());
    app.depends_on = spec
        .depends_on
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d.namespace.as_deref().unwrap_or(&namespace),
                d.name
            )
        })
        .collect();
    app.readiness = if spec.wait {
        Readiness::Healthy
    } else if !spec.health_checks.is_empty() {
        Readiness::Objects(
            spec.health_checks
                .iter()
                .map(|h| {
                    (
                        h.api_version.clone().unwrap_or_else(|| "apps/v1".into()),
                        h.kind.clone(),
                        h.namespace.clone(),
                        h.name.clone(),
                    )
                })
                .collect(),
        )
    } else {
        Readiness::Applied
    };
    if spec.suspend {
        app.warnings
            .push("suspended in Flux (spec.suspend): Flux would not apply it".into());
    }
    if spec.common_metadata.is_some() {
        app.warnings
            .push("spec.commonMetadata is not applied by bosun".into());
    }
    if spec.kube_config.is_some() {
        app.warnings
            .push("spec.kubeConfig names another cluster; bosun applies to the current one".into());
    }
    if spec.decryption.is_some() {
        app.warnings
            .push("spec.decryption (SOPS) is not applied by bosun yet".into());
    }
    if let Some(post_build) = spec.post_build {
        match PostBuild::from_written(
            post_build.substitute,
            post_build.substitute_from,
            &namespace,
        ) {
            Ok(post_build) => app.post_build = Some(post_build),
            Err((index, why)) => {
                app.problem = Some(at(
                    &format!("spec.postBuild.substituteFrom[{index}].kind"),
                    why,
                ));
                return app;
            }
        }
    }

    let Some(source_ref) = spec.source_ref else {
        app.problem = Some(at(
            "spec.sourceRef",
            "missing; which source to build".into(),
        ));
        return app;
    };
    if source_ref.kind != "GitRepository" {
        app.source = AppSource::External {
            reason: format!("a {} source ({})", source_ref.kind, source_ref.name),
        };
        return app;
    }
    let source_namespace = source_ref.namespace.as_deref().unwrap_or(&namespace);
    let known = git_repositories
        .iter()
        .find(|g| g.name == source_ref.name && g.namespace == source_namespace);
    let ours = match known {
        Some(git) => remotes.is_empty() || super::giturl::is_one_of(&git.url, remotes),
        // `flux bootstrap`'s GitRepository is this repo by convention.
        None => source_ref.name == FLUX_NAMESPACE && source_namespace == FLUX_NAMESPACE,
    };
    if !ours {
        let reason = match known {
            Some(git) => format!(
                "GitRepository {source_namespace}/{} points at {}, not this checkout",
                source_ref.name, git.url
            ),
            None => format!(
                "GitRepository {source_namespace}/{} is not declared in this repository",
                source_ref.name
            ),
        };
        app.source = AppSource::External { reason };
        return app;
    }

    // kustomize-controller: securejoin(root, path), so `./x`, `x` and `/x`
    // are the same directory and `..` cannot leave the root.
    let written = spec.path.clone().unwrap_or_default();
    let path = match super::paths::declared_dir(root, &written, || {
        format!("kustomization path not found: {written}")
    }) {
        Ok(path) => path,
        Err(why) => {
            app.problem = Some(at("spec.path", why));
            return app;
        }
    };
    let dir = root.join(&path);
    let mut components = Vec::new();
    for (index, component) in spec.components.iter().enumerate() {
        if !is_local_relative(component) {
            app.problem = Some(at(
                &format!("spec.components[{index}]"),
                format!("component path '{component}' must be local and relative"),
            ));
            return app;
        }
        if spec.ignore_missing_components && !dir.join(component).exists() {
            continue;
        }
        components.push(component.clone());
    }
    let mut patches: Vec<Yaml> = spec
        .patches
        .into_iter()
        .map(|p| {
            let mut entry = Mapping::new();
            entry.insert("patch".into(), p.patch.into());
            if let Some(target) = p.target {
                entry.insert("target".into(), target);
            }
            Yaml::Mapping(entry)
        })
        .collect();
    for strategic in spec.patches_strategic_merge {
        let mut entry = Mapping::new();
        entry.insert(
            "patch".into(),
            serde_yaml::to_string(&strategic).unwrap_or_default().into(),
        );
        patches.push(Yaml::Mapping(entry));
    }
    for json in spec.patches_json6902 {
        let mut entry = Mapping::new();
        entry.insert(
            "patch".into(),
            serde_yaml::to_string(&json.patch)
                .unwrap_or_default()
                .into(),
        );
        entry.insert("target".into(), json.target);
        patches.push(Yaml::Mapping(entry));
    }
    let images = spec
        .images
        .into_iter()
        .map(|image| {
            let mut entry = Mapping::new();
            entry.insert("name".into(), image.name.into());
            for (key, value) in [
                ("newName", image.new_name),
                ("newTag", image.new_tag),
                ("digest", image.digest),
            ] {
                if let Some(value) = value.filter(|v| !v.is_empty()) {
                    entry.insert(key.into(), value.into());
                }
            }
            Yaml::Mapping(entry)
        })
        .collect();
    app.source = AppSource::Kustomize {
        path,
        options: KustomizeOptions {
            style: EditStyle::Flux,
            name_prefix: spec.name_prefix.filter(|p| !p.is_empty()),
            name_suffix: spec.name_suffix.filter(|p| !p.is_empty()),
            namespace: app.namespace.clone(),
            images,
            patches,
            components,
            // Flux builds with LoadRestrictionsNone, confined to the source
            // root (bosun checks that before the build).
            build_options: vec!["--load-restrictor".into(), "LoadRestrictionsNone".into()],
            generate: super::paths::kustomization_file(&dir).is_none(),
            ..KustomizeOptions::default()
        },
    };
    app
}

/// fluxcd/pkg `IsLocalRelativePath`: no remote prefixes, not absolute.
fn is_local_relative(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let remote = [
        "git::",
        "gh:",
        "ssh://",
        "https://",
        "http://",
        "git@",
        "github.com:",
        "github.com/",
    ]
    .iter()
    .any(|prefix| lower.starts_with(prefix));
    let bare = path.strip_prefix("file://").unwrap_or(path);
    !remote && !Path::new(bare).has_root()
}

/// The GitRepository objects of a document, if it is one.
pub fn git_repository(doc: &Document<'_>) -> Option<GitRepository> {
    let value: Yaml = doc.parse().ok()?;
    Some(GitRepository {
        namespace: doc
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| FLUX_NAMESPACE.to_string()),
        name: doc.metadata.name.clone()?,
        url: value.get("spec")?.get("url")?.as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_paths_must_be_local() {
        assert!(is_local_relative("../components/monitoring"));
        assert!(!is_local_relative("https://github.com/x/y"));
        assert!(!is_local_relative("/abs"));
        assert!(!is_local_relative("GitHub.com/x"));
    }
}
