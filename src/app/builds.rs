//! Builds state: the runs the watchers report, the repo's `builds:` entries
//! (a build never run still gets a row, so `b` can start it), and the
//! `then` restarts waiting on runs this session started.

use std::collections::HashMap;

use crate::builds::status::{BuildPhase, BuildRun};
use crate::cluster::rows::Row;
use crate::gitops::spec::BuildSpec;

/// One row of the builds view: a run, or a build that never ran.
#[derive(Debug, Clone)]
pub struct BuildEntry {
    pub build: String,
    pub run: Option<BuildRun>,
    namespace: String,
    name: String,
    search: String,
}

impl BuildEntry {
    fn from_run(run: BuildRun) -> BuildEntry {
        BuildEntry {
            build: run.build.clone(),
            namespace: run.namespace.clone(),
            name: run.name.clone(),
            search: format!(
                "{} {} {} {}",
                run.name.to_lowercase(),
                run.build.to_lowercase(),
                run.image.to_lowercase(),
                run.commit
            ),
            run: Some(run),
        }
    }

    fn never_run(build: &BuildSpec) -> BuildEntry {
        BuildEntry {
            build: build.name.clone(),
            run: None,
            namespace: String::new(),
            name: build.name.clone(),
            search: build.name.to_lowercase(),
        }
    }
}

impl Row for BuildEntry {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

/// A run this session started whose `then` rollouts wait on its end.
#[derive(Debug, Clone)]
pub struct PendingThen {
    pub build: String,
    pub then: Vec<String>,
}

#[derive(Debug, Default)]
pub struct BuildsState {
    pub runs: Vec<BuildRun>,
    pub specs: Vec<BuildSpec>,
    /// Rows: runs newest first, then builds that never ran.
    pub entries: Vec<BuildEntry>,
    /// Run name → what to restart when it succeeds.
    pub pending_then: HashMap<String, PendingThen>,
    /// Builds being created: request → build name.
    pub starting: HashMap<u64, String>,
    pub stamp: u64,
}

impl BuildsState {
    pub fn set_runs(&mut self, runs: Vec<BuildRun>) {
        self.runs = runs;
        self.rebuild();
    }

    pub fn set_specs(&mut self, specs: Vec<BuildSpec>) {
        self.specs = specs;
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let mut entries: Vec<BuildEntry> = self
            .runs
            .iter()
            .cloned()
            .map(BuildEntry::from_run)
            .collect();
        for spec in &self.specs {
            if !self.runs.iter().any(|r| r.build == spec.name) {
                entries.push(BuildEntry::never_run(spec));
            }
        }
        self.entries = entries;
        self.stamp += 1;
    }

    pub fn spec(&self, name: &str) -> Option<&BuildSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    /// The build feeding an app (its `app:` field).
    pub fn for_app(&self, app: &str) -> Option<&BuildSpec> {
        self.specs.iter().find(|s| s.app.as_deref() == Some(app))
    }

    /// Runs that ended since they were started here, with their `then`.
    pub fn finished_pending(&mut self) -> Vec<(BuildRun, PendingThen)> {
        let done: Vec<BuildRun> = self
            .runs
            .iter()
            .filter(|r| r.terminal() && self.pending_then.contains_key(&r.name))
            .cloned()
            .collect();
        done.into_iter()
            .filter_map(|run| {
                let pending = self.pending_then.remove(&run.name)?;
                Some((run, pending))
            })
            .collect()
    }
}

/// Did the run end well?
pub fn succeeded(run: &BuildRun) -> bool {
    run.phase == BuildPhase::Succeeded
}
