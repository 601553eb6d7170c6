// Generates the client from specs/skyhub-sac.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("skyhub-sac");
}
