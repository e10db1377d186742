//! The certs view's rows: Certificates, the Secrets they write and the
//! hosts that use them, joined; health in Argo CD's words; urgency by days
//! left (< 14 warn, < 3 error, expired).

use std::collections::{BTreeMap, BTreeSet};

use super::date;
use super::model::{CertificateRow, HostRoute, TlsSecretRow};
use super::x509::CertInfo;

/// Argo CD's health words, worst last but Missing/Unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CertHealth {
    Healthy,
    Progressing,
    Degraded,
    Missing,
    Unknown,
}

impl CertHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            CertHealth::Healthy => "Healthy",
            CertHealth::Progressing => "Progressing",
            CertHealth::Degraded => "Degraded",
            CertHealth::Missing => "Missing",
            CertHealth::Unknown => "Unknown",
        }
    }
}

/// How soon a certificate expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Ok,
    /// Less than 14 days left.
    Warn,
    /// Less than 3 days left.
    Error,
    Expired,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Ok => "ok",
            Urgency::Warn => "warn",
            Urgency::Error => "error",
            Urgency::Expired => "expired",
        }
    }

    /// 0 for the most urgent (sort key).
    pub fn rank(self) -> u8 {
        match self {
            Urgency::Expired => 0,
            Urgency::Error => 1,
            Urgency::Warn => 2,
            Urgency::Ok => 3,
        }
    }
}

pub const WARN_DAYS: i64 = 14;
pub const ERROR_DAYS: i64 = 3;

/// None → Ok; < 0 Expired; < 3 Error; < 14 Warn.
pub fn urgency(days_left: Option<i64>) -> Urgency {
    match days_left {
        None => Urgency::Ok,
        Some(days) if days < 0 => Urgency::Expired,
        Some(days) if days < ERROR_DAYS => Urgency::Error,
        Some(days) if days < WARN_DAYS => Urgency::Warn,
        Some(_) => Urgency::Ok,
    }
}

/// Whole days from `now` to `not_after`, rounded down (an hour past expiry
/// is -1, half a day left is 0).
pub fn days_left(not_after: i64, now: i64) -> i64 {
    not_after.saturating_sub(now).div_euclid(86_400)
}

/// Argo CD's Certificate health: Issuing → Progressing; Ready False →
/// Degraded; Ready True → Healthy; no Ready condition → Progressing.
pub fn health(cert: &CertificateRow) -> CertHealth {
    if cert.issuing {
        return CertHealth::Progressing;
    }
    match cert.ready {
        Some(true) => CertHealth::Healthy,
        Some(false) => CertHealth::Degraded,
        None => CertHealth::Progressing,
    }
}

/// One row of the certs view / `bosun certs`.
#[derive(Debug, Clone, PartialEq)]
pub struct CertView {
    pub namespace: String,
    pub name: String,
    /// "Certificate", "Secret" or "Route".
    pub kind: &'static str,
    /// "True", "False", "Issuing" or "-".
    pub ready: String,
    pub hosts: Vec<String>,
    pub issuer: String,
    pub not_after: Option<i64>,
    pub days_left: Option<i64>,
    pub renewal_time: Option<i64>,
    pub secret: String,
    /// "ingress/blog blog.home.lab" (hosts comma-separated).
    pub used_by: Vec<String>,
    pub health: CertHealth,
    pub urgency: Urgency,
    /// In plain words: "secret blog-tls is missing", "tls.crt: not PEM data".
    pub problems: Vec<String>,
    /// type, status, reason, message (for details).
    pub conditions: Vec<(String, String, String, String)>,
    pub cert: Option<CertInfo>,
}

/// Does a certificate name (possibly `*.home.lab`) cover `host`?
pub fn covers(name: &str, host: &str) -> bool {
    let name = name.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if name.eq_ignore_ascii_case(host) {
        return true;
    }
    match (name.strip_prefix("*."), host.split_once('.')) {
        (Some(suffix), Some((label, rest))) => {
            !label.is_empty() && !label.contains('*') && suffix.eq_ignore_ascii_case(rest)
        }
        _ => false,
    }
}

fn used_by(route: &HostRoute) -> String {
    if route.hosts.is_empty() {
        route.source.clone()
    } else {
        format!("{} {}", route.source, route.hosts.join(","))
    }
}

/// Problems the x509 itself shows (expired, not yet valid, hosts it does
/// not cover), pushed onto `problems`.
fn x509_problems(
    cert: &CertInfo,
    wanted_hosts: &[String],
    routes: &[&HostRoute],
    now: i64,
    problems: &mut Vec<String>,
) {
    if cert.not_after <= now {
        problems.push(format!(
            "the certificate expired on {}",
            date(cert.not_after)
        ));
    }
    if cert.not_before > now {
        problems.push(format!(
            "the certificate is not valid before {}",
            date(cert.not_before)
        ));
    }
    let uncovered = |host: &str| !cert.sans.iter().any(|san| covers(san, host));
    for host in wanted_hosts {
        if uncovered(host) {
            problems.push(format!("the certificate does not cover {host}"));
        }
    }
    for route in routes {
        for host in &route.hosts {
            if !wanted_hosts.contains(host) && uncovered(host) {
                problems.push(format!(
                    "host {host} ({}): the certificate does not cover it",
                    route.source
                ));
            }
        }
    }
}

/// Join everything: one row per Certificate, plus one per TLS secret no
/// Certificate points at (kind "Secret"), plus one per route whose secret
/// neither exists nor is written by a Certificate (kind "Route", health
/// Missing). days_left from the secret's x509 notAfter when parsable, else
/// the Certificate's status notAfter. Sorted most urgent first (Expired,
/// Error, Warn, Ok), then by not_after (unknown last), then namespace/name.
pub fn join(
    certificates: &[CertificateRow],
    secrets: &[TlsSecretRow],
    routes: &[HostRoute],
    now: i64,
) -> Vec<CertView> {
    let secret_index: BTreeMap<(&str, &str), &TlsSecretRow> = secrets
        .iter()
        .map(|secret| ((secret.namespace.as_str(), secret.name.as_str()), secret))
        .collect();
    let written: BTreeSet<(&str, &str)> = certificates
        .iter()
        .filter(|cert| !cert.secret_name.is_empty())
        .map(|cert| (cert.namespace.as_str(), cert.secret_name.as_str()))
        .collect();
    let routes_of = |namespace: &str, secret: &str| -> Vec<&HostRoute> {
        routes
            .iter()
            .filter(|route| {
                route.namespace == namespace && route.secret_name.as_deref() == Some(secret)
            })
            .collect()
    };
    let mut views = Vec::new();

    for certificate in certificates {
        let mut problems = Vec::new();
        let secret = secret_index
            .get(&(
                certificate.namespace.as_str(),
                certificate.secret_name.as_str(),
            ))
            .copied();
        let using = routes_of(&certificate.namespace, &certificate.secret_name);
        let cert = match secret {
            None => {
                if certificate.secret_name.is_empty() {
                    problems.push("the Certificate names no secret".to_string());
                } else {
                    problems.push(format!("secret {} is missing", certificate.secret_name));
                }
                None
            }
            Some(secret) => match &secret.cert {
                Ok(cert) => Some(cert.clone()),
                Err(error) => {
                    problems.push(format!("tls.crt: {error}"));
                    None
                }
            },
        };
        if certificate.ready == Some(false) {
            let why = [&certificate.ready_reason, &certificate.ready_message]
                .iter()
                .filter(|text| !text.is_empty())
                .map(|text| text.as_str())
                .collect::<Vec<_>>()
                .join(": ");
            problems.push(if why.is_empty() {
                "not Ready".to_string()
            } else {
                format!("not Ready: {why}")
            });
        }
        if let Some(cert) = &cert {
            x509_problems(cert, &certificate.dns_names, &using, now, &mut problems);
            if let Some(status) = certificate.not_after
                && (status - cert.not_after).abs() > 60
            {
                problems.push(format!(
                    "the secret's certificate expires {} but the Certificate says {}",
                    date(cert.not_after),
                    date(status)
                ));
            }
        }
        let not_after = cert
            .as_ref()
            .map(|cert| cert.not_after)
            .or(certificate.not_after);
        let days = not_after.map(|not_after| days_left(not_after, now));
        let urgency = urgency(days);
        let mut health = health(certificate);
        if health == CertHealth::Healthy && (urgency == Urgency::Expired || secret.is_none()) {
            health = CertHealth::Degraded;
        }
        let ready = if certificate.issuing {
            "Issuing"
        } else {
            match certificate.ready {
                Some(true) => "True",
                Some(false) => "False",
                None => "-",
            }
        };
        let hosts = if certificate.dns_names.is_empty() {
            cert.as_ref()
                .map(|cert| cert.sans.clone())
                .unwrap_or_default()
        } else {
            certificate.dns_names.clone()
        };
        views.push(CertView {
            namespace: certificate.namespace.clone(),
            name: certificate.name.clone(),
            kind: "Certificate",
            ready: ready.to_string(),
            hosts,
            issuer: certificate.issuer.clone(),
            not_after,
            days_left: days,
            renewal_time: certificate.renewal_time,
            secret: certificate.secret_name.clone(),
            used_by: using.iter().map(|route| used_by(route)).collect(),
            health,
            urgency,
            problems,
            conditions: certificate.conditions.clone(),
            cert,
        });
    }

    for secret in secrets {
        if written.contains(&(secret.namespace.as_str(), secret.name.as_str())) {
            continue;
        }
        let using = routes_of(&secret.namespace, &secret.name);
        let mut problems = Vec::new();
        let (cert, health) = match &secret.cert {
            Ok(cert) => {
                x509_problems(cert, &[], &using, now, &mut problems);
                let bad = cert.not_after <= now || cert.not_before > now;
                let health = if bad {
                    CertHealth::Degraded
                } else {
                    CertHealth::Healthy
                };
                (Some(cert.clone()), health)
            }
            Err(error) => {
                problems.push(format!("tls.crt: {error}"));
                (None, CertHealth::Degraded)
            }
        };
        let not_after = cert.as_ref().map(|cert| cert.not_after);
        let days = not_after.map(|not_after| days_left(not_after, now));
        views.push(CertView {
            namespace: secret.namespace.clone(),
            name: secret.name.clone(),
            kind: "Secret",
            ready: "-".to_string(),
            hosts: cert
                .as_ref()
                .map(|cert| cert.sans.clone())
                .unwrap_or_default(),
            issuer: cert
                .as_ref()
                .map(|cert| cert.issuer.clone())
                .unwrap_or_default(),
            not_after,
            days_left: days,
            renewal_time: None,
            secret: secret.name.clone(),
            used_by: using.iter().map(|route| used_by(route)).collect(),
            health,
            urgency: urgency(days),
            problems,
            conditions: Vec::new(),
            cert,
        });
    }

    for route in routes {
        let Some(secret_name) = route.secret_name.as_deref() else {
            continue;
        };
        let key = (route.namespace.as_str(), secret_name);
        if secret_index.contains_key(&key) || written.contains(&key) {
            continue;
        }
        let problems = if route.hosts.is_empty() {
            vec![format!("secret {secret_name} is missing")]
        } else {
            route
                .hosts
                .iter()
                .map(|host| format!("host {host}: secret {secret_name} is missing"))
                .collect()
        };
        views.push(CertView {
            namespace: route.namespace.clone(),
            name: route.source.clone(),
            kind: "Route",
            ready: "-".to_string(),
            hosts: route.hosts.clone(),
            issuer: route.cert_resolver.clone().unwrap_or_default(),
            not_after: None,
            days_left: None,
            renewal_time: None,
            secret: secret_name.to_string(),
            used_by: vec![used_by(route)],
            health: CertHealth::Missing,
            urgency: Urgency::Ok,
            problems,
            conditions: Vec::new(),
            cert: None,
        });
    }

    views.sort_by(|a, b| {
        a.urgency
            .rank()
            .cmp(&b.urgency.rank())
            .then_with(|| match (a.not_after, b.not_after) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.kind.cmp(b.kind))
    });
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("*.home.lab", "blog.home.lab"));
        assert!(!covers("*.home.lab", "a.b.home.lab"));
        assert!(!covers("*.home.lab", "home.lab"));
        assert!(covers("Blog.Home.Lab", "blog.home.lab"));
    }

    #[test]
    fn days_round_down() {
        assert_eq!(days_left(100, 100 + 3600), -1);
        assert_eq!(days_left(100 + 43_200, 100), 0);
        assert_eq!(days_left(100 + 14 * 86_400, 100), 14);
    }
}
