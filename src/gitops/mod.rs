//! GitOps without a controller (DESIGN §5, §6): a git repo of kustomize and
//! Helm specs, rendered with the real tools, diffed against the cluster by a
//! server-side dry-run apply, synced with server-side apply.
//!
//! Nothing here imports ratatui; the app drives these through effects.

pub mod compare;
pub mod diff;
pub mod evaluate;
pub mod health;
pub mod identity;
pub mod inventory;
pub mod object;
pub mod prune;
pub mod render;
pub mod repo;
pub mod resolve;
pub mod spec;
pub mod sync;
pub mod watch;
pub mod workspace;
