//! Fault injection for tests: failing the next requests, forbidding a
//! resource, and the apiserver-shaped answers they produce.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::json;

use super::api_error::ApiError;
use super::registry::ResourceDef;

/// Makes the next `times` matching requests answer `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Plural resource name (`"pods"`); `None` matches any resource request
    /// (discovery and health checks are never failed).
    pub resource: Option<String>,
    /// Only fail watch requests.
    pub watch_only: bool,
    /// HTTP status to answer, e.g. 500, 503, 410, 403.
    pub status: u16,
    pub times: usize,
}

#[derive(Debug, Default)]
struct State {
    pending: Vec<Fault>,
    forbidden: HashSet<String>,
    /// Every write (not dry-run) waits this long before it is carried out.
    write_delay: std::time::Duration,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    state: Mutex<State>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn push(&self, fault: Fault) {
        if fault.times > 0 {
            self.lock().pending.push(fault);
        }
    }

    pub fn forbid(&self, resource: &str, forbidden: bool) {
        let mut s = self.lock();
        if forbidden {
            s.forbidden.insert(resource.to_string());
        } else {
            s.forbidden.remove(resource);
        }
    }

    pub fn slow_writes(&self, delay: std::time::Duration) {
        self.lock().write_delay = delay;
    }

    pub fn write_delay(&self) -> std::time::Duration {
        self.lock().write_delay
    }

    pub fn is_forbidden(&self, plural: &str) -> bool {
        self.lock().forbidden.contains(plural)
    }

    /// Consumes one use of the first matching fault; returns its status.
    pub fn take(&self, plural: &str, is_watch: bool) -> Option<u16> {
        let mut s = self.lock();
        let i = s.pending.iter().position(|f| {
            f.resource.as_deref().is_none_or(|r| r == plural) && (!f.watch_only || is_watch)
        })?;
        let status = s.pending[i].status;
        s.pending[i].times -= 1;
        if s.pending[i].times == 0 {
            s.pending.remove(i);
        }
        Some(status)
    }
}

/// The RBAC denial exactly as the apiserver words it.
pub(crate) fn forbidden(
    def: &ResourceDef,
    verb: &str,
    ns: Option<&str>,
    name: Option<&str>,
    sub: Option<&str>,
) -> ApiError {
    let subject = match name {
        Some(n) => format!("{} \"{n}\"", def.qualified()),
        None => def.qualified(),
    };
    let resource = match sub {
        Some(s) => format!("{}/{s}", def.plural),
        None => def.plural.to_string(),
    };
    let scope = match ns {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = format!(
        "{subject} is forbidden: User \"bosun\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
        def.group
    );
    let mut details = json!({ "group": def.group, "kind": def.plural });
    if let Some(n) = name {
        details["name"] = json!(n);
    }
    ApiError::new(403, "Forbidden", message).with_details(details)
}
