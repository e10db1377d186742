//! The certs view's rows: the join of Certificates, TLS secrets and routes
//! (crate::certs::join), redone only when one of the sources changed.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::certs::{CertView, Urgency};
use crate::cluster::age::human_duration;
use crate::cluster::kind::ResourceKind;
use crate::cluster::rows::Row;

use super::state::State;

/// A joined row and the text `/` filters on.
#[derive(Debug, Clone)]
pub struct CertEntry {
    pub view: CertView,
    search: String,
}

impl Row for CertEntry {
    fn ident(&self) -> (&str, &str) {
        (&self.view.namespace, &self.view.name)
    }
    fn labels(&self) -> &[(Box<str>, Box<str>)] {
        &[]
    }
    fn search_text(&self) -> &str {
        &self.search
    }
}

fn stamp(state: &State) -> u64 {
    let mut hasher = DefaultHasher::new();
    for kind in [
        ResourceKind::Certificates,
        ResourceKind::TlsSecrets,
        ResourceKind::Ingresses,
        ResourceKind::IngressRoutes,
    ] {
        state.stores.generation(kind).hash(&mut hasher);
    }
    // Days left change with the day.
    (state.now / 3600).hash(&mut hasher);
    hasher.finish()
}

/// Recompute the joined rows if a source changed.
pub fn refresh(state: &mut State) {
    let stamp = stamp(state);
    if state.certs_stamp == Some(stamp) {
        return;
    }
    let routes: Vec<_> = state
        .stores
        .ingresses
        .rows()
        .iter()
        .chain(state.stores.ingressroutes.rows())
        .flat_map(|row| row.routes.iter().cloned())
        .collect();
    let joined = crate::certs::join(
        state.stores.certificates.rows(),
        state.stores.tls_secrets.rows(),
        &routes,
        state.now,
    );
    state.certs = joined
        .into_iter()
        .map(|view| {
            let search = format!(
                "{}/{} {} {} {} {}",
                view.namespace,
                view.name,
                view.hosts.join(" "),
                view.issuer,
                view.secret,
                view.problems.join(" ")
            )
            .to_lowercase();
            CertEntry { view, search }
        })
        .collect();
    state.certs_stamp = Some(stamp);
    state.dirty = true;
}

/// (expiring within 14 days or expired, not Ready) for the overview.
pub fn summary(state: &State) -> (usize, usize) {
    let expiring = state
        .certs
        .iter()
        .filter(|entry| entry.view.urgency != Urgency::Ok)
        .count();
    // Ready=False only: a renewal under way (Issuing) keeps serving the
    // old certificate.
    let not_ready = state
        .certs
        .iter()
        .filter(|entry| entry.view.kind == "Certificate" && entry.view.ready == "False")
        .count();
    (expiring, not_ready)
}

fn date(epoch: Option<i64>) -> String {
    epoch
        .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
        .map(|stamp| stamp.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".to_string())
}

/// The details `enter` shows: conditions with messages, the chain, SANs,
/// who uses it, and every problem in plain words.
pub fn details(entry: &CertEntry, now: i64) -> String {
    use std::fmt::Write;
    let view = &entry.view;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14}{}/{} ({})",
        "Name:", view.namespace, view.name, view.kind
    );
    let _ = writeln!(out, "{:<14}{}", "Ready:", view.ready);
    let _ = writeln!(out, "{:<14}{}", "Health:", view.health.as_str());
    let _ = writeln!(out, "{:<14}{}", "Issuer:", view.issuer);
    let _ = writeln!(out, "{:<14}{}", "Secret:", view.secret);
    let left = view
        .not_after
        .map(|not_after| {
            if not_after < now {
                format!(" (expired {} ago)", human_duration(now - not_after))
            } else {
                format!(" (in {})", human_duration(not_after - now))
            }
        })
        .unwrap_or_default();
    let _ = writeln!(out, "{:<14}{}{left}", "Not after:", date(view.not_after));
    let _ = writeln!(out, "{:<14}{}", "Renewal:", date(view.renewal_time));
    let _ = writeln!(out, "{:<14}{}", "Hosts:", view.hosts.join(", "));
    if !view.problems.is_empty() {
        let _ = writeln!(out, "Problems:");
        for problem in &view.problems {
            let _ = writeln!(out, "  ✗ {problem}");
        }
    }
    if !view.conditions.is_empty() {
        let _ = writeln!(out, "Conditions:");
        for (kind, status, reason, message) in &view.conditions {
            let _ = writeln!(out, "  {kind:<10}{status:<7}{reason:<22}{message}");
        }
    }
    if let Some(cert) = &view.cert {
        let _ = writeln!(out, "Certificate (leaf of a chain of {}):", cert.chain_len);
        let _ = writeln!(out, "  {:<12}{}", "Subject:", cert.subject);
        let _ = writeln!(out, "  {:<12}{}", "Issuer:", cert.issuer);
        let _ = writeln!(
            out,
            "  {:<12}{}",
            "Not before:",
            date(Some(cert.not_before))
        );
        let _ = writeln!(out, "  {:<12}{}", "Not after:", date(Some(cert.not_after)));
        let _ = writeln!(out, "  {:<12}{}", "Self-signed:", cert.self_signed);
        let _ = writeln!(out, "  SANs:");
        for san in &cert.sans {
            let _ = writeln!(out, "    {san}");
        }
    }
    if !view.used_by.is_empty() {
        let _ = writeln!(out, "Used by:");
        for user in &view.used_by {
            let _ = writeln!(out, "  {user}");
        }
    }
    out
}
