//! What an app is: where its manifests come from, how they are rendered,
//! and how it syncs — whichever way the repo declared it (`bosun.yaml`, an
//! Argo CD Application, a Flux Kustomization, or plain discovery).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_yaml::Value as Yaml;

use super::ignore::IgnoreRule;

/// One app: a set of objects rendered from the repo and synced together.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSpec {
    /// Exact and unique (docs/ARCHITECTURE.md "App identity").
    pub name: String,
    pub source: AppSource,
    /// Default namespace for rendered objects without one, and where the
    /// inventory lives (for a Helm app, the release namespace when the app
    /// does not name one).
    pub namespace: Option<String>,
    pub prune: bool,
    pub auto_sync: bool,
    /// Where the repo declares it.
    pub origin: Origin,
    /// Create the app's namespace when it does not exist (Argo CD's
    /// `CreateNamespace=true`; a plain Namespace, never pruned).
    pub create_namespace: bool,
    /// Apps that must be ready before this one syncs (Flux `dependsOn`).
    pub depends_on: Vec<String>,
    /// Flux's post-build variable substitution.
    pub post_build: Option<PostBuild>,
    /// What "ready" means for apps that depend on this one.
    pub readiness: Readiness,
    /// Fields left out of the diff (Argo CD's `ignoreDifferences`).
    pub ignore_differences: Vec<IgnoreRule>,
    /// Argo CD's `RespectIgnoreDifferences=true`: those fields are also
    /// left alone at sync.
    pub respect_ignore_differences: bool,
    /// Things the user should know that do not stop the app (a
    /// targetRevision other than the checkout, a suspended Kustomization).
    pub warnings: Vec<String>,
    /// Why a declared app cannot be used, naming the file and the field;
    /// it is listed with this error and never rendered or synced.
    pub problem: Option<String>,
}

impl AppSpec {
    /// An app with nothing but a name and a source; the rest defaulted.
    pub fn new(name: impl Into<String>, source: AppSource) -> AppSpec {
        AppSpec {
            name: name.into(),
            source,
            namespace: None,
            prune: false,
            auto_sync: false,
            origin: Origin::BosunYaml,
            create_namespace: false,
            depends_on: Vec::new(),
            post_build: None,
            readiness: Readiness::Healthy,
            ignore_differences: Vec::new(),
            respect_ignore_differences: false,
            warnings: Vec::new(),
            problem: None,
        }
    }

    /// The repo-relative directory the app renders from, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        match &self.source {
            AppSource::Kustomize { path, .. }
            | AppSource::Directory(DirectorySource { path, .. }) => Some(path),
            AppSource::Helm(helm) => helm.chart_path.as_deref(),
            AppSource::External { .. } => None,
        }
    }
}

/// Where an app's manifests come from.
#[derive(Debug, Clone, PartialEq)]
pub enum AppSource {
    /// A kustomize directory, repo-relative and normalised (no `..`), with
    /// what Argo CD or Flux change in its kustomization before the build.
    Kustomize {
        path: PathBuf,
        options: KustomizeOptions,
    },
    /// Plain YAML/JSON files (Argo CD's directory source).
    Directory(DirectorySource),
    /// A Helm release rendered with `helm template`.
    Helm(HelmSource),
    /// Declared, but its manifests are not in this repository (another
    /// repo, a Helm repository, several sources): listed, never rendered.
    External { reason: String },
}

/// Whose rules an edit of the kustomization follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EditStyle {
    /// `kustomize edit` as Argo CD runs it (util/kustomize/kustomize.go).
    #[default]
    Argo,
    /// fluxcd/pkg kustomize generator (`kustomize_generator.go`).
    Flux,
}

/// Changes made to an app's kustomization before it is built, the way the
/// tool that declared the app makes them, plus build flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KustomizeOptions {
    pub style: EditStyle,
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    /// `namespace:` of the kustomization (Flux targetNamespace, Argo CD
    /// `kustomize.namespace`).
    pub namespace: Option<String>,
    /// Kustomize `images:` entries (name, newName, newTag, digest).
    pub images: Vec<Yaml>,
    /// Kustomize `replicas:` entries (name, count), set by name (Argo CD's
    /// `kustomize edit set replicas`).
    pub replicas: Vec<Yaml>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    /// Argo CD's forceCommonLabels / forceCommonAnnotations.
    pub force_common_labels: bool,
    pub force_common_annotations: bool,
    /// Kustomize `patches:` entries, appended.
    pub patches: Vec<Yaml>,
    /// Component paths relative to the app's path, appended.
    pub components: Vec<String>,
    /// Flags for `kustomize build` (allow-listed: `render::BUILD_OPTIONS`).
    pub build_options: Vec<String>,
    /// No kustomization in the directory: generate one as Flux does.
    pub generate: bool,
    /// Let the kustomization read outside the repository (bosun.yaml
    /// `allowOutsideRepo`); off, a reference that leaves it is an error.
    pub allow_outside: bool,
}

impl KustomizeOptions {
    /// Whether the kustomization must be edited (or made) before the build.
    pub fn edits(&self) -> bool {
        self.generate
            || self.name_prefix.is_some()
            || self.name_suffix.is_some()
            || self.namespace.is_some()
            || !self.images.is_empty()
            || !self.replicas.is_empty()
            || !self.common_labels.is_empty()
            || !self.common_annotations.is_empty()
            || !self.patches.is_empty()
            || !self.components.is_empty()
    }
}

/// Argo CD's directory source (reposerver `findManifests`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirectorySource {
    pub path: PathBuf,
    pub recurse: bool,
    /// Globs on the path relative to the app path (`*` crosses `/`, braces
    /// allowed), as Argo CD matches them.
    pub include: Option<String>,
    pub exclude: Option<String>,
}

/// A Helm release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmSource {
    /// The chart as written (`repo/name`, `oci://…`, or a local path).
    pub chart: String,
    /// The repo-relative chart directory when `chart` is a local path.
    pub chart_path: Option<PathBuf>,
    pub version: Option<String>,
    pub release: String,
    /// The release namespace (the app's namespace when not given).
    pub namespace: Option<String>,
    /// Repo-relative values files, in order.
    pub values: Vec<PathBuf>,
    /// A chart repository URL (`helm template --repo`).
    pub repo_url: Option<String>,
    /// Inline values (Argo CD `values` / `valuesObject`), after the files.
    pub inline_values: Option<String>,
    /// `--set` and `--set-string` parameters.
    pub set: Vec<(String, String)>,
    pub set_string: Vec<(String, String)>,
    /// `--include-crds` (Argo CD skips them only with `skipCrds`).
    pub include_crds: bool,
}

impl HelmSource {
    pub fn new(chart: impl Into<String>, release: impl Into<String>) -> HelmSource {
        HelmSource {
            chart: chart.into(),
            chart_path: None,
            version: None,
            release: release.into(),
            namespace: None,
            values: Vec::new(),
            repo_url: None,
            inline_values: None,
            set: Vec::new(),
            set_string: Vec::new(),
            include_crds: true,
        }
    }
}

/// Where the repo declares an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BosunYaml,
    /// An Argo CD Application manifest.
    Application {
        file: PathBuf,
        namespace: String,
    },
    /// A Flux Kustomization.
    Kustomization {
        file: PathBuf,
        namespace: String,
    },
    /// Plain discovery: a kustomization nothing else includes.
    Discovered,
}

impl Origin {
    /// "bosun.yaml", "Application clusters/prod/apps.yaml", ...
    pub fn describe(&self) -> String {
        match self {
            Origin::BosunYaml => "bosun.yaml".into(),
            Origin::Application { file, .. } => format!("Application {}", file.display()),
            Origin::Kustomization { file, .. } => format!("Kustomization {}", file.display()),
            Origin::Discovered => "discovered".into(),
        }
    }

    /// One word for a table column.
    pub fn short(&self) -> &'static str {
        match self {
            Origin::BosunYaml => "bosun.yaml",
            Origin::Application { .. } => "Application",
            Origin::Kustomization { .. } => "Kustomization",
            Origin::Discovered => "discovered",
        }
    }
}

/// Flux `postBuild`: variables substituted into every rendered object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostBuild {
    pub substitute: BTreeMap<String, String>,
    pub substitute_from: Vec<SubstituteFrom>,
}

impl PostBuild {
    /// From the written form (Flux's `postBuild`, bosun.yaml's
    /// `substitute` / `substituteFrom`), looked up in `namespace`. The error
    /// names the first entry that is neither a ConfigMap nor a Secret.
    pub fn from_written(
        substitute: BTreeMap<String, String>,
        from: Vec<SubstituteFromRef>,
        namespace: &str,
    ) -> Result<PostBuild, (usize, String)> {
        let mut substitute_from = Vec::with_capacity(from.len());
        for (index, entry) in from.into_iter().enumerate() {
            if entry.kind != "ConfigMap" && entry.kind != "Secret" {
                return Err((
                    index,
                    format!("{:?}: expected ConfigMap or Secret", entry.kind),
                ));
            }
            substitute_from.push(SubstituteFrom {
                kind: entry.kind,
                name: entry.name,
                namespace: namespace.to_string(),
                optional: entry.optional,
            });
        }
        Ok(PostBuild {
            substitute,
            substitute_from,
        })
    }
}

/// A `substituteFrom` entry as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstituteFromRef {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub optional: bool,
}

/// One `postBuild.substituteFrom` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstituteFrom {
    /// "ConfigMap" or "Secret".
    pub kind: String,
    pub name: String,
    /// The Kustomization's namespace (where Flux looks).
    pub namespace: String,
    pub optional: bool,
}

/// When an app counts as ready for those that depend on it (Flux:
/// `Ready=True` of a Kustomization means applied, plus health with `wait`
/// or `healthChecks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Synced and every object Healthy (bosun's default; Flux `wait: true`).
    Healthy,
    /// Synced (Flux without wait or healthChecks).
    Applied,
    /// Synced and these objects Healthy: (apiVersion, kind, namespace, name).
    Objects(Vec<(String, String, Option<String>, String)>),
}
