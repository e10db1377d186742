//! Headless twins of the TUI's actions, for scripts and cron: same cluster
//! code, plain output, exit codes like kubectl's.

pub mod argo_rollouts;
pub mod build;
pub mod certs;
pub mod gitops;
pub mod logs;
pub mod restart;
pub mod term;
pub mod undo;

pub use argo_rollouts::{RolloutArgs, RolloutVerb, rollout};
pub use restart::{RestartArgs, parse_workload, restart};
pub use undo::{UndoArgs, undo};

/// Exit codes: 0 done, 1 the action ran but failed (rollout failed or timed
/// out), 2 could not run it (bad arguments, no cluster, refused).
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// Rows (the header first) as an aligned plain-text table: columns three
/// spaces apart, the last one unpadded, a newline after each row.
pub fn aligned_table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map(Vec::len).unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if column + 1 < columns {
                let pad = widths[column].saturating_sub(cell.chars().count()) + 3;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
