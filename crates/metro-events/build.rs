// Generates the client and the event types from specs/metro-events.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("metro-events");
}
