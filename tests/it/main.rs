//! The integration tests, as one binary: each module is one area (the domain's rules, the chain and
//! store, the projections, the service, the HTTP API, the command line, the layering). One binary
//! links sled, axum and tokio once, and shares what is costly to build — the story ledger behind the
//! HTTP and CLI tests — across its tests.

mod demo_run;
mod harness;
mod history;
mod own_scheme_fixture;
mod people_adapters;
mod projection_fixture;
mod support;

mod cli;
mod cli_documents;
mod demo_story;
mod domain_access;
mod domain_blame_appeals;
mod domain_commands;
mod domain_decoding;
mod domain_evolution;
mod domain_own_scheme;
mod domain_people;
mod domain_refusals;
mod domain_schemas;
mod domain_story;
mod durability;
mod end_to_end;
mod faults;
mod generator_county;
mod http_api;
mod http_appeal_views;
mod http_documents;
mod http_tables;
mod import;
mod ledger;
mod merkle;
mod pipl;
mod projection_generator;
mod projection_golden;
mod projection_own_scheme;
mod projection_periods;
mod projection_properties;
mod projection_store;
mod proofs;
mod properties_county;
mod read_models;
mod restart;
mod serve;
mod service;
mod site;
mod site_appeals;
mod site_documents;
mod site_language;
mod site_pages;
mod site_people;
mod site_trace_replay;
mod tamper;
mod tidy;
mod webdriver;
