//! Compiles the screens in ui/ into Rust. Debug info keeps element ids, which the UI tests
//! find elements by.

fn main() {
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    if let Err(error) = slint_build::compile_with_config("ui/main.slint", config) {
        panic!("the UI in ui/ does not compile: {error}");
    }
}
