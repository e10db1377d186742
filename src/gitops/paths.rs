//! Paths inside the GitOps repository: confinement (nothing a repo says may
//! make bosun read outside it), kustomization files, and what a
//! kustomization reads (for re-rendering on file changes and for the
//! confinement check before a render).

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use serde_yaml::Value as Yaml;

use super::spec::{AppSource, AppSpec};

/// The file names kustomize accepts for a kustomization, in its lookup order.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

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
pub fn read_kustomization(dir: &Path) -> Option<Yaml> {
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
pub(crate) fn included_dirs(repo_root: &Path, dir: &Path, doc: &Yaml) -> Vec<PathBuf> {
    ["resources", "bases", "components"]
        .iter()
        .flat_map(|key| strings(doc.get(key)))
        .filter_map(|entry| local_ref(repo_root, dir, entry))
        .filter(|path| repo_root.join(path).is_dir())
        .collect()
}

/// Every path a kustomization names, with the field that names it
/// ("resource", "patch", ...), as written.
fn named_paths(doc: &Yaml) -> Vec<(&'static str, &str)> {
    let mut entries: Vec<(&'static str, &str)> = Vec::new();
    for (key, what) in [
        ("resources", "resource"),
        ("bases", "base"),
        ("components", "component"),
        ("patchesStrategicMerge", "patch"),
        ("crds", "crd"),
        ("configurations", "configuration"),
        ("transformers", "transformer"),
        ("generators", "generator"),
        ("validators", "validator"),
    ] {
        entries.extend(strings(doc.get(key)).into_iter().map(|e| (what, e)));
    }
    for (key, what) in [
        ("patches", "patch"),
        ("patchesJson6902", "patch"),
        ("replacements", "replacement"),
    ] {
        entries.extend(
            items(doc.get(key))
                .iter()
                .filter_map(|item| item.get("path")?.as_str())
                .map(|e| (what, e)),
        );
    }
    if let Some(path) = doc
        .get("openapi")
        .and_then(|o| o.get("path"))
        .and_then(Yaml::as_str)
    {
        entries.push(("openapi path", path));
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for generator in items(doc.get(key)) {
            for file in strings(generator.get("files")) {
                // `key=path` names the data key; the file is after the `=`.
                entries.push((
                    "generator file",
                    file.split_once('=').map_or(file, |(_, path)| path),
                ));
            }
            entries.extend(
                strings(generator.get("envs"))
                    .into_iter()
                    .map(|e| ("generator env file", e)),
            );
            entries.extend(
                strings(generator.get("env"))
                    .into_iter()
                    .map(|e| ("generator env file", e)),
            );
        }
    }
    let charts = items(doc.get("helmCharts"));
    let chart_home = doc
        .get("helmGlobals")
        .and_then(|g| g.get("chartHome"))
        .and_then(Yaml::as_str);
    if !charts.is_empty() {
        entries.push(("chartHome", chart_home.unwrap_or("charts")));
    }
    for chart in charts {
        entries.extend(
            strings(chart.get("valuesFile"))
                .into_iter()
                .map(|e| ("valuesFile", e)),
        );
        entries.extend(
            strings(chart.get("additionalValuesFiles"))
                .into_iter()
                .map(|e| ("additionalValuesFiles", e)),
        );
    }
    entries
}

/// Every local file or directory the kustomization in `dir` reads.
fn referenced(repo_root: &Path, dir: &Path, doc: &Yaml) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = named_paths(doc)
        .into_iter()
        .filter_map(|(_, entry)| local_ref(repo_root, dir, entry))
        .collect();
    // Inflated charts live in chartHome/<name>.
    let chart_home = doc
        .get("helmGlobals")
        .and_then(|g| g.get("chartHome"))
        .and_then(Yaml::as_str)
        .unwrap_or("charts");
    for chart in items(doc.get("helmCharts")) {
        if let Some(name) = chart.get("name").and_then(Yaml::as_str)
            && let Some(path) = local_ref(repo_root, dir, &format!("{chart_home}/{name}"))
        {
            paths.push(path);
        }
    }
    paths
}

/// Whether a path written in a kustomization of `dir` (repo-relative)
/// leads outside the repository, lexically or through a symlink.
fn leaves_repo(repo_root: &Path, dir: &Path, entry: &str) -> bool {
    let entry = entry.trim();
    if entry.is_empty() || is_remote(entry) {
        return false;
    }
    if Path::new(entry).has_root() {
        let root = repo_root
            .canonicalize()
            .unwrap_or_else(|_| repo_root.to_path_buf());
        let real = Path::new(entry)
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from(entry));
        return !real.starts_with(&root);
    }
    match dir.join(entry).to_str() {
        Some(joined) => contain(repo_root, joined).is_err(),
        None => true,
    }
}

/// Where a declaration's path (Argo CD `source.path`, Flux `spec.path`)
/// leads: a leading `./` or `/` means the repo root, as in both tools. The
/// error says why not: it leaves the repo, or `missing()` when it is not a
/// directory of it.
pub fn declared_dir(
    repo_root: &Path,
    written: &str,
    missing: impl FnOnce() -> String,
) -> Result<PathBuf, String> {
    let relative = written
        .trim()
        .trim_start_matches("./")
        .trim_start_matches('/');
    let path = contain(repo_root, relative)?;
    if repo_root.join(&path).is_dir() {
        Ok(path)
    } else {
        Err(missing())
    }
}

/// Everything the kustomization in `dir` (and every kustomization it
/// includes, and `extra_components` relative to `dir`) names that leads
/// outside the repository: "apps/x/kustomization.yaml: resource
/// ../../../outside/app leaves the repository". Checked before a render,
/// whatever load restrictor the build uses (Flux confines its builds to the
/// source root the same way).
pub fn outside_references(
    repo_root: &Path,
    dir: &Path,
    extra_components: &[String],
) -> Vec<String> {
    let mut found = Vec::new();
    for component in extra_components {
        if leaves_repo(repo_root, dir, component) {
            found.push(format!(
                "{}: component {component} leaves the repository",
                display_rel(dir)
            ));
        }
    }
    let mut queue = VecDeque::from([dir.to_path_buf()]);
    let mut visited: HashSet<PathBuf> = HashSet::new();
    while let Some(current) = queue.pop_front() {
        if !visited.insert(current.clone()) {
            continue;
        }
        let Some(file) = kustomization_file(&repo_root.join(&current)) else {
            continue;
        };
        let Some(doc) = read_kustomization(&repo_root.join(&current)) else {
            continue;
        };
        let shown = file
            .strip_prefix(repo_root)
            .map(Path::to_path_buf)
            .unwrap_or(file.clone());
        for (what, entry) in named_paths(&doc) {
            if leaves_repo(repo_root, &current, entry) {
                found.push(format!(
                    "{}: {what} {} leaves the repository",
                    shown.display(),
                    entry.trim()
                ));
            }
        }
        for included in included_dirs(repo_root, &current, &doc) {
            queue.push_back(included);
        }
    }
    found
}

/// A repo-relative path for messages (`.` for the root).
pub fn display_rel(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        ".".into()
    } else {
        path.display().to_string()
    }
}

/// Absolute paths whose change means the app must be rendered again.
pub fn app_inputs(repo_root: &Path, app: &AppSpec) -> Vec<PathBuf> {
    let mut inputs: BTreeSet<PathBuf> = BTreeSet::new();
    match &app.source {
        AppSource::Kustomize { path, options } => {
            let mut queue = VecDeque::from([path.clone()]);
            for component in &options.components {
                if let Some(dir) = local_ref(repo_root, path, component) {
                    queue.push_back(dir);
                }
            }
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
        AppSource::Directory(source) => {
            inputs.insert(source.path.clone());
        }
        AppSource::Helm(helm) => {
            inputs.extend(helm.chart_path.iter().cloned());
            inputs.extend(helm.values.iter().cloned());
        }
        AppSource::External { .. } => {}
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
