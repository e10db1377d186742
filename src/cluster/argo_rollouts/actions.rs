//! The plugin's actions, request for request (pkg/kubectl-argo-rollouts/
//! cmd/{promote,abort,retry,pause,restart,set}): JSON merge patches, the
//! status subresource first where the plugin uses it (falling back to the
//! main resource when the server answers NotFound, as for v0.9 CRDs
//! without the subresource), and set image as GET, edit, PUT retried on
//! conflicts.

use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::model::Rollout;
use super::status::current_step;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutAction {
    /// `promote`: leave the current pause (or step).
    Promote,
    /// `promote --full`: skip the remaining steps and analysis.
    PromoteFull,
    Abort,
    /// `retry rollout`: clear the abort.
    Retry,
    /// `pause`: `spec.paused`.
    Pause,
    /// Undo `pause`. The plugin has no resume command; this sends the
    /// `{"spec":{"paused":false}}` patch its promote sends for a manually
    /// paused rollout, and nothing else.
    Resume,
    /// `restart`: `spec.restartAt` now.
    Restart,
    /// `set image ROLLOUT CONTAINER=IMAGE` (`*` for every container).
    SetImage {
        container: String,
        image: String,
    },
}

impl RolloutAction {
    /// The verb for confirms, flashes and the audit log.
    pub fn verb(&self) -> &'static str {
        match self {
            RolloutAction::Promote => "promote",
            RolloutAction::PromoteFull => "promote --full",
            RolloutAction::Abort => "abort",
            RolloutAction::Retry => "retry",
            RolloutAction::Pause => "pause",
            RolloutAction::Resume => "resume",
            RolloutAction::Restart => "restart",
            RolloutAction::SetImage { .. } => "set image",
        }
    }

    /// What the plugin prints when it is done.
    pub fn done_message(&self, name: &str) -> String {
        match self {
            RolloutAction::Promote => format!("rollout '{name}' promoted"),
            RolloutAction::PromoteFull => format!("rollout '{name}' fully promoted"),
            RolloutAction::Abort => format!("rollout '{name}' aborted"),
            RolloutAction::Retry => format!("rollout '{name}' retried"),
            RolloutAction::Pause => format!("rollout '{name}' paused"),
            RolloutAction::Resume => format!("rollout '{name}' resumed"),
            RolloutAction::Restart => format!("rollout '{name}' restarts in 0s"),
            RolloutAction::SetImage { .. } => format!("rollout \"{name}\" image updated"),
        }
    }

    /// Whether a progress panel should follow it (to the next pause or to
    /// Healthy / Degraded).
    pub fn is_followed(&self) -> bool {
        matches!(
            self,
            RolloutAction::Promote
                | RolloutAction::PromoteFull
                | RolloutAction::Retry
                | RolloutAction::Resume
                | RolloutAction::Restart
                | RolloutAction::SetImage { .. }
        )
    }
}

/// The merge patches one action sends, as the plugin's `getPatches`
/// returns them: `status` goes to the status subresource; when that answers
/// NotFound, `unified` replaces `spec` on the main resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub status: Option<Value>,
    pub spec: Option<Value>,
    pub unified: Option<Value>,
}

/// `promote.getPatches` (no skip flags).
fn promote_plan(rollout: &Rollout) -> Plan {
    let status = rollout.status();
    let mut plan = Plan {
        unified: Some(json!({"spec": {"paused": false}, "status": {"pauseConditions": null}})),
        ..Plan::default()
    };
    if rollout.spec.paused {
        plan.spec = Some(json!({"spec": {"paused": false}}));
    }
    let steps = rollout.steps().len() as i32;
    // isInconclusive: a canary whose current step's analysis is Inconclusive.
    let inconclusive = rollout.spec.strategy.canary.is_some()
        && status
            .canary
            .current_step_analysis_run_status
            .as_ref()
            .is_some_and(|run| run.status == "Inconclusive");
    if inconclusive && !status.pause_conditions.is_empty() && status.controller_pause {
        let (_, index) = current_step(rollout);
        let mut index = index.unwrap_or(0);
        if index < steps {
            index += 1;
        }
        plan.status = Some(json!({"status": {
            "pauseConditions": null, "controllerPause": false, "currentStepIndex": index,
        }}));
    } else if !status.pause_conditions.is_empty() {
        plan.status = Some(json!({"status": {"pauseConditions": null}}));
    } else if rollout.spec.strategy.canary.is_some() {
        // "we only want to clear pause conditions, or increment step
        // index (never both)"
        if let (_, Some(mut index)) = current_step(rollout) {
            if index < steps {
                index += 1;
            }
            plan.status =
                Some(json!({"status": {"pauseConditions": null, "currentStepIndex": index}}));
            plan.unified = Some(json!({
                "spec": {"paused": false},
                "status": {"pauseConditions": null, "currentStepIndex": index},
            }));
        }
    }
    plan
}

/// The requests for `action` on `rollout` as read just now. `now` is the
/// RFC 3339 UTC time for restart. Set image is not a patch (see [`perform`]).
pub fn plan(rollout: &Rollout, action: &RolloutAction, now: &str) -> Plan {
    match action {
        RolloutAction::Promote => promote_plan(rollout),
        RolloutAction::PromoteFull => {
            let status = rollout.status();
            // Already fully promoted: the plugin sends nothing.
            if status.current_pod_hash != status.stable_rs {
                Plan {
                    status: Some(json!({"status": {"promoteFull": true}})),
                    ..Plan::default()
                }
            } else {
                Plan::default()
            }
        }
        RolloutAction::Abort => {
            let body = json!({"status": {"abort": true}});
            Plan {
                status: Some(body.clone()),
                unified: Some(body),
                spec: None,
            }
        }
        RolloutAction::Retry => {
            let body = json!({"status": {"abort": false}});
            Plan {
                status: Some(body.clone()),
                unified: Some(body),
                spec: None,
            }
        }
        RolloutAction::Pause => Plan {
            spec: Some(json!({"spec": {"paused": true}})),
            ..Plan::default()
        },
        RolloutAction::Resume => Plan {
            spec: Some(json!({"spec": {"paused": false}})),
            ..Plan::default()
        },
        RolloutAction::Restart => Plan {
            spec: Some(json!({"spec": {"restartAt": now}})),
            ..Plan::default()
        },
        RolloutAction::SetImage { .. } => Plan::default(),
    }
}

/// Sets `image` on the containers named `container` (or all, for `*`)
/// in the template's init, regular and ephemeral containers, as
/// `set_image.go` does. False when none matched.
pub fn set_image(object: &mut Value, container: &str, image: &str) -> bool {
    let mut found = false;
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(list) = object
            .pointer_mut(&format!("/spec/template/spec/{field}"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for entry in list {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if container == "*" || name == container {
                entry["image"] = json!(image);
                found = true;
            }
        }
    }
    found
}

fn api_error(error: kube::Error) -> String {
    crate::cluster::client::plain_client_error(&error)
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
}

/// Reads the rollout, then sends what the plugin sends. Returns the
/// plugin's message.
pub async fn perform(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    action: &RolloutAction,
) -> Result<String, String> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &super::rollout_resource());
    if let RolloutAction::SetImage { container, image } = action {
        return set_image_with_retries(&api, name, container, image)
            .await
            .map(|()| action.done_message(name));
    }
    let object = api.get(name).await.map_err(api_error)?;
    let value = serde_json::to_value(&object).map_err(|e| e.to_string())?;
    let rollout = Rollout::from_value(&value)?;
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_err(|e| e.to_string())?
        .to_string();
    let Plan {
        status,
        mut spec,
        unified,
    } = plan(&rollout, action, &now);
    let params = PatchParams::default();
    if let Some(body) = status {
        match api.patch_status(name, &params, &Patch::Merge(&body)).await {
            Ok(_) => {}
            Err(error) if is_not_found(&error) => spec = unified,
            Err(error) => return Err(api_error(error)),
        }
    }
    if let Some(body) = spec {
        api.patch(name, &params, &Patch::Merge(&body))
            .await
            .map_err(api_error)?;
    }
    Ok(action.done_message(name))
}

/// GET, edit, PUT; up to five attempts while the server says Conflict.
async fn set_image_with_retries(
    api: &Api<DynamicObject>,
    name: &str,
    container: &str,
    image: &str,
) -> Result<(), String> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let object = api.get(name).await.map_err(api_error)?;
        let mut value = serde_json::to_value(&object).map_err(|e| e.to_string())?;
        if value.pointer("/spec/workloadRef").is_some() {
            return Err(format!(
                "rollout {name} takes its template from spec.workloadRef: set the image on that workload"
            ));
        }
        if !set_image(&mut value, container, image) {
            return Err(format!("unable to find container named \"{container}\""));
        }
        let edited: DynamicObject = serde_json::from_value(value).map_err(|e| e.to_string())?;
        match api.replace(name, &PostParams::default(), &edited).await {
            Ok(_) => return Ok(()),
            Err(error) if is_conflict(&error) && attempt < 5 => continue,
            Err(error) => return Err(api_error(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout(value: Value) -> Rollout {
        Rollout::from_value(&value).expect("rollout")
    }

    fn canary(status: Value) -> Rollout {
        rollout(json!({
            "metadata": {"name": "guestbook"},
            "spec": {"strategy": {"canary": {"steps": [{"setWeight": 10}, {"pause": {}}, {"setWeight": 20}]}}},
            "status": status,
        }))
    }

    // The cases of cmd/promote/promote_test.go.
    #[test]
    fn promote_clears_pause_conditions_without_touching_the_step() {
        let plan = plan(
            &canary(json!({"currentStepIndex": 1, "controllerPause": true,
                "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}]})),
            &RolloutAction::Promote,
            "",
        );
        assert_eq!(
            plan.status,
            Some(json!({"status": {"pauseConditions": null}}))
        );
        assert_eq!(plan.spec, None);
    }

    #[test]
    fn promote_without_a_pause_moves_one_step_and_never_past_the_end() {
        let plan = plan(
            &canary(json!({"currentStepIndex": 0})),
            &RolloutAction::Promote,
            "",
        );
        assert_eq!(
            plan.status,
            Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 1}}))
        );
        let plan = super::plan(
            &canary(json!({"currentStepIndex": 3})),
            &RolloutAction::Promote,
            "",
        );
        assert_eq!(
            plan.status,
            Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 3}})),
            "index 3 of 3 stays 3"
        );
    }

    #[test]
    fn promote_unpauses_a_manually_paused_rollout() {
        let mut paused = canary(json!({"currentStepIndex": 1,
            "pauseConditions": [{"reason": "CanaryPauseStep"}]}));
        paused.spec.paused = true;
        let plan = plan(&paused, &RolloutAction::Promote, "");
        assert_eq!(plan.spec, Some(json!({"spec": {"paused": false}})));
        assert_eq!(
            plan.status,
            Some(json!({"status": {"pauseConditions": null}}))
        );
    }

    #[test]
    fn promote_after_inconclusive_analysis_clears_the_controller_pause_and_steps_on() {
        let plan = plan(
            &canary(json!({"currentStepIndex": 0, "controllerPause": true,
                "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
                "canary": {"currentStepAnalysisRunStatus": {"name": "run", "status": "Inconclusive"}}})),
            &RolloutAction::Promote,
            "",
        );
        assert_eq!(
            plan.status,
            Some(
                json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": 1}})
            )
        );
    }

    #[test]
    fn promote_of_an_unpaused_blue_green_sends_nothing() {
        let blue_green =
            rollout(json!({"spec": {"strategy": {"blueGreen": {"activeService": "a"}}}}));
        let plan = plan(&blue_green, &RolloutAction::Promote, "");
        assert_eq!((plan.status, plan.spec), (None, None));
    }

    #[test]
    fn set_image_replaces_every_matching_container() {
        let mut object = json!({"spec": {"template": {"spec": {
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [{"name": "web", "image": "web:1"}, {"name": "side", "image": "side:1"}]}}}});
        assert!(set_image(&mut object, "web", "web:2"));
        assert_eq!(
            object.pointer("/spec/template/spec/containers/0/image"),
            Some(&json!("web:2"))
        );
        assert_eq!(
            object.pointer("/spec/template/spec/containers/1/image"),
            Some(&json!("side:1"))
        );
        assert!(!set_image(&mut object, "nope", "x"));
        assert!(set_image(&mut object, "*", "all:3"));
        assert_eq!(
            object.pointer("/spec/template/spec/initContainers/0/image"),
            Some(&json!("all:3"))
        );
    }
}
