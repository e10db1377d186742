//! Certificates (DESIGN §8): cert-manager Certificates joined with the
//! `kubernetes.io/tls` Secrets they write (parsed X.509) and the Ingress /
//! traefik IngressRoute hosts that use them. Domain code: no ratatui here.

pub mod fetch;
pub mod join;
pub mod model;
pub mod renew;
pub mod x509;

pub use fetch::{CertSources, certificate_resource, fetch_all, ingressroute_resource};
pub use join::{CertHealth, CertView, Urgency, health, join, urgency};
pub use model::{
    CertificateRow, HostRoute, TlsSecretRow, routes_from_ingress, routes_from_ingressroute,
};
pub use renew::renew;
pub use x509::{CertInfo, parse_chain};

/// `2026-01-06` for an epoch second ("?" when out of range).
pub fn date(epoch: i64) -> String {
    match jiff::Timestamp::from_second(epoch) {
        Ok(time) => time.strftime("%Y-%m-%d").to_string(),
        Err(_) => "?".to_string(),
    }
}

/// `2026-01-06T10:00:00Z` for an epoch second ("?" when out of range).
pub fn rfc3339(epoch: i64) -> String {
    match jiff::Timestamp::from_second(epoch) {
        Ok(time) => time.to_string(),
        Err(_) => "?".to_string(),
    }
}

/// Epoch seconds of an RFC 3339 time ("2026-01-06T10:00:00Z").
pub fn parse_time(text: &str) -> Option<i64> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|time| time.as_second())
}
