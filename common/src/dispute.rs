//! The challenger's reasoning in the dispute game (DESIGN §6), on data the solver served:
//!
//! - move 2, [`pick_step`]: which step of the segment to dispute. The challenger re-runs every
//!   step from the solver's own per-step state and compares the *update* it gets with the one
//!   the solver posted; the earliest step whose update is clearly wrong is picked, else the one
//!   furthest from its own. Comparing
//!   updates rather than states keeps a 1% change of the learning rate visible: it moves the
//!   weights by 1% of one update, far below tier 1's whole-state tolerance.
//! - move 4, [`find_fault`]: what in the picked step's trace is provably wrong. In order: a state
//!   slot that is not the posted start state (link), a loaded row that is not the data set row
//!   the batch rule names (data), an op output outside its tier-2 bound (op), a next-state slot
//!   that is not the posted end state (link). Each is then built into the move the contract takes
//!   by [`Fault::proof`].
//!
//! Both are deterministic functions of public data, so any node reaches the same verdict.

use crate::chain::bindings::dispute::Dispute;
use crate::check::{self, Class};
use crate::engine::{self, Engine};
use crate::merkle::Hash;
use crate::program::{Op, Program};
use crate::prove::{self, Committed};
use crate::tensor::Tensor;
use crate::tolerance::TINY;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the solver's per-step states are {got}; a segment of k = {interval} needs {expected}")]
    StateCount {
        got: usize,
        expected: usize,
        interval: u64,
    },
    #[error("the posted start state has {got} tensors; the program's state has {expected}")]
    StateTensors { got: usize, expected: usize },
    #[error("the solver's trace does not fit the program: {0}")]
    Trace(#[from] check::Error),
    #[error(transparent)]
    Engine(#[from] engine::Error),
    #[error(transparent)]
    Prove(#[from] prove::Error),
}

/// The step picked in a segment, and how far the solver's update is from the challenger's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// Offset in the segment, `0 ≤ step < k`.
    pub step: u64,
    /// `‖Δ_solver − Δ_own‖ / ‖Δ_own‖`, worst over the state's tensors.
    pub distance: f64,
}

/// The update distance of one step, worst over tensors (infinite for a shape change, or a NaN
/// or infinity of the solver's where the challenger's own step is finite).
pub fn update_distance(start: &[Tensor], own: &[Tensor], theirs: &[Tensor]) -> f64 {
    if own.len() != theirs.len() || start.len() != own.len() {
        return f64::INFINITY;
    }
    let mut worst = 0.0f64;
    for ((s, o), t) in start.iter().zip(own).zip(theirs) {
        if t.rows() != o.rows() || t.cols() != o.cols() || s.data().len() != o.data().len() {
            return f64::INFINITY;
        }
        let (mut diff, mut norm) = (0.0f64, 0.0f64);
        for ((&s, &o), &t) in s.data().iter().zip(o.data()).zip(t.data()) {
            // Where the challenger's own step diverged, nothing is provable: left out (AUDIT
            // H3 (c)), as in tier 1.
            if !o.is_finite() || !s.is_finite() {
                continue;
            }
            if !t.is_finite() {
                return f64::INFINITY;
            }
            let d = f64::from(t) - f64::from(o);
            let u = f64::from(o) - f64::from(s);
            diff += d * d;
            norm += u * u;
        }
        if diff > 0.0 {
            worst = worst.max(diff.sqrt() / norm.sqrt().max(TINY));
        }
    }
    worst
}

/// An update that differs from the challenger's own by more than this share of it is far past
/// any honest drift of one step (which is near the unit roundoff): the earliest such step is
/// picked.
pub const CLEARLY_WRONG: f64 = 0.1;

/// Move 2: re-runs each step of segment `segment` from the solver's per-step states (`k + 1`)
/// and picks the *earliest* step whose update differs from the solver's by more than
/// [`CLEARLY_WRONG`], or else the step whose update differs most. The earliest, not the worst:
/// a cheater's first wrong step is provable from the honest state before it, while a later,
/// worse one may start from a state nothing can be proven from (a NaN it claimed where rule 2
/// of PROTOCOL §7 lets any claim pass: review 4, F1).
pub fn pick_step(
    engine: &Engine,
    states: &[Vec<Tensor>],
    interval: u64,
    segment: u64,
) -> Result<Pick, Error> {
    if states.len() as u64 != interval + 1 {
        return Err(Error::StateCount {
            got: states.len(),
            expected: interval as usize + 1,
            interval,
        });
    }
    let mut best = Pick {
        step: 0,
        distance: -1.0,
    };
    for i in 0..interval {
        let start = &states[i as usize];
        let theirs = &states[i as usize + 1];
        let distance = match engine.upload(start) {
            Ok(s) => {
                let own = engine.download(engine.step(s, segment * interval + i).0)?;
                update_distance(start, &own, theirs)
            }
            // A start state of the wrong shape: its own step is the one to dispute.
            Err(_) => f64::INFINITY,
        };
        if distance > CLEARLY_WRONG {
            return Ok(Pick { step: i, distance });
        }
        if distance > best.distance {
            best = Pick { step: i, distance };
        }
    }
    Ok(best)
}

/// What in a step's trace is provably wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// State slot `index` is not tensor `index` of the posted start state.
    StartLink { index: usize },
    /// Row `row` of load op `op` is not the data set row the batch rule names.
    Load { op: usize, row: u32 },
    /// Value `(row, col)` of op `op`'s output is outside its tier-2 bound.
    Op { op: usize, row: u32, col: u32 },
    /// The slot that becomes state tensor `index` is not tensor `index` of the posted end state.
    NextLink { index: usize },
}

/// One step as the solver served it, and what the chain fixes about it.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    pub program: &'a Program,
    pub dataset: &'a Tensor,
    pub seed: &'a Hash,
    pub class: Class,
    /// The step's number in the task.
    pub step: u64,
    /// The trace the solver committed with `postTrace`.
    pub slots: &'a [Tensor],
    /// The posted states at the step's start and end.
    pub start: &'a [Tensor],
    pub next: &'a [Tensor],
}

fn same(a: &Tensor, b: &Tensor) -> bool {
    a.commit().hash == b.commit().hash
}

/// Move 4: the first provable fault of the served step, or `None` if it is honest. Decides as
/// the contract does (AUDIT H4): an op output of another shape than the op's descriptor is fraud
/// by itself (`WrongShape`; for a load, a data proof), so a mis-shaped trace is proven, not
/// refused. Only a trace whose *state* slots are mis-shaped (and equal to the posted start
/// state) is an error: the fault lies in the step that made that state.
pub fn find_fault(s: &Served<'_>) -> Result<Option<Fault>, Error> {
    let step = check::Step {
        program: s.program,
        slots: s.slots,
        dataset: Some(s.dataset),
        seed: s.seed,
        step: s.step,
        class: s.class,
    };
    let shapes = s.program.validate().map_err(check::Error::from)?;
    if s.slots.len() != shapes.len() {
        return Err(check::Error::TraceLength {
            expected: shapes.len(),
            got: s.slots.len(),
        }
        .into());
    }
    if s.start.len() != s.program.state.len() {
        // Not a state of the program: the fault is in the step that made it.
        return Err(Error::StateTensors {
            got: s.start.len(),
            expected: s.program.state.len(),
        });
    }
    for (index, t) in s.start.iter().enumerate() {
        if !same(&s.slots[index], t) {
            return Ok(Some(Fault::StartLink { index }));
        }
    }
    for (op, o) in s.program.ops.iter().enumerate() {
        let slot = s.program.output_slot(op) as usize;
        let out = &s.slots[slot];
        if crate::program::Shape::new(out.rows(), out.cols()) != shapes[slot] {
            return Ok(Some(match o {
                Op::LoadRows { .. } => Fault::Load { op, row: 0 },
                _ => Fault::Op { op, row: 0, col: 0 },
            }));
        }
    }
    step.validate()?;
    for (op, o) in s.program.ops.iter().enumerate() {
        let &Op::LoadRows { batch, sequential } = o else {
            continue;
        };
        let out = &s.slots[s.program.output_slot(op) as usize];
        for row in 0..out.rows() {
            let source =
                prove::load_source(batch, sequential, s.seed, s.step, row, s.dataset.rows());
            let want = s.dataset.row(source).map_err(prove::Error::from)?;
            let got = out.row(row).map_err(prove::Error::from)?;
            if want
                .iter()
                .map(|v| v.to_bits())
                .ne(got.iter().map(|v| v.to_bits()))
            {
                return Ok(Some(Fault::Load { op, row }));
            }
        }
    }
    for (op, o) in s.program.ops.iter().enumerate() {
        if matches!(o, Op::LoadRows { .. }) {
            continue;
        }
        let out = &s.slots[s.program.output_slot(op) as usize];
        for row in 0..out.rows() {
            for col in 0..out.cols() {
                if !step.check_recorded(op, row, col)?.accepted {
                    return Ok(Some(Fault::Op { op, row, col }));
                }
            }
        }
    }
    for (index, &slot) in s.program.next_state.iter().enumerate() {
        match s.next.get(index) {
            Some(t) if same(&s.slots[slot as usize], t) => {}
            _ => return Ok(Some(Fault::NextLink { index })),
        }
    }
    Ok(None)
}

/// A move 4, as the market takes it.
#[derive(Debug, Clone)]
pub enum Proof {
    /// `proveOp(game, blob)`.
    Op(Vec<u8>),
    /// `proveLoad(game, blob)`.
    Load(Vec<u8>),
    /// `proveLink(game, link)`.
    Link(Dispute::Link),
}

impl Fault {
    /// The proof of this fault. `states` are the segment's posted per-step state hashes and
    /// `offset` the picked step's place among them.
    pub fn proof(&self, s: &Served<'_>, states: &[Hash], offset: u64) -> Result<Proof, Error> {
        let committed = Committed::of_slots(s.program, s.slots)?;
        Ok(match *self {
            Fault::Op { op, row, col } => {
                Proof::Op(prove::op_blob(&committed.op_proof(s.class, op, row, col)?))
            }
            Fault::Load { op, row } => Proof::Load(prove::load_blob(
                &committed.load_proof(s.dataset, s.seed, s.step, op, row)?,
            )),
            Fault::StartLink { index } => Proof::Link(prove::link_move(
                &committed.link_proof(s.start, false, index)?,
                s.program.layout(),
                states,
                offset,
            )?),
            Fault::NextLink { index } => Proof::Link(prove::link_move(
                &committed.link_proof(s.next, true, index)?,
                s.program.layout(),
                states,
                offset,
            )?),
        })
    }
}
