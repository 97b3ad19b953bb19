//! `sqlx::migrate!` embeds the migrations at compile time; make cargo rebuild the crate when a
//! migration is added or changed (otherwise an incremental build keeps the old set).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
