// Generates the client from specs/yandex-market-chats.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("yandex-market-chats");
}
