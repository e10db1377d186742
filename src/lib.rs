//! bosun: a terminal UI for running your own small Kubernetes cluster.
//!
//! Domain modules (`cluster`, `sim`) never import ratatui; `ui` never calls
//! the API. `app` owns the state and turns events into effects.
#![forbid(unsafe_code)]

pub mod app;
pub mod audit;
pub mod builds;
pub mod certs;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod demo_repo;
pub mod gitops;
pub mod headless;
pub mod logbuf;
pub mod sanitize;
pub mod sim;
pub mod ui;
