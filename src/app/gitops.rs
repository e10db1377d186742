//! GitOps state: the repo's apps with their latest evaluation, the repo
//! panel's status, syncs in flight. Filled by `GitopsEvent`s only.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::cluster::rows::Row;
use crate::gitops::compare::{Change, ObjectDiff, SyncStatus};
use crate::gitops::evaluate::Evaluation;
use crate::gitops::health::Health;
use crate::gitops::object::ObjectKey;
use crate::gitops::repo::RepoStatus;
use crate::gitops::spec::AppSpec;

/// One app row of the apps view.
#[derive(Debug, Clone)]
pub struct AppEntry {
    pub spec: AppSpec,
    pub eval: Option<Evaluation>,
    /// Sequence of the evaluation shown; older ones are dropped.
    pub seq: u64,
    pub refreshing: bool,
    /// The app's objects for its resource tree, built when `eval` arrives.
    pub objects: Vec<ObjectEntry>,
    search: String,
}

impl AppEntry {
    pub fn new(spec: AppSpec) -> AppEntry {
        let search = spec.name.to_lowercase();
        AppEntry {
            spec,
            eval: None,
            seq: 0,
            refreshing: true,
            objects: Vec::new(),
            search,
        }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn sync(&self) -> Option<SyncStatus> {
        self.eval.as_ref().map(Evaluation::sync)
    }

    pub fn health(&self) -> Option<Health> {
        self.eval.as_ref().map(Evaluation::health)
    }

    pub fn set_evaluation(&mut self, seq: u64, eval: Evaluation) {
        self.seq = seq;
        self.refreshing = false;
        self.objects = eval
            .diff
            .as_ref()
            .map(|d| d.objects.iter().map(ObjectEntry::from_diff).collect())
            .unwrap_or_default();
        self.search = format!(
            "{} {} {}",
            self.spec.name.to_lowercase(),
            eval.sync().as_str().to_lowercase(),
            eval.health().as_str().to_lowercase()
        );
        self.eval = Some(eval);
    }
}

impl Row for AppEntry {
    fn ident(&self) -> (&str, &str) {
        ("", &self.spec.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

/// One object of an app's resource tree.
#[derive(Debug, Clone)]
pub struct ObjectEntry {
    pub key: ObjectKey,
    pub namespace: String,
    pub change: Change,
    pub health: Option<Health>,
    pub message: String,
    search: String,
}

impl ObjectEntry {
    fn from_diff(diff: &ObjectDiff) -> ObjectEntry {
        let message = diff
            .error
            .clone()
            .or_else(|| diff.shared_text())
            .or_else(|| diff.keep.as_ref().map(|k| k.reason.clone()))
            .or_else(|| {
                (!diff.takeover.is_empty()).then(|| format!("takes {}", diff.takeover.join("; ")))
            })
            .or_else(|| diff.health.as_ref().map(|h| h.message.clone()))
            .unwrap_or_default();
        ObjectEntry {
            namespace: diff.key.namespace.clone().unwrap_or_default(),
            search: format!(
                "{} {} {} {}",
                diff.key.kind.to_lowercase(),
                diff.key.namespace.as_deref().unwrap_or(""),
                diff.key.name.to_lowercase(),
                diff.change.as_str()
            ),
            key: diff.key.clone(),
            change: diff.change,
            health: diff.health.as_ref().map(|h| h.health),
            message,
        }
    }
}

impl Row for ObjectEntry {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.key.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

/// Everything the apps view and the repo panel show.
#[derive(Debug, Default)]
pub struct GitopsState {
    /// The repo root, once one was found.
    pub root: Option<PathBuf>,
    /// Why there is no repo (no --repo, not a git repo, ...).
    pub setup_error: Option<String>,
    /// A broken bosun.yaml (the last good apps stay listed).
    pub spec_error: Option<String>,
    /// The entry point apps were found from (`clusters/<name>`).
    pub entry: Option<PathBuf>,
    /// Several clusters and none chosen: the user picks one with `--path`.
    pub entry_candidates: Vec<PathBuf>,
    /// "kubectl kustomize (no kustomize), no helm".
    pub tools: String,
    pub apps: Vec<AppEntry>,
    pub repo: Option<RepoStatus>,
    pub repo_error: Option<String>,
    pub fetching: bool,
    pub pulling: bool,
    /// Syncs in flight: app → request id.
    pub syncing: HashMap<String, u64>,
    /// Where each sync in flight is: app → "wave 2 of 4 · waiting for …".
    pub sync_progress: HashMap<String, String>,
    /// (app, revision) pairs auto-sync already applied: each commit once.
    pub auto_synced: HashSet<(String, String)>,
    /// Bumped on every change the apps views show (table cache key).
    pub stamp: u64,
    /// The `h` history asked for (its request id: a late answer is dropped).
    pub history_request: Option<u64>,
    /// A rollback being looked at: its diff, then its sync.
    pub rollback: Option<RollbackDiff>,
}

/// An app as it was at a past commit, diffed against the cluster
/// (docs/ARCHITECTURE.md "Rollback").
#[derive(Debug, Clone)]
pub struct RollbackDiff {
    pub request: u64,
    pub app: String,
    /// Known once the worker answered.
    pub commit: Option<crate::gitops::repo::CommitInfo>,
    pub evaluation: Option<Box<crate::gitops::evaluate::Evaluation>>,
}

impl GitopsState {
    pub fn app(&self, name: &str) -> Option<&AppEntry> {
        self.apps.iter().find(|a| a.spec.name == name)
    }

    pub fn app_mut(&mut self, name: &str) -> Option<&mut AppEntry> {
        self.apps.iter_mut().find(|a| a.spec.name == name)
    }

    /// Replaces the app list, keeping what is known about apps that stay.
    pub fn set_apps(&mut self, specs: Vec<AppSpec>) {
        let mut old: HashMap<String, AppEntry> = self
            .apps
            .drain(..)
            .map(|a| (a.spec.name.clone(), a))
            .collect();
        self.apps = specs
            .into_iter()
            .map(|spec| match old.remove(&spec.name) {
                Some(mut entry) => {
                    entry.spec = spec;
                    entry
                }
                None => AppEntry::new(spec),
            })
            .collect();
        self.stamp += 1;
    }

    /// Counts for the overview: (synced, out of sync, unknown, degraded).
    pub fn summary(&self) -> AppsSummary {
        let mut summary = AppsSummary::default();
        for app in &self.apps {
            match app.sync() {
                Some(SyncStatus::Synced) => summary.synced += 1,
                Some(SyncStatus::OutOfSync) => summary.out_of_sync += 1,
                _ => summary.unknown += 1,
            }
            match app.health() {
                Some(Health::Healthy) => summary.healthy += 1,
                Some(Health::Degraded) | Some(Health::Missing) => summary.degraded += 1,
                Some(Health::Progressing) | Some(Health::Suspended) => summary.progressing += 1,
                _ => {}
            }
        }
        summary
    }

    /// "waiting for infra (not synced)" when a dependency (Flux dependsOn)
    /// of the app is not ready yet.
    pub fn waiting_for(&self, name: &str) -> Option<String> {
        let app = self.app(name)?;
        if app.spec.depends_on.is_empty() {
            return None;
        }
        crate::gitops::depends::waiting_for(&app.spec, |dependency| {
            let entry = self.app(dependency)?;
            Some((&entry.spec, entry.eval.as_ref()))
        })
    }

    /// The HEAD commit id, when the repo panel knows it.
    pub fn head(&self) -> Option<&str> {
        self.repo.as_ref()?.head.as_ref().map(|h| h.id.as_str())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppsSummary {
    pub synced: usize,
    pub out_of_sync: usize,
    pub unknown: usize,
    pub healthy: usize,
    pub progressing: usize,
    pub degraded: usize,
}
