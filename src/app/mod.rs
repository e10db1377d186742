//! The state owner: events in, state changed, effects out (DESIGN §3).

pub mod action;
pub mod builds;
pub mod builds_service;
pub mod certs;
pub mod command;
pub mod effect;
pub mod event;
pub mod filter;
pub mod gitops;
pub mod gitops_service;
pub mod logs;
pub mod run;
pub mod runtime;
pub mod state;
pub mod store;
pub mod table;
pub mod update;
pub mod view;

pub use effect::Effect;
pub use event::AppEvent;
pub use state::State;
