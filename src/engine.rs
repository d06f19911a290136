//! This module evaluates a planned program on datafrog: strata in order,
//! semi-naive within a stratum, relations kept for queries and later updates.

use std::time::Duration;

use crate::ir::{self, RelId};
use crate::value::{Value, ValueStore};

/// Resource limits for one evaluation.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub timeout: Option<Duration>,
    /// The most tuples all derived relations together may hold.
    pub max_tuples: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("evaluation stopped after {seconds} s, the time limit (--timeout)")]
    Timeout { seconds: f64 },
    #[error("evaluation stopped at {tuples} derived tuples, the limit (--max-tuples)")]
    TupleLimit { tuples: u64 },
}

#[derive(Debug)]
pub struct Engine {}

impl Engine {
    pub fn new(program: &ir::Program) -> Engine {
        let _ = program;
        todo!("Engine::new")
    }

    pub fn values(&self) -> &ValueStore {
        todo!()
    }

    pub fn values_mut(&mut self) -> &mut ValueStore {
        todo!()
    }

    /// Adds base facts: `rows` holds whole tuples one after another (arity values each).
    pub fn insert(&mut self, rel: RelId, rows: Vec<Value>) {
        let _ = (rel, rows);
        todo!()
    }

    pub fn run(&mut self, limits: &Limits) -> Result<(), EngineError> {
        let _ = limits;
        todo!()
    }

    pub fn len(&self, rel: RelId) -> usize {
        let _ = rel;
        todo!()
    }

    /// The tuples of a relation in sorted order.
    pub fn rows(&self, rel: RelId) -> Box<dyn Iterator<Item = &[Value]> + '_> {
        let _ = rel;
        todo!()
    }
}
