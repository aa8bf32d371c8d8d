//! Adversarial and economic simulations of PoAI: many nodes, many tasks, honest and cheating
//! actors, and the figures that come out of them.
//!
//! Simulations drive the same node libraries a user runs; they must not reimplement protocol
//! rules of their own. They arrive once the nodes exist; today this crate holds its place.
