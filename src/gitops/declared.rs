//! Apps from what the repository already declares (DESIGN §6;
//! docs/ARCHITECTURE.md "Declared apps"): Argo CD `Application` manifests
//! and Flux `Kustomization` objects, found in the repository's YAML files.
//!
//! A multi-cluster repository has one entry point per cluster. The entry
//! point is `--path` / the config's `path` / bosun.yaml's `path`, else
//! `clusters/<current context>` when it exists, else the only directory in
//! `clusters/`; with several and none chosen, the candidates are returned
//! and no declared app is listed. With an entry point, only what is
//! reachable from it counts: the YAML it holds (its kustomization's
//! resources, or every YAML file below it as Flux would generate), then the
//! paths of the Kustomizations and Applications found there, and so on.
//! Without one, every YAML file of the repository is read.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value as Yaml;

use super::app::{AppSpec, Origin};
use super::flux::GitRepository;
use super::paths::{self, kustomization_file, read_kustomization};
use super::repo::RepoFacts;

/// Kubernetes object metadata, as much as declarations need.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(flatten)]
    #[allow(dead_code)]
    rest: serde_yaml::Mapping,
}

/// One YAML document of a repository file.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// Repo-relative file.
    pub file: &'a Path,
    /// 1-based line where the document starts.
    pub line: usize,
    pub text: &'a str,
    pub metadata: Metadata,
}

impl Document<'_> {
    /// The object's name, or where it is when it has none.
    pub fn name(&self) -> String {
        self.metadata
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{}@{}", self.file.display(), self.line))
    }

    /// "clusters/prod/apps.yaml line 3".
    pub fn location(&self) -> String {
        format!("{} line {}", self.file.display(), self.line)
    }

    /// Parses the document's text (so errors carry the field path).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_yaml::Error> {
        serde_yaml::from_str(self.text)
    }
}

/// "clusters/prod/apps.yaml line 14: spec.source: unknown field `foo`, ...".
pub fn yaml_field_error(doc: &Document<'_>, error: &serde_yaml::Error) -> String {
    let mut message = error.to_string();
    let line = match error.location() {
        Some(location) => {
            let suffix = format!(" at line {} column {}", location.line(), location.column());
            message = message.replacen(&suffix, "", 1);
            doc.line + location.line() - 1
        }
        None => doc.line,
    };
    format!("{} line {line}: {message}", doc.file.display())
}

/// Splits multi-document YAML on `---` lines: (1-based start line, text).
pub fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut documents = Vec::new();
    let mut start_line = 1;
    let mut start_byte = 0;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            documents.push((start_line, &text[start_byte..offset]));
            start_line = index + 2;
            start_byte = offset + line.len();
        }
        offset += line.len();
    }
    documents.push((start_line, &text[start_byte..]));
    documents
        .into_iter()
        .filter(|(_, doc)| {
            doc.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

/// What a document declares, by its apiVersion group and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declares {
    Application,
    Kustomization,
    GitRepository,
}

fn declares(value: &Yaml) -> Option<Declares> {
    let api_version = value.get("apiVersion")?.as_str()?;
    let kind = value.get("kind")?.as_str()?;
    let group = api_version.split('/').next().unwrap_or("");
    match (group, kind) {
        ("argoproj.io", "Application") => Some(Declares::Application),
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => Some(Declares::Kustomization),
        ("source.toolkit.fluxcd.io", "GitRepository") => Some(Declares::GitRepository),
        _ => None,
    }
}

/// What the repository declares.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub apps: Vec<AppSpec>,
    /// The entry point used.
    pub entry: Option<PathBuf>,
    /// Entry points to choose from (none chosen, several exist).
    pub candidates: Vec<PathBuf>,
}

/// A file's text, kept while its documents are looked at.
struct Source {
    file: PathBuf,
    text: String,
}

/// Finds the declared apps. `entry` is repo-relative (already confined).
pub fn scan(
    root: &Path,
    entry: Option<&Path>,
    context: Option<&str>,
    facts: &RepoFacts,
) -> Declared {
    let (entry, candidates) = match entry {
        Some(entry) => (Some(entry.to_path_buf()), Vec::new()),
        None => choose_entry(root, context),
    };
    if !candidates.is_empty() {
        return Declared {
            candidates,
            ..Declared::default()
        };
    }
    let files: Vec<PathBuf> = match &entry {
        Some(entry) => reachable_start(root, entry),
        None => all_yaml_files(root),
    };
    let mut sources: Vec<Source> = Vec::new();
    let mut seen_files: HashSet<PathBuf> = HashSet::new();
    let mut queue: VecDeque<PathBuf> = files.into();
    let mut visited_dirs: HashSet<PathBuf> = entry.iter().cloned().collect();
    while let Some(file) = queue.pop_front() {
        if !seen_files.insert(file.clone()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else {
            continue;
        };
        // With an entry point, the paths the found declarations name are
        // reachable too.
        if entry.is_some() {
            for (_, doc) in split_documents(&text) {
                let Ok(value) = serde_yaml::from_str::<Yaml>(doc) else {
                    continue;
                };
                let path = match declares(&value) {
                    Some(Declares::Kustomization) => value
                        .get("spec")
                        .and_then(|s| s.get("path"))
                        .and_then(Yaml::as_str),
                    Some(Declares::Application) => value
                        .get("spec")
                        .and_then(|s| s.get("source"))
                        .and_then(|s| s.get("path"))
                        .and_then(Yaml::as_str),
                    _ => None,
                };
                if let Some(path) = path
                    && let Ok(dir) = paths::declared_dir(root, path, String::new)
                    && visited_dirs.insert(dir.clone())
                {
                    queue.extend(reachable_start(root, &dir));
                }
            }
        }
        sources.push(Source { file, text });
    }
    let mut documents: Vec<(Declares, Document<'_>)> = Vec::new();
    for source in &sources {
        for (line, doc) in split_documents(&source.text) {
            let Ok(value) = serde_yaml::from_str::<Yaml>(doc) else {
                continue; // templates and other non-YAML: not declarations
            };
            let Some(kind) = declares(&value) else {
                continue;
            };
            let metadata: Metadata = value
                .get("metadata")
                .cloned()
                .and_then(|m| serde_yaml::from_value(m).ok())
                .unwrap_or_default();
            documents.push((
                kind,
                Document {
                    file: &source.file,
                    line,
                    text: doc,
                    metadata,
                },
            ));
        }
    }
    let git_repositories: Vec<GitRepository> = documents
        .iter()
        .filter(|(kind, _)| *kind == Declares::GitRepository)
        .filter_map(|(_, doc)| super::flux::git_repository(doc))
        .collect();
    let mut apps: Vec<AppSpec> = Vec::new();
    for (kind, doc) in &documents {
        match kind {
            Declares::Application => apps.push(super::argo::application(doc, root, facts)),
            Declares::Kustomization => apps.push(super::flux::kustomization(
                doc,
                root,
                &facts.remotes,
                &git_repositories,
            )),
            Declares::GitRepository => {}
        }
    }
    name_uniquely(&mut apps);
    resolve_dependencies(&mut apps);
    Declared {
        apps,
        entry,
        candidates: Vec::new(),
    }
}

/// The entry point when none was given, or the candidates to choose from.
fn choose_entry(root: &Path, context: Option<&str>) -> (Option<PathBuf>, Vec<PathBuf>) {
    let clusters = root.join("clusters");
    let Ok(entries) = std::fs::read_dir(&clusters) else {
        return (None, Vec::new());
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| PathBuf::from("clusters").join(e.file_name()))
        .collect();
    dirs.sort();
    if let Some(context) = context {
        let wanted = PathBuf::from("clusters").join(context);
        if dirs.contains(&wanted) {
            return (Some(wanted), Vec::new());
        }
    }
    match dirs.len() {
        0 => (None, Vec::new()),
        1 => (dirs.pop(), Vec::new()),
        _ => (None, dirs),
    }
}

/// The YAML files a directory holds for a build: its kustomization's
/// resources (following included kustomizations), or every YAML file below
/// it when it has no kustomization (what Flux would generate).
fn reachable_start(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut files = BTreeSet::new();
    let mut queue = VecDeque::from([dir.to_path_buf()]);
    let mut visited = HashSet::new();
    while let Some(current) = queue.pop_front() {
        if !visited.insert(current.clone()) {
            continue;
        }
        let absolute = root.join(&current);
        if kustomization_file(&absolute).is_some() {
            let Some(doc) = read_kustomization(&absolute) else {
                continue;
            };
            for key in ["resources", "bases"] {
                let Some(Yaml::Sequence(entries)) = doc.get(key) else {
                    continue;
                };
                for entry in entries.iter().filter_map(Yaml::as_str) {
                    let joined = current.join(entry.trim());
                    let Some(joined) = joined.to_str() else {
                        continue;
                    };
                    let Ok(path) = paths::contain(root, joined) else {
                        continue;
                    };
                    let full = root.join(&path);
                    if full.is_dir() {
                        queue.push_back(path);
                    } else if full.is_file() {
                        files.insert(path);
                    }
                }
            }
        } else {
            for file in yaml_below(root, &current) {
                files.insert(file);
            }
        }
    }
    files.into_iter().collect()
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml")
}

/// Every YAML file below `dir` (repo-relative), hidden directories and Helm
/// chart templates left out.
fn yaml_below(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let absolute = root.join(&current);
        let Ok(entries) = std::fs::read_dir(&absolute) else {
            continue;
        };
        let is_chart = absolute.join("Chart.yaml").is_file();
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let relative = current.join(&name);
            if kind.is_dir() {
                let skipped = name.starts_with('.') || (is_chart && name == "templates");
                if !skipped {
                    stack.push(relative);
                }
            } else if kind.is_file() && is_yaml(&relative) {
                out.push(relative);
            }
        }
    }
    out.sort();
    out
}

fn all_yaml_files(root: &Path) -> Vec<PathBuf> {
    yaml_below(root, Path::new(""))
}

/// Names stay as declared while unique; colliding ones are qualified by
/// their namespace (`flux-system/apps`), then by their file.
fn name_uniquely(apps: &mut [AppSpec]) {
    let colliding = |apps: &[AppSpec]| -> HashSet<String> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for app in apps {
            *seen.entry(app.name.as_str()).or_default() += 1;
        }
        seen.into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(name, _)| name.to_string())
            .collect()
    };
    let twice = colliding(apps);
    for app in apps.iter_mut().filter(|a| twice.contains(&a.name)) {
        if let Origin::Application { namespace, .. } | Origin::Kustomization { namespace, .. } =
            &app.origin
        {
            app.name = format!("{namespace}/{}", app.name);
        }
    }
    let twice = colliding(apps);
    for app in apps.iter_mut().filter(|a| twice.contains(&a.name)) {
        let file = match &app.origin {
            Origin::Application { file, .. } | Origin::Kustomization { file, .. } => {
                file.display().to_string()
            }
            _ => continue,
        };
        let name = app.name.clone();
        app.name = format!("{name}@{file}");
        app.problem.get_or_insert_with(|| {
            format!(
                "{file}: another declaration has the same name and namespace ({name}); \
                 choose one cluster with --path, or name the apps in bosun.yaml"
            )
        });
    }
    for app in apps.iter_mut() {
        if let Err(why) = super::identity::check_app_name(&app.name) {
            app.name = app.name.replace([':', ' '], "_");
            app.problem.get_or_insert(why);
        }
    }
}

/// Flux `dependsOn` entries (`namespace/name` of Kustomizations) to app
/// names; one that names nothing in the repository is a warning.
fn resolve_dependencies(apps: &mut [AppSpec]) {
    let by_object: HashMap<String, String> = apps
        .iter()
        .filter_map(|app| match &app.origin {
            Origin::Kustomization { namespace, .. } => {
                let declared = app.name.rsplit('/').next().unwrap_or(&app.name);
                let declared = declared.split('@').next().unwrap_or(declared);
                Some((format!("{namespace}/{declared}"), app.name.clone()))
            }
            _ => None,
        })
        .collect();
    for app in apps.iter_mut() {
        if !matches!(app.origin, Origin::Kustomization { .. }) {
            continue;
        }
        let mut resolved = Vec::new();
        for dependency in std::mem::take(&mut app.depends_on) {
            match by_object.get(&dependency) {
                Some(name) => resolved.push(name.clone()),
                None => app.warnings.push(format!(
                    "dependsOn {dependency}: no such Kustomization in this repository"
                )),
            }
        }
        app.depends_on = resolved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_with_their_lines() {
        let text = "# header\napiVersion: v1\nkind: A\n---\n\n---\napiVersion: v1\nkind: B\n";
        let docs = split_documents(text);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].0, 1);
        assert_eq!(docs[1].0, 7);
        assert!(docs[1].1.contains("kind: B"));
    }
}
