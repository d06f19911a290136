//! Generates the parser from grammar/tracelog.lalrpop into OUT_DIR.

fn main() {
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .emit_rerun_directives(true)
        .process()
        .expect("the lalrpop grammar in grammar/ builds");
}
