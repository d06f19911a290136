//! This module defines the importers: files in other formats turned into
//! facts of the standard traceability relations (rules/schema.dl) and
//! recorded in the journal, one transaction per file.

pub mod plant;

use std::io::IsTerminal;

/// Where a long import is, reported after each file: `done` of `total` files
/// handled, `items` events (EPCIS) or rows (plant data) read so far, `file`
/// the last one. `tracelog import` draws it as a progress bar; a library
/// caller (e.g. `tracelog demo`) passes its own callback or [`bar_reporter`].
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub items: usize,
    pub file: &'a std::path::Path,
}

/// A callback that ignores progress.
pub fn no_progress(_: &Progress) {}

/// A progress bar over `files` files, drawn on stderr only when stderr is a
/// terminal (hidden otherwise, so piped output and tests are unaffected).
pub fn progress_bar(files: usize, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(files as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let template =
        format!("{{spinner}} importing {what} [{{bar:30}}] {{pos}}/{{len}} files {{msg}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A callback that moves `bar` (see [`progress_bar`]).
pub fn bar_reporter(bar: &indicatif::ProgressBar, unit: &'static str) -> impl Fn(&Progress) {
    move |p: &Progress| {
        bar.set_position(p.done as u64);
        bar.set_message(format!("{} {unit}; {}", p.items, p.file.display()));
    }
}
