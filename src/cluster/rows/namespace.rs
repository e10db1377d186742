//! Namespace rows. Pod counts and the health mark are joined from the pods
//! store at draw time, so they stay live without re-projecting.

use k8s_openapi::api::core::v1::Namespace;

use super::{Labels, Row, compact_labels};
use crate::cluster::age::{Epoch, epoch};

#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceRow {
    pub name: Box<str>,
    pub phase: Box<str>,
    pub created: Option<Epoch>,
    pub labels: Labels,
    search: Box<str>,
}

impl Row for NamespaceRow {
    fn ident(&self) -> (&str, &str) {
        ("", &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.labels
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

impl NamespaceRow {
    pub fn from_namespace(namespace: &Namespace) -> Self {
        let name = namespace.metadata.name.clone().unwrap_or_default();
        let mut phase = namespace
            .status
            .as_ref()
            .and_then(|status| status.phase.clone())
            .unwrap_or_else(|| "Active".to_string());
        if namespace.metadata.deletion_timestamp.is_some() {
            phase = "Terminating".to_string();
        }
        NamespaceRow {
            search: format!("{name} {phase}").to_lowercase().into(),
            created: namespace.metadata.creation_timestamp.as_ref().map(epoch),
            labels: compact_labels(namespace.metadata.labels.as_ref()),
            phase: phase.into(),
            name: name.into(),
        }
    }
}
