//! kpi-ledger: an append-only, hash-chained event ledger for performance assessment.
pub mod article;
pub mod chain;
pub mod cli;
pub mod domain;
pub mod http;
pub mod limits;
pub mod projection;
pub mod service;
pub mod site;
pub mod store;
pub mod tabular;
