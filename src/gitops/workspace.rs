//! Finding the GitOps repo: `--repo`, then the config's `repo`, then the
//! current directory (its git work tree).

use std::path::{Path, PathBuf};

use super::repo;
use super::spec::{self, SPEC_FILE};

/// The repo root and the revision its working tree is at.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    /// Whether `root` is a git work tree (the repo panel needs one).
    pub git: bool,
    /// A subdirectory `--repo` named inside a bigger repository: apps are
    /// looked for only there (paths stay relative to the repository root,
    /// as Flux and Argo CD write them).
    pub scope: Option<PathBuf>,
}

/// Resolves the repo root. A directory that is not a git work tree still
/// works when it holds a `bosun.yaml` or a kustomization (no repo panel).
pub fn locate(flag: Option<&Path>, setting: Option<&Path>) -> Result<Workspace, String> {
    let (start, from) = match (flag, setting) {
        (Some(p), _) => (p.to_path_buf(), "--repo"),
        (None, Some(p)) => (p.to_path_buf(), "the config's repo"),
        (None, None) => (
            std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?,
            "the current directory",
        ),
    };
    if !start.is_dir() {
        return Err(format!("{} ({from}) is not a directory", start.display()));
    }
    let git_root = repo::open(&start)
        .ok()
        .and_then(|git| git.workdir().map(Path::to_path_buf));
    // A directory with its own bosun.yaml is the root even inside a bigger
    // git repo (a monorepo's deploy/ directory, bosun's own samples/repo).
    if start.join(SPEC_FILE).is_file() {
        return Ok(Workspace {
            root: start,
            git: git_root.is_some(),
            scope: None,
        });
    }
    if let Some(root) = git_root {
        let scope = start
            .canonicalize()
            .ok()
            .zip(root.canonicalize().ok())
            .and_then(|(start, root)| start.strip_prefix(&root).ok().map(Path::to_path_buf))
            .filter(|relative| !relative.as_os_str().is_empty());
        return Ok(Workspace {
            root,
            git: true,
            scope,
        });
    }
    if spec::kustomization_file(&start).is_some() {
        return Ok(Workspace {
            root: start,
            git: false,
            scope: None,
        });
    }
    Err(format!(
        "{} ({from}) is neither a git repository nor a directory with a {SPEC_FILE}; pass --repo PATH",
        start.display()
    ))
}

impl Workspace {
    /// How to load the apps: `--path` / the config's `path`, else the
    /// subdirectory `--repo` named; the context for `clusters/<context>`.
    pub fn load_options(&self, path: Option<&Path>, context: Option<&str>) -> spec::LoadOptions {
        spec::LoadOptions {
            entry: path.map(Path::to_path_buf).or_else(|| self.scope.clone()),
            context: context.map(str::to_string),
        }
    }
}

/// The revision an app is at: HEAD's id, with "+dirty" when the working
/// tree has changes (what the inventory records on a sync).
pub fn revision(root: &Path) -> String {
    let Ok(git) = repo::open(root) else {
        return "working-tree".into();
    };
    let head = repo::head_commit(&git).ok().flatten();
    let dirty = repo::status(&git)
        .map(|s| !s.dirty.is_empty())
        .unwrap_or(false);
    match head {
        Some(head) if dirty => format!("{}+dirty", head.id),
        Some(head) => head.id,
        None => "unborn".into(),
    }
}
