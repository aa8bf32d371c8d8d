use std::path::{Path, PathBuf};

use eyre::WrapErr;
use poai_common::dataset::Dataset;
use serde_json::json;

use super::hex0x;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Print a data set's commitment: its tensor hash (`datasetHash`) and shape.
    Commit {
        /// CSV file, gzip-compressed if it ends in `.gz`.
        path: PathBuf,
    },
    /// Print one row's raw bytes and its proof into the data set's commitment.
    Prove {
        path: PathBuf,
        /// The row (example) to prove, from 0.
        #[arg(long)]
        row: u32,
    },
}

pub(crate) fn run(command: Command, json: bool) -> eyre::Result<()> {
    match command {
        Command::Commit { path } => {
            let d = load(&path)?;
            let c = d.tensor.commit();
            let out = json!({
                "path": path.display().to_string(),
                "examples": d.examples(),
                "features": d.features,
                "classes": d.classes,
                "dtype": c.header.dtype,
                "rows": c.header.rows,
                "cols": c.header.cols,
                "rowsRoot": hex0x(&c.header.rows_root),
                "datasetHash": hex0x(&c.hash),
            });
            if json {
                println!("{out:#}");
            } else {
                println!("data set     {}", path.display());
                println!(
                    "examples     {} × {} features, {} classes",
                    d.examples(),
                    d.features,
                    d.classes
                );
                println!("rowsRoot     {}", hex0x(&c.header.rows_root));
                println!("datasetHash  {}", hex0x(&c.hash));
            }
        }
        Command::Prove { path, row } => {
            let d = load(&path)?;
            let c = d.tensor.commit();
            let proof = c.row_proof(row)?;
            let bytes = d.tensor.row_bytes(row)?;
            c.header.verify_row(&c.hash, &bytes, &proof)?;
            let out = json!({
                "datasetHash": hex0x(&c.hash),
                "header": c.header,
                "row": row,
                "rowBytes": hex0x(&bytes),
                "values": d.tensor.row(row)?,
                "siblings": proof.siblings.iter().map(|s| hex0x(s)).collect::<Vec<_>>(),
            });
            if json {
                println!("{out:#}");
            } else {
                println!("datasetHash  {}", hex0x(&c.hash));
                println!("row          {row} of {}", c.header.rows);
                println!("values       {:?}", d.tensor.row(row)?);
                println!("rowBytes     {}", hex0x(&bytes));
                for (level, s) in proof.siblings.iter().enumerate() {
                    println!("sibling {level:>2}   {}", hex0x(s));
                }
            }
        }
    }
    Ok(())
}

fn load(path: &Path) -> eyre::Result<Dataset> {
    Dataset::load(path).wrap_err_with(|| format!("loading the data set {}", path.display()))
}
