//! This module defines the importers: files in other formats turned into
//! facts of the standard traceability relations (rules/schema.dl) and
//! recorded in the journal, one transaction per file.

pub mod plant;
