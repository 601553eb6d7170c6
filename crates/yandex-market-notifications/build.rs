// Generates the client and the notification types from specs/yandex-market-notifications.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("yandex-market-notifications");
}
