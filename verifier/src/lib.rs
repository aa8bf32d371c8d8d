//! The PoAI verifier: follows result commits, derives its assignments from on-chain randomness,
//! re-executes the sampled segments on its own backend, compares them under the task's tolerance
//! and attests on chain; it also runs the capacity probes of DESIGN §7.
//!
//! It must not trust the solver's hardware to match its own: tier 1 compares within `τ`, and a
//! failure becomes a challenge decided by the one-op proof. It holds the calibration of `τ`
//! ([`calibrate`]) and the node ([`node`]).

pub mod calibrate;
pub mod node;

pub use node::{Options, Verifier};
