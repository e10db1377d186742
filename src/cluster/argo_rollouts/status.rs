//! A Rollout's status words, as `kubectl argo rollouts` computes them
//! (utils/rollout/rolloututil.go `GetRolloutPhase`, falling back to
//! `CalculateRolloutPhase` for controllers older than v1.0 that write no
//! `status.phase`), and the list's STEP / SET-WEIGHT columns
//! (cmd/list/rollloutinfo.go, utils/replicaset/canary.go).

use super::model::{Rollout, RolloutStatus, Step};

/// `RolloutPhase`. There is no "Aborted" phase: an abort is Degraded with
/// a `RolloutAborted: …` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Healthy,
    Progressing,
    Paused,
    Degraded,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Healthy => "Healthy",
            Phase::Progressing => "Progressing",
            Phase::Paused => "Paused",
            Phase::Degraded => "Degraded",
        }
    }

    /// A phase a controller wrote; anything else reads as Progressing with
    /// the word kept in the message by the caller.
    pub fn parse(word: &str) -> Option<Phase> {
        match word {
            "Healthy" => Some(Phase::Healthy),
            "Progressing" => Some(Phase::Progressing),
            "Paused" => Some(Phase::Paused),
            "Degraded" => Some(Phase::Degraded),
            _ => None,
        }
    }

    /// The plugin's icon (info/info.go `rolloutIcon`).
    pub fn icon(self) -> &'static str {
        match self {
            Phase::Healthy => "✔",
            Phase::Progressing => "◌",
            Phase::Paused => "॥",
            Phase::Degraded => "✖",
        }
    }
}

/// `isGenerationObserved`: a non-numeric observedGeneration (v0.9 wrote a
/// hash) counts as observed, as does one above the generation.
fn generation_observed(rollout: &Rollout, status: &RolloutStatus) -> bool {
    let observed = match &status.observed_generation {
        Some(serde_json::Value::String(s)) => s.parse::<i64>().ok(),
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let generation = rollout.metadata.generation.unwrap_or(0);
    // strconv.Atoi("") fails too: a status without it counts as observed.
    observed.is_none_or(|observed| observed >= generation)
}

/// `isWorkloadGenerationObserved`: only with `workloadRef`; missing or
/// unparsable values count as observed.
fn workload_generation_observed(rollout: &Rollout, status: &RolloutStatus) -> bool {
    if rollout.spec.workload_ref.is_none() {
        return true;
    }
    let annotation = rollout
        .metadata
        .annotations
        .get("rollout.argoproj.io/workload-generation")
        .and_then(|v| v.parse::<i64>().ok());
    let observed = status
        .workload_observed_generation
        .as_deref()
        .and_then(|v| v.parse::<i64>().ok());
    match (annotation, observed) {
        (Some(a), Some(o)) => a == o,
        _ => true,
    }
}

/// `GetRolloutPhase`: what `get`, `list` and `status` print.
pub fn phase(rollout: &Rollout) -> (Phase, String) {
    let status = rollout.status();
    if !generation_observed(rollout, &status) {
        return (
            Phase::Progressing,
            "waiting for rollout spec update to be observed".into(),
        );
    }
    if status.controller_pause && status.pause_conditions.is_empty() {
        return (Phase::Progressing, "waiting for rollout to unpause".into());
    }
    if !workload_generation_observed(rollout, &status) {
        return (
            Phase::Progressing,
            "waiting for rollout spec update to be observed for the reference workload".into(),
        );
    }
    if !status.phase.is_empty() {
        return match Phase::parse(&status.phase) {
            Some(phase) => (phase, status.message.clone()),
            // Not a word this version knows: shown, never guessed.
            None => (
                Phase::Progressing,
                format!("unknown phase {:?} {}", status.phase, status.message)
                    .trim_end()
                    .to_string(),
            ),
        };
    }
    calculate_phase(rollout, &status)
}

fn same_time(a: &str, b: &str) -> bool {
    match (a.parse::<jiff::Timestamp>(), b.parse::<jiff::Timestamp>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `CalculateRolloutPhase`, the controller-side rule, in its order.
pub fn calculate_phase(rollout: &Rollout, status: &RolloutStatus) -> (Phase, String) {
    for condition in &status.conditions {
        if condition.kind == "InvalidSpec" {
            return (
                Phase::Degraded,
                format!("InvalidSpec: {}", condition.message),
            );
        }
        if matches!(
            condition.reason.as_str(),
            "RolloutAborted" | "ProgressDeadlineExceeded"
        ) {
            return (
                Phase::Degraded,
                format!("{}: {}", condition.reason, condition.message),
            );
        }
    }
    if rollout.spec.paused {
        return (Phase::Paused, "manually paused".into());
    }
    if let Some(pause) = status.pause_conditions.first() {
        return (Phase::Paused, pause.reason.clone());
    }
    if let Some(restart_at) = &rollout.spec.restart_at
        && status
            .restarted_at
            .as_deref()
            .is_none_or(|restarted| !same_time(restart_at, restarted))
    {
        return (Phase::Progressing, "rollout is restarting".into());
    }
    if status.updated_replicas < rollout.desired() {
        return (
            Phase::Progressing,
            "more replicas need to be updated".into(),
        );
    }
    if status.available_replicas < status.updated_replicas {
        return (
            Phase::Progressing,
            "updated replicas are still becoming available".into(),
        );
    }
    let fully_promoted = status.stable_rs == status.current_pod_hash;
    if let Some(blue_green) = &rollout.spec.strategy.blue_green {
        let active = &status.blue_green.active_selector;
        if active.is_empty() || *active != status.current_pod_hash {
            return (Phase::Progressing, "active service cutover pending".into());
        }
        if status.stable_rs.is_empty() || !fully_promoted {
            let waiting_for_analysis = blue_green.post_promotion_analysis.is_some()
                && status
                    .blue_green
                    .post_promotion_analysis_run_status
                    .as_ref()
                    .is_none_or(|run| !analysis_completed(&run.status));
            return if waiting_for_analysis {
                (
                    Phase::Progressing,
                    "waiting for analysis to complete".into(),
                )
            } else {
                (
                    Phase::Progressing,
                    "waiting for post-promotion verification to complete".into(),
                )
            };
        }
    } else if let Some(canary) = &rollout.spec.strategy.canary {
        if canary.traffic_routing.is_none() && status.replicas > status.updated_replicas {
            return (
                Phase::Progressing,
                "old replicas are pending termination".into(),
            );
        }
        if status.stable_rs.is_empty() || !fully_promoted {
            return (
                Phase::Progressing,
                "waiting for all steps to complete".into(),
            );
        }
    }
    (Phase::Healthy, String::new())
}

/// `AnalysisPhase.Completed`.
pub fn analysis_completed(phase: &str) -> bool {
    matches!(phase, "Successful" | "Failed" | "Error" | "Inconclusive")
}

/// "Canary", "BlueGreen" or "unknown", as the list prints it.
pub fn strategy_name(rollout: &Rollout) -> &'static str {
    if rollout.spec.strategy.canary.is_some() {
        "Canary"
    } else if rollout.spec.strategy.blue_green.is_some() {
        "BlueGreen"
    } else {
        "unknown"
    }
}

/// `GetCurrentCanaryStep`: the step at `currentStepIndex` (0 when unset),
/// None past the last one or without steps; the index when there are steps.
pub fn current_step(rollout: &Rollout) -> (Option<&Step>, Option<i32>) {
    let steps = rollout.steps();
    if rollout.spec.strategy.canary.is_none() || steps.is_empty() {
        return (None, None);
    }
    let index = rollout
        .status
        .as_ref()
        .and_then(|s| s.current_step_index)
        .unwrap_or(0);
    let step = usize::try_from(index).ok().and_then(|i| steps.get(i));
    (step, Some(index))
}

/// `GetCurrentSetWeight`: 0 when aborted, 100 past the last step, else the
/// latest setWeight at or before the current step.
pub fn current_set_weight(rollout: &Rollout) -> i32 {
    if rollout.status.as_ref().is_some_and(|s| s.abort) {
        return 0;
    }
    let (step, index) = current_step(rollout);
    let (Some(_), Some(index)) = (step, index) else {
        return 100;
    };
    let steps = rollout.steps();
    let upto = usize::try_from(index).unwrap_or(0).min(steps.len() - 1);
    steps[..=upto]
        .iter()
        .rev()
        .find_map(|s| s.set_weight)
        .unwrap_or(0)
}

/// STEP: `currentStepIndex/len(steps)` for a canary with steps, else "-".
pub fn step_text(rollout: &Rollout) -> String {
    let steps = rollout.steps();
    match rollout.status.as_ref().and_then(|s| s.current_step_index) {
        Some(index) if rollout.spec.strategy.canary.is_some() && !steps.is_empty() => {
            format!("{index}/{}", steps.len())
        }
        _ => "-".into(),
    }
}

/// SET-WEIGHT: the current set weight for a canary, else "-".
pub fn set_weight_text(rollout: &Rollout) -> String {
    if rollout.spec.strategy.canary.is_some() {
        current_set_weight(rollout).to_string()
    } else {
        "-".into()
    }
}

/// ActualWeight (info/rollout_info.go): 100 past the last step; 0 while
/// nothing is available; without traffic routing the canary ReplicaSet's
/// share of available pods (integer division); with it the weight the
/// controller verified, else the set weight.
pub fn actual_weight(rollout: &Rollout, canary_available: Option<i32>) -> String {
    let Some(canary) = &rollout.spec.strategy.canary else {
        return "-".into();
    };
    let status = rollout.status();
    let (step, _) = current_step(rollout);
    if step.is_none() {
        return "100".into();
    }
    if status.available_replicas <= 0 {
        return "0".into();
    }
    if canary.traffic_routing.is_none() {
        return match canary_available {
            Some(available) => ((available * 100) / status.available_replicas).to_string(),
            None => "0".into(),
        };
    }
    match &status.canary.weights {
        Some(weights) => weights.canary.weight.to_string(),
        None => current_set_weight(rollout).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rollout(value: serde_json::Value) -> Rollout {
        Rollout::from_value(&value).expect("rollout")
    }

    // cmd/list/list_test.go: steps [setWeight 10, pause 60, setWeight 20],
    // index 1: STEP 1/3, SET-WEIGHT 10.
    #[test]
    fn list_columns_as_the_plugin_prints_them() {
        let can = rollout(json!({
            "metadata": {"generation": 1},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": [
                {"setWeight": 10}, {"pause": {"duration": 60}}, {"setWeight": 20}]}}},
            "status": {"currentStepIndex": 1, "observedGeneration": "1",
                "phase": "Progressing", "message": "more replicas need to be updated"}
        }));
        assert_eq!(strategy_name(&can), "Canary");
        assert_eq!(step_text(&can), "1/3");
        assert_eq!(set_weight_text(&can), "10");
        let bg = rollout(json!({"spec": {"strategy": {"blueGreen": {"activeService": "a"}}}}));
        assert_eq!(
            (
                strategy_name(&bg),
                step_text(&bg).as_str(),
                set_weight_text(&bg).as_str()
            ),
            ("BlueGreen", "-", "-")
        );
        let neither = rollout(json!({"spec": {"strategy": {}}}));
        assert_eq!(
            strategy_name(&neither),
            "unknown",
            "an unknown strategy says so"
        );
    }

    #[test]
    fn phase_prefers_what_the_controller_wrote_once_observed() {
        let mut paused = rollout(json!({
            "metadata": {"generation": 2},
            "spec": {"strategy": {"canary": {}}},
            "status": {"observedGeneration": "2", "phase": "Paused", "message": "CanaryPauseStep"}
        }));
        assert_eq!(phase(&paused), (Phase::Paused, "CanaryPauseStep".into()));
        paused.metadata.generation = Some(3);
        assert_eq!(
            phase(&paused),
            (
                Phase::Progressing,
                "waiting for rollout spec update to be observed".into()
            )
        );
        let unpausing = rollout(json!({"spec": {"strategy": {"canary": {}}},
            "status": {"controllerPause": true, "phase": "Paused"}}));
        assert_eq!(
            phase(&unpausing),
            (Phase::Progressing, "waiting for rollout to unpause".into())
        );
    }

    // CalculateRolloutPhase, for controllers before v1.0 (no status.phase).
    #[test]
    fn calculated_phase_follows_the_controllers_order() {
        let aborted = rollout(json!({"spec": {"strategy": {"canary": {}}, "paused": true},
            "status": {"abort": true, "conditions": [{"type": "Progressing", "status": "False",
                "reason": "RolloutAborted", "message": "Rollout aborted update to revision 2"}]}}));
        assert_eq!(
            phase(&aborted),
            (
                Phase::Degraded,
                "RolloutAborted: Rollout aborted update to revision 2".into()
            ),
            "an abort is Degraded, before manual pause"
        );
        assert_eq!(current_set_weight(&aborted), 0);
        let invalid = rollout(json!({"spec": {}, "status": {"conditions": [
            {"type": "InvalidSpec", "status": "True", "message": "The Rollout is invalid"}]}}));
        assert_eq!(phase(&invalid).1, "InvalidSpec: The Rollout is invalid");
        let manual = rollout(
            json!({"spec": {"paused": true, "strategy": {"canary": {}}}, "status": {
            "pauseConditions": [{"reason": "CanaryPauseStep"}]}}),
        );
        assert_eq!(phase(&manual), (Phase::Paused, "manually paused".into()));
        let cutover = rollout(
            json!({"spec": {"replicas": 1, "strategy": {"blueGreen": {"activeService": "a"}}},
            "status": {"updatedReplicas": 1, "availableReplicas": 1, "currentPodHash": "new",
                "blueGreen": {"activeSelector": "old"}}}),
        );
        assert_eq!(
            phase(&cutover),
            (Phase::Progressing, "active service cutover pending".into())
        );
        let done = rollout(json!({"spec": {"replicas": 1, "strategy": {"canary": {}}},
            "status": {"replicas": 1, "updatedReplicas": 1, "availableReplicas": 1,
                "currentPodHash": "a", "stableRS": "a"}}));
        assert_eq!(phase(&done), (Phase::Healthy, String::new()));
    }

    #[test]
    fn actual_weight_is_the_canarys_share_of_available_pods() {
        let can = rollout(
            json!({"spec": {"strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}}},
            "status": {"currentStepIndex": 1, "availableReplicas": 3}}),
        );
        assert_eq!(actual_weight(&can, Some(1)), "33", "integer division");
        let past = rollout(
            json!({"spec": {"strategy": {"canary": {"steps": [{"setWeight": 20}]}}},
            "status": {"currentStepIndex": 1, "availableReplicas": 3}}),
        );
        assert_eq!(actual_weight(&past, Some(0)), "100");
    }
}
