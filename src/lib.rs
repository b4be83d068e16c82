//! healthcast: an editorial scheduler for health organisations.
//!
//! Data flows one way (see README "How it works"):
//! `source` → `content` + `config` → `checks` → `render` → `plan` → `publish`,
//! with the `ledger` recording every publication before and after it is sent.
//! `checks`, `render` and `plan` are pure: time is always an argument.

pub mod alerts;
pub mod checks;
pub mod cli;
pub mod config;
pub mod content;
pub mod daemon;
pub mod diagnostic;
pub mod formats;
pub mod ledger;
pub mod locate;
pub mod observe;
pub mod parallel;
pub mod plan;
pub mod publish;
pub mod render;
pub mod repo;
pub mod secret;
pub mod source;
pub mod yaml;
