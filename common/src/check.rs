//! The tier-2 checker, DESIGN §5: given one op of a step, its inputs and one claimed output
//! value, decide whether the value could have come from an honest IEEE-754 implementation —
//! any order of operations, any fused multiply-add, any flush of subnormals — or not.
//!
//! Every op but the softmax is judged exactly: its exact real value `c` is an integer multiple
//! of `2^-298` (every f32 product is), held in 768-bit integers, and the rigorous bound is
//! compared in integers. The softmax, whose exact value is irrational, is judged with an interval
//! computed in f64 and widened past f64's own error. docs/PROTOCOL.md derives every bound and
//! states the rules for NaN, infinities and overflow, which are these:
//!
//! 1. an input that the value depends on is NaN or infinite: any claim is accepted (the fault, if
//!    any, is in the op that produced that input, where it can be proven);
//! 2. the exact computation could overflow in some order: any claim is accepted;
//! 3. otherwise the claim must be finite and within the bound.

use alloy::primitives::Uint;
use serde::{Deserialize, Serialize};

use crate::batch;
use crate::merkle::Hash;
use crate::program::{MAX_DIM, Op, Program, Shape, Slot};
use crate::tensor::Tensor;

/// Wide enough for any sum of up to 2^24 products of two f32, scaled by 2^298.
type W = Uint<768, 12>;

/// The power of two every exact value is scaled by: `2^-149 · 2^-149` is the smallest product.
const SCALE: usize = 298;

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
    /// `ε_in = (1+δ)² − 1 = 2δ + δ²` for input rounding `δ`, in units of 2^-22.
    fn eps_in_units(self) -> u64 {
        match self {
            Class::Fp32 => 0,
            Class::Tf32 => (1 << 12) + 1,       // 2^-10 + 2^-22
            Class::Bf16 => ((1 << 9) + 1) << 6, // 2^-7 + 2^-16
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
    /// The exact value, rounded to f64 (for reports; the decision used the exact value).
    pub exact: f64,
    /// The bound on `|claim − exact|`, rounded to f64 (likewise).
    pub bound: f64,
}

impl Verdict {
    /// Rule 3: a non-finite claim fails; a finite one passes if `within` says so.
    fn decide(claim: f32, exact: f64, bound: f64, within: impl FnOnce() -> bool) -> Self {
        let (accepted, reason) = if !claim.is_finite() {
            (false, Reason::NonFiniteClaim)
        } else if within() {
            (true, Reason::WithinBound)
        } else {
            (false, Reason::OutsideBound)
        };
        Self {
            accepted,
            reason,
            exact,
            bound,
        }
    }

    fn accept_unchecked(reason: Reason) -> Self {
        Self {
            accepted: true,
            reason,
            exact: f64::NAN,
            bound: f64::INFINITY,
        }
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
        let verdict = match o {
            Op::LoadRows { batch, sequential } => {
                let data = self.dataset.ok_or(Error::NoDataset)?;
                let n = data.rows();
                let source = if sequential {
                    ((self.step * u64::from(batch) + u64::from(r)) % u64::from(n)) as u32
                } else {
                    batch::row_index(self.seed, self.step, r, n)
                };
                let v = data.data()[source as usize * data.cols() as usize + c as usize];
                exact_copy(v, claim)
            }
            Op::SliceCols { input, start, .. } => {
                exact_copy(self.value(input, r, start + c), claim)
            }
            Op::Transpose { input } => exact_copy(self.value(input, c, r), claim),
            Op::MatmulNt { a, b } => {
                let terms: Vec<(f32, f32)> = self
                    .row(a, r)
                    .iter()
                    .copied()
                    .zip(self.row(b, c).iter().copied())
                    .collect();
                dot(&terms, self.class, claim)
            }
            Op::AddBias { input, bias } => dot(
                &[
                    (self.value(input, r, c), one),
                    (self.value(bias, 0, c), one),
                ],
                Class::Fp32,
                claim,
            ),
            Op::RowSum { input } => {
                let terms: Vec<(f32, f32)> = self.row(input, c).iter().map(|&v| (v, one)).collect();
                dot(&terms, Class::Fp32, claim)
            }
            Op::Momentum {
                velocity,
                grad,
                momentum,
            } => dot(
                &[
                    (momentum, self.value(velocity, r, c)),
                    (one, self.value(grad, r, c)),
                ],
                Class::Fp32,
                claim,
            ),
            Op::SgdUpdate {
                param,
                velocity,
                lr,
            } => dot(
                &[
                    (one, self.value(param, r, c)),
                    (-lr, self.value(velocity, r, c)),
                ],
                Class::Fp32,
                claim,
            ),
            Op::Relu { input } => {
                let x = self.value(input, r, c);
                let slack = if is_subnormal(x) && x > 0.0 { x } else { 0.0 };
                exact_with_slack(if x > 0.0 { x } else { 0.0 }, slack, &[x], claim)
            }
            Op::ReluGrad { grad, pre } => {
                let (g, p) = (self.value(grad, r, c), self.value(pre, r, c));
                let value = if p > 0.0 { g } else { 0.0 };
                // A flushed `pre` may zero the gradient; a flushed `grad` is zero.
                let slack = if (p > 0.0 && is_subnormal(p)) || is_subnormal(g) {
                    g
                } else {
                    0.0
                };
                exact_with_slack(value, slack, &[g, p], claim)
            }
            Op::SoftmaxXentGrad {
                logits,
                labels,
                scale,
            } => softmax_xent_grad(
                self.row(logits, r),
                self.value(labels, r, 0),
                c,
                scale,
                claim,
            ),
        };
        Ok(verdict)
    }
}

fn is_subnormal(x: f32) -> bool {
    x != 0.0 && x.is_subnormal()
}

/// `x = ±m·2^e`, `m < 2^24`, for finite `x`.
fn decompose(x: f32) -> (bool, u64, i32) {
    let bits = x.to_bits();
    let negative = bits >> 31 == 1;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let fraction = u64::from(bits & 0x7f_ffff);
    if exponent == 0 {
        (negative, fraction, -149)
    } else {
        (negative, fraction | 1 << 23, exponent - 150)
    }
}

/// `|a·b|·2^298` exactly, and its sign.
fn scaled_product(a: f32, b: f32) -> (bool, W) {
    let (na, ma, ea) = decompose(a);
    let (nb, mb, eb) = decompose(b);
    let shift = usize::try_from(ea + eb + SCALE as i32).expect("e_a + e_b ≥ -298");
    (na != nb, W::from(ma * mb) << shift)
}

/// `|x|·2^298` exactly, and its sign.
fn scaled(x: f32) -> (bool, W) {
    scaled_product(x, 1.0)
}

/// A signed exact value: its positive and negative parts.
#[derive(Debug, Default, Clone, Copy)]
struct Exact {
    pos: W,
    neg: W,
}

impl Exact {
    fn add(&mut self, (negative, magnitude): (bool, W)) {
        if negative {
            self.neg += magnitude;
        } else {
            self.pos += magnitude;
        }
    }

    /// `|self − x|`.
    fn distance(&self, x: (bool, W)) -> W {
        let mut other = *self;
        // self − x = (pos + x_neg) − (neg + x_pos)
        other.add((!x.0, x.1));
        if other.pos >= other.neg {
            other.pos - other.neg
        } else {
            other.neg - other.pos
        }
    }

    fn to_f64(self) -> f64 {
        to_f64(self.pos) - to_f64(self.neg)
    }
}

/// `w·2^-298` rounded to f64 (for reports).
fn to_f64(w: W) -> f64 {
    let bits = w.bit_len();
    let shift = bits.saturating_sub(64);
    let top = (w >> shift).to::<u64>();
    top as f64 * 2f64.powi(shift as i32 - SCALE as i32)
}

/// The largest finite f32, scaled: results the bound lets reach it may be infinite.
fn overflow_threshold() -> W {
    scaled(f32::MAX).1
}

/// A dot product `Σ a_i·b_i` (every arithmetic op but the softmax is one), judged against
/// `(ε_in + γ_n + ε_in·γ_n)·Σ|a_i·b_i| + 4n·2^-126 + Σ_{subnormal a_i or b_i}|a_i·b_i|`,
/// `γ_n = n·u/(1 − n·u)`, `u = 2^-24`.
fn dot(terms: &[(f32, f32)], class: Class, claim: f32) -> Verdict {
    if terms.iter().any(|(a, b)| !a.is_finite() || !b.is_finite()) {
        return Verdict::accept_unchecked(Reason::NonFiniteInput);
    }
    let n = terms.len() as u64;
    assert!(
        n <= u64::from(MAX_DIM),
        "Program::validate keeps every dimension, so every dot product, within MAX_DIM"
    );
    let mut exact = Exact::default();
    let mut magnitude = W::ZERO;
    let mut flushable = W::ZERO;
    for &(a, b) in terms {
        let p = scaled_product(a, b);
        exact.add(p);
        magnitude += p.1;
        if is_subnormal(a) || is_subnormal(b) {
            flushable += p.1;
        }
    }
    let big = |x: u64| W::from(x);
    // Multiply the bound through by D = 2^22·(2^24 − n):
    //   d·D ≤ (E·2^24 + 2^22·n)·M + (4n·2^172 + flushable)·D
    let denominator = big((1 << 24) - n) << 22;
    let alpha = big(class.eps_in_units() << 24) + (big(n) << 22);
    let absolute = (big(4 * n) << (SCALE - 126)) + flushable;
    let rhs = alpha * magnitude + absolute * denominator;
    let bound = to_f64(rhs) / (((1u64 << 24) - n) as f64 * f64::from(1u32 << 22));
    // Rule 2: |any partial sum| ≤ (1 + γ_n)·M; if that can pass the largest f32, it may overflow.
    if magnitude * big(1 << 24) >= overflow_threshold() * big((1 << 24) - n) {
        return Verdict::accept_unchecked(Reason::MayOverflow);
    }
    judge(exact, rhs, denominator, bound, claim)
}

/// A value that an honest op reproduces exactly, but for `slack` (subnormals that may flush).
fn exact_with_slack(value: f32, slack: f32, inputs: &[f32], claim: f32) -> Verdict {
    if inputs.iter().any(|x| !x.is_finite()) {
        return Verdict::accept_unchecked(Reason::NonFiniteInput);
    }
    let mut exact = Exact::default();
    exact.add(scaled(value));
    judge(
        exact,
        scaled(slack).1,
        W::from(1u64),
        f64::from(slack.abs()),
        claim,
    )
}

/// A copy: the claim must be the value (±0 alike); data movement never rounds or flushes.
fn exact_copy(value: f32, claim: f32) -> Verdict {
    exact_with_slack(value, 0.0, &[value], claim)
}

/// Accepts a finite claim with `|claim − exact|·denominator ≤ rhs`.
fn judge(exact: Exact, rhs: W, denominator: W, bound: f64, claim: f32) -> Verdict {
    Verdict::decide(claim, exact.to_f64(), bound, || {
        exact.distance(scaled(claim)) * denominator <= rhs
    })
}

/// Limits an honest f32 implementation of the softmax meets (the fp32 class's documented ulp
/// limits, those of WGSL): `exp(x)` within `(3 + 2|x|)` ulp, division within 4 ulp (WGSL asks
/// 2.5), additions and multiplications correctly rounded, subnormals possibly flushed.
mod softmax_limits {
    pub(super) const ULP: f64 = 1.0 / (1u64 << 23) as f64;
    pub(super) const U: f64 = ULP / 2.0;
    pub(super) const DIV_ULPS: f64 = 4.0;
    pub(super) const FLUSH: f64 = 1.0 / (1u128 << 126) as f64;
    /// f64's own error in this computation, with a wide margin: relative, absolute.
    pub(super) const F64_REL: f64 = 1.0 / (1u64 << 40) as f64;
    pub(super) const F64_ABS: f64 = FLUSH / 16.0;
}

/// `(softmax(z)[j] − [j = label])·scale`, judged with an interval (see `softmax_limits`).
fn softmax_xent_grad(z: &[f32], label: f32, j: u32, scale: f32, claim: f32) -> Verdict {
    use softmax_limits::*;
    if z.iter().any(|v| !v.is_finite()) || !label.is_finite() {
        return Verdict::accept_unchecked(Reason::NonFiniteInput);
    }
    let c = z.len() as f64;
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let xs: Vec<f64> = z.iter().map(|&v| f64::from(v) - f64::from(max)).collect();
    let es: Vec<f64> = xs.iter().map(|x| x.exp()).collect();
    let sum: f64 = es.iter().sum();
    // Relative error of one computed exp(x̂), x̂ = fl(z − max): the argument's rounding moves it
    // by ≤ u|x| (+ a flush), the exp itself by (3 + 2|x̂|) ulp.
    let rel = |x: f64| {
        let arg = U * x.abs() + FLUSH;
        arg.exp_m1() + (1.0 + arg.exp_m1()) * (3.0 + 2.0 * (1.0 + U) * x.abs()) * ULP
    };
    let r = xs.iter().map(|&x| rel(x)).fold(0.0, f64::max);
    let absolute = 2.0 * FLUSH; // an exp that underflows may flush
    let gamma = c * U / (1.0 - c * U);
    let sum_lo = (sum * (1.0 - r) - c * absolute) * (1.0 - gamma);
    let sum_hi = (sum * (1.0 + r) + c * absolute) * (1.0 + gamma);
    let e = es[j as usize];
    let div = DIV_ULPS * ULP;
    let p_lo = ((e * (1.0 - r) - absolute) / sum_hi * (1.0 - div) - FLUSH).max(0.0);
    let p_hi = (e * (1.0 + r) + absolute) / sum_lo * (1.0 + div) + FLUSH;
    let y = if label == j as f32 { 1.0 } else { 0.0 };
    // fl(p̂ − y), then fl(q̂·scale): one rounding and one flush each.
    let widen = |lo: f64, hi: f64| {
        let m = lo.abs().max(hi.abs());
        (lo - U * m - FLUSH, hi + U * m + FLUSH)
    };
    let (q_lo, q_hi) = widen(p_lo - y, p_hi - y);
    let s = f64::from(scale);
    let (a, b) = (q_lo * s, q_hi * s);
    let (o_lo, o_hi) = widen(a.min(b), a.max(b));
    let slack = |v: f64| v.abs() * F64_REL + F64_ABS;
    let (lo, hi) = (o_lo - slack(o_lo), o_hi + slack(o_hi));
    let exact = (es[j as usize] / sum - y) * s;
    let bound = (exact - lo).max(hi - exact);
    Verdict::decide(claim, exact, bound, || {
        (lo..=hi).contains(&f64::from(claim))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot_claim(terms: &[(f32, f32)], claim: f32) -> Verdict {
        dot(terms, Class::Fp32, claim)
    }

    #[test]
    fn decompose_is_exact_for_normals_subnormals_and_zero() {
        for x in [
            1.0f32,
            -1.5,
            f32::MAX,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            0.0,
            3.25e-39,
        ] {
            let (neg, m, e) = decompose(x);
            let back = (m as f64) * 2f64.powi(e) * if neg { -1.0 } else { 1.0 };
            assert_eq!(back, f64::from(x), "{x}");
        }
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
    fn nan_and_infinite_inputs_accept_anything_and_finite_ones_refuse_nan_claims() {
        assert_eq!(
            dot_claim(&[(f32::NAN, 1.0)], 5.0).reason,
            Reason::NonFiniteInput
        );
        assert_eq!(
            dot_claim(&[(f32::INFINITY, 1.0)], 5.0).reason,
            Reason::NonFiniteInput
        );
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
        assert!(exact_copy(1.5, 1.5).accepted);
        assert!(exact_copy(0.0, -0.0).accepted);
        assert!(!exact_copy(1.5, f32::from_bits(1.5f32.to_bits() + 1)).accepted);
    }

    #[test]
    fn softmax_interval_holds_an_f32_computation_and_not_a_shifted_one() {
        let z = [2.0f32, -1.0, 0.5, 3.0];
        let (max, scale) = (3.0f32, 0.25f32);
        let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
        let s: f32 = e.iter().sum();
        for j in 0..4u32 {
            let y = if j == 1 { 1.0 } else { 0.0 };
            let honest = (e[j as usize] / s - y) * scale;
            let v = softmax_xent_grad(&z, 1.0, j, scale, honest);
            assert!(v.accepted, "{j}: {v:?}");
            assert!(v.bound < 1e-6);
            assert!(!softmax_xent_grad(&z, 1.0, j, scale, honest + 1e-4).accepted);
        }
    }
}
