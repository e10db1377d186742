//! The audit log: every mutating action (who, what, when, result) appended
//! as one JSON line to `audit.log` in the state directory.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditEntry {
    /// RFC 3339 UTC.
    pub time: String,
    /// `user@host` of whoever ran bosun.
    pub who: String,
    pub context: String,
    /// "tui" or "cli".
    pub source: String,
    /// What was done, kubectl-style: "restart deployment/blog -n blog".
    pub action: String,
    /// "ok", "ok: rolled out ...", or "error: ...".
    pub result: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditLog {
    path: Option<PathBuf>,
}

/// `$USER@hostname`, best effort.
pub fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|host| host.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".to_string());
    format!("{user}@{host}")
}

impl AuditLog {
    pub fn new(path: Option<PathBuf>) -> Self {
        AuditLog { path }
    }

    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// Append one entry. Failing to write the audit log is reported, never
    /// silently ignored, but does not undo the action.
    pub fn record(
        &self,
        context: &str,
        source: &str,
        action: &str,
        result: &Result<String, String>,
    ) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let entry = AuditEntry {
            time: jiff::Timestamp::now().to_string(),
            who: who(),
            context: context.to_string(),
            source: source.to_string(),
            action: action.to_string(),
            result: match result {
                Ok(text) if text.is_empty() => "ok".to_string(),
                Ok(text) => format!("ok: {text}"),
                Err(error) => format!("error: {error}"),
            },
        };
        let line = serde_json::to_string(&entry).map_err(|error| error.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|error| format!("audit log {}: {error}", path.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|error| format!("audit log {}: {error}", path.display()))?;
        writeln!(file, "{line}").map_err(|error| format!("audit log {}: {error}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_json_line_per_action() {
        let dir = std::env::temp_dir().join(format!("bosun-audit-test-{}", std::process::id()));
        let path = dir.join("audit.log");
        let log = AuditLog::new(Some(path.clone()));
        log.record(
            "homelab",
            "tui",
            "restart deployment/blog -n blog",
            &Ok("rolled out".into()),
        )
        .expect("write");
        log.record(
            "homelab",
            "cli",
            "delete pod/x -n y",
            &Err("forbidden".into()),
        )
        .expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<AuditEntry> = text
            .lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).expect("json");
                AuditEntry {
                    time: value["time"].as_str().unwrap_or_default().into(),
                    who: value["who"].as_str().unwrap_or_default().into(),
                    context: value["context"].as_str().unwrap_or_default().into(),
                    source: value["source"].as_str().unwrap_or_default().into(),
                    action: value["action"].as_str().unwrap_or_default().into(),
                    result: value["result"].as_str().unwrap_or_default().into(),
                }
            })
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].result, "ok: rolled out");
        assert_eq!(lines[1].result, "error: forbidden");
        assert!(lines[0].who.contains('@'));
        let _ = std::fs::remove_dir_all(dir);
    }
}
