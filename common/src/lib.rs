//! PoAI's shared core: what every role must compute identically.
//!
//! - [`merkle`], [`tensor`], [`state`], [`batch`]: the commitment format of DESIGN §3, which the
//!   contracts in `contracts/src/commit/` check bit for bit (tied together by [`vectors`]);
//! - [`dataset`]: labelled data sets as the tensors that `datasetHash` commits to;
//! - [`program`], [`engine`], [`run`]: step programs on burn, traces, training runs with
//!   checkpoints; [`check`], [`tolerance`]: tier 2 and tier 1; [`prove`]: fraud proofs;
//! - [`blob`], [`spec`], [`dispute`]: what nodes exchange and how a challenger reasons about it;
//! - [`chain`]: contract bindings from forge's artifacts, and a local anvil.
//!
//! Nothing here talks to the network or the chain on its own, holds keys, or decides a dispute:
//! this crate computes and checks; `poai-node` and the role crates act.

pub mod batch;
pub mod blob;
pub mod chain;
pub mod check;
pub mod dataset;
pub mod dispute;
pub mod engine;
pub mod merkle;
pub mod pack;
pub mod program;
pub mod prove;
pub mod rng;
pub mod run;
pub mod segment;
mod serde_hex;
mod sha;
pub mod spec;
pub mod state;
pub mod tensor;
pub mod tolerance;
pub mod vectors;

pub use merkle::Hash;
