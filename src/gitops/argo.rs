//! Argo CD `Application` manifests as apps (argoproj.io/v1alpha1; fields as
//! in argo-cd `pkg/apis/application/v1alpha1/types.go`, rendering as its
//! repo-server does — docs/ARCHITECTURE.md "Declared apps").
//!
//! Unknown fields are an error on that app, naming the file and the field;
//! fields bosun understands but does not apply are warnings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value as Yaml;

use super::app::{
    AppSource, AppSpec, DirectorySource, EditStyle, HelmSource, KustomizeOptions, Origin,
};
use super::declared::{Document, Metadata, yaml_field_error};
use super::ignore::IgnoreRule;
use super::repo::RepoFacts;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Application {
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
    #[serde(default)]
    #[allow(dead_code)]
    operation: Option<Yaml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    sources: Option<Vec<Yaml>>,
    #[serde(default)]
    destination: Option<Destination>,
    #[serde(default)]
    #[allow(dead_code)]
    project: Option<String>,
    #[serde(default)]
    sync_policy: Option<SyncPolicy>,
    #[serde(default)]
    ignore_differences: Option<Yaml>,
    #[serde(default)]
    #[allow(dead_code)]
    info: Option<Yaml>,
    #[serde(default)]
    #[allow(dead_code)]
    revision_history_limit: Option<i64>,
    #[serde(default)]
    source_hydrator: Option<Yaml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Source {
    #[serde(default, rename = "repoURL")]
    repo_url: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    target_revision: Option<String>,
    #[serde(default)]
    helm: Option<Helm>,
    #[serde(default)]
    kustomize: Option<Kustomize>,
    #[serde(default)]
    directory: Option<Directory>,
    #[serde(default)]
    plugin: Option<Yaml>,
    #[serde(default)]
    chart: Option<String>,
    #[serde(default, rename = "ref")]
    #[allow(dead_code)]
    reference: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Helm {
    #[serde(default)]
    value_files: Vec<String>,
    #[serde(default)]
    parameters: Vec<HelmParameter>,
    #[serde(default)]
    release_name: Option<String>,
    #[serde(default)]
    values: Option<String>,
    #[serde(default)]
    values_object: Option<Yaml>,
    #[serde(default)]
    file_parameters: Option<Yaml>,
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    pass_credentials: Option<bool>,
    #[serde(default)]
    ignore_missing_value_files: bool,
    #[serde(default)]
    skip_crds: bool,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    kube_version: Option<String>,
    #[serde(default)]
    api_versions: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    skip_tests: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    skip_schema_validation: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HelmParameter {
    name: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    force_string: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Kustomize {
    #[serde(default)]
    name_prefix: Option<String>,
    #[serde(default)]
    name_suffix: Option<String>,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_annotations: BTreeMap<String, String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    force_common_labels: bool,
    #[serde(default)]
    force_common_annotations: bool,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    common_annotations_envsubst: bool,
    #[serde(default)]
    replicas: Vec<Yaml>,
    #[serde(default)]
    patches: Vec<Yaml>,
    #[serde(default)]
    components: Vec<String>,
    #[serde(default)]
    ignore_missing_components: bool,
    #[serde(default)]
    label_without_selector: bool,
    #[serde(default)]
    label_include_templates: bool,
    #[serde(default)]
    kube_version: Option<String>,
    #[serde(default)]
    api_versions: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Directory {
    #[serde(default)]
    recurse: bool,
    #[serde(default)]
    jsonnet: Option<Yaml>,
    #[serde(default)]
    exclude: Option<String>,
    #[serde(default)]
    include: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Destination {
    #[serde(default)]
    #[allow(dead_code)]
    server: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SyncPolicy {
    #[serde(default)]
    automated: Option<Automated>,
    #[serde(default)]
    sync_options: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    retry: Option<Yaml>,
    #[serde(default)]
    managed_namespace_metadata: Option<Yaml>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Automated {
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    #[allow(dead_code)]
    self_heal: bool,
    #[serde(default)]
    #[allow(dead_code)]
    allow_empty: bool,
    #[serde(default)]
    enabled: Option<bool>,
}

/// An Application document as an app. Never fails: what cannot be used is
/// the app's `problem`, naming the file, the line and the field.
pub fn application(doc: &Document<'_>, root: &Path, facts: &RepoFacts) -> AppSpec {
    let origin_namespace = doc
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "argocd".to_string());
    let name = doc.name();
    let mut app = AppSpec::new(
        name,
        AppSource::External {
            reason: "not resolved".into(),
        },
    );
    app.origin = Origin::Application {
        file: doc.file.to_path_buf(),
        namespace: origin_namespace,
    };
    let parsed: Application = match doc.parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            app.problem = Some(yaml_field_error(doc, &error));
            return app;
        }
    };
    let at = |field: &str, message: String| format!("{}: {field}: {message}", doc.location());
    let spec = parsed.spec.unwrap_or_default();
    if let Some(destination) = &spec.destination {
        app.namespace = destination.namespace.clone().filter(|ns| !ns.is_empty());
    }
    if let Some(policy) = &spec.sync_policy {
        if let Some(automated) = &policy.automated
            && automated.enabled != Some(false)
        {
            app.auto_sync = true;
            app.prune = automated.prune;
        }
        app.create_namespace = policy
            .sync_options
            .iter()
            .any(|o| o.trim() == "CreateNamespace=true");
        if policy.managed_namespace_metadata.is_some() {
            app.warnings
                .push("syncPolicy.managedNamespaceMetadata is not applied by bosun".into());
        }
    }
    if let Some(policy) = &spec.sync_policy {
        app.respect_ignore_differences = policy
            .sync_options
            .iter()
            .any(|o| o.trim() == "RespectIgnoreDifferences=true");
    }
    if let Some(rules) = spec.ignore_differences.clone() {
        match serde_yaml::from_value::<Vec<IgnoreRule>>(rules) {
            Ok(rules) => {
                for (i, rule) in rules.iter().enumerate() {
                    if let Err(why) = rule.check() {
                        app.problem = Some(at(&format!("spec.ignoreDifferences[{i}]"), why));
                        return app;
                    }
                }
                app.ignore_differences = rules;
            }
            Err(e) => {
                app.problem = Some(at("spec.ignoreDifferences", e.to_string()));
                return app;
            }
        }
    }
    if spec.source_hydrator.is_some() {
        app.source = AppSource::External {
            reason: "a source hydrator".into(),
        };
        return app;
    }
    if spec.sources.as_ref().is_some_and(|s| !s.is_empty()) {
        app.source = AppSource::External {
            reason: "several sources (spec.sources)".into(),
        };
        return app;
    }
    let Some(source) = spec.source else {
        app.problem = Some(at(
            "spec.source",
            "missing; which repository and path to render".into(),
        ));
        return app;
    };
    let repo_url = source.repo_url.clone().unwrap_or_default();
    if let Some(chart) = source.chart.as_deref().filter(|c| !c.is_empty()) {
        app.source = AppSource::External {
            reason: format!("Helm chart {chart} from the chart repository {repo_url}"),
        };
        return app;
    }
    if !super::giturl::is_one_of(&repo_url, &facts.remotes) {
        app.source = AppSource::External {
            reason: format!("its repoURL {repo_url} is not a remote of this checkout"),
        };
        return app;
    }
    match source.target_revision.as_deref().map(str::trim) {
        None | Some("") | Some("HEAD") => {}
        Some(revision) if facts.branch.as_deref() == Some(revision) => {}
        Some(revision) => app.warnings.push(format!(
            "targetRevision {revision}, but the checkout is on {}: bosun renders the checkout",
            facts.branch.as_deref().unwrap_or("a detached HEAD")
        )),
    }
    let written = source.path.clone().unwrap_or_default();
    let path = match super::paths::declared_dir(root, &written, || {
        format!("{written:?} does not exist in the repository")
    }) {
        Ok(path) => path,
        Err(why) => {
            app.problem = Some(at("spec.source.path", why));
            return app;
        }
    };
    let dir = root.join(&path);
    let explicit = [
        source.helm.is_some(),
        source.kustomize.is_some(),
        source.directory.is_some(),
        source.plugin.is_some(),
    ]
    .iter()
    .filter(|set| **set)
    .count();
    if explicit > 1 {
        app.problem = Some(at(
            "spec.source",
            "multiple application sources defined (helm, kustomize, directory, plugin: one at most)"
                .into(),
        ));
        return app;
    }
    if source.plugin.is_some() {
        app.source = AppSource::External {
            reason: "a config management plugin".into(),
        };
        return app;
    }
    // Argo CD's type detection (util/app/discovery): only files directly in
    // the path count; a kustomization wins over a chart.
    let detected = if source.helm.is_some() {
        SourceType::Helm
    } else if source.kustomize.is_some() {
        SourceType::Kustomize
    } else if source.directory.is_some() {
        SourceType::Directory
    } else if super::paths::kustomization_file(&dir).is_some() {
        SourceType::Kustomize
    } else if has_chart(&dir) {
        SourceType::Helm
    } else {
        SourceType::Directory
    };
    let result = match detected {
        SourceType::Kustomize => {
            kustomize(&mut app, root, path, source.kustomize.unwrap_or_default())
        }
        SourceType::Helm => helm(&mut app, root, path, source.helm.unwrap_or_default()),
        SourceType::Directory => directory(path, source.directory.unwrap_or_default()),
    };
    match result {
        Ok(source) => app.source = source,
        Err((field, why)) => app.problem = Some(at(&field, why)),
    }
    app
}

enum SourceType {
    Kustomize,
    Helm,
    Directory,
}

fn has_chart(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.filter_map(Result::ok).any(|entry| {
                entry.file_name().to_string_lossy().ends_with("Chart.yaml")
                    && entry.path().is_file()
            })
        })
        .unwrap_or(false)
}

type FieldError = (String, String);

fn kustomize(
    app: &mut AppSpec,
    root: &Path,
    path: PathBuf,
    k: Kustomize,
) -> Result<AppSource, FieldError> {
    let mut images = Vec::new();
    for (index, image) in k.images.iter().enumerate() {
        images.push(
            super::kustomize_edit::parse_image(image)
                .map_err(|why| (format!("spec.source.kustomize.images[{index}]"), why))?,
        );
    }
    if k.version.is_some() {
        app.warnings
            .push("kustomize.version: bosun uses the kustomize on PATH".into());
    }
    if k.common_annotations_envsubst || k.label_without_selector || k.label_include_templates {
        app.warnings.push(
            "kustomize.commonAnnotationsEnvsubst / labelWithoutSelector / labelIncludeTemplates are not applied by bosun"
                .into(),
        );
    }
    if k.kube_version.is_some() || k.api_versions.is_some() {
        app.warnings
            .push("kustomize.kubeVersion / apiVersions are not applied by bosun".into());
    }
    let mut components = k.components;
    if k.ignore_missing_components {
        components.retain(|c| root.join(&path).join(c).exists());
    }
    Ok(AppSource::Kustomize {
        path,
        options: KustomizeOptions {
            style: EditStyle::Argo,
            name_prefix: k.name_prefix.filter(|p| !p.is_empty()),
            name_suffix: k.name_suffix.filter(|p| !p.is_empty()),
            namespace: k.namespace.filter(|p| !p.is_empty()),
            images,
            replicas: k.replicas,
            common_labels: k.common_labels,
            common_annotations: k.common_annotations,
            force_common_labels: k.force_common_labels,
            force_common_annotations: k.force_common_annotations,
            patches: k.patches,
            components,
            ..KustomizeOptions::default()
        },
    })
}

/// A chart in this repository, rendered as Argo CD's repo-server does
/// (`helm template . --name-template RELEASE --namespace NS`, value files
/// relative to the app path, inline values last, `--include-crds` unless
/// `skipCrds`).
fn helm(app: &mut AppSpec, root: &Path, path: PathBuf, h: Helm) -> Result<AppSource, FieldError> {
    let mut source = HelmSource::new(
        path.display().to_string(),
        h.release_name
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| app.name.clone()),
    );
    source.chart_path = Some(path.clone());
    source.namespace = h
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| app.namespace.clone());
    for (index, file) in h.value_files.iter().enumerate() {
        let field = format!("spec.source.helm.valueFiles[{index}]");
        if file.contains("://") {
            return Err((
                field,
                format!("{file:?}: remote value files are not supported"),
            ));
        }
        let joined = path.join(file);
        let resolved = super::paths::contain(root, &joined.to_string_lossy())
            .map_err(|why| (field.clone(), why))?;
        if !root.join(&resolved).is_file() {
            if h.ignore_missing_value_files {
                continue;
            }
            return Err((field, format!("{file:?} does not exist in the repository")));
        }
        source.values.push(resolved);
    }
    source.inline_values = match (&h.values_object, &h.values) {
        (Some(object), _) => Some(serde_yaml::to_string(object).unwrap_or_default()),
        (None, Some(text)) if !text.trim().is_empty() => Some(text.clone()),
        _ => None,
    };
    for parameter in h.parameters {
        let value = parameter.value.unwrap_or_default();
        if parameter.force_string {
            source.set_string.push((parameter.name, value));
        } else {
            source.set.push((parameter.name, value));
        }
    }
    source.include_crds = !h.skip_crds;
    if h.file_parameters.is_some() {
        return Err((
            "spec.source.helm.fileParameters".into(),
            "not supported by bosun".into(),
        ));
    }
    if h.kube_version.is_some() || h.api_versions.is_some() {
        app.warnings
            .push("helm.kubeVersion / apiVersions are not applied by bosun".into());
    }
    if app.namespace.is_none() {
        app.namespace.clone_from(&source.namespace);
    }
    Ok(AppSource::Helm(source))
}

fn directory(path: PathBuf, d: Directory) -> Result<AppSource, FieldError> {
    if d.jsonnet.as_ref().is_some_and(|j| {
        j.as_mapping().is_some_and(|m| {
            m.values()
                .any(|v| v.as_sequence().is_some_and(|s| !s.is_empty()))
        })
    }) {
        return Err((
            "spec.source.directory.jsonnet".into(),
            "Jsonnet is not supported by bosun".into(),
        ));
    }
    Ok(AppSource::Directory(DirectorySource {
        path,
        recurse: d.recurse,
        include: d.include.filter(|g| !g.is_empty()),
        exclude: d.exclude.filter(|g| !g.is_empty()),
    }))
}
