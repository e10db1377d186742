//! A throw-away copy of the repository's working tree, for renders that
//! change a kustomization first (Argo CD's `kustomize edit`, Flux's
//! generated kustomization): the user's files are never written.
//!
//! Files are hard links where the file system allows (a repo of a few
//! hundred files takes milliseconds), copies otherwise. A file that is
//! edited is replaced (unlinked and written anew), never written through
//! its link. `.git/` is left out.

use std::path::{Path, PathBuf};

/// The copy; removed when dropped.
pub struct Snapshot {
    dir: tempfile::TempDir,
}

impl Snapshot {
    /// Copies `repo_root` into a new temporary directory.
    pub fn of(repo_root: &Path) -> Result<Snapshot, String> {
        let dir = tempfile::Builder::new()
            .prefix("bosun-render-")
            .tempdir()
            .map_err(|e| format!("cannot make a scratch directory: {e}"))?;
        copy_tree(repo_root, dir.path())?;
        Ok(Snapshot { dir })
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` at `relative`, replacing (not writing through) a
    /// hard-linked original.
    pub fn replace(&self, relative: &Path, contents: &str) -> Result<(), String> {
        let path = self.dir.path().join(relative);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot replace {}: {e}", relative.display())),
        }
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", relative.display()))
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let source = entry.path();
        let target: PathBuf = to.join(&name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            link_symlink(&source, &target)?;
        } else if kind.is_dir() {
            std::fs::create_dir(&target)
                .map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
            copy_tree(&source, &target)?;
        } else if kind.is_file() && std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target)
                .map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
        }
    }
    Ok(())
}

/// Symlinks are recreated as they are: relative ones keep pointing inside
/// the copy; where they lead was checked by the confinement rules.
#[cfg(unix)]
fn link_symlink(source: &Path, target: &Path) -> Result<(), String> {
    let destination =
        std::fs::read_link(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    std::os::unix::fs::symlink(destination, target)
        .map_err(|e| format!("cannot copy {}: {e}", source.display()))
}

#[cfg(not(unix))]
fn link_symlink(_source: &Path, _target: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_a_file_leaves_the_original_alone() {
        let repo = tempfile::tempdir().expect("repo");
        std::fs::create_dir_all(repo.path().join("app")).expect("dir");
        std::fs::create_dir_all(repo.path().join(".git/objects")).expect("dir");
        std::fs::write(repo.path().join("app/kustomization.yaml"), "original\n").expect("write");
        let snapshot = Snapshot::of(repo.path()).expect("snapshot");
        assert!(!snapshot.root().join(".git").exists());
        snapshot
            .replace(Path::new("app/kustomization.yaml"), "edited\n")
            .expect("replace");
        assert_eq!(
            std::fs::read_to_string(repo.path().join("app/kustomization.yaml")).ok(),
            Some("original\n".into())
        );
        assert_eq!(
            std::fs::read_to_string(snapshot.root().join("app/kustomization.yaml")).ok(),
            Some("edited\n".into())
        );
        let root = snapshot.root().to_path_buf();
        drop(snapshot);
        assert!(!root.exists());
    }
}
