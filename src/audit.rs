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

/// Where an action came from: the same two words in every entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A key in the TUI.
    Tui,
    /// A headless subcommand.
    Cli,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Tui => "tui",
            Source::Cli => "cli",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditLog {
    path: Option<PathBuf>,
    /// Where a failed write is reported (the TUI shows it); the caller of
    /// `record` gets the error too.
    failures: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

/// `user@hostname`: `$USER` / `$LOGNAME`, else the name of the process's
/// uid in /etc/passwd, else `uid:N`; never "unknown".
pub fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(user_of_uid);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|host| host.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".to_string());
    format!("{user}@{host}")
}

/// The process's user from its uid (the owner of /proc/self), by
/// /etc/passwd; no libc call needed.
#[cfg(unix)]
fn user_of_uid() -> String {
    use std::os::unix::fs::MetadataExt;
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "uid:unknown".into();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                let _password = fields.next()?;
                (fields.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("uid:{uid}"))
}

#[cfg(not(unix))]
fn user_of_uid() -> String {
    "uid:unknown".into()
}

impl AuditLog {
    pub fn new(path: Option<PathBuf>) -> Self {
        AuditLog {
            path,
            failures: None,
        }
    }

    /// Failed writes are also sent here (the TUI turns them into an error
    /// on screen).
    pub fn reporting_to(mut self, failures: tokio::sync::mpsc::UnboundedSender<String>) -> Self {
        self.failures = Some(failures);
        self
    }

    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// Append one entry. Failing to write the audit log is reported, never
    /// silently ignored, but does not undo the action.
    pub fn record(
        &self,
        context: &str,
        source: Source,
        action: &str,
        result: &Result<String, String>,
    ) -> Result<(), String> {
        let written = self.write(context, source, action, result);
        if let (Err(error), Some(failures)) = (&written, &self.failures) {
            let _ = failures.send(format!("audit log not written ({error}) for: {action}"));
        }
        written
    }

    fn write(
        &self,
        context: &str,
        source: Source,
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
            source: source.as_str().to_string(),
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
        // One write of the whole line: with O_APPEND the kernel keeps it in
        // one piece even when two actions finish at once (writeln! would
        // write the line and its newline separately, and interleave).
        let mut line = line;
        line.push('\n');
        file.write_all(line.as_bytes())
            .map_err(|error| format!("audit log {}: {error}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_written_at_once_stay_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("audit.log");
        let log = AuditLog::new(Some(path.clone()));
        std::thread::scope(|scope| {
            for writer in 0..8 {
                let log = &log;
                scope.spawn(move || {
                    for n in 0..200 {
                        let _ = log.record(
                            "homelab",
                            Source::Tui,
                            &format!("delete pod/p{writer}-{n} -n x"),
                            &Ok(String::new()),
                        );
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 1600);
        for line in text.lines() {
            assert!(
                serde_json::from_str::<serde_json::Value>(line).is_ok(),
                "{line}"
            );
        }
    }

    #[test]
    fn appends_one_json_line_per_action() {
        let dir = std::env::temp_dir().join(format!("bosun-audit-test-{}", std::process::id()));
        let path = dir.join("audit.log");
        let log = AuditLog::new(Some(path.clone()));
        log.record(
            "homelab",
            Source::Tui,
            "restart deployment/blog -n blog",
            &Ok("rolled out".into()),
        )
        .expect("write");
        log.record(
            "homelab",
            Source::Cli,
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
        assert!(!lines[0].who.starts_with("unknown"));
        assert_eq!(lines[0].source, "tui");
        assert_eq!(lines[1].source, "cli");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[cfg(all(test, unix))]
mod uid_tests {
    #[test]
    fn the_uid_has_a_name_or_a_number() {
        let user = super::user_of_uid();
        assert!(!user.is_empty() && user != "unknown", "{user}");
    }

    #[test]
    fn a_failed_write_is_reported() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let log = super::AuditLog::new(Some("/proc/no/such/dir/audit.log".into())).reporting_to(tx);
        assert!(
            log.record(
                "ctx",
                super::Source::Tui,
                "delete pod/x",
                &Ok(String::new())
            )
            .is_err()
        );
        let reported = rx.try_recv().expect("reported");
        assert!(reported.contains("delete pod/x"), "{reported}");
    }
}
