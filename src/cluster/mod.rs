//! Everything that talks to (or models) a Kubernetes cluster: kubeconfig
//! discovery, watchers projecting objects into rows, metrics, on-demand
//! fetches. Never imports ratatui.

pub mod actions;
pub mod age;
pub mod argo_rollouts;
pub mod client;
pub mod describe;
pub mod fetch;
pub mod helm;
pub mod helm_rollback;
pub mod history;
pub mod kind;
pub mod logs;
pub mod metrics;
pub mod quantity;
pub mod redact;
pub mod rollout;
pub mod rows;
pub mod selector;
pub mod shell;
pub mod watch;
