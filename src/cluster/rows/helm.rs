//! Helm release rows, one per release Secret (one per revision), decoded
//! on arrival (cluster::helm) into what `helm list` / `helm history` show;
//! the values and the manifest are not kept. A Secret that does not decode
//! is a row that says why, named from Helm's labels.

use k8s_openapi::api::core::v1::Secret;

use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch};
use crate::cluster::helm;

#[derive(Debug, Clone, PartialEq)]
pub struct HelmReleaseRow {
    pub namespace: Box<str>,
    /// The Secret's name: one row per revision.
    pub secret: Box<str>,
    pub release: Box<str>,
    pub revision: i64,
    pub status: Box<str>,
    pub chart: Box<str>,
    pub app_version: Box<str>,
    pub updated: Option<Epoch>,
    pub description: Box<str>,
    /// Why the Secret could not be read as a release; empty when fine.
    pub problem: Box<str>,
    pub health: Health,
    pub labels: Labels,
    search: Box<str>,
}

impl Row for HelmReleaseRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.secret)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

impl HelmReleaseRow {
    pub fn from_secret(secret: &Secret) -> Self {
        let namespace = secret.metadata.namespace.clone().unwrap_or_default();
        let name = secret.metadata.name.clone().unwrap_or_default();
        let label = |key: &str| {
            secret
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(key))
                .cloned()
                .unwrap_or_default()
        };
        let (summary, problem) = match helm::decode_secret(secret) {
            Ok(release) => (helm::summary(&release), String::new()),
            // Helm's labels still say which release and revision it is.
            Err(why) => (
                helm::Summary {
                    name: label("name"),
                    revision: label("version").parse().unwrap_or(0),
                    status: label("status"),
                    ..helm::Summary::default()
                },
                format!("malformed release Secret: {why}"),
            ),
        };
        let health = match (problem.is_empty(), summary.status.as_str()) {
            (false, _) => Health::Error,
            (true, "deployed" | "superseded" | "uninstalled") => Health::Ok,
            (true, "failed") => Health::Error,
            (true, s) if s.starts_with("pending") || s == "uninstalling" => Health::Pending,
            (true, _) => Health::Warn,
        };
        let updated = summary
            .updated
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second())
            .or_else(|| secret.metadata.creation_timestamp.as_ref().map(epoch));
        HelmReleaseRow {
            search: format!("{namespace}/{} {}", summary.name, summary.chart)
                .to_lowercase()
                .into(),
            namespace: namespace.into(),
            secret: name.into(),
            release: summary.name.into(),
            revision: summary.revision,
            status: summary.status.into(),
            chart: summary.chart.into(),
            app_version: summary.app_version.into(),
            updated,
            description: summary.description.into(),
            problem: problem.into(),
            health,
            labels: compact_labels(secret.metadata.labels.as_ref()),
        }
    }
}
