//! The parts of a Rollout bosun reads, as the controller's Go types name
//! them (pkg/apis/rollouts/v1alpha1/types.go). Every field is optional so a
//! partial or newer object still parses; what does not parse is an error
//! on that row only.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Rollout {
    pub metadata: Metadata,
    pub spec: RolloutSpec,
    pub status: Option<RolloutStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    pub namespace: String,
    pub generation: Option<i64>,
    pub creation_timestamp: Option<String>,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RolloutSpec {
    pub replicas: Option<i32>,
    pub selector: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>,
    pub template: Option<Value>,
    pub workload_ref: Option<Value>,
    pub paused: bool,
    pub restart_at: Option<String>,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Strategy {
    pub canary: Option<Canary>,
    pub blue_green: Option<BlueGreen>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Canary {
    pub steps: Vec<Step>,
    pub traffic_routing: Option<Value>,
    pub canary_service: Option<String>,
    pub stable_service: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Step {
    pub set_weight: Option<i32>,
    pub pause: Option<Pause>,
    pub analysis: Option<Value>,
    pub experiment: Option<Value>,
    pub set_canary_scale: Option<Value>,
    pub set_header_route: Option<Value>,
    pub set_mirror_route: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Pause {
    /// An IntOrString: seconds, or a Go duration ("1h").
    pub duration: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BlueGreen {
    pub active_service: String,
    pub preview_service: Option<String>,
    pub auto_promotion_enabled: Option<bool>,
    pub auto_promotion_seconds: Option<i32>,
    pub pre_promotion_analysis: Option<Value>,
    pub post_promotion_analysis: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RolloutStatus {
    pub abort: bool,
    pub pause_conditions: Vec<PauseCondition>,
    pub controller_pause: bool,
    pub aborted_at: Option<String>,
    pub current_pod_hash: String,
    pub replicas: i32,
    pub updated_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    pub current_step_index: Option<i32>,
    /// A string in the Go type; older controllers wrote a hash.
    pub observed_generation: Option<Value>,
    pub conditions: Vec<Condition>,
    pub canary: CanaryStatus,
    pub blue_green: BlueGreenStatus,
    #[serde(rename = "stableRS")]
    pub stable_rs: String,
    pub restarted_at: Option<String>,
    pub promote_full: bool,
    pub phase: String,
    pub message: String,
    pub workload_observed_generation: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PauseCondition {
    pub reason: String,
    pub start_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CanaryStatus {
    pub current_step_analysis_run_status: Option<AnalysisRunStatusRef>,
    pub current_background_analysis_run_status: Option<AnalysisRunStatusRef>,
    pub weights: Option<TrafficWeights>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AnalysisRunStatusRef {
    pub name: String,
    pub status: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TrafficWeights {
    pub canary: WeightDestination,
    pub stable: WeightDestination,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WeightDestination {
    pub weight: i32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BlueGreenStatus {
    pub active_selector: String,
    pub preview_selector: String,
    pub pre_promotion_analysis_run_status: Option<AnalysisRunStatusRef>,
    pub post_promotion_analysis_run_status: Option<AnalysisRunStatusRef>,
}

impl Rollout {
    /// Parses a Rollout from its JSON; the error names the field serde
    /// could not read.
    pub fn from_value(value: &Value) -> Result<Rollout, String> {
        serde_path_to_error::deserialize(value)
            .map_err(|error| format!("invalid Rollout: {}: {}", error.path(), error.inner()))
    }

    pub fn status(&self) -> std::borrow::Cow<'_, RolloutStatus> {
        match &self.status {
            Some(status) => std::borrow::Cow::Borrowed(status),
            None => std::borrow::Cow::Owned(RolloutStatus::default()),
        }
    }

    /// `defaults.GetReplicasOrDefault`: 1 when unset.
    pub fn desired(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }

    pub fn steps(&self) -> &[Step] {
        self.spec
            .strategy
            .canary
            .as_ref()
            .map(|canary| canary.steps.as_slice())
            .unwrap_or_default()
    }

    /// The containers' images of the pod template, in order.
    pub fn images(&self) -> Vec<String> {
        let containers = self
            .spec
            .template
            .as_ref()
            .and_then(|t| t.pointer("/spec/containers"))
            .and_then(Value::as_array);
        containers
            .map(|list| {
                list.iter()
                    .filter_map(|c| c.get("image").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Step {
    /// How the dashboard names a step: `setWeight: 20`, `pause: {}`,
    /// `pause: 30s`, `analysis`, …
    pub fn describe(&self) -> String {
        if let Some(weight) = self.set_weight {
            return format!("setWeight: {weight}");
        }
        if let Some(pause) = &self.pause {
            return match &pause.duration {
                None => "pause: {}".to_string(),
                Some(Value::Number(n)) => format!("pause: {n}s"),
                Some(Value::String(s)) if s.chars().all(|c| c.is_ascii_digit()) => {
                    format!("pause: {s}s")
                }
                Some(Value::String(s)) => format!("pause: {s}"),
                Some(other) => format!("pause: {other}"),
            };
        }
        if let Some(analysis) = &self.analysis {
            let names: Vec<&str> = analysis
                .get("templates")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|t| t.get("templateName").and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default();
            return if names.is_empty() {
                "analysis".to_string()
            } else {
                format!("analysis: {}", names.join(", "))
            };
        }
        if self.experiment.is_some() {
            return "experiment".to_string();
        }
        if self.set_canary_scale.is_some() {
            return "setCanaryScale".to_string();
        }
        if self.set_header_route.is_some() {
            return "setHeaderRoute".to_string();
        }
        if self.set_mirror_route.is_some() {
            return "setMirrorRoute".to_string();
        }
        "unknown step".to_string()
    }
}
