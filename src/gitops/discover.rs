//! Plain discovery (DESIGN §6): a repo that declares no apps (no
//! `bosun.yaml`, no Argo CD Application, no Flux Kustomization) gets one app
//! per kustomization that no other kustomization includes.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use super::app::{AppSource, AppSpec, KustomizeOptions, Origin};
use super::paths::{included_dirs, kustomization_file, read_kustomization};
use super::spec::SpecError;

/// Apps of a repo that declares none: each kustomization that no other
/// kustomization includes, named after its path (exact: `apps/blog/prod`),
/// sorted by path. Never a `kind: Component`, nor a directory a parent
/// kustomization lists only in a comment (the owner switched it off).
pub fn discover(repo_root: &Path) -> Result<Vec<AppSpec>, SpecError> {
    discover_under(repo_root, Path::new(""))
}

/// Discovery limited to `scope` (repo-relative), e.g. `--repo` naming a
/// subdirectory of a bigger repository.
pub fn discover_under(repo_root: &Path, scope: &Path) -> Result<Vec<AppSpec>, SpecError> {
    let mut dirs = Vec::new();
    let start = repo_root.join(scope);
    let entries = std::fs::read_dir(&start).map_err(|source| SpecError::Read {
        path: start.clone(),
        source,
    })?;
    walk(repo_root, scope.to_path_buf(), entries, &mut dirs);
    let mut included: HashSet<PathBuf> = HashSet::new();
    let mut commented: HashSet<PathBuf> = HashSet::new();
    let mut components: HashSet<PathBuf> = HashSet::new();
    for dir in &dirs {
        // An unparsable kustomization includes nothing; it stays an app so
        // its render error is shown on it rather than hiding the repo.
        if let Some(doc) = read_kustomization(&repo_root.join(dir)) {
            if doc.get("kind").and_then(serde_yaml::Value::as_str) == Some("Component") {
                components.insert(dir.clone());
            }
            included.extend(
                included_dirs(repo_root, dir, &doc)
                    .into_iter()
                    .filter(|d| d != dir),
            );
        }
        commented.extend(commented_out(repo_root, dir));
    }
    dirs.sort();
    Ok(dirs
        .into_iter()
        .filter(|dir| {
            !included.contains(dir) && !commented.contains(dir) && !components.contains(dir)
        })
        .map(|path| {
            let mut app = AppSpec::new(
                app_name(&path),
                AppSource::Kustomize {
                    path,
                    options: KustomizeOptions::default(),
                },
            );
            app.origin = Origin::Discovered;
            app
        })
        .collect())
}

/// Directories a kustomization names in comment lines (`# - ../legacy`):
/// the owner's way of switching an entry off.
fn commented_out(repo_root: &Path, dir: &Path) -> Vec<PathBuf> {
    let Some(file) = kustomization_file(&repo_root.join(dir)) else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix('#'))
        .map(|rest| rest.trim().trim_start_matches("- ").trim())
        .filter(|entry| !entry.is_empty() && !entry.contains(' ') && !entry.contains(':'))
        .filter_map(|entry| {
            let joined = dir.join(entry);
            let path = super::paths::contain(repo_root, joined.to_str()?).ok()?;
            repo_root.join(&path).is_dir().then_some(path)
        })
        .collect()
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

/// The directory's path, exactly (`.` for the repository root).
fn app_name(path: &Path) -> String {
    let joined = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/");
    // ':' separates the tracking id's parts; a path holding one is renamed.
    let name: String = joined
        .chars()
        .map(|c| {
            if c == ':' || c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if name.is_empty() {
        ".".to_string()
    } else {
        name
    }
}
