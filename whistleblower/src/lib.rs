//! The PoAI whistleblower: re-checks segments, including those verifiers passed, finds the
//! faulty step and op with the tier-2 checker and proves the fraud to the contract.
//!
//! It must never challenge on a tier-1 suspicion alone: a bond is only posted once it has an op
//! that its checker rejects. The node arrives with later issues; today this crate holds its place
//! in the workspace.
