//! `bosun.yaml`: which apps a GitOps repo holds and which images it builds
//! (DESIGN §6). Without the file, apps are discovered from the kustomizations
//! no other kustomization includes.
//!
//! Every path in the spec is repo-relative and checked by [`contain`]: a repo
//! someone else wrote must not make bosun read (and apply) files outside it.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Deserializer};
use serde_yaml::Value as Yaml;

/// The spec file at the repository root.
pub const SPEC_FILE: &str = "bosun.yaml";

/// The file names kustomize accepts for a kustomization, in its lookup order.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What a repo deploys and builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    pub apps: Vec<AppSpec>,
    pub builds: Vec<BuildSpec>,
    /// True when there is no `bosun.yaml` and the apps were discovered.
    pub discovered: bool,
}

/// One app: a set of objects rendered from the repo and synced together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    pub name: String,
    pub source: AppSource,
    /// Default namespace for rendered objects without one (for a Helm app,
    /// the release namespace when the app does not name one).
    pub namespace: Option<String>,
    pub prune: bool,
    pub auto_sync: bool,
}

/// Where an app's manifests come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    /// A kustomize directory, repo-relative and normalised (no `..`).
    Kustomize { path: PathBuf },
    /// A Helm release rendered with `helm template`.
    Helm(HelmSource),
}

/// A Helm release as written in `bosun.yaml`.
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

/// Loads `bosun.yaml` when the repo has one, else discovers the apps.
pub fn load(repo_root: &Path) -> Result<RepoSpec, SpecError> {
    let path = repo_root.join(SPEC_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(repo_root, &text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(RepoSpec {
            apps: discover(repo_root)?,
            builds: Vec::new(),
            discovered: true,
        }),
        Err(source) => Err(SpecError::Read { path, source }),
    }
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
    let apps = check.apps(raw.apps.unwrap_or_default())?;
    let builds = check.builds(raw.builds.unwrap_or_default(), &apps)?;
    Ok(RepoSpec {
        apps,
        builds,
        discovered: false,
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

    fn apps(&self, raw: Vec<RawApp>) -> Result<Vec<AppSpec>, SpecError> {
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
            if let Err(why) = label_value(&name) {
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
                        "needs `path` (a kustomize directory) or `helm` (a Helm release)",
                    ));
                }
                (Some(path), None) => self.kustomize(index, &path)?,
                (None, Some(helm)) => {
                    let helm = self.helm(index, helm, namespace.as_deref())?;
                    if namespace.is_none() {
                        namespace.clone_from(&helm.namespace);
                    }
                    AppSource::Helm(helm)
                }
            };
            apps.push(AppSpec {
                name,
                source,
                namespace,
                prune: app.prune,
                auto_sync: app.auto_sync,
            });
        }
        Ok(apps)
    }

    fn kustomize(&self, index: usize, written: &str) -> Result<AppSource, SpecError> {
        let line = self.line_of("apps", index, &["path"]);
        let field = || format!("apps[{index}].path");
        let path = contain(self.root, written).map_err(|why| self.error(line, field(), why))?;
        let dir = self.root.join(&path);
        if let Err(why) = expect_dir(&dir, written) {
            return Err(self.error(line, field(), why));
        }
        if kustomization_file(&dir).is_none() {
            return Err(self.error(
                line,
                field(),
                format!(
                    "no kustomization in {} (looked for {})",
                    display_rel(&path),
                    KUSTOMIZATION_FILES.join(", ")
                ),
            ));
        }
        Ok(AppSource::Kustomize { path })
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
            chart,
            chart_path,
            version: helm.version.filter(|v| !v.is_empty()),
            release,
            namespace: namespace.or(app_namespace.map(str::to_string)),
            values,
            repo_url: helm.repo.filter(|url| !url.is_empty()),
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
            return Err(format!("no Chart.yaml in {}", display_rel(&path)));
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

/// App names become the `bosun.dev/app` label value, so they must be one.
fn label_value(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let edges_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if name.len() <= 63 && edges_ok && name.chars().all(ok_char) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid label value (at most 63 letters, digits, '-', '_' or '.', \
             starting and ending with a letter or digit)"
        ))
    }
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

fn display_rel(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        ".".to_string()
    } else {
        path.display().to_string()
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

// ---------------------------------------------------------------------------
// Paths

/// Resolves a repo-relative path, refusing any that leaves the repo: absolute
/// paths, `..` past the root, and (for the part that exists) symlinks whose
/// target is outside the canonical root. Returns the normalised relative path.
pub fn contain(repo_root: &Path, relative: &str) -> Result<PathBuf, String> {
    let absolute =
        || format!("{relative:?} is an absolute path; paths are relative to the repository root");
    let given = Path::new(relative);
    if given.has_root() || relative.starts_with('/') || relative.starts_with('\\') {
        return Err(absolute());
    }
    let mut normal = PathBuf::new();
    for component in given.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    return Err(format!("{relative:?} leaves the repository"));
                }
            }
            Component::Normal(part) => normal.push(part),
            Component::RootDir | Component::Prefix(_) => return Err(absolute()),
        }
    }
    let root = repo_root.canonicalize().map_err(|error| {
        format!(
            "cannot resolve the repository root {}: {error}",
            repo_root.display()
        )
    })?;
    // The longest existing prefix decides: `link/missing` is as bad as `link`.
    for ancestor in normal.ancestors() {
        if let Ok(real) = repo_root.join(ancestor).canonicalize() {
            if !real.starts_with(&root) {
                return Err(format!(
                    "{relative:?} leaves the repository (a symlink to {})",
                    real.display()
                ));
            }
            break;
        }
    }
    Ok(normal)
}

/// The kustomization file of `dir`, if it holds one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|file| file.is_file())
}

/// The parsed kustomization of `dir`; `None` when absent or unparsable
/// (rendering reports the latter properly).
pub(crate) fn read_kustomization(dir: &Path) -> Option<Yaml> {
    let text = std::fs::read_to_string(kustomization_file(dir)?).ok()?;
    serde_yaml::from_str(&text).ok()
}

/// Remote kustomize references (git, http) are not repo inputs.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.contains("?ref=")
        || entry.contains(".git//")
}

/// `entry` written in the kustomization of `dir` (repo-relative), resolved
/// to an existing repo-relative path; `None` when remote, outside or absent.
fn local_ref(repo_root: &Path, dir: &Path, entry: &str) -> Option<PathBuf> {
    let entry = entry.trim();
    if entry.is_empty() || entry.contains('\n') || is_remote(entry) || Path::new(entry).has_root() {
        return None;
    }
    let joined = dir.join(entry);
    let path = contain(repo_root, joined.to_str()?).ok()?;
    repo_root.join(&path).exists().then_some(path)
}

fn strings(value: Option<&Yaml>) -> Vec<&str> {
    match value {
        Some(Yaml::Sequence(items)) => items.iter().filter_map(Yaml::as_str).collect(),
        Some(Yaml::String(one)) => vec![one.as_str()],
        _ => Vec::new(),
    }
}

fn items(value: Option<&Yaml>) -> &[Yaml] {
    match value {
        Some(Yaml::Sequence(items)) => items,
        _ => &[],
    }
}

/// Repo-relative directories that the kustomization in `dir` includes as
/// kustomizations (`resources`, `bases`, `components`).
fn included_dirs(repo_root: &Path, dir: &Path, doc: &Yaml) -> Vec<PathBuf> {
    ["resources", "bases", "components"]
        .iter()
        .flat_map(|key| strings(doc.get(key)))
        .filter_map(|entry| local_ref(repo_root, dir, entry))
        .filter(|path| repo_root.join(path).is_dir())
        .collect()
}

/// Every local file or directory the kustomization in `dir` reads.
fn referenced(repo_root: &Path, dir: &Path, doc: &Yaml) -> Vec<PathBuf> {
    let mut entries: Vec<&str> = Vec::new();
    for key in [
        "resources",
        "bases",
        "components",
        "patchesStrategicMerge",
        "crds",
        "configurations",
        "transformers",
        "generators",
        "validators",
    ] {
        entries.extend(strings(doc.get(key)));
    }
    for key in ["patches", "patchesJson6902", "replacements"] {
        entries.extend(
            items(doc.get(key))
                .iter()
                .filter_map(|item| item.get("path")?.as_str()),
        );
    }
    if let Some(path) = doc
        .get("openapi")
        .and_then(|o| o.get("path"))
        .and_then(Yaml::as_str)
    {
        entries.push(path);
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for generator in items(doc.get(key)) {
            for file in strings(generator.get("files")) {
                // `key=path` names the data key; the file is after the `=`.
                entries.push(file.split_once('=').map_or(file, |(_, path)| path));
            }
            entries.extend(strings(generator.get("envs")));
            entries.extend(strings(generator.get("env")));
        }
    }
    let charts = items(doc.get("helmCharts"));
    let chart_home = doc
        .get("helmGlobals")
        .and_then(|g| g.get("chartHome"))
        .and_then(Yaml::as_str)
        .unwrap_or("charts");
    let chart_dirs: Vec<String> = if charts.is_empty() {
        Vec::new()
    } else {
        let mut dirs = vec![chart_home.to_string()];
        dirs.extend(
            charts
                .iter()
                .filter_map(|chart| chart.get("name")?.as_str())
                .map(|name| format!("{chart_home}/{name}")),
        );
        dirs
    };
    entries.extend(chart_dirs.iter().map(String::as_str));
    for chart in charts {
        entries.extend(strings(chart.get("valuesFile")));
        entries.extend(strings(chart.get("additionalValuesFiles")));
    }
    entries
        .into_iter()
        .filter_map(|entry| local_ref(repo_root, dir, entry))
        .collect()
}

/// Absolute paths whose change means the app must be rendered again.
pub fn app_inputs(repo_root: &Path, app: &AppSpec) -> Vec<PathBuf> {
    let mut inputs: BTreeSet<PathBuf> = BTreeSet::new();
    match &app.source {
        AppSource::Kustomize { path } => {
            let mut queue = VecDeque::from([path.clone()]);
            let mut visited: HashSet<PathBuf> = HashSet::new();
            while let Some(dir) = queue.pop_front() {
                if !visited.insert(dir.clone()) {
                    continue;
                }
                inputs.insert(dir.clone());
                let Some(doc) = read_kustomization(&repo_root.join(&dir)) else {
                    continue;
                };
                for reference in referenced(repo_root, &dir, &doc) {
                    if repo_root.join(&reference).is_dir() {
                        queue.push_back(reference);
                    } else {
                        inputs.insert(reference);
                    }
                }
            }
        }
        AppSource::Helm(helm) => {
            inputs.extend(helm.chart_path.iter().cloned());
            inputs.extend(helm.values.iter().cloned());
        }
    }
    inputs
        .into_iter()
        .map(|relative| {
            if relative.as_os_str().is_empty() {
                repo_root.to_path_buf()
            } else {
                repo_root.join(relative)
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Discovery

/// Apps of a repo without `bosun.yaml`: each kustomization no other one
/// includes, named after its path, sorted by path.
pub fn discover(repo_root: &Path) -> Result<Vec<AppSpec>, SpecError> {
    let mut dirs = Vec::new();
    let entries = std::fs::read_dir(repo_root).map_err(|source| SpecError::Read {
        path: repo_root.to_path_buf(),
        source,
    })?;
    walk(repo_root, PathBuf::new(), entries, &mut dirs);
    let mut included: HashSet<PathBuf> = HashSet::new();
    for dir in &dirs {
        // An unparsable kustomization includes nothing; it stays an app so
        // its render error is shown on it rather than hiding the repo.
        if let Some(doc) = read_kustomization(&repo_root.join(dir)) {
            included.extend(
                included_dirs(repo_root, dir, &doc)
                    .into_iter()
                    .filter(|d| d != dir),
            );
        }
    }
    dirs.sort();
    Ok(dirs
        .into_iter()
        .filter(|dir| !included.contains(dir))
        .map(|path| AppSpec {
            name: app_name(&path),
            source: AppSource::Kustomize { path },
            namespace: None,
            prune: false,
            auto_sync: false,
        })
        .collect())
}

/// Collects repo-relative directories holding a kustomization. Symlinks are
/// not followed (no loops, no escapes); unreadable subdirectories are skipped.
fn walk(repo_root: &Path, dir: PathBuf, entries: std::fs::ReadDir, found: &mut Vec<PathBuf>) {
    let absolute = repo_root.join(&dir);
    if kustomization_file(&absolute).is_some() {
        found.push(dir.clone());
    }
    let is_chart = absolute.join("Chart.yaml").is_file();
    let mut children: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let skip = name.starts_with('.') || (is_chart && name == "templates");
            (!skip).then(|| (name, entry.path()))
        })
        .collect();
    children.sort();
    for (name, path) in children {
        if let Ok(entries) = std::fs::read_dir(&path) {
            walk(repo_root, dir.join(name), entries, found);
        }
    }
}

/// `apps/blog/overlays/prod` → `apps-blog-overlays-prod`, kept a valid label.
fn app_name(path: &Path) -> String {
    let joined = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("-");
    let mut name: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(63);
    let name = name
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if name.is_empty() {
        "root".to_string()
    } else {
        name
    }
}
