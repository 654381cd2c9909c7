//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libnyckelfri_core.so --language kotlin --out-dir OUT`
fn main() {
    uniffi::uniffi_bindgen_main()
}
