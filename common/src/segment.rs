//! A segment's index: what a solver serves so that a checker can check every op of every step of
//! a segment with tier 2 (issue 14; docs/PROTOCOL.md §10, "Segment indexes"). It names the
//! segment's `k + 1` per-step state hashes and `k` trace roots, and is signed by the solver, so
//! that a peer relaying it cannot forge the states in between the two checkpoints (which are all
//! a checker can check against the chain), and a solver that posts other states or traces in a
//! game than those it served has signed two answers to one question.
//!
//! The blob is named by what it answers — task, result root and segment — not by its bytes, so a
//! checker asks for it knowing only the chain; [`Index::check`] is what makes an answer
//! acceptable: the task's solver signed it, and its ends are the committed checkpoints.
//!
//! Layout (big-endian): magic `POAISG01`, market (20 bytes), task (u64), segment (u64), result
//! root (32), state count (u32) and the state hashes, trace count (u32) and the trace roots, and
//! the signature (65 bytes, `r ‖ s ‖ v`) over [`Index::digest`] as an EIP-191 message.

use alloy::primitives::{Address, B256, Signature, U256, keccak256};
use alloy::sol_types::SolValue;

use crate::merkle::{self, Hash};
use crate::spec::MAX_INTERVAL;

const MAGIC: &[u8; 8] = b"POAISG01";
/// Domain tag of the name and the signed digest.
const TAG: &[u8] = b"poai/segment/1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a segment index is malformed: {0}")]
    Malformed(String),
    #[error("the segment index is signed by {got}, not by the task's solver {want}")]
    Signer { got: Address, want: Address },
    #[error("the segment index answers {got}, not {want}")]
    Question { got: String, want: String },
    #[error("the segment index's {which} state is not the committed checkpoint")]
    Ends { which: &'static str },
}

/// What a segment index answers: which segment of which committed run, in which market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub market: Address,
    pub task: u64,
    pub result_root: Hash,
    pub segment: u64,
}

impl Question {
    /// The blob name of the index that answers this question.
    pub fn name(&self) -> Hash {
        crate::sha::digest(
            &[
                TAG,
                self.market.as_slice(),
                &self.task.to_be_bytes(),
                &self.result_root,
                &self.segment.to_be_bytes(),
            ]
            .concat(),
        )
    }
}

impl std::fmt::Display for Question {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "segment {} of task {} (result root {}) in market {}",
            self.segment,
            self.task,
            hex::encode(self.result_root),
            self.market
        )
    }
}

/// A signed segment index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub question: Question,
    /// The `k + 1` per-step state hashes, checkpoint `segment` first, checkpoint `segment + 1`
    /// last.
    pub states: Vec<Hash>,
    /// The trace root of each of the `k` steps.
    pub traces: Vec<Hash>,
    /// The solver's signature over [`Index::digest`], as an EIP-191 message.
    pub signature: [u8; 65],
}

impl Index {
    /// What the solver signs: `keccak256(abi.encode(keccak256(TAG), market, task, segment,
    /// resultRoot, statesRoot, tracesRoot))`, the roots over the lists as `postSteps` and
    /// a Merkle tree of the trace roots compute them, so a contract can check it with `ecrecover`.
    pub fn digest(question: &Question, states: &[Hash], traces: &[Hash]) -> Result<B256, Error> {
        let root =
            |l: &[Hash]| merkle::root_of_payloads(l).map_err(|e| Error::Malformed(e.to_string()));
        Ok(keccak256(
            (
                keccak256(TAG),
                question.market,
                question.task,
                question.segment,
                B256::from(question.result_root),
                B256::from(root(states)?),
                B256::from(root(traces)?),
            )
                .abi_encode(),
        ))
    }

    /// The roots a *pass* names (`Dispute.namePass`, which posts the states): over the
    /// per-step state hashes as `postSteps` computes it, and over the trace roots.
    pub fn roots(&self) -> Result<(Hash, Hash), Error> {
        let root =
            |l: &[Hash]| merkle::root_of_payloads(l).map_err(|e| Error::Malformed(e.to_string()));
        Ok((root(&self.states)?, root(&self.traces)?))
    }

    /// The signer of this index.
    pub fn signer(&self) -> Result<Address, Error> {
        // One encoding per signature, as `Dispute.proveEquivocation` takes it: `v` 27 or 28,
        // `s` in the lower half of the curve order (a re-encoded signature recovers the same
        // key but would not be accepted on chain).
        const HALF_N: U256 = U256::from_be_slice(&[
            0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46,
            0x68, 0x1B, 0x20, 0xA0,
        ]);
        if !matches!(self.signature[64], 27 | 28)
            || U256::from_be_slice(&self.signature[32..64]) > HALF_N
        {
            return Err(Error::Malformed(
                "signature: not v 27/28 with a low s".into(),
            ));
        }
        let digest = Self::digest(&self.question, &self.states, &self.traces)?;
        let signature = Signature::from_raw(&self.signature)
            .map_err(|e| Error::Malformed(format!("signature: {e}")))?;
        signature
            .recover_address_from_msg(digest)
            .map_err(|e| Error::Malformed(format!("signature: {e}")))
    }

    /// Whether this index answers `question` for `solver`, whose checkpoints `segment` and
    /// `segment + 1` are `first` and `last`.
    pub fn check(
        &self,
        question: &Question,
        solver: Address,
        first: &Hash,
        last: &Hash,
    ) -> Result<(), Error> {
        if self.question != *question {
            return Err(Error::Question {
                got: self.question.to_string(),
                want: question.to_string(),
            });
        }
        let got = self.signer()?;
        if got != solver {
            return Err(Error::Signer { got, want: solver });
        }
        if self.states.first() != Some(first) {
            return Err(Error::Ends { which: "first" });
        }
        if self.states.last() != Some(last) {
            return Err(Error::Ends { which: "last" });
        }
        Ok(())
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 20 + 48 + 8 + 32 * (self.states.len() * 2) + 65);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(self.question.market.as_slice());
        out.extend_from_slice(&self.question.task.to_be_bytes());
        out.extend_from_slice(&self.question.segment.to_be_bytes());
        out.extend_from_slice(&self.question.result_root);
        for list in [&self.states, &self.traces] {
            out.extend_from_slice(&(list.len() as u32).to_be_bytes());
            for h in list.iter() {
                out.extend_from_slice(h);
            }
        }
        out.extend_from_slice(&self.signature);
        out
    }

    /// Decodes an index; a truncated, overlong or ill-counted one is an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why: &str| Error::Malformed(why.to_string());
        let mut r = Reader(bytes);
        if r.take(8)? != MAGIC {
            return Err(bad("not a segment index"));
        }
        let market = Address::from_slice(r.take(20)?);
        let task = u64::from_be_bytes(r.array()?);
        let segment = u64::from_be_bytes(r.array()?);
        let result_root: Hash = r.array()?;
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            let n = u32::from_be_bytes(r.array()?) as u64;
            if n > MAX_INTERVAL + 1 {
                return Err(bad("more hashes than a segment has"));
            }
            for _ in 0..n {
                list.push(r.array()?);
            }
        }
        let signature: [u8; 65] = r.array()?;
        if !r.0.is_empty() {
            return Err(bad("trailing bytes"));
        }
        let [states, traces] = lists;
        if states.len() < 2 || traces.len() + 1 != states.len() {
            return Err(bad("a segment has k + 1 states and k traces, k ≥ 1"));
        }
        Ok(Self {
            question: Question {
                market,
                task,
                result_root,
                segment,
            },
            states,
            traces,
            signature,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.0.len() < n {
            return Err(Error::Malformed("truncated".into()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::SignerSync;
    use alloy::signers::local::PrivateKeySigner;

    fn question() -> Question {
        Question {
            market: Address::repeat_byte(0x11),
            task: 3,
            result_root: [7; 32],
            segment: 2,
        }
    }

    fn signed(key: &PrivateKeySigner, q: &Question, states: Vec<Hash>) -> Index {
        let traces: Vec<Hash> = (1..states.len() as u8).map(|i| [0x70 + i; 32]).collect();
        let digest = Index::digest(q, &states, &traces).expect("lists");
        let signature = key
            .sign_message_sync(digest.as_slice())
            .expect("signs")
            .as_bytes();
        Index {
            question: *q,
            states,
            traces,
            signature,
        }
    }

    #[test]
    fn an_index_is_accepted_only_from_the_solver_with_the_committed_ends() {
        let (solver, other) = (PrivateKeySigner::random(), PrivateKeySigner::random());
        let q = question();
        let states = vec![[1; 32], [2; 32], [3; 32]];
        let index = signed(&solver, &q, states.clone());
        let decoded = Index::decode(&index.encode()).expect("decodes");
        assert_eq!(decoded, index);
        assert_eq!(
            index.check(&q, solver.address(), &[1; 32], &[3; 32]),
            Ok(())
        );
        // A relaying peer's own signature, or one over other states, is not the solver's.
        let forged = signed(&other, &q, states.clone());
        assert!(matches!(
            forged.check(&q, solver.address(), &[1; 32], &[3; 32]),
            Err(Error::Signer { .. })
        ));
        // The same signature re-encoded (another v) is refused: the contract would refuse it.
        let mut other_v = index.clone();
        other_v.signature[64] -= 27;
        assert!(matches!(
            other_v.check(&q, solver.address(), &[1; 32], &[3; 32]),
            Err(Error::Malformed(_))
        ));
        let mut changed = index.clone();
        changed.states[1] = [9; 32];
        assert!(matches!(
            changed.check(&q, solver.address(), &[1; 32], &[3; 32]),
            Err(Error::Signer { .. })
        ));
        // Ends that are not the committed checkpoints, another segment or task.
        assert_eq!(
            index.check(&q, solver.address(), &[0; 32], &[3; 32]),
            Err(Error::Ends { which: "first" })
        );
        assert_eq!(
            index.check(&q, solver.address(), &[1; 32], &[0; 32]),
            Err(Error::Ends { which: "last" })
        );
        let other_segment = Question { segment: 1, ..q };
        assert!(matches!(
            index.check(&other_segment, solver.address(), &[1; 32], &[3; 32]),
            Err(Error::Question { .. })
        ));
        assert_ne!(q.name(), other_segment.name());
        assert_ne!(q.name(), Question { task: 4, ..q }.name());
    }

    #[test]
    fn malformed_indexes_are_errors_not_panics() {
        let key = PrivateKeySigner::random();
        let bytes = signed(&key, &question(), vec![[1; 32], [2; 32]]).encode();
        for n in 0..bytes.len() {
            assert!(Index::decode(&bytes[..n]).is_err(), "cut at {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Index::decode(&longer).is_err());
        // One state and no trace: not a segment.
        let one = Index {
            states: vec![[1; 32]],
            traces: vec![],
            ..signed(&key, &question(), vec![[1; 32], [2; 32]])
        };
        assert!(Index::decode(&one.encode()).is_err());
        // A count past any segment is refused before anything is read for it.
        let mut huge = bytes[..8 + 20 + 8 + 8 + 32].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Index::decode(&huge),
            Err(Error::Malformed(why)) if why.contains("more hashes")
        ));
    }

    /// What a *pass* names is what `Dispute.namePass` recomputes: the two roots as the
    /// contract builds them (`postSteps`' root, a Merkle tree of the trace roots).
    #[test]
    fn a_pass_names_the_roots_the_contract_recomputes() {
        let key = PrivateKeySigner::random();
        let index = signed(&key, &question(), vec![[1; 32], [2; 32], [3; 32], [4; 32]]);
        let (states, traces) = index.roots().expect("roots");
        assert_eq!(
            states,
            merkle::root_of_payloads(&index.states).expect("root")
        );
        assert_eq!(
            traces,
            merkle::root_of_payloads(&index.traces).expect("root")
        );
    }
}
