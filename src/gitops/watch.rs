//! Watches the GitOps working tree with notify (DESIGN §6) so the render
//! cache re-runs only the apps whose inputs changed.
//!
//! notify-debouncer-full coalesces the burst of events an editor or a
//! checkout produces; each debounce tick becomes at most one batch of
//! changed paths. `.git/` is ignored (fetches and index writes are not
//! changes to the specs), and so are pure access events (opening or reading
//! a file), or rendering an app would trigger its own re-render.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use notify_debouncer_full::notify::event::{EventKind, ModifyKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer,
};
use tokio::sync::mpsc::UnboundedSender;

/// A running watch on a working tree; dropping it stops the watch.
pub struct TreeWatcher {
    root: PathBuf,
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl std::fmt::Debug for TreeWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeWatcher")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// Why a watch could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("watching {path}: {message}")]
    Start { path: PathBuf, message: String },
}

impl TreeWatcher {
    /// Watches `root` recursively; changed paths (absolute, `.git/` ignored and also paths ignored by nothing else) are sent, debounced by `debounce`, as one batch per debounce window on `tx`.
    ///
    /// Paths are `root` (made absolute, symlinks not resolved) joined with the
    /// changed path, so they compare equal to inputs built from the same root.
    /// When the OS dropped events (an inotify queue overflow), the batch holds
    /// `root` itself: treat it as "anything may have changed".
    /// Batches are never empty and hold each path once. A closed receiver is
    /// not an error; watch errors are logged, never panicked on.
    pub fn start(
        root: &Path,
        debounce: Duration,
        tx: UnboundedSender<Vec<PathBuf>>,
    ) -> Result<TreeWatcher, WatchError> {
        let start_err = |message: String| WatchError::Start {
            path: root.to_path_buf(),
            message,
        };
        let root = std::path::absolute(root).map_err(|e| start_err(e.to_string()))?;
        let handler_root = root.clone();
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            match result {
                Ok(events) => {
                    let batch = batch_paths(&handler_root, &events);
                    if !batch.is_empty() {
                        // The receiver is gone when the app shuts down: fine.
                        let _ = tx.send(batch);
                    }
                }
                Err(errors) => {
                    for error in errors {
                        tracing::warn!(root = %handler_root.display(), %error, "watching the GitOps tree");
                    }
                }
            }
        })
        .map_err(|e| start_err(e.to_string()))?;
        debouncer
            .watch(&root, RecursiveMode::Recursive)
            .map_err(|e| start_err(e.to_string()))?;
        Ok(TreeWatcher {
            root,
            _debouncer: debouncer,
        })
    }

    /// The watched root, absolute.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// The distinct changed paths of one debounce window, in event order,
/// without `.git/` and access-only events; `root` when a rescan is needed.
fn batch_paths(root: &Path, events: &[DebouncedEvent]) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut batch = Vec::new();
    for event in events {
        if event.need_rescan() {
            if seen.insert(root.to_path_buf()) {
                batch.push(root.to_path_buf());
            }
            continue;
        }
        if !is_change(&event.kind) {
            continue;
        }
        for path in &event.paths {
            if !under_git_dir(root, path) && seen.insert(path.clone()) {
                batch.push(path.clone());
            }
        }
    }
    batch
}

/// Whether an event kind can change what a render reads: not opening,
/// reading or closing a file, nor metadata-only access-time updates.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(m)) => !matches!(
            m,
            notify_debouncer_full::notify::event::MetadataKind::AccessTime
        ),
        _ => true,
    }
}

/// Whether `path` lies in a `.git` directory (or is one), looking only at
/// the part below `root` when `path` is under it.
fn under_git_dir(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .any(|c| matches!(c, Component::Normal(name) if name == ".git"))
}

/// Pure helper: which of `apps` (name, input paths: directories or files, absolute) are touched by `changed` paths. A change touches an app when a changed path equals one of its inputs or lies under one of its input directories. Returns the names, deduplicated, in `apps` order.
///
/// A changed path that is an ancestor of an input also touches the app:
/// renaming or deleting a directory reports only that directory, not the
/// files inside it, and a rescan reports the watched root.
/// Comparison is by path components, so `apps/blog2` is not under
/// `apps/blog`.
pub fn touched_apps<'a>(apps: &'a [(String, Vec<PathBuf>)], changed: &[PathBuf]) -> Vec<&'a str> {
    let mut names: Vec<&'a str> = Vec::new();
    for (name, inputs) in apps {
        let touched = inputs.iter().any(|input| {
            changed
                .iter()
                .any(|c| c.starts_with(input) || input.starts_with(c))
        });
        if touched && !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}
