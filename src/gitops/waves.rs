//! The order a sync runs in (gitops-engine `syncTasks.Sort` and `Sync`):
//! phases PreSync → Sync → PostSync; within a phase, waves ascending;
//! within a wave, Argo CD's kind order, then the name. Each (phase, wave)
//! is one step; SyncFail hooks run only when a step fails. Pure: the sync
//! (`sync.rs`) carries the plan out. docs/ARCHITECTURE.md "Waves and hooks".

use std::fmt;

use serde_json::Value;

use super::compare::{HookObject, ObjectDiff};
use super::diff;
use super::hooks::{self, Phase};
use super::object::ObjectKey;
use super::sync::kind_rank;

/// What one task applies.
#[derive(Debug, Clone)]
pub enum Work<'a> {
    /// A resource the diff saw.
    Resource(&'a ObjectDiff),
    /// A hook run: its manifest with its name for this sync and the
    /// tracking stamped.
    Hook {
        hook: &'a HookObject,
        manifest: Value,
    },
}

/// One object to apply in one step.
#[derive(Debug, Clone)]
pub struct Task<'a> {
    pub phase: Phase,
    pub wave: i64,
    /// The key it is applied under (a generated hook's final name).
    pub key: ObjectKey,
    pub work: Work<'a>,
}

impl Task<'_> {
    pub fn is_hook(&self) -> bool {
        matches!(self.work, Work::Hook { .. })
    }

    pub fn manifest(&self) -> &Value {
        match &self.work {
            Work::Resource(obj) => &obj.manifest,
            Work::Hook { manifest, .. } => manifest,
        }
    }

    /// "Deployment blog/db" or "PreSync hook Job blog/db-migrate".
    pub fn describe(&self) -> String {
        if self.is_hook() {
            format!("{} hook {}", self.phase, self.key)
        } else {
            self.key.to_string()
        }
    }
}

/// All tasks of one (phase, wave), in apply order.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub phase: Phase,
    pub wave: i64,
    pub tasks: Vec<Task<'a>>,
}

impl Step<'_> {
    pub fn has_hooks(&self) -> bool {
        self.tasks.iter().any(Task::is_hook)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Plan<'a> {
    pub steps: Vec<Step<'a>>,
    /// SyncFail hooks, in apply order.
    pub sync_fail: Vec<Task<'a>>,
}

impl Plan<'_> {
    /// gitops-engine `multiStep`: more than one (phase, wave). Only then
    /// does a sync wait for resources to be Healthy between steps.
    pub fn multi_step(&self) -> bool {
        self.steps.len() > 1
    }

    /// Tasks of the regular steps (SyncFail hooks not counted).
    pub fn task_count(&self) -> usize {
        self.steps.iter().map(|s| s.tasks.len()).sum()
    }
}

/// Where a sync is, for the progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// 1-based step number.
    pub step: usize,
    pub steps: usize,
    pub phase: Phase,
    /// "Deployment blog/db to be Healthy", "hook Job blog/x to complete".
    pub waiting_for: Option<String>,
}

impl fmt::Display for Progress {
    /// "wave 2 of 4 · waiting for Deployment blog/db to be Healthy".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wave {} of {}", self.step, self.steps)?;
        if self.phase != Phase::Sync {
            write!(f, " ({})", self.phase)?;
        }
        match &self.waiting_for {
            Some(what) => write!(f, " · waiting for {what}"),
            None => write!(f, " · applying"),
        }
    }
}

/// Orders `resources` (what the sync applies) and `hooks` into steps.
/// `started` (unix seconds) and `revision` name `generateName` hooks.
pub fn plan<'a>(
    resources: &[&'a ObjectDiff],
    hook_objects: &'a [HookObject],
    app: &str,
    revision: &str,
    started: i64,
) -> Plan<'a> {
    let mut tasks: Vec<Task<'a>> = resources
        .iter()
        .map(|obj| Task {
            phase: Phase::Sync,
            wave: hooks::wave(&obj.manifest),
            key: obj.key.clone(),
            work: Work::Resource(obj),
        })
        .collect();
    let revision: String = revision
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    for hook in hook_objects {
        for phase in &hook.phases {
            let mut key = hook.key.clone();
            if hook.generate_name {
                key.name = hooks::generated_name(&hook.key.name, &revision, *phase, started);
            }
            let mut manifest = hook.manifest.clone();
            if let Some(meta) = manifest.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("generateName");
                meta.insert("name".into(), Value::from(key.name.clone()));
            }
            diff::stamp_tracking(&mut manifest, app, &key);
            tasks.push(Task {
                phase: *phase,
                wave: hook.wave,
                key,
                work: Work::Hook { hook, manifest },
            });
        }
    }
    tasks.sort_by(|a, b| {
        (a.phase, a.wave, kind_rank(&a.key.kind), &a.key.name).cmp(&(
            b.phase,
            b.wave,
            kind_rank(&b.key.kind),
            &b.key.name,
        ))
    });
    let mut plan = Plan::default();
    for task in tasks {
        if task.phase == Phase::SyncFail {
            plan.sync_fail.push(task);
            continue;
        }
        match plan.steps.last_mut() {
            Some(step) if step.phase == task.phase && step.wave == task.wave => {
                step.tasks.push(task)
            }
            _ => plan.steps.push(Step {
                phase: task.phase,
                wave: task.wave,
                tasks: vec![task],
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::compare::Change;
    use crate::gitops::hooks::DeletePolicy;
    use serde_json::json;

    fn key(kind: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: if kind == "Job" { "batch" } else { "" }.into(),
            kind: kind.into(),
            namespace: Some("blog".into()),
            name: name.into(),
        }
    }

    fn resource(kind: &str, name: &str, wave: Option<&str>) -> ObjectDiff {
        let mut manifest = json!({"kind": kind, "metadata": {"name": name}});
        if let Some(wave) = wave {
            manifest["metadata"]["annotations"] = json!({hooks::SYNC_WAVE_ANNOTATION: wave});
        }
        ObjectDiff::new(key(kind, name), Change::Create, manifest)
    }

    fn hook(name: &str, phases: &[Phase], generate: bool) -> HookObject {
        HookObject {
            key: key("Job", name),
            generate_name: generate,
            phases: phases.to_vec(),
            wave: 0,
            delete_policies: vec![DeletePolicy::BeforeHookCreation],
            manifest: json!({"kind": "Job", "metadata": {"namespace": "blog"}}),
        }
    }

    fn order(plan: &Plan) -> Vec<(Phase, i64, String)> {
        plan.steps
            .iter()
            .flat_map(|s| s.tasks.iter())
            .map(|t| (t.phase, t.wave, t.key.name.clone()))
            .collect()
    }

    #[test]
    fn phases_then_waves_then_kinds() {
        let db = resource("StatefulSet", "db", Some("-1"));
        let web = resource("Deployment", "web", Some("1"));
        let config = resource("ConfigMap", "config", None);
        let svc = resource("Service", "web", Some("1"));
        let late = resource("Ingress", "web", Some("3"));
        let hooks = vec![
            hook("smoke-", &[Phase::PostSync], true),
            hook("migrate", &[Phase::PreSync], false),
            hook("cleanup", &[Phase::SyncFail], false),
        ];
        let resources = vec![&late, &web, &config, &svc, &db];
        let plan = plan(&resources, &hooks, "blog", "3f2a1c9deadbeef", 1_700_000_000);
        assert_eq!(
            order(&plan),
            vec![
                (Phase::PreSync, 0, "migrate".to_string()),
                (Phase::Sync, -1, "db".into()),
                (Phase::Sync, 0, "config".into()),
                (Phase::Sync, 1, "web".into()), // Service before Deployment
                (Phase::Sync, 1, "web".into()),
                (Phase::Sync, 3, "web".into()),
                (
                    Phase::PostSync,
                    0,
                    "smoke-3f2a1c9-postsync-1700000000".into()
                ),
            ]
        );
        assert_eq!(plan.steps[3].tasks[0].key.kind, "Service");
        assert_eq!(plan.steps.len(), 6);
        assert!(plan.multi_step());
        assert_eq!(plan.sync_fail.len(), 1);
        assert_eq!(plan.task_count(), 7);
        // The generated hook is applied under its new name, tracked.
        let smoke = &plan.steps[5].tasks[0];
        let manifest = smoke.manifest();
        assert_eq!(
            manifest.pointer("/metadata/name").and_then(Value::as_str),
            Some("smoke-3f2a1c9-postsync-1700000000")
        );
        assert!(manifest.pointer("/metadata/generateName").is_none());
        assert!(
            manifest
                .pointer("/metadata/annotations/bosun.dev~1tracking-id")
                .is_some()
        );
    }

    #[test]
    fn a_plain_app_is_one_step() {
        let a = resource("ConfigMap", "a", None);
        let b = resource("Deployment", "b", None);
        let plan = plan(&[&b, &a], &[], "x", "abc", 0);
        assert_eq!(plan.steps.len(), 1);
        assert!(!plan.multi_step());
        assert_eq!(plan.steps[0].tasks[0].key.name, "a");
    }

    #[test]
    fn progress_reads_like_the_issue_says() {
        let progress = Progress {
            step: 2,
            steps: 4,
            phase: Phase::Sync,
            waiting_for: Some("Deployment blog/db to be Healthy".into()),
        };
        assert_eq!(
            progress.to_string(),
            "wave 2 of 4 · waiting for Deployment blog/db to be Healthy"
        );
        let pre = Progress {
            phase: Phase::PreSync,
            step: 1,
            waiting_for: None,
            ..progress
        };
        assert_eq!(pre.to_string(), "wave 1 of 4 (PreSync) · applying");
    }
}
