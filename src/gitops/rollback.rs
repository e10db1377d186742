//! Rollback to a commit an app was synced to, as Argo CD's history and
//! rollback (docs/ARCHITECTURE.md "Rollback"): the inventory's last syncs
//! listed with their commits' subjects; a past commit's tree read from git
//! objects (never the working tree) into a temporary directory, its apps
//! loaded with the checkout's facts, the app rendered and diffed there.
//! A sync to a commit other than HEAD is recorded as a rollback, and the
//! app's autoSync stays paused until a sync of HEAD (Argo CD disables
//! automated sync on rollback).

use std::path::{Path, PathBuf};

use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};
use kube::Client;

use super::evaluate::{self, Evaluation};
use super::inventory::{Inventory, SyncRecord};
use super::render::{self, Tools};
use super::repo::{self, CommitInfo};
use super::resolve::Resolver;
use super::spec::{self, LoadOptions};

/// One line of an app's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub record: SyncRecord,
    /// The commit, when the repo has it.
    pub commit: Option<CommitInfo>,
    /// It is the checkout's HEAD.
    pub is_head: bool,
}

impl HistoryEntry {
    pub fn short(&self) -> &str {
        short(self.record.revision.trim_end_matches("+dirty"))
    }

    pub fn subject(&self) -> &str {
        self.commit
            .as_ref()
            .map(|c| c.subject.as_str())
            .unwrap_or("(not in this repository)")
    }

    /// A working tree that was dirty, or a commit the repo does not have,
    /// cannot be rendered again.
    pub fn can_roll_back(&self) -> bool {
        self.commit.is_some() && !self.record.revision.ends_with("+dirty")
    }
}

/// The first 7 characters of a revision, as git abbreviates it; a
/// revision read from the cluster that is not ASCII never panics.
pub fn short(revision: &str) -> &str {
    revision
        .char_indices()
        .nth(7)
        .map_or(revision, |(end, _)| &revision[..end])
}

/// The inventory's history (newest first) with each commit's subject.
pub fn entries(repo_root: &Path, inventory: &Inventory) -> Vec<HistoryEntry> {
    let git = repo::open(repo_root).ok();
    let head = git
        .as_ref()
        .and_then(|g| repo::head_commit(g).ok().flatten())
        .map(|c| c.id);
    inventory
        .history
        .iter()
        .map(|record| {
            let commit = git
                .as_ref()
                .and_then(|g| resolve_in(g, record.revision.trim_end_matches("+dirty")).ok());
            HistoryEntry {
                is_head: head.as_deref() == Some(record.revision.as_str()),
                record: record.clone(),
                commit,
            }
        })
        .collect()
}

/// A revision (sha, short sha, branch, tag, `HEAD~2`) as a commit.
pub fn resolve(repo_root: &Path, revision: &str) -> Result<CommitInfo, String> {
    let git = repo::open(repo_root).map_err(|e| e.to_string())?;
    resolve_in(&git, revision)
}

fn resolve_in(git: &Repository, revision: &str) -> Result<CommitInfo, String> {
    let commit = git
        .revparse_single(revision)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            format!(
                "{revision}: not a commit of this repository ({})",
                e.message()
            )
        })?;
    Ok(repo::commit_info(&commit))
}

/// Whether `sha` is the checkout's HEAD.
pub fn is_head(repo_root: &Path, sha: &str) -> bool {
    repo::open(repo_root)
        .ok()
        .and_then(|g| repo::head_commit(&g).ok().flatten())
        .is_some_and(|head| head.id == sha)
}

/// A commit's tree written out from git objects: the temporary directory
/// (removed when dropped) and the GitOps root inside it (`repo_root`'s
/// place in the working tree).
pub struct Extracted {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

pub fn extract(repo_root: &Path, sha: &str) -> Result<Extracted, String> {
    let git = repo::open(repo_root).map_err(|e| e.to_string())?;
    let commit = git
        .revparse_single(sha)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| format!("{sha}: {}", e.message()))?;
    let tree = commit.tree().map_err(|e| e.message().to_string())?;
    let dir = tempfile::Builder::new()
        .prefix("bosun-rollback-")
        .tempdir()
        .map_err(|e| format!("a temporary directory: {e}"))?;
    let mut failure = None;
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        let Ok(name) = entry.name() else {
            return TreeWalkResult::Skip;
        };
        let path = dir.path().join(parent).join(name);
        let written = match entry.kind() {
            Some(ObjectType::Tree) => std::fs::create_dir_all(&path).map_err(|e| e.to_string()),
            Some(ObjectType::Blob) => write_blob(&git, entry, &path),
            // Submodules are not part of the tree's content.
            _ => Ok(()),
        };
        match written {
            Ok(()) => TreeWalkResult::Ok,
            Err(e) => {
                failure = Some(format!("{}: {e}", path.display()));
                TreeWalkResult::Abort
            }
        }
    })
    .map_err(|e| failure.clone().unwrap_or_else(|| e.message().to_string()))?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    let workdir = git.workdir().unwrap_or(repo_root);
    let inside = repo_root
        .canonicalize()
        .ok()
        .zip(workdir.canonicalize().ok())
        .and_then(|(root, work)| root.strip_prefix(work).ok().map(Path::to_path_buf))
        .unwrap_or_default();
    Ok(Extracted {
        root: dir.path().join(inside),
        _dir: dir,
    })
}

fn write_blob(git: &Repository, entry: &git2::TreeEntry<'_>, path: &Path) -> Result<(), String> {
    let blob = git
        .find_blob(entry.id())
        .map_err(|e| e.message().to_string())?;
    if entry.filemode() == 0o120000 {
        // A symlink: its content is the target, kept relative as written.
        let target = String::from_utf8_lossy(blob.content()).into_owned();
        return std::os::unix::fs::symlink(target, path).map_err(|e| e.to_string());
    }
    std::fs::write(path, blob.content()).map_err(|e| e.to_string())
}

/// The app as it was at `commit`, rendered there and diffed against the
/// cluster now: what a rollback would apply.
pub async fn evaluate_at(
    client: &Client,
    resolver: &Resolver,
    repo_root: &Path,
    options: &LoadOptions,
    app: &str,
    commit: &CommitInfo,
    tools: &Tools,
) -> Result<Evaluation, String> {
    let (root, sha) = (repo_root.to_path_buf(), commit.id.clone());
    let extracted = tokio::task::spawn_blocking(move || extract(&root, &sha))
        .await
        .map_err(|e| e.to_string())??;
    let facts = repo::facts(repo_root);
    let spec = spec::load_tree(&extracted.root, options, &facts)
        .map_err(|e| format!("at {}: {e}", commit.short))?;
    let app = spec
        .apps
        .iter()
        .find(|a| a.name == app)
        .ok_or_else(|| format!("app {app} does not exist at {}", commit.short))?;
    let rendered = render::render_app(&extracted.root, app, tools)
        .await
        .map_err(|e| format!("render failed at {}: {e}", commit.short))?;
    let index = evaluate::index(
        resolver,
        &extracted.root,
        [(app, rendered.objects.as_slice())],
    );
    let mut evaluation =
        evaluate::evaluate_rendered(client, resolver, app, &rendered.objects, &index).await;
    evaluation.command = Some(rendered.command);
    Ok(evaluation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit_all(root: &Path, message: &str) -> String {
        let git = Repository::open(root).unwrap();
        let mut index = git.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parent = git.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        git.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_past_tree_comes_from_git_objects_not_the_working_tree() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("apps/blog")).unwrap();
        std::fs::write(dir.path().join("apps/blog/cm.yaml"), "v: 1\n").unwrap();
        let first = commit_all(dir.path(), "one");
        std::fs::write(dir.path().join("apps/blog/cm.yaml"), "v: 2\n").unwrap();
        commit_all(dir.path(), "two");
        std::fs::write(dir.path().join("apps/blog/cm.yaml"), "v: dirty\n").unwrap();

        let extracted = extract(dir.path(), &first).unwrap();
        let text = std::fs::read_to_string(extracted.root.join("apps/blog/cm.yaml")).unwrap();
        assert_eq!(text, "v: 1\n");
        let commit = resolve(dir.path(), &first[..7]).unwrap();
        assert_eq!(commit.subject, "one");
        assert!(!is_head(dir.path(), &first));
        assert!(resolve(dir.path(), "nope").is_err_and(|e| e.contains("not a commit")));
        assert_eq!(short("3f2a1c9e"), "3f2a1c9");
        assert_eq!(short("ééééééééé"), "ééééééé");
        let gone = extracted.root.clone();
        drop(extracted);
        assert!(!gone.exists(), "the temporary tree goes with it");
    }
}
