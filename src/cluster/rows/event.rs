//! Event rows (core/v1 Events), warnings first in the events view.

use k8s_openapi::api::core::v1::Event;

use super::Row;
use crate::cluster::age::{Epoch, epoch, epoch_opt};

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub warning: bool,
    pub reason: Box<str>,
    /// "Pod/redis-exporter-7d9f..." as kubectl prints OBJECT.
    pub object: Box<str>,
    pub object_uid: Box<str>,
    pub message: Box<str>,
    pub count: i32,
    pub last_seen: Option<Epoch>,
    pub first_seen: Option<Epoch>,
    pub source: Box<str>,
    search: Box<str>,
}

impl Row for EventRow {
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

impl EventRow {
    pub fn from_event(event: &Event) -> Self {
        let namespace = event.metadata.namespace.clone().unwrap_or_default();
        let name = event.metadata.name.clone().unwrap_or_default();
        let involved = &event.involved_object;
        let object = format!(
            "{}/{}",
            involved.kind.as_deref().unwrap_or("?"),
            involved.name.as_deref().unwrap_or("?")
        );
        // Newer clients fill eventTime/series instead of the legacy fields.
        let last_seen = epoch_opt(event.last_timestamp.as_ref())
            .or_else(|| {
                event
                    .series
                    .as_ref()
                    .and_then(|series| series.last_observed_time.as_ref())
                    .map(|time| time.0.as_second())
            })
            .or_else(|| event.event_time.as_ref().map(|time| time.0.as_second()))
            .or_else(|| epoch_opt(event.first_timestamp.as_ref()))
            .or_else(|| event.metadata.creation_timestamp.as_ref().map(epoch));
        let count = event
            .series
            .as_ref()
            .and_then(|series| series.count)
            .or(event.count)
            .unwrap_or(1);
        let source = event
            .source
            .as_ref()
            .and_then(|source| source.component.clone())
            .or_else(|| event.reporting_component.clone())
            .unwrap_or_default();
        let reason = event.reason.clone().unwrap_or_default();
        let message = event.message.clone().unwrap_or_default().trim().to_string();
        let warning = event.type_.as_deref() == Some("Warning");
        let search = format!("{namespace} {object} {reason} {message}").to_lowercase();
        EventRow {
            warning,
            object: object.into(),
            object_uid: involved.uid.clone().unwrap_or_default().into(),
            count,
            last_seen,
            first_seen: epoch_opt(event.first_timestamp.as_ref()),
            source: source.into(),
            reason: reason.into(),
            message: message.into(),
            namespace: namespace.into(),
            name: name.into(),
            search: search.into(),
        }
    }
}
