//! Writes the differential vectors (DESIGN §3) that the forge tests check:
//! `cargo run -p poai-common --bin poai-vectors [-- <dir>]`, by default into
//! `contracts/test/vectors/` of the workspace.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(poai_common::vectors::DIR)
        },
        PathBuf::from,
    );
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("error: creating {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let files = poai_common::vectors::generate();
    #[cfg(feature = "wgpu")]
    let files = [files, poai_common::vectors::generate_wgpu()].concat();
    for (name, text) in files {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
