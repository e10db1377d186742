//! Compact projections of the four sources of the certs view: cert-manager
//! Certificates, `kubernetes.io/tls` Secrets (parsed on arrival, no secret
//! data kept), Ingress `spec.tls` and traefik IngressRoute `tls`.

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DynamicObject;
use serde_json::Value;

use super::parse_time;
use super::x509::{CertInfo, parse_chain};

/// The annotation cert-manager puts on the Secrets it writes.
pub const CERTIFICATE_NAME_ANNOTATION: &str = "cert-manager.io/certificate-name";
/// traefik's annotation naming an ACME resolver on a plain Ingress.
pub const TRAEFIK_CERT_RESOLVER_ANNOTATION: &str =
    "traefik.ingress.kubernetes.io/router.tls.certresolver";

/// A cert-manager.io/v1 Certificate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CertificateRow {
    pub namespace: String,
    pub name: String,
    pub secret_name: String,
    pub dns_names: Vec<String>,
    /// "ClusterIssuer/letsencrypt-prod" (issuerRef kind defaults to Issuer).
    pub issuer: String,
    /// The Ready condition's status (None when absent or Unknown).
    pub ready: Option<bool>,
    pub ready_reason: String,
    pub ready_message: String,
    /// The Issuing condition is True.
    pub issuing: bool,
    pub issuing_reason: String,
    /// status.notAfter, epoch seconds.
    pub not_after: Option<i64>,
    /// status.renewalTime, epoch seconds.
    pub renewal_time: Option<i64>,
    /// metadata.creationTimestamp, epoch seconds.
    pub created: Option<i64>,
    /// Every condition: type, status, reason, message.
    pub conditions: Vec<(String, String, String, String)>,
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl CertificateRow {
    pub fn from_object(obj: &DynamicObject) -> Self {
        let data = &obj.data;
        let issuer_name = text(data, "/spec/issuerRef/name");
        let issuer_kind = match text(data, "/spec/issuerRef/kind") {
            kind if kind.is_empty() => "Issuer".to_string(),
            kind => kind,
        };
        let issuer = if issuer_name.is_empty() {
            String::new()
        } else {
            format!("{issuer_kind}/{issuer_name}")
        };
        let conditions: Vec<(String, String, String, String)> = data
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|condition| {
                        (
                            text(condition, "/type"),
                            text(condition, "/status"),
                            text(condition, "/reason"),
                            text(condition, "/message"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let find = |kind: &str| conditions.iter().find(|condition| condition.0 == kind);
        let ready_condition = find("Ready");
        let ready = ready_condition.and_then(|condition| match condition.1.as_str() {
            "True" => Some(true),
            "False" => Some(false),
            _ => None,
        });
        let issuing_condition = find("Issuing").filter(|condition| condition.1 == "True");
        CertificateRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            secret_name: text(data, "/spec/secretName"),
            dns_names: strings(data.pointer("/spec/dnsNames")),
            issuer,
            ready,
            ready_reason: ready_condition
                .map(|condition| condition.2.clone())
                .unwrap_or_default(),
            ready_message: ready_condition
                .map(|condition| condition.3.clone())
                .unwrap_or_default(),
            issuing: issuing_condition.is_some(),
            issuing_reason: issuing_condition
                .map(|condition| condition.2.clone())
                .unwrap_or_default(),
            not_after: parse_time(&text(data, "/status/notAfter")),
            renewal_time: parse_time(&text(data, "/status/renewalTime")),
            created: obj
                .metadata
                .creation_timestamp
                .as_ref()
                .map(|time| time.0.as_second()),
            conditions,
        }
    }
}

/// A `kubernetes.io/tls` Secret, its `tls.crt` parsed on arrival.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsSecretRow {
    pub namespace: String,
    pub name: String,
    /// The leaf of `tls.crt`, or why it could not be read ("not PEM data").
    pub cert: Result<CertInfo, String>,
    /// The `cert-manager.io/certificate-name` annotation.
    pub managed_by_certificate: Option<String>,
}

impl TlsSecretRow {
    pub fn from_secret(secret: &Secret) -> Self {
        let bytes = secret
            .data
            .as_ref()
            .and_then(|data| data.get("tls.crt"))
            .map(|ByteString(bytes)| bytes.as_slice())
            .or_else(|| {
                secret
                    .string_data
                    .as_ref()
                    .and_then(|data| data.get("tls.crt"))
                    .map(|text| text.as_bytes())
            });
        TlsSecretRow {
            namespace: secret.metadata.namespace.clone().unwrap_or_default(),
            name: secret.metadata.name.clone().unwrap_or_default(),
            cert: match bytes {
                Some(bytes) => parse_chain(bytes),
                None => Err("the secret has no tls.crt".to_string()),
            },
            managed_by_certificate: secret
                .metadata
                .annotations
                .as_ref()
                .and_then(|annotations| annotations.get(CERTIFICATE_NAME_ANNOTATION))
                .cloned(),
        }
    }

    /// The same from an untyped Secret, so that one whose data is not valid
    /// base64 becomes a row with that problem instead of failing the list.
    pub fn from_dynamic(obj: &DynamicObject) -> Self {
        use base64::Engine as _;
        let encoded = obj.data.pointer("/data/tls.crt").and_then(Value::as_str);
        let cert = match encoded {
            Some(encoded) => {
                let compact: String = encoded.split_whitespace().collect();
                match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                    Ok(bytes) => parse_chain(&bytes),
                    Err(_) => Err("tls.crt is not valid base64".to_string()),
                }
            }
            None => match obj
                .data
                .pointer("/stringData/tls.crt")
                .and_then(Value::as_str)
            {
                Some(text) => parse_chain(text.as_bytes()),
                None => Err("the secret has no tls.crt".to_string()),
            },
        };
        TlsSecretRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            cert,
            managed_by_certificate: obj
                .metadata
                .annotations
                .as_ref()
                .and_then(|annotations| annotations.get(CERTIFICATE_NAME_ANNOTATION))
                .cloned(),
        }
    }
}

/// Hosts served over TLS by one Ingress `spec.tls` entry or IngressRoute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoute {
    pub namespace: String,
    /// "ingress/blog" or "ingressroute/harbor".
    pub source: String,
    pub hosts: Vec<String>,
    pub secret_name: Option<String>,
    /// A traefik ACME resolver: the certificate lives in traefik, not a Secret.
    pub cert_resolver: Option<String>,
}

fn push_unique(hosts: &mut Vec<String>, host: &str) {
    let host = host.trim();
    if !host.is_empty() && !hosts.iter().any(|known| known == host) {
        hosts.push(host.to_string());
    }
}

/// One route per `spec.tls` entry (an entry without hosts takes the rules'
/// hosts). An Ingress without `spec.tls` but with traefik's certresolver
/// annotation gives one route for its rules' hosts.
pub fn routes_from_ingress(ingress: &Ingress) -> Vec<HostRoute> {
    let namespace = ingress.metadata.namespace.clone().unwrap_or_default();
    let source = format!(
        "ingress/{}",
        ingress.metadata.name.as_deref().unwrap_or_default()
    );
    let resolver = ingress
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(TRAEFIK_CERT_RESOLVER_ANNOTATION))
        .filter(|resolver| !resolver.is_empty())
        .cloned();
    let Some(spec) = ingress.spec.as_ref() else {
        return Vec::new();
    };
    let mut rule_hosts = Vec::new();
    for rule in spec.rules.iter().flatten() {
        if let Some(host) = rule.host.as_deref() {
            push_unique(&mut rule_hosts, host);
        }
    }
    let tls = spec.tls.as_deref().unwrap_or_default();
    if tls.is_empty() {
        return match resolver {
            Some(resolver) if !rule_hosts.is_empty() => vec![HostRoute {
                namespace,
                source,
                hosts: rule_hosts,
                secret_name: None,
                cert_resolver: Some(resolver),
            }],
            _ => Vec::new(),
        };
    }
    tls.iter()
        .map(|entry| {
            let mut hosts = Vec::new();
            for host in entry.hosts.iter().flatten() {
                push_unique(&mut hosts, host);
            }
            if hosts.is_empty() {
                hosts = rule_hosts.clone();
            }
            HostRoute {
                namespace: namespace.clone(),
                source: source.clone(),
                hosts,
                secret_name: entry.secret_name.clone().filter(|name| !name.is_empty()),
                cert_resolver: resolver.clone(),
            }
        })
        .collect()
}

/// A traefik IngressRoute (or IngressRouteTCP): hosts from `Host(...)` /
/// `HostSNI(...)` (and v2's `HostHeader`) in `routes[].match` and `tls.domains`; one route when it
/// has a `tls` section, none for plain HTTP.
pub fn routes_from_ingressroute(obj: &DynamicObject) -> Vec<HostRoute> {
    let Some(tls) = obj.data.pointer("/spec/tls").filter(|tls| tls.is_object()) else {
        return Vec::new();
    };
    let kind = obj
        .types
        .as_ref()
        .map(|types| types.kind.to_ascii_lowercase())
        .filter(|kind| !kind.is_empty())
        .unwrap_or_else(|| "ingressroute".to_string());
    let mut hosts = Vec::new();
    for route in obj
        .data
        .pointer("/spec/routes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(rule) = route.get("match").and_then(Value::as_str) {
            for host in match_hosts(rule) {
                push_unique(&mut hosts, &host);
            }
        }
    }
    for domain in tls
        .get("domains")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(main) = domain.get("main").and_then(Value::as_str) {
            push_unique(&mut hosts, main);
        }
        for san in strings(domain.get("sans")) {
            push_unique(&mut hosts, &san);
        }
    }
    let field = |key: &str| {
        tls.get(key)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
    };
    vec![HostRoute {
        namespace: obj.metadata.namespace.clone().unwrap_or_default(),
        source: format!(
            "{kind}/{}",
            obj.metadata.name.as_deref().unwrap_or_default()
        ),
        hosts,
        secret_name: field("secretName"),
        cert_resolver: field("certResolver"),
    }]
}

/// The hosts of a traefik rule: every quoted argument of `Host(...)` and
/// `HostSNI(...)` (`*` is not a host). Other matchers (HostRegexp,
/// PathPrefix, Header...) are ignored.
pub fn match_hosts(rule: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    let mut rest = rule;
    while let Some(start) = rest.find("Host") {
        let before = &rest[..start];
        let after = &rest[start + "Host".len()..];
        // A word boundary: not the tail of another identifier.
        let bounded = !before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let arguments = after
            .strip_prefix("SNI(")
            .or_else(|| after.strip_prefix("Header("))
            .or_else(|| after.strip_prefix('('));
        match arguments {
            Some(tail) if bounded => {
                let end = closing_paren(tail);
                for host in quoted(&tail[..end]) {
                    if host != "*" {
                        push_unique(&mut hosts, &host);
                    }
                }
                rest = &tail[end..];
            }
            _ => rest = after,
        }
    }
    hosts
}

/// Index of the `)` closing an argument list, skipping quoted text.
fn closing_paren(text: &str) -> usize {
    let mut quote: Option<char> = None;
    for (index, c) in text.char_indices() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '`' || c == '"' || c == '\'' => quote = Some(c),
            None if c == ')' => return index,
            None => {}
        }
    }
    text.len()
}

/// The `backquoted` or "double-quoted" strings of an argument list.
fn quoted(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<(char, String)> = None;
    for c in text.chars() {
        match current.as_mut() {
            Some((open, value)) if c == *open => {
                found.push(std::mem::take(value));
                current = None;
            }
            Some((_, value)) => value.push(c),
            None if c == '`' || c == '"' || c == '\'' => current = Some((c, String::new())),
            None => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traefik_host_rules() {
        assert_eq!(match_hosts("Host(`a`) || Host(`b`)"), vec!["a", "b"]);
        assert_eq!(
            match_hosts("Host(`a`, `b`) && PathPrefix(`/x`)"),
            vec!["a", "b"]
        );
        assert_eq!(match_hosts("HostSNI(`db.home.lab`)"), vec!["db.home.lab"]);
        assert_eq!(match_hosts("HostSNI(`*`)"), Vec::<String>::new());
        assert_eq!(
            match_hosts("HostRegexp(`{sub:[a-z]+}.home.lab`) || HostHeader(`x`)"),
            vec!["x"]
        );
        assert_eq!(match_hosts("Host(\"a\")"), vec!["a"]);
        assert_eq!(match_hosts("Host(`a`"), vec!["a"]);
    }
}
