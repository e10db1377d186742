//! Job rows, read as DESIGN §5 says: terminal only at Complete or Failed =
//! True; since 1.31 FailureTarget / SuccessCriteriaMet come first and read
//! as "Failing" / "Completing".

use k8s_openapi::api::batch::v1::Job;

use super::workload::Selector;
use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch, epoch_opt};

#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    /// Complete, Failed, Failing, Completing, Suspended, Running, Pending.
    pub status: Box<str>,
    pub health: Health,
    /// The reason of the deciding condition ("BackoffLimitExceeded").
    pub reason: Box<str>,
    pub succeeded: i32,
    pub completions: i32,
    pub active: i32,
    pub failed: i32,
    pub started: Option<Epoch>,
    pub finished: Option<Epoch>,
    pub created: Option<Epoch>,
    pub selector: Selector,
    pub labels: Labels,
    search: Box<str>,
}

impl Row for JobRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

impl JobRow {
    pub fn from_job(job: &Job) -> Self {
        let status = job.status.clone().unwrap_or_default();
        let conditions = status.conditions.clone().unwrap_or_default();
        let is_true = |kind: &str| {
            conditions
                .iter()
                .find(|condition| condition.type_ == kind && condition.status == "True")
                .map(|condition| condition.reason.clone().unwrap_or_default())
        };
        let suspended = job.spec.as_ref().and_then(|spec| spec.suspend) == Some(true);
        let active = status.active.unwrap_or(0);
        let (text, health, reason) = if let Some(reason) = is_true("Complete") {
            ("Complete", Health::Done, reason)
        } else if let Some(reason) = is_true("Failed") {
            ("Failed", Health::Error, reason)
        } else if let Some(reason) = is_true("FailureTarget") {
            ("Failing", Health::Error, reason)
        } else if let Some(reason) = is_true("SuccessCriteriaMet") {
            ("Completing", Health::Pending, reason)
        } else if suspended {
            ("Suspended", Health::Warn, String::new())
        } else if active > 0 {
            ("Running", Health::Pending, String::new())
        } else {
            ("Pending", Health::Pending, String::new())
        };
        let namespace = job.metadata.namespace.clone().unwrap_or_default();
        let name = job.metadata.name.clone().unwrap_or_default();
        let spec = job.spec.as_ref();
        JobRow {
            search: format!("{namespace}/{name} {text}").to_lowercase().into(),
            status: text.into(),
            health,
            reason: reason.into(),
            succeeded: status.succeeded.unwrap_or(0),
            completions: spec.and_then(|spec| spec.completions).unwrap_or(1),
            active,
            failed: status.failed.unwrap_or(0),
            started: epoch_opt(status.start_time.as_ref()),
            finished: epoch_opt(status.completion_time.as_ref()),
            created: job.metadata.creation_timestamp.as_ref().map(epoch),
            selector: spec
                .and_then(|spec| spec.selector.as_ref())
                .map(Selector::from_label_selector)
                .unwrap_or_default(),
            labels: compact_labels(job.metadata.labels.as_ref()),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// How long it ran: to completion, or until `now` while it runs.
    pub fn duration(&self, now: Epoch) -> Option<i64> {
        let started = self.started?;
        Some(self.finished.unwrap_or(now) - started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: &str, extra_spec: &str) -> JobRow {
        let text = format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: backup, namespace: mariadb}}\nspec:\n  completions: 1\n{extra_spec}  selector: {{matchLabels: {{batch.kubernetes.io/controller-uid: abc}}}}\n  template: {{spec: {{containers: [{{name: b, image: x}}], restartPolicy: Never}}}}\nstatus:\n{status}"
        );
        JobRow::from_job(&serde_yaml::from_str(&text).expect("job fixture"))
    }

    #[test]
    fn terminal_only_on_complete_or_failed_and_targets_first() {
        let complete = job(
            "  succeeded: 1\n  startTime: '2026-01-01T00:00:00Z'\n  completionTime: '2026-01-01T00:01:30Z'\n  conditions:\n  - {type: SuccessCriteriaMet, status: 'True'}\n  - {type: Complete, status: 'True'}\n",
            "",
        );
        assert_eq!(complete.status.as_ref(), "Complete");
        assert_eq!(complete.duration(0), Some(90));
        let completing = job(
            "  succeeded: 1\n  conditions:\n  - {type: SuccessCriteriaMet, status: 'True'}\n",
            "",
        );
        assert_eq!(completing.status.as_ref(), "Completing");
        let failing = job(
            "  failed: 3\n  conditions:\n  - {type: FailureTarget, status: 'True', reason: BackoffLimitExceeded}\n",
            "",
        );
        assert_eq!(
            (failing.status.as_ref(), failing.reason.as_ref()),
            ("Failing", "BackoffLimitExceeded")
        );
        assert_eq!(failing.health, Health::Error);
        let failed = job(
            "  failed: 3\n  conditions:\n  - {type: FailureTarget, status: 'True'}\n  - {type: Failed, status: 'True', reason: BackoffLimitExceeded}\n",
            "",
        );
        assert_eq!(failed.status.as_ref(), "Failed");
        let running = job("  active: 1\n  startTime: '2026-01-01T00:00:00Z'\n", "");
        assert_eq!(running.status.as_ref(), "Running");
        assert_eq!(running.duration(1_767_225_660), Some(60));
        let suspended = job("  active: 0\n", "  suspend: true\n");
        assert_eq!(suspended.status.as_ref(), "Suspended");
        assert_eq!(
            running.selector.to_query(),
            "batch.kubernetes.io/controller-uid=abc"
        );
    }
}
