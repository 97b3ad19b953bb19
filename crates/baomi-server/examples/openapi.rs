//! Prints the OpenAPI document that `GET /api/openapi.json` serves, for validators:
//! `cargo run -p baomi-server --example openapi > target/openapi.json`.

fn main() {
    let doc = baomi_server::openapi::document();
    match serde_json::to_string_pretty(&doc) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("openapi: {e}");
            std::process::exit(1);
        }
    }
}
