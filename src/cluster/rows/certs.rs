//! Rows of the certificate sources: cert-manager Certificates and TLS
//! Secrets (projected by `crate::certs`), and the TLS hosts of Ingresses
//! and IngressRoutes.

use crate::certs::{CertificateRow, HostRoute, TlsSecretRow};

use super::Row;

impl Row for CertificateRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.name
    }
}

impl Row for TlsSecretRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.name
    }
}

/// The TLS routes of one Ingress or IngressRoute.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteRow {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub routes: Vec<HostRoute>,
}

impl Row for RouteRow {
    fn ident(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.name
    }
}

impl RouteRow {
    pub fn from_ingress(ingress: &k8s_openapi::api::networking::v1::Ingress) -> Self {
        RouteRow {
            namespace: ingress
                .metadata
                .namespace
                .clone()
                .unwrap_or_default()
                .into(),
            name: ingress.metadata.name.clone().unwrap_or_default().into(),
            routes: crate::certs::routes_from_ingress(ingress),
        }
    }

    pub fn from_ingressroute(object: &kube::api::DynamicObject) -> Self {
        RouteRow {
            namespace: object.metadata.namespace.clone().unwrap_or_default().into(),
            name: object.metadata.name.clone().unwrap_or_default().into(),
            routes: crate::certs::routes_from_ingressroute(object),
        }
    }
}
