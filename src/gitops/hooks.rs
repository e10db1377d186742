//! Argo CD resource hooks and sync waves, read from a manifest's
//! annotations exactly as gitops-engine reads them (`pkg/sync/hook`,
//! `pkg/sync/hook/helm`, `pkg/sync/syncwaves`, `pkg/sync/sync_phase.go`):
//!
//! - `argocd.argoproj.io/hook`: comma-separated `PreSync`, `Sync`,
//!   `PostSync`, `SyncFail`, `Skip` (unknown words ignored). `Skip` alone
//!   means "never apply"; beside other types it is ignored.
//! - Without an Argo CD hook, `helm.sh/hook`: `pre-install`/`pre-upgrade`
//!   → PreSync, `post-install`/`post-upgrade` → PostSync. Any other value
//!   (`test`, `pre-delete`, `post-rollback`, …) still makes the object a
//!   hook, with no phase: it is never applied. `crd-install` is not a hook.
//! - Delete policies: `argocd.argoproj.io/hook-delete-policy` and
//!   `helm.sh/hook-delete-policy` (`hook-succeeded`, `hook-failed`,
//!   `before-hook-creation`), both read; none means BeforeHookCreation.
//! - Wave: `argocd.argoproj.io/sync-wave` when it is an integer, else
//!   `helm.sh/hook-weight`, else 0 — for every object, hook or not.
//!
//! docs/ARCHITECTURE.md "Waves and hooks".

use std::fmt;

use serde_json::Value;

pub const HOOK_ANNOTATION: &str = "argocd.argoproj.io/hook";
pub const HOOK_DELETE_POLICY_ANNOTATION: &str = "argocd.argoproj.io/hook-delete-policy";
pub const SYNC_WAVE_ANNOTATION: &str = "argocd.argoproj.io/sync-wave";
pub const HELM_HOOK_ANNOTATION: &str = "helm.sh/hook";
pub const HELM_HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
pub const HELM_HOOK_DELETE_POLICY_ANNOTATION: &str = "helm.sh/hook-delete-policy";

/// A sync phase, in the order a sync runs them (SyncFail only on failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    PreSync,
    Sync,
    PostSync,
    SyncFail,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PreSync => "PreSync",
            Phase::Sync => "Sync",
            Phase::PostSync => "PostSync",
            Phase::SyncFail => "SyncFail",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a hook object is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeletePolicy {
    /// After the whole sync succeeded.
    HookSucceeded,
    /// After the sync failed.
    HookFailed,
    /// Before the hook is created again (the default).
    BeforeHookCreation,
}

impl DeletePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletePolicy::HookSucceeded => "HookSucceeded",
            DeletePolicy::HookFailed => "HookFailed",
            DeletePolicy::BeforeHookCreation => "BeforeHookCreation",
        }
    }
}

/// What a rendered object is to a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// An ordinary resource: diffed, applied in the Sync phase, pruned.
    Resource,
    /// A hook: applied in each of its phases, never diffed or pruned.
    /// No phases (a Helm `test` hook): never applied.
    Hook {
        phases: Vec<Phase>,
        delete_policies: Vec<DeletePolicy>,
    },
    /// `argocd.argoproj.io/hook: Skip`: never applied.
    Skip,
}

impl Role {
    pub fn is_hook(&self) -> bool {
        matches!(self, Role::Hook { .. })
    }
}

fn annotation<'a>(manifest: &'a Value, key: &str) -> Option<&'a str> {
    manifest
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// gitops-engine `GetAnnotationCSVs`: split on commas, trimmed, empties dropped.
fn csv<'a>(manifest: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    annotation(manifest, key)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HookType {
    Phase(Phase),
    Skip,
}

fn argo_types(manifest: &Value) -> Vec<HookType> {
    csv(manifest, HOOK_ANNOTATION)
        .filter_map(|word| match word {
            "PreSync" => Some(HookType::Phase(Phase::PreSync)),
            "Sync" => Some(HookType::Phase(Phase::Sync)),
            "PostSync" => Some(HookType::Phase(Phase::PostSync)),
            "SyncFail" => Some(HookType::Phase(Phase::SyncFail)),
            "Skip" => Some(HookType::Skip),
            _ => None,
        })
        .collect()
}

fn helm_phases(manifest: &Value) -> Vec<Phase> {
    csv(manifest, HELM_HOOK_ANNOTATION)
        .filter_map(|word| match word {
            "pre-install" | "pre-upgrade" => Some(Phase::PreSync),
            "post-install" | "post-upgrade" => Some(Phase::PostSync),
            _ => None,
        })
        .collect()
}

/// gitops-engine `hook.Types`: Argo CD's types, or Helm's mapped ones when
/// there are none.
fn types(manifest: &Value) -> Vec<HookType> {
    let argo = argo_types(manifest);
    if !argo.is_empty() {
        return argo;
    }
    helm_phases(manifest)
        .into_iter()
        .map(HookType::Phase)
        .collect()
}

/// gitops-engine `hook.Skip`: `Skip` is the only type.
fn skip(manifest: &Value) -> bool {
    let types = types(manifest);
    types.len() == 1 && types[0] == HookType::Skip
}

/// gitops-engine `hook.IsHook`: an Argo CD hook annotation (not Skip), or
/// any Helm hook annotation but `crd-install`. Used on live objects too:
/// a hook is never a prune candidate.
pub fn is_hook(manifest: &Value) -> bool {
    if annotation(manifest, HOOK_ANNOTATION).is_some() {
        return !skip(manifest);
    }
    annotation(manifest, HELM_HOOK_ANNOTATION).is_some_and(|value| value != "crd-install")
}

/// gitops-engine `hook.DeletePolicies`: both annotations, BeforeHookCreation
/// when neither names one.
fn delete_policies(manifest: &Value) -> Vec<DeletePolicy> {
    let argo = csv(manifest, HOOK_DELETE_POLICY_ANNOTATION).filter_map(|word| match word {
        "HookSucceeded" => Some(DeletePolicy::HookSucceeded),
        "HookFailed" => Some(DeletePolicy::HookFailed),
        "BeforeHookCreation" => Some(DeletePolicy::BeforeHookCreation),
        _ => None,
    });
    let helm = csv(manifest, HELM_HOOK_DELETE_POLICY_ANNOTATION).filter_map(|word| match word {
        "hook-succeeded" => Some(DeletePolicy::HookSucceeded),
        "hook-failed" => Some(DeletePolicy::HookFailed),
        "before-hook-creation" => Some(DeletePolicy::BeforeHookCreation),
        _ => None,
    });
    let mut policies: Vec<DeletePolicy> = argo.chain(helm).collect();
    policies.dedup();
    if policies.is_empty() {
        policies.push(DeletePolicy::BeforeHookCreation);
    }
    policies
}

/// What the object is to a sync (gitops-engine `syncPhases`).
pub fn role(manifest: &Value) -> Role {
    if skip(manifest) {
        return Role::Skip;
    }
    if !is_hook(manifest) {
        return Role::Resource;
    }
    let mut phases: Vec<Phase> = types(manifest)
        .into_iter()
        .filter_map(|t| match t {
            HookType::Phase(phase) => Some(phase),
            HookType::Skip => None,
        })
        .collect();
    phases.sort();
    phases.dedup();
    Role::Hook {
        phases,
        delete_policies: delete_policies(manifest),
    }
}

/// gitops-engine `syncwaves.Wave`.
pub fn wave(manifest: &Value) -> i64 {
    if let Some(wave) = annotation(manifest, SYNC_WAVE_ANNOTATION).and_then(|t| t.parse().ok()) {
        return wave;
    }
    annotation(manifest, HELM_HOOK_WEIGHT_ANNOTATION)
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// The name of a `generateName` hook for one sync, as gitops-engine forms
/// it: `generateName` + lowercase `<revision[:7]>-<phase>-<unix seconds>`,
/// so each sync creates it fresh and its name says which sync made it.
pub fn generated_name(generate_name: &str, revision: &str, phase: Phase, started: i64) -> String {
    let revision: String = revision.chars().take(7).collect();
    format!("{generate_name}{revision}-{phase}-{started}").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn annotated(pairs: &[(&str, &str)]) -> Value {
        let annotations: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::from(*v)))
            .collect();
        json!({"metadata": {"name": "x", "annotations": annotations}})
    }

    #[test]
    fn argo_hook_types_and_skip() {
        assert_eq!(role(&annotated(&[])), Role::Resource);
        assert_eq!(
            role(&annotated(&[(HOOK_ANNOTATION, "PreSync")])),
            Role::Hook {
                phases: vec![Phase::PreSync],
                delete_policies: vec![DeletePolicy::BeforeHookCreation]
            }
        );
        assert_eq!(
            role(&annotated(&[(HOOK_ANNOTATION, " PostSync , PreSync ")])),
            Role::Hook {
                phases: vec![Phase::PreSync, Phase::PostSync],
                delete_policies: vec![DeletePolicy::BeforeHookCreation]
            }
        );
        assert_eq!(role(&annotated(&[(HOOK_ANNOTATION, "Skip")])), Role::Skip);
        // Skip beside another type is ignored (gitops-engine hook.Skip).
        assert_eq!(
            role(&annotated(&[(HOOK_ANNOTATION, "Skip,Sync")])),
            Role::Hook {
                phases: vec![Phase::Sync],
                delete_policies: vec![DeletePolicy::BeforeHookCreation]
            }
        );
        // An unknown word: still a hook (the annotation is there), no phase.
        assert_eq!(
            role(&annotated(&[(HOOK_ANNOTATION, "Whenever")])),
            Role::Hook {
                phases: vec![],
                delete_policies: vec![DeletePolicy::BeforeHookCreation]
            }
        );
    }

    #[test]
    fn helm_hooks_map_as_argo_cd_maps_them() {
        let pre = annotated(&[
            (HELM_HOOK_ANNOTATION, "pre-install,pre-upgrade"),
            (HELM_HOOK_DELETE_POLICY_ANNOTATION, "hook-succeeded"),
        ]);
        assert_eq!(
            role(&pre),
            Role::Hook {
                phases: vec![Phase::PreSync],
                delete_policies: vec![DeletePolicy::HookSucceeded]
            }
        );
        let post = annotated(&[(HELM_HOOK_ANNOTATION, "post-upgrade")]);
        assert!(
            matches!(role(&post), Role::Hook { phases, .. } if phases == vec![Phase::PostSync])
        );
        // A test hook is a hook with no phase: never applied.
        let test = annotated(&[(HELM_HOOK_ANNOTATION, "test")]);
        assert!(matches!(role(&test), Role::Hook { phases, .. } if phases.is_empty()));
        // crd-install is no hook at all.
        let crd = annotated(&[(HELM_HOOK_ANNOTATION, "crd-install")]);
        assert_eq!(role(&crd), Role::Resource);
        // Argo CD's annotation wins over Helm's.
        let both = annotated(&[
            (HOOK_ANNOTATION, "Sync"),
            (HELM_HOOK_ANNOTATION, "pre-install"),
        ]);
        assert!(matches!(role(&both), Role::Hook { phases, .. } if phases == vec![Phase::Sync]));
    }

    #[test]
    fn waves_from_sync_wave_then_helm_weight() {
        assert_eq!(wave(&annotated(&[])), 0);
        assert_eq!(wave(&annotated(&[(SYNC_WAVE_ANNOTATION, "-1")])), -1);
        assert_eq!(wave(&annotated(&[(SYNC_WAVE_ANNOTATION, "3")])), 3);
        assert_eq!(wave(&annotated(&[(HELM_HOOK_WEIGHT_ANNOTATION, "5")])), 5);
        // Not an integer: the Helm weight, then 0.
        assert_eq!(
            wave(&annotated(&[
                (SYNC_WAVE_ANNOTATION, "two"),
                (HELM_HOOK_WEIGHT_ANNOTATION, "-2")
            ])),
            -2
        );
        assert_eq!(wave(&annotated(&[(SYNC_WAVE_ANNOTATION, "two")])), 0);
    }

    #[test]
    fn generated_names_are_lowercase_and_per_sync() {
        assert_eq!(
            generated_name(
                "db-migrate-",
                "3F2A1C9DEADBEEF",
                Phase::PreSync,
                1_700_000_000
            ),
            "db-migrate-3f2a1c9-presync-1700000000"
        );
    }

    #[test]
    fn live_hooks_are_recognised() {
        assert!(is_hook(&annotated(&[(HOOK_ANNOTATION, "PostSync")])));
        assert!(is_hook(&annotated(&[(HELM_HOOK_ANNOTATION, "test")])));
        assert!(!is_hook(&annotated(&[(HOOK_ANNOTATION, "Skip")])));
        assert!(!is_hook(&annotated(&[(
            HELM_HOOK_ANNOTATION,
            "crd-install"
        )])));
        assert!(!is_hook(&annotated(&[])));
    }
}
