//! Argo Rollouts (argoproj.io/v1alpha1 Rollout, AnalysisRun) as the
//! `kubectl argo rollouts` plugin shows and drives them. Each rule says
//! which upstream function it follows (argoproj/argo-rollouts, v1.x):
//! `status` the phase words, `picture` the `get rollout` view, `actions`
//! the plugin's requests. See docs/ARCHITECTURE.md, Argo Rollouts.

pub mod actions;
pub mod model;
pub mod picture;
pub mod status;

use kube::core::{ApiResource, GroupVersionKind};

pub use model::Rollout;
pub use status::Phase;

pub const GROUP: &str = "argoproj.io";
pub const VERSION: &str = "v1alpha1";
/// The label the controller puts on a Rollout's ReplicaSets and pods.
pub const HASH_LABEL: &str = "rollouts-pod-template-hash";
/// The revision annotation on ReplicaSets and AnalysisRuns.
pub const REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";

pub fn rollout_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(GROUP, VERSION, "Rollout"),
        "rollouts",
    )
}

pub fn analysisrun_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(GROUP, VERSION, "AnalysisRun"),
        "analysisruns",
    )
}

/// What the views say when the API has no Rollout resource.
pub const NOT_INSTALLED: &str =
    "Argo Rollouts is not installed (no rollouts.argoproj.io resource on this cluster)";
