//! tracelog: a Datalog traceability query engine for regulated manufacturing.
//!
//! The pipeline (see ARCHITECTURE.md): text → [`syntax`] (AST) → [`check`]
//! (checked program, [`ir`]) → [`plan`] → [`engine`] (datafrog) → [`io`]
//! (results). Problems in user input are [`diagnostic::Diagnostic`] values.

pub mod check;
pub mod cli;
pub mod db;
pub mod demo_data;
pub mod diagnostic;
pub mod driver;
pub mod engine;
pub mod epcis;
pub mod generate;
pub mod import;
pub mod investigate;
pub mod io;
pub mod ir;
pub mod journal;
pub mod parallel;
pub mod plan;
pub mod policy_diff;
pub mod provenance;
pub mod recall_report;
pub mod repl;
pub mod rules;
pub mod source;
pub mod syntax;
pub mod value;
