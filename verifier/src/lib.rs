//! The PoAI verifier: follows result commits, derives its assignments from on-chain randomness,
//! re-executes the sampled segments on its own backend, compares them under the task's tolerance
//! and attests on chain; it also runs the capacity probes of DESIGN §7.
//!
//! It must not trust the solver's hardware to match its own: tier 1 compares within `τ`, and a
//! failure becomes a challenge decided by the one-op proof. Today it holds the calibration of
//! `τ` ([`calibrate`]); the node arrives with the node issue.

pub mod calibrate;
