// Generates the client from specs/metro-subscriptions.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("metro-subscriptions");
}
