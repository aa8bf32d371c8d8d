//! Contract bindings come from forge's artifacts (`chain::bindings`): build them first, so a
//! plain `cargo build` never runs against stale contracts.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let contracts = manifest.join("..").join("contracts");
    for watched in ["src", "foundry.toml", "package-lock.json"] {
        println!(
            "cargo:rerun-if-changed={}",
            contracts.join(watched).display()
        );
    }
    let forge = contracts.join("node_modules/.bin/forge");
    if !forge.exists() {
        panic!(
            "Foundry is not installed: run `npm ci --prefix contracts` (it pins forge and solc-js), \
             then build again"
        );
    }
    let out = Command::new(&forge)
        .args(["build", "--skip", "test", "--skip", "script"])
        .current_dir(&contracts)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", forge.display()));
    if !out.status.success() {
        panic!(
            "forge build failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
