//! `bosun.yaml`: which apps a GitOps repo holds and which images it builds
//! (DESIGN §6). Without the file, apps are discovered from the kustomizations
//! no other kustomization includes.
//!
//! Every path in the spec is repo-relative and checked by [`contain`]: a repo
//! someone else wrote must not make bosun read (and apply) files outside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};
use serde_yaml::Value as Yaml;

/// The spec file at the repository root.
pub const SPEC_FILE: &str = "bosun.yaml";

pub use super::discover::discover;
pub use super::paths::{
    KUSTOMIZATION_FILES, app_inputs, contain, kustomization_file, read_kustomization,
};

pub use super::app::{
    AppSource, AppSpec, DirectorySource, EditStyle, HelmSource, KustomizeOptions, Origin,
    PostBuild, Readiness, SubstituteFrom,
};

/// What a repo deploys and builds.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoSpec {
    pub apps: Vec<AppSpec>,
    pub builds: Vec<BuildSpec>,
    /// True when nothing declares apps and they were discovered.
    pub discovered: bool,
    /// The entry point apps were found from (`clusters/<name>`), if any.
    pub entry: Option<PathBuf>,
    /// Entry points to choose from when none was given and none matches
    /// the current context (a multi-cluster repo): no apps are listed
    /// until one is chosen (`--path` or the config's `path`).
    pub entry_candidates: Vec<PathBuf>,
    /// Repo-wide `kustomize build` flags (`kustomize.buildOptions`).
    pub build_options: Vec<String>,
}

impl RepoSpec {
    fn empty() -> RepoSpec {
        RepoSpec {
            apps: Vec::new(),
            builds: Vec::new(),
            discovered: false,
            entry: None,
            entry_candidates: Vec::new(),
            build_options: Vec::new(),
        }
    }
}

/// An image build (DESIGN §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSpec {
    pub name: String,
    pub context: BuildContext,
    /// Dockerfile path relative to the context; "Dockerfile" by default.
    pub dockerfile: String,
    pub image: String,
    /// The tag; `None` means the short commit sha.
    pub tag: Option<String>,
    pub registry_secret: Option<String>,
    /// Rollouts restarted after a good build, e.g. `deployment/blog -n blog`.
    pub then: Vec<String>,
    pub workflow_template: Option<String>,
    /// The build namespace; `None` lets the caller decide.
    pub namespace: Option<String>,
    /// The app this build feeds, if any.
    pub app: Option<String>,
}

/// What a build sends to the builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildContext {
    /// A repo-relative directory.
    Repo(PathBuf),
    /// A git URL (contains `://` or starts with `git@`).
    Url(String),
}

/// Why a repo's spec cannot be used. The message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}{}: {message}", file_label(path), at(*line, *column))]
    Yaml {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("{}{}: {field}: {message}", file_label(path), at(*line, None))]
    Field {
        path: PathBuf,
        line: Option<usize>,
        field: String,
        message: String,
    },
}

/// The file's name only: the spec always lives at the repo root, and the
/// full temp or home path would drown the message.
fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" line {line} column {column}"),
        (Some(line), None) => format!(" line {line}"),
        _ => String::new(),
    }
}

/// How to look for apps beyond `bosun.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The entry point (`--path`, the config's `path`), repo-relative.
    pub entry: Option<PathBuf>,
    /// The current kube context, for `clusters/<context>`.
    pub context: Option<String>,
}

/// Loads the apps with default options (no entry point, no context).
pub fn load(repo_root: &Path) -> Result<RepoSpec, SpecError> {
    load_with(repo_root, &LoadOptions::default())
}

/// The repo's apps, in DESIGN §6's order: `bosun.yaml` (which overrides
/// anything of the same name), then the Argo CD Applications and Flux
/// Kustomizations the repo declares (docs/ARCHITECTURE.md "Declared
/// apps"), and only when none of those exist, plain discovery.
pub fn load_with(repo_root: &Path, options: &LoadOptions) -> Result<RepoSpec, SpecError> {
    load_tree(repo_root, options, &super::repo::facts(repo_root))
}

/// [`load_with`] on a tree that is not the checkout (a past commit
/// extracted for a rollback): the checkout's facts (remotes, branch) say
/// which declared apps are this repo's.
pub fn load_tree(
    repo_root: &Path,
    options: &LoadOptions,
    facts: &super::repo::RepoFacts,
) -> Result<RepoSpec, SpecError> {
    let path = repo_root.join(SPEC_FILE);
    let file = match std::fs::read_to_string(&path) {
        Ok(text) => Some(parse(repo_root, &text)?),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(SpecError::Read { path, source }),
    };
    let has_file = file.is_some();
    let mut spec = file.unwrap_or_else(RepoSpec::empty);
    let entry = match &options.entry {
        Some(written) => {
            let written = written.to_string_lossy();
            let relative = contain(repo_root, &written).map_err(|message| SpecError::Field {
                path: PathBuf::from("--path"),
                line: None,
                field: "path".into(),
                message,
            })?;
            if !repo_root.join(&relative).is_dir() {
                return Err(SpecError::Field {
                    path: PathBuf::from("--path"),
                    line: None,
                    field: "path".into(),
                    message: format!("{written:?} is not a directory of the repository"),
                });
            }
            Some(relative)
        }
        None => spec.entry.clone(),
    };
    let declared = super::declared::scan(
        repo_root,
        entry.as_deref(),
        options.context.as_deref(),
        facts,
    );
    spec.entry = declared.entry;
    spec.entry_candidates = declared.candidates;
    for mut app in declared.apps {
        if spec.apps.iter().any(|a| a.name == app.name) {
            continue; // bosun.yaml names it: its entry wins
        }
        if let AppSource::Kustomize { options, .. } = &mut app.source
            && options.style == EditStyle::Argo
            && options.build_options.is_empty()
        {
            // argocd-cm `kustomize.buildOptions` is repo-wide too.
            options.build_options.clone_from(&spec.build_options);
        }
        spec.apps.push(app);
    }
    if !has_file && spec.apps.is_empty() && spec.entry_candidates.is_empty() {
        spec.apps = match &spec.entry {
            Some(scope) => super::discover::discover_under(repo_root, scope)?,
            None => discover(repo_root)?,
        };
        spec.discovered = true;
    }
    Ok(spec)
}

// ---------------------------------------------------------------------------
// Raw file format

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSpec {
    #[serde(default)]
    apps: Option<Vec<RawApp>>,
    #[serde(default)]
    builds: Option<Vec<RawBuild>>,
    /// The entry point of a multi-cluster repo (`clusters/prod`).
    #[serde(default)]
    path: Option<String>,
    /// Repo-wide kustomize settings.
    #[serde(default)]
    kustomize: Option<RawGlobalKustomize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGlobalKustomize {
    #[serde(default)]
    build_options: Option<BuildOptions>,
}

/// Build flags as Argo CD writes them (one string) or as a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum BuildOptions {
    Line(String),
    List(Vec<String>),
}

impl BuildOptions {
    fn args(self) -> Vec<String> {
        match self {
            BuildOptions::Line(line) => line.split_whitespace().map(str::to_string).collect(),
            BuildOptions::List(list) => list
                .iter()
                .flat_map(|item| item.split_whitespace())
                .map(str::to_string)
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawApp {
    #[serde(default, deserialize_with = "scalar")]
    name: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    helm: Option<RawHelm>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    auto_sync: bool,
    #[serde(default)]
    create_namespace: bool,
    #[serde(default)]
    depends_on: Option<Vec<String>>,
    /// Plain YAML files (Argo CD's directory source).
    #[serde(default)]
    directory: Option<RawDirectory>,
    #[serde(default)]
    kustomize: Option<RawKustomize>,
    /// Flux-style post-build substitution.
    #[serde(default)]
    substitute: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    substitute_from: Option<Vec<super::app::SubstituteFromRef>>,
    /// Let the app's kustomization read outside the repository.
    #[serde(default)]
    allow_outside_repo: bool,
    /// Argo CD's `ignoreDifferences`, same shape.
    #[serde(default)]
    ignore_differences: Option<Vec<super::ignore::IgnoreRule>>,
    /// Argo CD's `RespectIgnoreDifferences=true`.
    #[serde(default)]
    respect_ignore_differences: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDirectory {
    #[serde(default)]
    recurse: bool,
    #[serde(default)]
    include: Option<String>,
    #[serde(default)]
    exclude: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawKustomize {
    #[serde(default)]
    name_prefix: Option<String>,
    #[serde(default)]
    name_suffix: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    images: Option<Vec<String>>,
    #[serde(default)]
    common_labels: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    common_annotations: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    patches: Option<Vec<Yaml>>,
    #[serde(default)]
    components: Option<Vec<String>>,
    #[serde(default)]
    build_options: Option<BuildOptions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawHelm {
    #[serde(default)]
    chart: Option<String>,
    #[serde(default, deserialize_with = "scalar")]
    version: Option<String>,
    #[serde(default, deserialize_with = "scalar")]
    release: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    values: Option<Vec<String>>,
    #[serde(default)]
    repo: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawBuild {
    #[serde(default, deserialize_with = "scalar")]
    name: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    dockerfile: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default, deserialize_with = "scalar")]
    tag: Option<String>,
    #[serde(default)]
    registry_secret: Option<String>,
    #[serde(default)]
    then: Option<Vec<String>>,
    #[serde(default)]
    workflow_template: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    app: Option<String>,
}

/// Accepts a YAML number or bool where a string is meant (`version: 1.2`,
/// `tag: 2024`): people write them unquoted and YAML types them.
fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    match Option::<Yaml>::deserialize(deserializer)? {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::String(text)) => Ok(Some(text)),
        Some(Yaml::Number(number)) => Ok(Some(number.to_string())),
        Some(Yaml::Bool(flag)) => Ok(Some(flag.to_string())),
        Some(_) => Err(D::Error::custom("expected a string")),
    }
}

// ---------------------------------------------------------------------------
// Parsing and validation

/// Parses and validates `bosun.yaml` text; paths are checked against the repo.
pub fn parse(repo_root: &Path, text: &str) -> Result<RepoSpec, SpecError> {
    let path = repo_root.join(SPEC_FILE);
    // Parse untyped first: an empty or comment-only file is an empty spec,
    // which typed parsing would call "EOF while parsing".
    let untyped: Yaml = serde_yaml::from_str(text).map_err(|error| yaml_error(&path, &error))?;
    let raw: RawSpec = if untyped.is_null() {
        RawSpec::default()
    } else {
        serde_yaml::from_str(text).map_err(|error| yaml_error(&path, &error))?
    };
    let check = Check {
        root: repo_root,
        path: &path,
        text,
    };
    let build_options = match raw.kustomize.and_then(|k| k.build_options) {
        Some(options) => {
            let args = options.args();
            super::render::check_build_options(&args).map_err(|why| {
                check.error(
                    key_line(text, "kustomize", 0, &["buildOptions"]),
                    "kustomize.buildOptions".into(),
                    why,
                )
            })?;
            args
        }
        None => Vec::new(),
    };
    let entry = match raw.path.filter(|p| !p.trim().is_empty()) {
        Some(written) => {
            let path = contain(repo_root, &written)
                .map_err(|why| check.error(None, "path".into(), why))?;
            expect_dir(&repo_root.join(&path), &written)
                .map_err(|why| check.error(None, "path".into(), why))?;
            Some(path)
        }
        None => None,
    };
    let apps = check.apps(raw.apps.unwrap_or_default(), &build_options)?;
    let builds = check.builds(raw.builds.unwrap_or_default(), &apps)?;
    Ok(RepoSpec {
        apps,
        builds,
        entry,
        build_options,
        ..RepoSpec::empty()
    })
}

/// Keeps serde_yaml's message (with its field path, e.g. `apps[1]: unknown
/// field`), moving the position it appends into `line`/`column`.
fn yaml_error(path: &Path, error: &serde_yaml::Error) -> SpecError {
    let location = error.location();
    let mut message = error.to_string();
    if let Some(location) = &location {
        let suffix = format!(" at line {} column {}", location.line(), location.column());
        message = message.replacen(&suffix, "", 1);
    }
    SpecError::Yaml {
        path: path.to_path_buf(),
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
        message,
    }
}

struct Check<'a> {
    root: &'a Path,
    path: &'a Path,
    text: &'a str,
}

impl Check<'_> {
    fn error(&self, line: Option<usize>, field: String, message: impl Into<String>) -> SpecError {
        SpecError::Field {
            path: self.path.to_path_buf(),
            line,
            field,
            message: message.into(),
        }
    }

    fn line_of(&self, section: &str, index: usize, keys: &[&str]) -> Option<usize> {
        key_line(self.text, section, index, keys)
    }

    fn apps(&self, raw: Vec<RawApp>, global_options: &[String]) -> Result<Vec<AppSpec>, SpecError> {
        let mut seen: HashMap<String, (usize, Option<usize>)> = HashMap::new();
        let mut apps = Vec::with_capacity(raw.len());
        for (index, app) in raw.into_iter().enumerate() {
            let at = |keys: &[&str]| self.line_of("apps", index, keys);
            let name = required(app.name).ok_or_else(|| {
                self.error(
                    at(&[]),
                    format!("apps[{index}].name"),
                    "missing; every app needs a name",
                )
            })?;
            if let Err(why) = super::identity::check_app_name(&name) {
                return Err(self.error(at(&["name"]), format!("apps[{index}].name"), why));
            }
            if let Some((other, other_line)) = seen.get(&name) {
                let other_at = other_line
                    .map(|l| format!(", line {l}"))
                    .unwrap_or_default();
                return Err(self.error(
                    at(&["name"]),
                    format!("apps[{index}].name"),
                    format!("duplicate app name {name:?} (also apps[{other}]{other_at})"),
                ));
            }
            seen.insert(name.clone(), (index, at(&["name"])));
            let mut namespace = app.namespace.filter(|ns| !ns.is_empty());
            if let Some(ns) = &namespace {
                dns_label(ns).map_err(|why| {
                    self.error(at(&["namespace"]), format!("apps[{index}].namespace"), why)
                })?;
            }
            let source = match (app.path, app.helm) {
                (Some(_), Some(_)) => {
                    return Err(self.error(
                        at(&["helm"]),
                        format!("apps[{index}]"),
                        "has both `path` and `helm`; an app is one or the other",
                    ));
                }
                (None, None) => {
                    return Err(self.error(
                        at(&[]),
                        format!("apps[{index}]"),
                        "needs `path` (a kustomize or plain YAML directory) or `helm` (a Helm release)",
                    ));
                }
                (Some(path), None) => {
                    let mut source = self.path_source(
                        index,
                        &path,
                        app.directory,
                        app.kustomize,
                        global_options,
                    )?;
                    if let AppSource::Kustomize { options, .. } = &mut source {
                        options.allow_outside = app.allow_outside_repo;
                    }
                    source
                }
                (None, Some(helm)) => {
                    let helm = self.helm(index, helm, namespace.as_deref())?;
                    if namespace.is_none() {
                        namespace.clone_from(&helm.namespace);
                    }
                    AppSource::Helm(helm)
                }
            };
            let post_build = match (app.substitute, app.substitute_from) {
                (None, None) => None,
                (substitute, from) => Some(
                    PostBuild::from_written(
                        substitute.unwrap_or_default(),
                        from.unwrap_or_default(),
                        namespace.as_deref().unwrap_or("default"),
                    )
                    .map_err(|(n, why)| {
                        self.error(
                            at(&["substituteFrom"]),
                            format!("apps[{index}].substituteFrom[{n}].kind"),
                            why,
                        )
                    })?,
                ),
            };
            let mut spec = AppSpec::new(name, source);
            spec.namespace = namespace;
            spec.prune = app.prune;
            spec.auto_sync = app.auto_sync;
            spec.create_namespace = app.create_namespace;
            spec.depends_on = app.depends_on.unwrap_or_default();
            spec.post_build = post_build;
            let rules = app.ignore_differences.unwrap_or_default();
            for (i, rule) in rules.iter().enumerate() {
                if let Err(why) = rule.check() {
                    return Err(self.error(
                        self.line_of("apps", index, &["ignoreDifferences"]),
                        format!("apps[{index}].ignoreDifferences[{i}]"),
                        why,
                    ));
                }
            }
            spec.ignore_differences = rules;
            spec.respect_ignore_differences = app.respect_ignore_differences;
            apps.push(spec);
        }
        let names: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
        for (index, app) in apps.iter().enumerate() {
            if let Some(missing) = app.depends_on.iter().find(|d| !names.contains(d)) {
                return Err(self.error(
                    self.line_of("apps", index, &["dependsOn"]),
                    format!("apps[{index}].dependsOn"),
                    format!("no app named {missing:?}"),
                ));
            }
        }
        Ok(apps)
    }

    /// A `path:` app: a kustomization (with optional edits and build
    /// flags), or plain YAML files when the directory has no kustomization.
    fn path_source(
        &self,
        index: usize,
        written: &str,
        directory: Option<RawDirectory>,
        kustomize: Option<RawKustomize>,
        global_options: &[String],
    ) -> Result<AppSource, SpecError> {
        let line = self.line_of("apps", index, &["path"]);
        let field = || format!("apps[{index}].path");
        let path = contain(self.root, written).map_err(|why| self.error(line, field(), why))?;
        let dir = self.root.join(&path);
        if let Err(why) = expect_dir(&dir, written) {
            return Err(self.error(line, field(), why));
        }
        let has_kustomization = kustomization_file(&dir).is_some();
        if let Some(directory) = directory {
            if kustomize.is_some() {
                return Err(self.error(
                    self.line_of("apps", index, &["directory"]),
                    format!("apps[{index}]"),
                    "has both `directory` and `kustomize`; an app is one or the other",
                ));
            }
            return Ok(AppSource::Directory(DirectorySource {
                path,
                recurse: directory.recurse,
                include: directory.include.filter(|g| !g.is_empty()),
                exclude: directory.exclude.filter(|g| !g.is_empty()),
            }));
        }
        if !has_kustomization && kustomize.is_none() {
            return Ok(AppSource::Directory(DirectorySource {
                path,
                ..DirectorySource::default()
            }));
        }
        let raw = kustomize.unwrap_or_default();
        let at = |key: &str| self.line_of("apps", index, &["kustomize", key]);
        let mut images = Vec::new();
        for (n, image) in raw.images.unwrap_or_default().iter().enumerate() {
            images.push(super::kustomize_edit::parse_image(image).map_err(|why| {
                self.error(
                    at("images"),
                    format!("apps[{index}].kustomize.images[{n}]"),
                    why,
                )
            })?);
        }
        let mut build_options = global_options.to_vec();
        if let Some(options) = raw.build_options {
            let args = options.args();
            super::render::check_build_options(&args).map_err(|why| {
                self.error(
                    at("buildOptions"),
                    format!("apps[{index}].kustomize.buildOptions"),
                    why,
                )
            })?;
            build_options = args;
        }
        Ok(AppSource::Kustomize {
            path,
            options: KustomizeOptions {
                style: EditStyle::Argo,
                name_prefix: raw.name_prefix.filter(|p| !p.is_empty()),
                name_suffix: raw.name_suffix.filter(|p| !p.is_empty()),
                namespace: raw.namespace.filter(|p| !p.is_empty()),
                images,
                common_labels: raw.common_labels.unwrap_or_default(),
                common_annotations: raw.common_annotations.unwrap_or_default(),
                patches: raw.patches.unwrap_or_default(),
                components: raw.components.unwrap_or_default(),
                build_options,
                generate: !has_kustomization,
                ..KustomizeOptions::default()
            },
        })
    }

    fn helm(
        &self,
        index: usize,
        helm: RawHelm,
        app_namespace: Option<&str>,
    ) -> Result<HelmSource, SpecError> {
        let at = |keys: &[&str]| self.line_of("apps", index, keys);
        let chart = required(helm.chart).ok_or_else(|| {
            self.error(
                at(&["helm"]),
                format!("apps[{index}].helm.chart"),
                "missing; which chart to render",
            )
        })?;
        let release = required(helm.release).ok_or_else(|| {
            self.error(
                at(&["helm"]),
                format!("apps[{index}].helm.release"),
                "missing; the release name",
            )
        })?;
        let chart_line = at(&["helm", "chart"]);
        let chart_path = self
            .local_chart(&chart, helm.repo.is_some())
            .map_err(|why| self.error(chart_line, format!("apps[{index}].helm.chart"), why))?;
        let namespace = helm.namespace.filter(|ns| !ns.is_empty());
        if let Some(ns) = &namespace {
            dns_label(ns).map_err(|why| {
                self.error(
                    at(&["helm", "namespace"]),
                    format!("apps[{index}].helm.namespace"),
                    why,
                )
            })?;
        }
        let mut values = Vec::new();
        for (n, written) in helm.values.unwrap_or_default().iter().enumerate() {
            let line =
                value_line(self.text, "apps", index, written).or_else(|| at(&["helm", "values"]));
            let field = format!("apps[{index}].helm.values[{n}]");
            let path =
                contain(self.root, written).map_err(|why| self.error(line, field.clone(), why))?;
            let file = self.root.join(&path);
            if !file.exists() {
                return Err(self.error(
                    line,
                    field,
                    format!("{written:?} does not exist in the repository"),
                ));
            }
            if !file.is_file() {
                return Err(self.error(line, field, format!("{written:?} is not a file")));
            }
            values.push(path);
        }
        Ok(HelmSource {
            chart_path,
            version: helm.version.filter(|v| !v.is_empty()),
            namespace: namespace.or(app_namespace.map(str::to_string)),
            values,
            repo_url: helm.repo.filter(|url| !url.is_empty()),
            ..HelmSource::new(chart, release)
        })
    }

    /// A chart written as a path that exists in the repo is local; `repo/name`
    /// and `oci://` are not. `./x`, `../x` and `/x` are meant as paths, so
    /// they must resolve inside the repo.
    fn local_chart(&self, chart: &str, has_repo_url: bool) -> Result<Option<PathBuf>, String> {
        if chart.contains("://") || has_repo_url {
            return Ok(None);
        }
        let explicit = chart.starts_with('.') || chart.starts_with('/') || chart.starts_with('\\');
        let exists = self.root.join(chart).symlink_metadata().is_ok();
        if !explicit && !exists {
            return Ok(None);
        }
        let path = contain(self.root, chart)?;
        let dir = self.root.join(&path);
        expect_dir(&dir, chart)?;
        if !dir.join("Chart.yaml").is_file() {
            return Err(format!(
                "no Chart.yaml in {}",
                super::paths::display_rel(&path)
            ));
        }
        Ok(Some(path))
    }

    fn builds(&self, raw: Vec<RawBuild>, apps: &[AppSpec]) -> Result<Vec<BuildSpec>, SpecError> {
        let mut seen: HashMap<String, (usize, Option<usize>)> = HashMap::new();
        let mut builds = Vec::with_capacity(raw.len());
        for (index, build) in raw.into_iter().enumerate() {
            let at = |keys: &[&str]| self.line_of("builds", index, keys);
            let name = required(build.name).ok_or_else(|| {
                self.error(
                    at(&[]),
                    format!("builds[{index}].name"),
                    "missing; every build needs a name",
                )
            })?;
            if let Some((other, other_line)) = seen.get(&name) {
                let other_at = other_line
                    .map(|l| format!(", line {l}"))
                    .unwrap_or_default();
                return Err(self.error(
                    at(&["name"]),
                    format!("builds[{index}].name"),
                    format!("duplicate build name {name:?} (also builds[{other}]{other_at})"),
                ));
            }
            seen.insert(name.clone(), (index, at(&["name"])));
            let image = required(build.image).ok_or_else(|| {
                self.error(
                    at(&[]),
                    format!("builds[{index}].image"),
                    "missing; the image to push",
                )
            })?;
            let written = required(build.context).ok_or_else(|| {
                self.error(
                    at(&[]),
                    format!("builds[{index}].context"),
                    "missing; a repo directory or a git URL",
                )
            })?;
            let context = if written.contains("://") || written.starts_with("git@") {
                BuildContext::Url(written)
            } else {
                let line = at(&["context"]);
                let field = || format!("builds[{index}].context");
                let path =
                    contain(self.root, &written).map_err(|why| self.error(line, field(), why))?;
                if let Err(why) = expect_dir(&self.root.join(&path), &written) {
                    return Err(self.error(line, field(), why));
                }
                BuildContext::Repo(path)
            };
            let namespace = build.namespace.filter(|ns| !ns.is_empty());
            if let Some(ns) = &namespace {
                dns_label(ns).map_err(|why| {
                    self.error(
                        at(&["namespace"]),
                        format!("builds[{index}].namespace"),
                        why,
                    )
                })?;
            }
            let app = build.app.filter(|app| !app.is_empty());
            if let Some(app) = &app
                && !apps.iter().any(|known| &known.name == app)
            {
                return Err(self.error(
                    at(&["app"]),
                    format!("builds[{index}].app"),
                    format!("no app named {app:?}"),
                ));
            }
            builds.push(BuildSpec {
                name,
                context,
                dockerfile: build
                    .dockerfile
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "Dockerfile".into()),
                image,
                tag: build.tag.filter(|t| !t.is_empty()),
                registry_secret: build.registry_secret.filter(|s| !s.is_empty()),
                then: build.then.unwrap_or_default(),
                workflow_template: build.workflow_template.filter(|t| !t.is_empty()),
                namespace,
                app,
            });
        }
        Ok(builds)
    }
}

fn expect_dir(dir: &Path, written: &str) -> Result<(), String> {
    if !dir.exists() {
        Err(format!("{written:?} does not exist in the repository"))
    } else if !dir.is_dir() {
        Err(format!("{written:?} is not a directory"))
    } else {
        Ok(())
    }
}

fn required(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Namespaces are DNS-1123 labels; catching a typo here beats an API error.
fn dns_label(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let edges_ok = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.len() <= 63 && edges_ok && name.chars().all(ok_char) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid namespace (at most 63 lowercase letters, digits or '-', \
             starting and ending with a letter or digit)"
        ))
    }
}

// ---------------------------------------------------------------------------
// Line finding (best effort): serde only locates syntax and type errors, so
// validation errors find their line by scanning the block-style text.

/// The 1-based first line of each item of a top-level block sequence.
fn section_items(text: &str, section: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let header = format!("{section}:");
    let Some(start) = lines.iter().position(|line| {
        line.strip_prefix(header.as_str())
            .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
    }) else {
        return Vec::new();
    };
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut dash_indent: Option<usize> = None;
    for (offset, line) in lines.iter().enumerate().skip(start + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let is_dash = trimmed == "-" || trimmed.starts_with("- ");
        if indent == 0 && !is_dash {
            break;
        }
        let dash = *dash_indent.get_or_insert(if is_dash { indent } else { usize::MAX });
        if is_dash && indent == dash {
            items.push((offset + 1, offset + 1));
        } else if indent < dash && !is_dash {
            break;
        }
        if let Some(last) = items.last_mut() {
            last.1 = offset + 1;
        }
    }
    items
}

/// The line of `keys` (a path of nested keys) inside item `index` of
/// `section`; the closest found prefix, else the item's first line.
fn key_line(text: &str, section: &str, index: usize, keys: &[&str]) -> Option<usize> {
    let (first, last) = *section_items(text, section).get(index)?;
    let lines: Vec<&str> = text.lines().collect();
    let mut found = first;
    let mut from = first;
    for key in keys {
        let pattern = format!("{key}:");
        let hit = (from..=last).find(|&number| {
            let line = lines.get(number - 1).copied().unwrap_or("").trim_start();
            let line = line.strip_prefix("- ").unwrap_or(line).trim_start();
            line.starts_with(&pattern)
        });
        match hit {
            Some(number) => {
                found = number;
                from = number;
            }
            None => break,
        }
    }
    Some(found)
}

/// The line inside item `index` of `section` where `needle` is written.
fn value_line(text: &str, section: &str, index: usize, needle: &str) -> Option<usize> {
    let (first, last) = *section_items(text, section).get(index)?;
    let lines: Vec<&str> = text.lines().collect();
    (first..=last).find(|&number| {
        lines
            .get(number - 1)
            .is_some_and(|line| line.contains(needle))
    })
}
