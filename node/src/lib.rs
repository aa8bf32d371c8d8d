//! PoAI's node runtime, shared by the solver, verifier and whistleblower: the network.

pub mod net;
