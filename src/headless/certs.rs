//! `bosun certs [--within 14d] [-o table|json]`: which TLS certificates
//! expire soon or are broken, for cron and monitoring. Exit 0 when nothing
//! expires within the window, every Certificate is Ready and nothing is
//! wrong; 1 otherwise; 2 when it could not look.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::certs::{CertView, date, fetch_all, join, rfc3339};
use crate::cluster::client::{LoadedKubeconfig, client_for};

use super::{EXIT_ERROR, EXIT_FAILED};

pub struct CertsArgs {
    /// How far ahead counts as "expires soon", e.g. 14d, 36h, 90m (default "14d").
    pub within: String,
    /// "table" or "json".
    pub output: String,
    pub context: Option<String>,
}

impl Default for CertsArgs {
    fn default() -> Self {
        CertsArgs {
            within: "14d".to_string(),
            output: "table".to_string(),
            context: None,
        }
    }
}

/// `14d`, `36h`, `90m`, `3600s` or bare seconds, as seconds.
pub fn parse_window(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
}

pub fn parse_output(text: &str) -> Option<Output> {
    match text.trim() {
        "table" | "wide" | "" => Some(Output::Table),
        "json" => Some(Output::Json),
        _ => None,
    }
}

/// Does this row fail the check: expiring within `window` seconds of `now`,
/// a Certificate not Ready, or any problem?
pub fn failing(view: &CertView, now: i64, window: i64) -> bool {
    let expiring = view
        .not_after
        .is_some_and(|not_after| not_after < now.saturating_add(window));
    let not_ready = view.kind == "Certificate" && view.ready != "True";
    expiring || not_ready || !view.problems.is_empty()
}

/// The exit code for these rows: 0 all good, 1 something to look at.
pub fn exit_code(views: &[CertView], now: i64, window: i64) -> u8 {
    if views.iter().any(|view| failing(view, now, window)) {
        EXIT_FAILED
    } else {
        0
    }
}

fn dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.to_string()
    }
}

/// The aligned plain-text table (with a trailing newline).
pub fn table(views: &[CertView]) -> String {
    let header = [
        "NAMESPACE",
        "NAME",
        "KIND",
        "READY",
        "DAYS-LEFT",
        "NOT-AFTER",
        "ISSUER",
        "HOSTS",
        "SECRET",
        "PROBLEMS",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|text| text.to_string()).collect()];
    for view in views {
        rows.push(vec![
            view.namespace.clone(),
            view.name.clone(),
            view.kind.to_string(),
            view.ready.clone(),
            view.days_left
                .map(|days| days.to_string())
                .unwrap_or_else(|| "-".to_string()),
            view.not_after.map(date).unwrap_or_else(|| "-".to_string()),
            dash(&view.issuer),
            dash(&view.hosts.join(",")),
            dash(&view.secret),
            dash(&view.problems.join("; ")),
        ]);
    }
    super::aligned_table(&rows)
}

/// One row as JSON: the table's fields plus health, urgency, used_by.
pub fn json_row(view: &CertView) -> Value {
    json!({
        "namespace": view.namespace,
        "name": view.name,
        "kind": view.kind,
        "ready": view.ready,
        "daysLeft": view.days_left,
        "notAfter": view.not_after.map(rfc3339),
        "renewalTime": view.renewal_time.map(rfc3339),
        "issuer": view.issuer,
        "hosts": view.hosts,
        "secret": view.secret,
        "problems": view.problems,
        "health": view.health.as_str(),
        "urgency": view.urgency.as_str(),
        "usedBy": view.used_by,
    })
}

pub fn json_text(views: &[CertView]) -> String {
    let rows: Vec<Value> = views.iter().map(json_row).collect();
    serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_else(|_| "[]".to_string())
}

/// `bosun certs [--within 14d] [-o table|json]`.
pub async fn certs(loaded: &LoadedKubeconfig, args: CertsArgs) -> ExitCode {
    let fail = |message: String| {
        crate::errln!("bosun: {message}");
        ExitCode::from(EXIT_ERROR)
    };
    let Some(window) = parse_window(&args.within) else {
        return fail(format!(
            "--within \"{}\": expected a duration like 14d, 36h or 90m",
            args.within
        ));
    };
    let Some(output) = parse_output(&args.output) else {
        return fail(format!("-o \"{}\": expected table or json", args.output));
    };
    let (client, _info) = match client_for(loaded, args.context.as_deref()).await {
        Ok(pair) => pair,
        Err(error) => return fail(error.to_string()),
    };
    let sources = match fetch_all(&client).await {
        Ok(sources) => sources,
        Err(error) => return fail(error),
    };
    if !sources.cert_manager {
        crate::errln!("bosun: cert-manager is not installed: showing TLS secrets only");
    }
    let now = crate::cluster::age::now();
    let views = join(
        &sources.certificates,
        &sources.secrets,
        &sources.routes,
        now,
    );
    match output {
        Output::Table if views.is_empty() => crate::errln!("bosun: no TLS certificates found"),
        Output::Table => crate::out!("{}", table(&views)),
        Output::Json => crate::outln!("{}", json_text(&views)),
    }
    ExitCode::from(exit_code(&views, now, window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("14d"), Some(14 * 86_400));
        assert_eq!(parse_window("36h"), Some(36 * 3_600));
        assert_eq!(parse_window("90m"), Some(5_400));
        assert_eq!(parse_window("60"), Some(60));
        assert_eq!(parse_window("2w"), Some(14 * 86_400));
        assert_eq!(parse_window("d"), None);
        assert_eq!(parse_window("-1d"), None);
        assert_eq!(parse_window("14 days"), None);
        assert_eq!(parse_window("99999999999999999999d"), None);
    }
}
