//! The chain side shared by every node: contract bindings generated from forge's artifacts (the
//! build script builds them first) and a local anvil from the npm-installed Foundry.

use std::path::PathBuf;

use alloy::node_bindings::{Anvil, AnvilInstance};

/// Bindings of the deployed contracts, from `contracts/out/`.
// The generated call builders take as many arguments as the Solidity functions do.
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    alloy::sol!(
        #[sol(rpc, all_derives)]
        CommitmentChecker,
        "../contracts/out/CommitmentChecker.sol/CommitmentChecker.json"
    );
    /// `OpChecker` and the library types of its calls.
    pub mod op_checker {
        alloy::sol!(
            #[sol(rpc, all_derives)]
            OpChecker,
            "../contracts/out/OpChecker.sol/OpChecker.json"
        );
    }
    /// `Market` (stakes, tasks, sampling, the money of every case) and the types of its calls.
    pub mod market {
        alloy::sol!(
            #[sol(rpc, all_derives)]
            Market,
            "../contracts/out/Market.sol/Market.json"
        );
    }
    /// `Dispute`, the game's court, and the types of its calls (`Dispute::Game`, `Link`).
    pub mod dispute {
        alloy::sol!(
            #[sol(rpc, all_derives)]
            Dispute,
            "../contracts/out/Dispute.sol/Dispute.json"
        );
    }
    /// `Availability`, the court of openings on demand, and the types of its calls.
    pub mod availability {
        alloy::sol!(
            #[sol(rpc, all_derives)]
            Availability,
            "../contracts/out/Availability.sol/Availability.json"
        );
    }
    /// `OpProver` and the library types of its calls (`OpProof`, `Tensor`, `Verdict`).
    pub mod op_prover {
        alloy::sol!(
            #[sol(rpc, all_derives)]
            OpProver,
            "../contracts/out/OpProver.sol/OpProver.json"
        );
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "anvil is not at {0}: run `npm ci --prefix contracts`, or point --anvil/POAI_ANVIL at it"
    )]
    AnvilMissing(PathBuf),
    #[error("starting anvil: {0}")]
    AnvilStart(#[from] alloy::node_bindings::NodeError),
}

/// Where `npm ci --prefix contracts` puts anvil, in this checkout.
pub fn default_anvil() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contracts/node_modules/.bin/anvil")
}

/// Starts anvil on a free port; it stops when the returned instance is dropped.
pub fn start_anvil(path: PathBuf) -> Result<AnvilInstance, Error> {
    if !path.exists() {
        return Err(Error::AnvilMissing(path));
    }
    Ok(Anvil::new().path(path).try_spawn()?)
}

/// The name and fields of the contract's custom error in a failed call, if it is one of ours.
pub fn revert_reason(err: &alloy::contract::Error) -> Option<String> {
    use bindings::CommitmentChecker::CommitmentCheckerErrors;
    err.as_decoded_interface_error::<CommitmentCheckerErrors>()
        .map(|e| format!("{e:?}"))
}
