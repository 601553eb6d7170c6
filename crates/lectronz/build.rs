// Generates the client from specs/lectronz.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("lectronz");
}
