//! This module turns a checked program into a [`Plan`]: for every stratum, each
//! rule as an ordered list of join, anti-join, filter and map steps.

use crate::ir;

#[derive(Debug)]
pub struct Plan {}

pub fn plan(program: &ir::Program) -> Plan {
    let _ = program;
    todo!("plan::plan")
}

/// The plan as text, each step under its source rule (`tracelog plan`).
pub fn render(program: &ir::Program, plan: &Plan) -> String {
    let _ = (program, plan);
    todo!("plan::render")
}
