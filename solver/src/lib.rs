//! The PoAI solver: claims a task, runs its step program, keeps a checkpoint every `k` steps,
//! commits the Merkle root over the checkpoint state hashes, serves its checkpoints and answers
//! every move of a dispute in time.
//!
//! It must not decide anything the contract decides (sampling, verdicts, payouts): it only acts
//! on what the chain says. The node itself arrives with the executor and contracts issues; today
//! this crate holds its place in the workspace.
