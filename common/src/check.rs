//! The tier-2 checker, DESIGN §5: given one op of a step, its inputs and one claimed output
//! value, decide whether the value could have come from an honest IEEE-754 implementation —
//! any order of operations, any fused multiply-add, any flush of subnormals — or not.
//!
//! The decision is made in integers exactly as the contract makes it (`contracts/src/prover`),
//! so the two agree on every input: a dot product in a window of fixed point below its largest
//! product, whose truncations only widen what is accepted; the softmax in 120-bit fixed point
//! with a rigorous `exp`. docs/PROTOCOL.md §7 derives every bound and states the rules for NaN,
//! infinities and overflow, which are these:
//!
//! 1. an input that the value depends on is NaN or infinite: any claim is accepted (the fault, if
//!    any, is in the op that produced that input, where it can be proven), but a dot product
//!    accepts a finite claim only where every non-finite factor meets a zero (then the other
//!    terms decide);
//! 2. some honest way of computing the value could overflow: a NaN or infinite claim is
//!    accepted (a finite one is still judged by the bound);
//! 3. otherwise the claim must be finite and within the bound.

use alloy::primitives::Uint;
use serde::{Deserialize, Serialize};

use crate::batch;
use crate::merkle::Hash;
use crate::program::{MAX_DIM, Op, Program, Shape, Slot};
use crate::tensor::Tensor;

/// Wider than any integer of the decision (each stays below 2^255, as on chain), so that Rust
/// computes the contract's integers without a thought for overflow.
type W = Uint<768, 12>;

/// How a task lets matrix products round their inputs (DESIGN §5). Element-wise ops are fp32 in
/// every class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Inputs used as they are.
    #[default]
    Fp32,
    /// Inputs rounded to 10-bit mantissas (relative error ≤ 2^-11 each).
    Tf32,
    /// Inputs rounded to 7-bit mantissas (relative error ≤ 2^-8 each).
    Bf16,
}

impl Class {
    /// `ε_in·2^24`, with `ε_in = (1+δ)² − 1 = 2δ + δ²` for input rounding `δ`.
    fn eps_in_units(self) -> u64 {
        match self {
            Class::Fp32 => 0,
            Class::Tf32 => (1 << 14) + 4,        // 2^-10 + 2^-22
            Class::Bf16 => (1 << 17) + (1 << 8), // 2^-7 + 2^-16
        }
    }

    /// The least f32 magnitude (as bits) that the class's input rounding (to nearest) takes to
    /// infinity: `2^128 − 2^116` for tf32, `2^128 − 2^119` for bf16; none for fp32.
    fn rounds_to_infinity_from(self) -> Option<u32> {
        match self {
            Class::Fp32 => None,
            Class::Tf32 => Some(0x7f7f_f000),
            Class::Bf16 => Some(0x7f7f_8000),
        }
    }
}

/// Why a claim was accepted or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Within the bound.
    WithinBound,
    /// Rule 1: an input is NaN or infinite.
    NonFiniteInput,
    /// Rule 2: the computation could overflow.
    MayOverflow,
    /// Rule 3: the claim is NaN or infinite where the honest value is finite.
    NonFiniteClaim,
    /// Outside the bound.
    OutsideBound,
}

/// The checker's answer about one value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub accepted: bool,
    pub reason: Reason,
    /// The exact value, rounded to f64 (for reports; the decision used integers).
    pub exact: f64,
    /// How far below `exact` a claim may lie and pass, rounded to f64 (likewise).
    pub below: f64,
    /// How far above `exact` a claim may lie and pass, rounded to f64 (likewise).
    pub above: f64,
}

impl Verdict {
    /// Rule 3 for a finite claim: it passes if it is `within` the bound.
    fn decide(within: bool, exact: f64, below: f64, above: f64) -> Self {
        Self {
            accepted: within,
            reason: if within {
                Reason::WithinBound
            } else {
                Reason::OutsideBound
            },
            exact,
            below,
            above,
        }
    }

    fn reject(reason: Reason, exact: f64, below: f64, above: f64) -> Self {
        Self {
            accepted: false,
            reason,
            exact,
            below,
            above,
        }
    }

    fn accept_unchecked(reason: Reason) -> Self {
        Self {
            accepted: true,
            reason,
            exact: f64::NAN,
            below: f64::INFINITY,
            above: f64::INFINITY,
        }
    }

    /// The larger distance from `exact` a claim may lie at and pass.
    pub fn bound(&self) -> f64 {
        self.below.max(self.above)
    }
}

/// What can make a check impossible to run (not a verdict: malformed questions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("op {op} is not an op of the program ({ops} ops)")]
    NoSuchOp { op: usize, ops: usize },
    #[error("the trace has {got} slots where the program has {expected}")]
    TraceLength { expected: usize, got: usize },
    #[error("slot {slot} is {got} in the trace, the program makes it {expected}")]
    SlotShape {
        slot: Slot,
        expected: Shape,
        got: Shape,
    },
    #[error("value ({row}, {col}) is outside op {op}'s {shape} output")]
    OutOfRange {
        op: usize,
        row: u32,
        col: u32,
        shape: Shape,
    },
    #[error("the program loads rows but no data set was given")]
    NoDataset,
    #[error(transparent)]
    Program(#[from] crate::program::Error),
}

/// Everything a check reads: the program, one step's trace, the task's data and seed.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub program: &'a Program,
    pub slots: &'a [Tensor],
    pub dataset: Option<&'a Tensor>,
    pub seed: &'a Hash,
    pub step: u64,
    pub class: Class,
}

impl Step<'_> {
    /// Checks that the trace has the program's slots, with their shapes.
    pub fn validate(&self) -> Result<(), Error> {
        let shapes = self.program.validate()?;
        if shapes.len() != self.slots.len() {
            return Err(Error::TraceLength {
                expected: shapes.len(),
                got: self.slots.len(),
            });
        }
        for (slot, (t, &expected)) in self.slots.iter().zip(&shapes).enumerate() {
            let got = Shape::new(t.rows(), t.cols());
            if got != expected {
                return Err(Error::SlotShape {
                    slot: slot as Slot,
                    expected,
                    got,
                });
            }
        }
        Ok(())
    }

    fn value(&self, slot: Slot, row: u32, col: u32) -> f32 {
        let t = &self.slots[slot as usize];
        t.data()[row as usize * t.cols() as usize + col as usize]
    }

    fn row(&self, slot: Slot, row: u32) -> &[f32] {
        self.slots[slot as usize]
            .row(row)
            .expect("rows are checked against the output shape")
    }

    /// Judges the value the trace holds at `(row, col)` of op `op`'s output.
    pub fn check_recorded(&self, op: usize, row: u32, col: u32) -> Result<Verdict, Error> {
        let claim = self.value(self.program.output_slot(op), row, col);
        self.check(op, row, col, claim)
    }

    /// Judges `claim` as the value at `(row, col)` of op `op`'s output. The trace must have
    /// passed [`Step::validate`] (slots are indexed as the program lays them out).
    pub fn check(&self, op: usize, row: u32, col: u32, claim: f32) -> Result<Verdict, Error> {
        Ok(self.question(op, row, col)?.judge(claim))
    }

    /// What judging the value at `(row, col)` of op `op`'s output reads: the question the
    /// contract answers for the same op, given the same inputs.
    pub fn question(&self, op: usize, row: u32, col: u32) -> Result<Question, Error> {
        let ops = self.program.ops.len();
        let o = *self
            .program
            .ops
            .get(op)
            .ok_or(Error::NoSuchOp { op, ops })?;
        let out = &self.slots[self.program.output_slot(op) as usize];
        let shape = Shape::new(out.rows(), out.cols());
        if row >= shape.rows || col >= shape.cols {
            return Err(Error::OutOfRange {
                op,
                row,
                col,
                shape,
            });
        }
        let (r, c) = (row, col);
        let one = 1.0f32;
        let question = match o {
            Op::LoadRows { batch, sequential } => {
                let data = self.dataset.ok_or(Error::NoDataset)?;
                let n = data.rows();
                let source = if sequential {
                    ((self.step * u64::from(batch) + u64::from(r)) % u64::from(n)) as u32
                } else {
                    batch::row_index(self.seed, self.step, r, n)
                };
                let v = data.data()[source as usize * data.cols() as usize + c as usize];
                Question::exact(&[v], &[v])
            }
            Op::SliceCols { input, start, .. } => {
                let v = self.value(input, r, start + c);
                Question::exact(&[v], &[v])
            }
            Op::Transpose { input } => {
                let v = self.value(input, c, r);
                Question::exact(&[v], &[v])
            }
            Op::MatmulNt { a, b } => {
                let terms: Vec<(f32, f32)> = self
                    .row(a, r)
                    .iter()
                    .copied()
                    .zip(self.row(b, c).iter().copied())
                    .collect();
                Question::Dot {
                    terms,
                    class: self.class,
                }
            }
            Op::AddBias { input, bias } => Question::Dot {
                terms: vec![
                    (self.value(input, r, c), one),
                    (self.value(bias, 0, c), one),
                ],
                class: Class::Fp32,
            },
            Op::RowSum { input } => {
                let terms: Vec<(f32, f32)> = self.row(input, c).iter().map(|&v| (v, one)).collect();
                Question::Dot {
                    terms,
                    class: Class::Fp32,
                }
            }
            Op::Momentum {
                velocity,
                grad,
                momentum,
            } => Question::Dot {
                terms: vec![
                    (momentum, self.value(velocity, r, c)),
                    (one, self.value(grad, r, c)),
                ],
                class: Class::Fp32,
            },
            Op::SgdUpdate {
                param,
                velocity,
                lr,
            } => Question::Dot {
                terms: vec![
                    (one, self.value(param, r, c)),
                    (-lr, self.value(velocity, r, c)),
                ],
                class: Class::Fp32,
            },
            Op::Relu { input } => {
                let x = self.value(input, r, c);
                let value = if x > 0.0 { x } else { 0.0 };
                // A flushed subnormal input gives 0.
                let values: &[f32] = if is_subnormal(x) && x > 0.0 {
                    &[value, 0.0]
                } else {
                    &[value]
                };
                Question::exact(values, &[x])
            }
            Op::ReluGrad { grad, pre } => {
                let (g, p) = (self.value(grad, r, c), self.value(pre, r, c));
                let value = if p > 0.0 { g } else { 0.0 };
                // A flushed `pre` may zero the gradient; a flushed `grad` is zero.
                let values: &[f32] = if (p > 0.0 && is_subnormal(p)) || is_subnormal(g) {
                    &[value, 0.0]
                } else {
                    &[value]
                };
                Question::exact(values, &[g, p])
            }
            Op::SoftmaxXentGrad {
                logits,
                labels,
                scale,
            } => Question::Softmax {
                logits: self.row(logits, r).to_vec(),
                label: self.value(labels, r, 0),
                j: c,
                scale,
            },
        };
        Ok(question)
    }
}

/// A finite f32 as `±m·2^e` with `m < 2^24`.
#[derive(Debug, Clone, Copy)]
struct Float {
    negative: bool,
    m: u64,
    e: i32,
}

impl Float {
    /// `None` for NaN and infinities.
    fn decode(x: f32) -> Option<Self> {
        let bits = x.to_bits();
        let field = (bits >> 23) & 0xff;
        let fraction = u64::from(bits & 0x7f_ffff);
        let negative = bits >> 31 == 1;
        match field {
            0xff => None,
            0 => Some(Self {
                negative,
                m: fraction,
                e: -149,
            }),
            _ => Some(Self {
                negative,
                m: fraction | 1 << 23,
                e: field as i32 - 150,
            }),
        }
    }

    fn subnormal(&self) -> bool {
        self.m != 0 && self.m < 1 << 23
    }
}

/// One value's question to the checker: what it is computed from, and how it is judged. The
/// contract (`contracts/src/prover`) answers the same question from the same inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Question {
    /// `Σ a_i·b_i`, matrix products rounding their inputs as `class` allows.
    Dot {
        terms: Vec<(f32, f32)>,
        class: Class,
    },
    /// `(softmax(logits)[j] − [j = label])·scale`.
    Softmax {
        logits: Vec<f32>,
        label: f32,
        j: u32,
        scale: f32,
    },
    /// One of `values` exactly (`values[0]` the value, the rest what flushed subnormals give),
    /// unless one of `inputs` is NaN or infinite.
    Exact { values: Vec<f32>, inputs: Vec<f32> },
}

impl Question {
    fn exact(values: &[f32], inputs: &[f32]) -> Self {
        Self::Exact {
            values: values.to_vec(),
            inputs: inputs.to_vec(),
        }
    }

    /// The verdict on `claim` as the answer.
    pub fn judge(&self, claim: f32) -> Verdict {
        match self {
            Self::Dot { terms, class } => dot(terms, *class, claim),
            Self::Softmax {
                logits,
                label,
                j,
                scale,
            } => softmax_xent_grad(logits, *label, *j, *scale, claim),
            Self::Exact { values, inputs } => exact(values, inputs, claim),
        }
    }
}

/// The biased exponent field of an f32 (0 for zeros and subnormals).
fn field(x: f32) -> i32 {
    ((x.to_bits() >> 23) & 0xff) as i32
}

fn is_subnormal(x: f32) -> bool {
    x != 0.0 && x.is_subnormal()
}

/// `x·2^shift`, rounded down when `shift < 0` (shifts of 768 bits or more give 0, as the EVM's
/// `shr` does from 256).
fn shifted(x: W, shift: i32) -> W {
    if shift >= 0 {
        x << shift as usize
    } else {
        x >> (-shift) as usize
    }
}

/// Marks an intermediate the contract holds in one 256-bit word; tests fail if it would not fit.
fn word(x: W) -> W {
    debug_assert!(x.bit_len() < 256, "{x} does not fit the contract's word");
    x
}

fn ceil_div(x: W, d: W) -> W {
    (x + d - W::from(1u64)) / d
}

fn f64_of(w: W, exponent: i32) -> f64 {
    let bits = w.bit_len();
    let shift = bits.saturating_sub(64);
    let top = (w >> shift).to::<u64>();
    top as f64 * 2f64.powi(shift as i32 + exponent)
}

/// A signed integer as sign and magnitude.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Signed {
    negative: bool,
    magnitude: W,
}

impl Signed {
    fn new(negative: bool, magnitude: W) -> Self {
        Self {
            negative: negative && magnitude != W::ZERO,
            magnitude,
        }
    }

    fn difference(pos: W, neg: W) -> Self {
        if pos >= neg {
            Self::new(false, pos - neg)
        } else {
            Self::new(true, neg - pos)
        }
    }

    fn add(self, other: Self) -> Self {
        match (self.negative, other.negative) {
            (false, false) => Self::new(false, self.magnitude + other.magnitude),
            (true, true) => Self::new(true, self.magnitude + other.magnitude),
            (false, true) => Self::difference(self.magnitude, other.magnitude),
            (true, false) => Self::difference(other.magnitude, self.magnitude),
        }
    }

    fn neg(self) -> Self {
        Self::new(!self.negative, self.magnitude)
    }

    fn sub(self, other: Self) -> Self {
        self.add(other.neg())
    }

    fn mul(self, m: W) -> Self {
        Self::new(self.negative, word(self.magnitude * m))
    }

    fn gt(self, other: Self) -> bool {
        let d = self.sub(other);
        !d.negative && d.magnitude != W::ZERO
    }

    fn to_f64(self, exponent: i32) -> f64 {
        let v = f64_of(self.magnitude, exponent);
        if self.negative { -v } else { v }
    }
}

/// The on-chain window (PROTOCOL §7): a dot product's integers count units of `2^F`,
/// `F = max(G − WINDOW, FLOOR)`, `G = max_i(field(a_i) + field(b_i)) − 300` over the biased
/// exponent fields, an upper bound of every `e_a + e_b + 2`.
const WINDOW: i32 = 120;
const FLOOR: i32 = -186;
/// A claim `2^CLAIM_REACH` units or more from zero is outside every bound the window can hold.
const CLAIM_REACH: i32 = 200;
/// With `F` at or below this, no order of the sum can overflow f32.
const NO_OVERFLOW_BELOW: i32 = -77;

/// A dot product `Σ a_i·b_i` (every arithmetic op but the softmax is one), judged against
/// `(ε_in + γ_n + ε_in·γ_n)·Σ|a_i·b_i| + 4n·2^-126 + Σ_{subnormal a_i or b_i}|a_i·b_i|`,
/// `γ_n = n·u/(1 − n·u)`, `u = 2^-24`, in integers of the window, each rounding of which only
/// widens what is accepted (PROTOCOL §7).
fn dot(terms: &[(f32, f32)], class: Class, claim: f32) -> Verdict {
    let mut decoded = Vec::with_capacity(terms.len());
    for &(a, b) in terms {
        match (Float::decode(a), Float::decode(b)) {
            (Some(a), Some(b)) => decoded.push((a, b)),
            _ => return non_finite_terms(terms, class, claim),
        }
    }
    let n = terms.len() as u64;
    assert!(
        n >= 1 && n <= u64::from(MAX_DIM),
        "Program::validate keeps every dot product within 1..=MAX_DIM terms"
    );
    // G from the raw exponent fields of every term, zeros included: cheap on chain (a word of
    // eight values at a time), at most 2 above any e_a + e_b, and a zero's e = -149 keeps its
    // products below 2^-45, where the window's slack is far below the bound's 4n·2^-126.
    let top = terms
        .iter()
        .map(|(a, b)| field(*a) + field(*b) - 300)
        .max()
        .expect("at least one term");
    let f = (top - WINDOW).max(FLOOR);
    let one = W::from(1u64);
    let (mut pos, mut neg, mut magnitude, mut flushable) = (W::ZERO, W::ZERO, W::ZERO, W::ZERO);
    for (a, b) in &decoded {
        let p = shifted(W::from(a.m * b.m), a.e + b.e - f);
        if a.negative != b.negative {
            neg += p;
        } else {
            pos += p;
        }
        magnitude += p + one;
        if a.subnormal() || b.subnormal() {
            flushable += p + one;
        }
    }
    let exact = Signed::difference(pos, neg);
    let big = |x: u64| W::from(x);
    let denominator = big((1 << 24) - n);
    let alpha = big(class.eps_in_units() + n);
    let tiny = if f <= -126 {
        big(4 * n) << (-126 - f) as usize
    } else {
        ((big(4 * n) - one) >> (f + 126) as usize) + one
    };
    // |c − C·2^F| < n·2^F and |x − X·2^F| < 2^F.
    let slack = big(n + 1);
    let rhs = word(alpha * magnitude + (tiny + flushable) * denominator);
    let bound = f64_of(rhs, f) / ((1u64 << 24) - n) as f64 + f64_of(slack, f);
    let exact_f64 = exact.to_f64(f);
    // Rule 2 excuses only a non-finite claim: an infinity never leaves a sum, so a finite result
    // means nothing overflowed, and the bound holds for it (review 4, F1).
    let Some(x) = Float::decode(claim) else {
        let rounded_to_infinity = class.rounds_to_infinity_from().is_some_and(|from| {
            terms
                .iter()
                .any(|(a, b)| (a.to_bits() & 0x7fff_ffff).max(b.to_bits() & 0x7fff_ffff) >= from)
        });
        if rounded_to_infinity
            || (f > NO_OVERFLOW_BELOW && may_overflow(&decoded, f, class, (pos, neg), tiny))
        {
            return Verdict::accept_unchecked(Reason::MayOverflow);
        }
        return Verdict::reject(Reason::NonFiniteClaim, exact_f64, bound, bound);
    };
    let outside = || {
        if x.m != 0 && x.e - f > CLAIM_REACH {
            return true;
        }
        let distance = Signed::new(x.negative, shifted(W::from(x.m), x.e - f)).sub(exact);
        distance.magnitude > slack && word((distance.magnitude - slack) * denominator) > rhs
    };
    Verdict::decide(!outside(), exact_f64, bound, bound)
}

/// Rule 1 for a dot product (PROTOCOL §7): a term with a NaN or infinite factor makes the IEEE
/// value non-finite (`∞·0` is NaN), so a non-finite claim passes. A finite one is honest only
/// where a kernel skips zero terms (reference BLAS does, and so may a compiler folding `0·x`):
/// every non-finite factor must meet a zero, and the claim is judged as the sum of the other
/// terms (0 if there are none). Review 5, 6: excusing every claim let a cheater post any finite
/// weights once an honest run had overflowed.
fn non_finite_terms(terms: &[(f32, f32)], class: Class, claim: f32) -> Verdict {
    if !claim.is_finite() {
        return Verdict::accept_unchecked(Reason::NonFiniteInput);
    }
    let finite = |&(a, b): &(f32, f32)| a.is_finite() && b.is_finite();
    if !terms.iter().all(|t| finite(t) || t.0 == 0.0 || t.1 == 0.0) {
        return Verdict::reject(Reason::OutsideBound, f64::NAN, 0.0, 0.0);
    }
    let rest: Vec<(f32, f32)> = terms.iter().copied().filter(finite).collect();
    if rest.is_empty() {
        return Verdict::decide(claim == 0.0, 0.0, 0.0, 0.0);
    }
    dot(&rest, class, claim)
}

/// Rule 2 of PROTOCOL §7 (the part past the inputs a class rounds to infinity, which the caller
/// tests): whether some way of computing `Σ a_i·b_i` (any order, fused or not, inputs rounded
/// as `class` allows, subnormals flushed) may round a value to infinity, i.e.
/// whether a value before an operation's own rounding may reach `T = 2^128 − 2^103`, the least
/// that rounds to infinity. Every operation sums some of the terms, whose exact sum lies in
/// `[−N, P]` (the negative and the positive parts); the roundings below it add at most
/// `ε_in + γ_{n−1}` of the inexact products' magnitude and `ε_in + γ_{n−2}` of the exact ones
/// (a product that is an f32 itself rounds nothing), and a flush per operation. In units of
/// `2^f` (`pos`, `neg`: the parts rounded down), times `2^24 − n`:
///
/// ```text
/// (max(P, N) + n + tiny)·(2^24 − n) + ε_in·2^24·S + (n − 1)·S_inexact + (n − 2)⁺·S_exact
///     ≥ T·(2^24 − n)
/// ```
///
/// (`ε_in·2^24·S/(2^24 − n)` is `ε_in(1 + γ_n)·S`, which covers the cross term of
/// `(1 + ε_in)(1 + γ_{n−1}) − 1`)
///
/// (review 4, F1: the older test, `(1 + γ_n)·Σ|a_i·b_i|` against the largest f32, excused a NaN
/// for `add_bias(1, f32::MAX)` or `[1.8e38, −1.8e38]·[1, 1]`, which no order overflows).
fn may_overflow(decoded: &[(Float, Float)], f: i32, class: Class, sums: (W, W), tiny: W) -> bool {
    let big = |x: u64| W::from(x);
    let n = decoded.len() as u64;
    let (mut exact, mut inexact) = (W::ZERO, W::ZERO);
    for (a, b) in decoded {
        let p = shifted(W::from(a.m * b.m), a.e + b.e - f) + big(1);
        if class == Class::Fp32 && exact_product(a, b) {
            exact += p;
        } else {
            inexact += p;
        }
    }
    let denominator = big((1 << 24) - n);
    let (pos, neg) = sums;
    let largest = pos.max(neg) + big(n);
    let reach = word(
        (largest + tiny) * denominator
            + big(class.eps_in_units()) * (exact + inexact)
            + big(n - 1) * inexact
            + big(n.saturating_sub(2)) * exact,
    );
    reach >= word((big((1 << 25) - 1) << (103 - f) as usize) * denominator)
}

/// Whether `a·b` is an f32 itself, so that computing it rounds nothing: its significand fits 24
/// bits and its lowest bit is at least `2^-149`.
fn exact_product(a: &Float, b: &Float) -> bool {
    let q = a.m * b.m;
    if q == 0 {
        return true;
    }
    let zeros = q.trailing_zeros();
    q >> zeros < 1 << 24 && a.e + b.e + zeros as i32 >= -149
}

/// Ops that move data or select: the claim must equal one of the honest values as a real number
/// (±0 alike). `values[0]` is the value; the others are what a flushed subnormal may give.
fn exact(values: &[f32], inputs: &[f32], claim: f32) -> Verdict {
    if inputs.iter().any(|x| !x.is_finite()) {
        return Verdict::accept_unchecked(Reason::NonFiniteInput);
    }
    let value = f64::from(values[0]);
    let (below, above) = values.iter().fold((0.0f64, 0.0f64), |(lo, hi), &v| {
        let d = f64::from(v) - value;
        (lo.max(-d), hi.max(d))
    });
    if !claim.is_finite() {
        return Verdict::reject(Reason::NonFiniteClaim, value, below, above);
    }
    Verdict::decide(values.contains(&claim), value, below, above)
}

/// The softmax's fixed point: `2^-SOFTMAX_BITS` units.
const SOFTMAX_BITS: u32 = 120;
/// `exp(−88) < 2^-126`: an argument past it may give any result in `[0, 2^-126]`.
const FAR: u64 = 88;
/// Terms of the Taylor series of `exp(−t)`, `t < 0.69` (even, so the remainder is below it).
const TAYLOR_TERMS: u64 = 24;
/// `exp(−a) = exp(−a/2^HALVINGS)^(2^HALVINGS)`.
const HALVINGS: u32 = 7;

/// `exp(−a·2^-120)` in units of `2^-120`, rounded up (`upper`) or down, rigorously: the
/// alternating Taylor series of `exp(−t)`, `t = a/2^7`, with every term rounded outwards and the
/// first omitted term as the remainder, then squared seven times.
fn exp_neg(a: W, upper: bool) -> W {
    let one = W::from(1u64) << SOFTMAX_BITS as usize;
    let t = if upper {
        a >> HALVINGS as usize
    } else {
        ceil_div(a, W::from(1u64 << HALVINGS))
    };
    let (mut down, mut up) = (one, one); // t^i/i! rounded down and up
    let (mut even_down, mut even_up, mut odd_down, mut odd_up) = (one, one, W::ZERO, W::ZERO);
    for i in 1..=TAYLOR_TERMS + 1 {
        let d = W::from(i) * one;
        down = word(down * t) / d;
        up = ceil_div(word(up * t), d);
        if i == TAYLOR_TERMS + 1 {
            break;
        }
        if i % 2 == 0 {
            even_down += down;
            even_up += up;
        } else {
            odd_down += down;
            odd_up += up;
        }
    }
    let mut y = if upper {
        even_up - odd_down
    } else {
        even_down.saturating_sub(odd_up + up)
    };
    for _ in 0..HALVINGS {
        y = if upper {
            ceil_div(word(y * y), one)
        } else {
            word(y * y) / one
        };
    }
    y
}

/// `⌊x·2^120⌋` and `⌈x·2^120⌉`.
fn fixed(x: Float) -> (Signed, Signed) {
    let shift = x.e + SOFTMAX_BITS as i32;
    let m = W::from(x.m);
    let down = shifted(m, shift);
    let inexact = shifted(down, -shift) != m;
    let up = down + if inexact { W::from(1u64) } else { W::ZERO };
    if x.negative {
        (Signed::new(true, up), Signed::new(true, down))
    } else {
        (Signed::new(false, down), Signed::new(false, up))
    }
}

/// `(softmax(z)[j] − [j = label])·scale`, judged with an interval computed in fixed point with
/// every rounding outwards (PROTOCOL §7): `x̂ = fl(z − max z)` within `u|x|` (+ a flush), `exp`
/// within `(3 + 2|x̂|)` ulp (WGSL's limit), the sum within `γ_C`, the division within 4 ulp
/// (WGSL asks 2.5), the subtraction and the product with `scale` correctly rounded, and any
/// result possibly flushed.
fn softmax_xent_grad(z: &[f32], label: f32, j: u32, scale: f32, claim: f32) -> Verdict {
    let decoded: Option<Vec<Float>> = z.iter().map(|&v| Float::decode(v)).collect();
    let (Some(decoded), Some(s), true) = (decoded, Float::decode(scale), label.is_finite()) else {
        return Verdict::accept_unchecked(Reason::NonFiniteInput);
    };
    let classes = z.len() as u64;
    let one = W::from(1u64);
    let unit = one << SOFTMAX_BITS as usize;
    let bounds: Vec<(Signed, Signed)> = decoded.iter().map(|&x| fixed(x)).collect();
    let (mut max_lo, mut max_hi) = bounds[0];
    for &(lo, hi) in &bounds[1..] {
        if lo.gt(max_lo) {
            max_lo = lo;
        }
        if hi.gt(max_hi) {
            max_hi = hi;
        }
    }
    let ulps = |x: W, n: u64| ceil_div(x, W::from(1u64 << n));
    let far = W::from(FAR) << SOFTMAX_BITS as usize;
    let (mut e_lo, mut e_hi) = (Vec::new(), Vec::new());
    for &(lo, hi) in &bounds {
        // a = max − z ≥ 0, then the argument's rounding and flush.
        let a_lo = max_lo.sub(hi);
        let a_lo = if a_lo.negative {
            W::ZERO
        } else {
            a_lo.magnitude
        };
        let a_hi = max_hi.sub(lo).magnitude;
        let a_lo = a_lo.saturating_sub(ulps(a_lo, 24) + one);
        let a_hi = a_hi + ulps(a_hi, 24) + one;
        if a_lo > far {
            e_lo.push(W::ZERO);
            e_hi.push(one);
            continue;
        }
        let rho = W::from(3u64) + W::from(2u64) * ceil_div(a_hi, unit);
        let x_hi = exp_neg(a_lo, true);
        let x_lo = if a_hi > far {
            W::ZERO
        } else {
            exp_neg(a_hi, false)
        };
        e_hi.push(ceil_div(x_hi * (W::from(1u64 << 23) + rho), W::from(1u64 << 23)) + one);
        let lowered: W = (x_lo * (W::from(1u64 << 23) - rho)) >> 23usize;
        e_lo.push(lowered.saturating_sub(one));
    }
    let c = W::from(classes);
    let gamma_den = W::from(1u64 << 24) - c;
    let sum_lo = e_lo.iter().fold(W::ZERO, |acc, &e| acc + e);
    let sum_hi = e_hi.iter().fold(W::ZERO, |acc, &e| acc + e);
    let sum_lo = (sum_lo * (W::from(1u64 << 24) - c - c) / gamma_den).saturating_sub(c);
    let sum_hi = ceil_div(word(sum_hi << 24), gamma_den) + c;
    assert!(
        sum_lo > W::ZERO,
        "the largest logit's exp is about 1, far above every rounding"
    );
    let j = j as usize;
    let p_lo: W = word(word(e_lo[j] * unit) / sum_hi * W::from((1u64 << 23) - 4)) >> 23usize;
    let p_lo = p_lo.saturating_sub(one);
    let p_hi = ceil_div(
        word(ceil_div(word(e_hi[j] * unit), sum_lo) * W::from((1u64 << 23) + 4)),
        W::from(1u64 << 23),
    ) + one;
    let y = label == j as f32;
    let minus_y = |p: W| Signed::difference(p, if y { unit } else { W::ZERO });
    let (q_lo, q_hi) = (minus_y(p_lo), minus_y(p_hi));
    let widen = |lo: Signed, hi: Signed, extra: W| {
        let w = ulps(lo.magnitude.max(hi.magnitude), 24) + extra;
        (lo.sub(Signed::new(false, w)), hi.add(Signed::new(false, w)))
    };
    let (q_lo, q_hi) = widen(q_lo, q_hi, one);
    // Units of 2^(e_s − 120) from here on.
    let m_s = W::from(s.m);
    let (o_lo, o_hi) = if s.negative {
        (q_hi.mul(m_s).neg(), q_lo.mul(m_s).neg())
    } else {
        (q_lo.mul(m_s), q_hi.mul(m_s))
    };
    let flush = if -6 - s.e >= 0 {
        one << (-6 - s.e) as usize
    } else {
        one
    };
    let (o_lo, o_hi) = widen(o_lo, o_hi, flush);
    let units = s.e - SOFTMAX_BITS as i32;
    let exact_value = {
        let x: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
        let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = x.iter().map(|v| (v - max).exp()).sum();
        ((x[j] - max).exp() / sum - if y { 1.0 } else { 0.0 }) * f64::from(scale)
    };
    let (lo, hi) = (o_lo.to_f64(units), o_hi.to_f64(units));
    let (below, above) = ((exact_value - lo).max(0.0), (hi - exact_value).max(0.0));
    let Some(x) = Float::decode(claim) else {
        return Verdict::reject(Reason::NonFiniteClaim, exact_value, below, above);
    };
    let outside = || {
        if x.m == 0 {
            let zero = Signed::default();
            return o_lo.gt(zero) || zero.gt(o_hi);
        }
        let shift = x.e - units;
        if shift > 150 {
            return true;
        }
        let m = W::from(x.m);
        let down = shifted(m, shift);
        let inexact = shifted(down, -shift) != m;
        let up = down + if inexact { one } else { W::ZERO };
        let (x_lo, x_hi) = if x.negative {
            (Signed::new(true, up), Signed::new(true, down))
        } else {
            (Signed::new(false, down), Signed::new(false, up))
        };
        x_lo.gt(o_hi) || o_lo.gt(x_hi)
    };
    Verdict::decide(!outside(), exact_value, below, above)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot_claim(terms: &[(f32, f32)], claim: f32) -> Verdict {
        dot(terms, Class::Fp32, claim)
    }

    /// An independent reference: `|claim − c|` against the bound with `c` and `Σ|a·b|` exact,
    /// as 768-bit integers scaled by 2^298 (every f32 product is a multiple of 2^-298), with no
    /// window. Returns `(distance, bound)` scaled, or `None` for non-finite input.
    fn reference(terms: &[(f32, f32)], claim: f32) -> Option<(f64, f64)> {
        const SCALE: i32 = 298;
        let scaled = |a: f32, b: f32| {
            let (a, b) = (Float::decode(a)?, Float::decode(b)?);
            Some(Signed::new(
                a.negative != b.negative,
                shifted(W::from(a.m * b.m), a.e + b.e + SCALE),
            ))
        };
        let (mut c, mut m, mut flush) = (Signed::default(), W::ZERO, W::ZERO);
        for &(a, b) in terms {
            let p = scaled(a, b)?;
            c = c.add(p);
            m += p.magnitude;
            if is_subnormal(a) || is_subnormal(b) {
                flush += p.magnitude;
            }
        }
        let n = terms.len() as f64;
        let gamma = n / ((1u64 << 24) as f64 - n);
        let bound = gamma * f64_of(m, -SCALE) + 4.0 * n * 2f64.powi(-126) + f64_of(flush, -SCALE);
        let distance = scaled(claim, 1.0)?.sub(c);
        Some((f64_of(distance.magnitude, -SCALE), bound))
    }

    #[test]
    fn decode_is_exact_for_normals_subnormals_and_zero() {
        for x in [
            1.0f32,
            -1.5,
            f32::MAX,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            0.0,
            -0.0,
            3.25e-39,
        ] {
            let d = Float::decode(x).expect("finite");
            let back = (d.m as f64) * 2f64.powi(d.e) * if d.negative { -1.0 } else { 1.0 };
            assert_eq!(back, f64::from(x), "{x}");
            assert_eq!(d.subnormal(), is_subnormal(x), "{x}");
        }
        assert!(Float::decode(f32::NAN).is_none());
        assert!(Float::decode(f32::NEG_INFINITY).is_none());
    }

    #[test]
    fn exact_dot_products_cancel_exactly() {
        // 1e8 + 1 − 1e8 is 1 exactly; f32 loses the 1 in either order.
        let terms = [(1e8, 1.0), (1.0, 1.0), (-1e8, 1.0)];
        let v = dot_claim(&terms, 1.0);
        assert!(v.accepted);
        assert_eq!(v.exact, 1.0);
        // γ_3·(2e8 + 1) ≈ 36: any claim within it passes, one past it fails.
        assert!(dot_claim(&terms, 0.0).accepted);
        assert!(dot_claim(&terms, 30.0).accepted);
        assert!(!dot_claim(&terms, 40.0).accepted);
    }

    #[test]
    fn the_window_never_rejects_what_the_exact_bound_accepts_and_adds_almost_nothing() {
        let mut rng = crate::rng::SplitMix64(11);
        let f32_any = |rng: &mut crate::rng::SplitMix64| loop {
            // Any finite bit pattern, biased towards a few exponents so that sums cancel.
            let bits = rng.next_u64() as u32;
            let bits = if rng.below(2) == 0 {
                (bits & 0x807f_ffff) | ((120 + rng.below(16) as u32) << 23)
            } else {
                bits
            };
            let x = f32::from_bits(bits);
            if x.is_finite() {
                return x;
            }
        };
        let mut checked = 0;
        for _ in 0..3000 {
            let n = 1 + rng.below(40) as usize;
            let terms: Vec<(f32, f32)> = (0..n)
                .map(|_| (f32_any(&mut rng), f32_any(&mut rng)))
                .collect();
            let honest = dot_claim(&terms, 0.0);
            if honest.reason == Reason::MayOverflow {
                continue;
            }
            let (_, bound) = reference(&terms, 0.0).expect("finite");
            let exact = honest.exact as f32;
            for factor in [0.0, 0.5, 0.999, 1.001, 2.0] {
                for sign in [1.0f64, -1.0] {
                    let claim = (f64::from(exact) + sign * factor * bound) as f32;
                    if !claim.is_finite() {
                        continue;
                    }
                    let (distance, bound) = reference(&terms, claim).expect("finite");
                    let got = dot_claim(&terms, claim).accepted;
                    if distance <= bound {
                        assert!(
                            got,
                            "exact bound accepts, window rejects: {terms:?} {claim}"
                        );
                    }
                    if distance > bound * (1.0 + 1e-9) + 1e-300 {
                        assert!(!got, "window accepts far past the bound: {terms:?} {claim}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn nan_and_infinite_inputs_accept_non_finite_claims_and_finite_ones_refuse_nan_claims() {
        for input in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for claim in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let v = dot_claim(&[(input, 1.0), (2.0, 3.0)], claim);
                assert_eq!((v.accepted, v.reason), (true, Reason::NonFiniteInput));
            }
        }
        let v = dot_claim(&[(1.0, 1.0)], f32::NAN);
        assert_eq!((v.accepted, v.reason), (false, Reason::NonFiniteClaim));
        let v = dot_claim(&[(1.0, 1.0)], f32::INFINITY);
        assert_eq!((v.accepted, v.reason), (false, Reason::NonFiniteClaim));
    }

    #[test]
    fn a_sum_that_may_overflow_accepts_infinity() {
        let big = f32::MAX;
        let v = dot_claim(&[(big, 1.0), (big, 1.0), (-big, 1.0)], f32::INFINITY);
        assert_eq!((v.accepted, v.reason), (true, Reason::MayOverflow));
        // Far from the largest f32, an infinite claim is a lie.
        let v = dot_claim(&[(1e30, 1.0), (1e30, 1.0)], f32::INFINITY);
        assert_eq!((v.accepted, v.reason), (false, Reason::NonFiniteClaim));
    }

    /// Finding F1 (review 4): a sum that may overflow used to accept any claim, so
    /// `add_bias(1, f32::MAX)` could be claimed as 0. A finite claim means no order overflowed,
    /// where the bound holds: only a non-finite claim is excused by overflow.
    #[test]
    fn f1_a_finite_claim_is_judged_by_the_bound_even_where_a_sum_may_overflow() {
        let big = f32::MAX;
        let bias = [(1.0, 1.0), (big, 1.0)];
        assert_eq!(dot_claim(&bias, big).reason, Reason::WithinBound);
        assert_eq!(dot_claim(&bias, 0.0).reason, Reason::OutsideBound);
        assert_eq!(dot_claim(&bias, 1e38).reason, Reason::OutsideBound);
        let cancel = [(1.8e38, 1.0), (-1.8e38, 1.0)];
        assert_eq!(dot_claim(&cancel, 0.0).reason, Reason::WithinBound);
        assert_eq!(dot_claim(&cancel, 5e37).reason, Reason::OutsideBound);
        assert_eq!(dot_claim(&cancel, -big).reason, Reason::OutsideBound);
    }

    /// F1's other half: a NaN or an infinity is excused only where some way of computing the sum
    /// reaches `2^128 − 2^103` before a rounding, not wherever the terms are large.
    #[test]
    fn f1_a_non_finite_claim_is_excused_only_where_some_order_overflows() {
        let big = f32::MAX;
        let never = [
            [(1.0, 1.0), (big, 1.0)],        // add_bias(1, max): the products are exact
            [(1.8e38, 1.0), (-1.8e38, 1.0)], // cancels in every order
            [(big, 1.0), (-1.0, 1.0)],
        ];
        for terms in never {
            for claim in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN] {
                let v = dot_claim(&terms, claim);
                assert_eq!(
                    (v.accepted, v.reason),
                    (false, Reason::NonFiniteClaim),
                    "{terms:?}"
                );
            }
        }
        let may = [
            vec![(big, 1.0), (big, 1.0)],
            vec![(0.9, 3.4e38), (1.0, 3.4e38)], // momentum: 0.9·v + g
            vec![(1.0, 1.0), (big, 1.0000001)], // max·(1 + 2^-23) rounds to infinity
            vec![(1.71e38, 1.0), (1.71e38, 1.0), (-1.0, 1.0)],
        ];
        for terms in may {
            assert_eq!(
                dot_claim(&terms, f32::INFINITY).reason,
                Reason::MayOverflow,
                "{terms:?}"
            );
        }
        // The exact sum is finite, but one order adds the two positive terms first.
        let three = [(1.71e38, 1.0), (1.71e38, 1.0), (-1.71e38, 1.0)];
        assert_eq!(dot_claim(&three, f32::INFINITY).reason, Reason::MayOverflow);
    }

    /// Review 5, 6: a dot product with a NaN or infinite factor is non-finite in IEEE, so a
    /// finite claim is a lie (a cheater laundering weights after an honest overflow), unless
    /// every such factor meets a zero that a kernel may skip: then the other terms decide.
    #[test]
    fn review5_a_finite_claim_from_a_non_finite_input_needs_a_zero_partner() {
        for input in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let v = dot_claim(&[(input, 1.0), (2.0, 3.0)], 6.0);
            assert_eq!((v.accepted, v.reason), (false, Reason::OutsideBound));
            let v = dot_claim(&[(input, input), (2.0, 3.0)], 6.0);
            assert_eq!((v.accepted, v.reason), (false, Reason::OutsideBound));
            // Skipped against a zero (momentum 0·v + g with v infinite, folded): the rest decides.
            assert_eq!(
                dot_claim(&[(0.0, input), (2.0, 3.0)], 6.0).reason,
                Reason::WithinBound
            );
            assert_eq!(
                dot_claim(&[(input, -0.0), (2.0, 3.0)], 7.0).reason,
                Reason::OutsideBound
            );
            assert_eq!(dot_claim(&[(input, 0.0)], 0.0).reason, Reason::WithinBound);
            assert_eq!(dot_claim(&[(input, 0.0)], 1.0).reason, Reason::OutsideBound);
            // IEEE's own answer, NaN, is honest too.
            assert_eq!(
                dot_claim(&[(0.0, input), (2.0, 3.0)], f32::NAN).reason,
                Reason::NonFiniteInput
            );
        }
    }

    /// Review of F1's fix: a tf32 or bf16 task rounds a matrix product's inputs to nearest, and
    /// the largest f32s round to infinity, so an honest product is infinite (or NaN, times 0)
    /// with every exact term far from overflowing.
    #[test]
    fn an_input_that_a_class_rounds_to_infinity_excuses_a_non_finite_claim() {
        let tiny = f32::from_bits(0x3a83_126f); // 1e-3
        for (class, bits) in [(Class::Tf32, 0x7f7f_f000u32), (Class::Bf16, 0x7f7f_8000)] {
            let big = f32::from_bits(bits);
            for (b, claim) in [
                (tiny, f32::INFINITY),
                (0.0, f32::NAN),
                (-tiny, f32::NEG_INFINITY),
            ] {
                let v = dot(&[(big, b)], class, claim);
                assert_eq!(
                    (v.accepted, v.reason),
                    (true, Reason::MayOverflow),
                    "{class:?}"
                );
            }
            // One below the threshold rounds to the largest finite value: no excuse.
            let below = f32::from_bits(bits - 1);
            let v = dot(&[(below, tiny)], class, f32::INFINITY);
            assert_eq!(v.reason, Reason::NonFiniteClaim, "{class:?}");
            // In fp32 nothing rounds the input.
            let v = dot(&[(big, tiny)], Class::Fp32, f32::INFINITY);
            assert_eq!(v.reason, Reason::NonFiniteClaim);
        }
    }

    #[test]
    fn a_flushed_subnormal_product_is_honest() {
        // With inputs flushed to zero, a subnormal a contributes nothing: 1e-39·1e30 ≈ 1e-9.
        let a = 1e-39f32;
        assert!(a.is_subnormal());
        assert!(dot_claim(&[(a, 1e30), (1.0, 1.0)], 1.0).accepted);
        assert!(dot_claim(&[(a, 1e30), (1.0, 1.0)], 1.0 + 1e-9).accepted);
    }

    #[test]
    fn copies_must_be_exact() {
        assert!(exact(&[1.5], &[1.5], 1.5).accepted);
        assert!(exact(&[0.0], &[0.0], -0.0).accepted);
        assert!(!exact(&[1.5], &[1.5], f32::from_bits(1.5f32.to_bits() + 1)).accepted);
        assert!(exact(&[1e-40, 0.0], &[1e-40], 0.0).accepted);
        assert!(!exact(&[1e-40, 0.0], &[1e-40], 2e-40).accepted);
    }

    #[test]
    fn the_fixed_point_exp_brackets_f64s_exp() {
        let unit = 2f64.powi(SOFTMAX_BITS as i32);
        for a in [0.0, 1e-9, 0.25, 1.0, 2.5, 10.0, 40.0, 87.9] {
            let units = W::from((a * 2f64.powi(60)) as u128) << (SOFTMAX_BITS as usize - 60);
            let (lo, hi) = (exp_neg(units, false), exp_neg(units, true));
            let want = (-a).exp() * unit;
            assert!(f64_of(lo, 0) <= want * (1.0 + 1e-12), "{a}");
            assert!(f64_of(hi, 0) >= want * (1.0 - 1e-12), "{a}");
            assert!(
                f64_of(hi - lo, 0) <= want * 1e-20 + 1e6,
                "{a}: {} wide",
                f64_of(hi - lo, 0)
            );
        }
    }

    #[test]
    fn softmax_interval_holds_an_f32_computation_and_not_a_shifted_one() {
        let z = [2.0f32, -1.0, 0.5, 3.0, -95.0];
        let (max, scale) = (3.0f32, 0.25f32);
        let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
        let s: f32 = e.iter().sum();
        for j in 0..5u32 {
            let y = if j == 1 { 1.0 } else { 0.0 };
            let honest = (e[j as usize] / s - y) * scale;
            let v = softmax_xent_grad(&z, 1.0, j, scale, honest);
            assert!(v.accepted, "{j}: {v:?}");
            assert!(v.bound() < 1e-6, "{j}: {v:?}");
            assert!(!softmax_xent_grad(&z, 1.0, j, scale, honest + 1e-4).accepted);
        }
        // The far logit's probability is about 0 and its exp may flush: both pass.
        assert!(softmax_xent_grad(&z, 1.0, 4, scale, 0.0).accepted);
        assert!(!softmax_xent_grad(&z, 1.0, 4, scale, 1e-30).accepted);
    }
}
