// Generates the client from specs/metro-message-center.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("metro-message-center");
}
