//! Headless twins of the TUI's actions, for scripts and cron: same cluster
//! code, plain output, exit codes like kubectl's.

pub mod build;
pub mod certs;
pub mod gitops;
pub mod logs;
pub mod restart;

pub use restart::{RestartArgs, parse_workload, restart};

/// Exit codes: 0 done, 1 the action ran but failed (rollout failed or timed
/// out), 2 could not run it (bad arguments, no cluster, refused).
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;
