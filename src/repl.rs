//! This module is the interactive investigation REPL below the command line:
//! the command table (`command`), the statement reader that knows when input
//! is complete (`reader`), the evaluation session that keeps a program and its
//! relations up to date (`session`), tab completion (`complete`) and the text
//! of answers (`output`). `cli::repl` drives them with a line editor or a
//! script on stdin and is the only part that prints.

pub mod command;
pub mod complete;
pub mod output;
pub mod reader;
pub mod session;
