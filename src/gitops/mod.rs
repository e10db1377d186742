//! GitOps without a controller (DESIGN §5, §6): a git repo of kustomize and
//! Helm specs, rendered with the real tools, diffed against the cluster by a
//! server-side dry-run apply, synced with server-side apply.
//!
//! Nothing here imports ratatui; the app drives these through effects.

pub mod app;
pub mod argo;
pub mod compare;
pub mod declared;
pub mod depends;
pub mod diff;
pub mod directory;
pub mod discover;
pub mod envsubst;
pub mod evaluate;
pub mod flux;
pub mod giturl;
pub mod health;
pub mod hooks;
pub mod identity;
pub mod ignore;
pub mod inventory;
pub mod kustomize_edit;
pub mod object;
pub mod paths;
pub mod postbuild;
pub mod prune;
pub mod render;
pub mod render_cache;
pub mod repo;
pub mod resolve;
pub mod rollback;
pub mod snapshot;
pub mod sops;
pub mod spec;
pub mod sync;
pub mod sync_wait;
pub mod tracked;
pub mod watch;
pub mod waves;
pub mod workspace;
