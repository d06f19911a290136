//! This module reads fact files into the engine and writes results: `.input`
//! and `.output` directives, CSV/TSV, tables and JSON.
