//! k3s' helm-controller objects (helm.cattle.io/v1, doc/helmchart.md of
//! k3s-io/helm-controller): a HelmChart installs a chart through a
//! `helm-install-NAME` Job (`status.jobName`); a HelmChartConfig of the same
//! name and namespace adds its `valuesContent` (the k3s way to configure
//! the bundled traefik). One row type for both; the Job's state is looked
//! up in the Jobs store when drawn.

use kube::api::DynamicObject;
use serde_json::Value;

use super::{Health, Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch};

#[derive(Debug, Clone, PartialEq)]
pub struct HelmChartRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    /// A HelmChartConfig (else a HelmChart).
    pub config: bool,
    /// `spec.chart`, or "(chartContent)" for an embedded archive.
    pub chart: Box<str>,
    pub version: Box<str>,
    pub repo: Box<str>,
    /// Where the release goes: `spec.targetNamespace`, else its own.
    pub target_namespace: Box<str>,
    /// The install Job: `status.jobName`, else `helm-install-NAME`.
    pub job: Box<str>,
    pub bootstrap: bool,
    /// The `Failed` condition's message (failurePolicy abort).
    pub failed: Box<str>,
    /// Lines of `valuesContent`.
    pub values_lines: usize,
    pub created: Option<Epoch>,
    pub labels: Labels,
    search: Box<str>,
}

impl Row for HelmChartRow {
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

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

impl HelmChartRow {
    fn project(object: &DynamicObject, config: bool) -> Self {
        let namespace = object.metadata.namespace.clone().unwrap_or_default();
        let name = object.metadata.name.clone().unwrap_or_default();
        let data = &object.data;
        let chart = if !text(data, "/spec/chartContent").is_empty() {
            "(chartContent)".to_string()
        } else {
            text(data, "/spec/chart").to_string()
        };
        let target = match text(data, "/spec/targetNamespace") {
            "" => namespace.clone(),
            other => other.to_string(),
        };
        let job = match text(data, "/status/jobName") {
            "" if !config => format!("helm-install-{name}"),
            "" => String::new(),
            other => other.to_string(),
        };
        let failed = data
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| text(c, "/type") == "Failed" && text(c, "/status") == "True")
            .map(|c| {
                let message = text(c, "/message");
                if message.is_empty() {
                    text(c, "/reason")
                } else {
                    message
                }
                .to_string()
            })
            .unwrap_or_default();
        HelmChartRow {
            search: format!("{namespace}/{name} {chart}").to_lowercase().into(),
            config,
            version: text(data, "/spec/version").into(),
            repo: text(data, "/spec/repo").into(),
            bootstrap: data.pointer("/spec/bootstrap").and_then(Value::as_bool) == Some(true),
            values_lines: text(data, "/spec/valuesContent").lines().count(),
            chart: chart.into(),
            target_namespace: target.into(),
            job: job.into(),
            failed: failed.into(),
            created: object.metadata.creation_timestamp.as_ref().map(epoch),
            labels: compact_labels(object.metadata.labels.as_ref()),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The chart as a column shows it: an archive URL by its file name
    /// (k3s' bundled charts are `https://%{KUBERNETES_API}%/static/charts/
    /// traefik-34.2.1+up34.2.0.tgz`), a repository chart as written.
    pub fn chart_short(&self) -> &str {
        if self.chart.contains("://") {
            self.chart.rsplit('/').next().unwrap_or(&self.chart)
        } else {
            &self.chart
        }
    }

    pub fn from_chart(object: &DynamicObject) -> Self {
        HelmChartRow::project(object, false)
    }

    pub fn from_config(object: &DynamicObject) -> Self {
        HelmChartRow::project(object, true)
    }

    /// The row's health from its install Job's (and a Failed condition).
    pub fn health(&self, job: Option<Health>) -> Health {
        if !self.failed.is_empty() {
            return Health::Error;
        }
        job.unwrap_or(Health::Pending)
    }
}
