//! Differential vectors for the one-op prover (PROTOCOL §7): questions to the tier-2 checker
//! and claimed answers, each with the verdict Rust gives, which the contract must give too.
//!
//! The questions come from real traces of the executor (a training step of a small MLP, and on
//! wgpu when that feature is on) and from adversarial edges: the last accepted and first
//! rejected f32 on each side of every bound, claims at 0.999 and 1.001 of it, subnormals,
//! zeros, ±max, NaN and infinities, and rows of 1, 8, 9, 1024 and 4096 values.

use serde::{Deserialize, Serialize};

use super::Rng;
use crate::check::{Class, Question, Reason, Step};
use crate::engine::{Backend, Engine};
use crate::tensor::Tensor;

/// Every question kind of the v1 op set with its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpsFile {
    pub dots: Vec<DotCase>,
    pub softmaxes: Vec<SoftmaxCase>,
    pub exacts: Vec<ExactCase>,
}

/// A claimed answer (f32 bits) and the checker's verdict on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub claim: u32,
    pub reason: Reason,
}

/// `Σ a_i·b_i` over two packed little-endian f32 rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DotCase {
    pub name: String,
    /// 0 fp32, 1 tf32, 2 bf16.
    pub class: u8,
    #[serde(with = "crate::serde_hex::bytes")]
    pub a: Vec<u8>,
    #[serde(with = "crate::serde_hex::bytes")]
    pub b: Vec<u8>,
    pub claims: Vec<Claim>,
}

/// `(softmax(z)[j] − [j = label])·scale`, `z` a packed little-endian f32 row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftmaxCase {
    pub name: String,
    #[serde(with = "crate::serde_hex::bytes")]
    pub z: Vec<u8>,
    pub label: u32,
    pub j: u32,
    pub scale: u32,
    pub claims: Vec<Claim>,
}

/// One of `values` exactly, unless an input is not finite (f32 bits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExactCase {
    pub name: String,
    pub values: Vec<u32>,
    pub inputs: Vec<u32>,
    pub claims: Vec<Claim>,
}

impl Class {
    /// The class's number on chain.
    pub fn code(self) -> u8 {
        match self {
            Class::Fp32 => 0,
            Class::Tf32 => 1,
            Class::Bf16 => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        [Class::Fp32, Class::Tf32, Class::Bf16]
            .get(code as usize)
            .copied()
    }
}

pub fn pack(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn unpack(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl DotCase {
    pub fn question(&self) -> Question {
        let class = Class::from_code(self.class).expect("vectors hold valid classes");
        let terms = unpack(&self.a).into_iter().zip(unpack(&self.b)).collect();
        Question::Dot { terms, class }
    }
}

impl SoftmaxCase {
    pub fn question(&self) -> Question {
        Question::Softmax {
            logits: unpack(&self.z),
            label: f32::from_bits(self.label),
            j: self.j,
            scale: f32::from_bits(self.scale),
        }
    }
}

impl ExactCase {
    pub fn question(&self) -> Question {
        Question::Exact {
            values: self.values.iter().map(|&b| f32::from_bits(b)).collect(),
            inputs: self.inputs.iter().map(|&b| f32::from_bits(b)).collect(),
        }
    }
}

/// f32 in order on a line of integers (±0 share 0), and back.
fn key(x: f32) -> i64 {
    let bits = x.to_bits();
    let magnitude = i64::from(bits & 0x7fff_ffff);
    if bits >> 31 == 1 {
        -magnitude
    } else {
        magnitude
    }
}

fn from_key(k: i64) -> f32 {
    if k >= 0 {
        f32::from_bits(k as u32)
    } else {
        f32::from_bits((-k) as u32 | 0x8000_0000)
    }
}

const MAX_KEY: i64 = 0x7f7f_ffff;

/// The claims at the edges of what `q` accepts around the accepted `start`: on each side, the
/// last accepted and the first rejected f32 (acceptance is an interval, so binary search finds
/// them), and the f32 nearest 0.999 and 1.001 of the way from the exact value to each edge.
fn edges(q: &Question, start: f32) -> Vec<f32> {
    let accepted = |k: i64| q.judge(from_key(k)).accepted;
    let mut out = Vec::new();
    let s = key(start);
    for dir in [1i64, -1] {
        // The last accepted key in this direction.
        let (mut inside, mut outside) = (s, None);
        let mut step = 1i64;
        while outside.is_none() {
            let next = (inside + dir * step).clamp(-MAX_KEY, MAX_KEY);
            if next == inside {
                break;
            }
            if accepted(next) {
                inside = next;
                step *= 2;
            } else {
                outside = Some(next);
            }
        }
        let Some(mut outside) = outside else { continue };
        while (outside - inside).abs() > 1 {
            let mid = inside + (outside - inside) / 2;
            if accepted(mid) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        out.extend([from_key(inside), from_key(outside)]);
        let verdict = q.judge(start);
        let exact = verdict.exact;
        let edge = f64::from(from_key(inside));
        for factor in [0.999, 1.001] {
            let claim = (exact + (edge - exact) * factor) as f32;
            if claim.is_finite() {
                out.push(claim);
            }
        }
    }
    out
}

/// A question with claims around its honest answer `start`, as cases.
struct Collector {
    file: OpsFile,
}

impl Collector {
    fn add(&mut self, name: &str, q: &Question, claims: &[f32]) {
        let name = name.to_string();
        let claims: Vec<Claim> = claims
            .iter()
            .map(|&claim| Claim {
                claim: claim.to_bits(),
                reason: q.judge(claim).reason,
            })
            .collect();
        match q {
            Question::Dot { terms, class } => self.file.dots.push(DotCase {
                name,
                class: class.code(),
                a: pack(&terms.iter().map(|t| t.0).collect::<Vec<_>>()),
                b: pack(&terms.iter().map(|t| t.1).collect::<Vec<_>>()),
                claims,
            }),
            Question::Softmax {
                logits,
                label,
                j,
                scale,
            } => self.file.softmaxes.push(SoftmaxCase {
                name,
                z: pack(logits),
                label: label.to_bits(),
                j: *j,
                scale: scale.to_bits(),
                claims,
            }),
            Question::Exact { values, inputs } => self.file.exacts.push(ExactCase {
                name,
                values: values.iter().map(|v| v.to_bits()).collect(),
                inputs: inputs.iter().map(|v| v.to_bits()).collect(),
                claims,
            }),
        }
    }

    /// The honest answer, its edges, and the claims no honest op gives.
    fn around(&mut self, name: &str, q: &Question, honest: f32) {
        let mut claims = vec![honest];
        match q {
            Question::Exact { .. } => {
                let k = key(honest);
                claims.extend([
                    from_key((k + 1).min(MAX_KEY)),
                    from_key((k - 1).max(-MAX_KEY)),
                ]);
            }
            _ if q.judge(honest).accepted => claims.extend(edges(q, honest)),
            _ => {}
        }
        claims.extend([
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            -f32::MAX,
        ]);
        self.add(name, q, &claims);
    }
}

/// A small MLP's training step, traced on `backend`: every op, at the first and the last value
/// of its output.
fn trace_cases(c: &mut Collector, backend: Backend) {
    let (rows, model, sgd) = super::small_task(0x0054_5241_4345, 64); // "TRACE"
    let data = Tensor::from_rows(&rows).expect("rectangular");
    let program = model.training(sgd);
    let seed = [7u8; 32];
    let engine = Engine::new(backend, program.clone(), Some(&data), seed).expect("valid");
    // Two steps in, so that the velocities are not zero.
    let mut state = model.initial_state(3);
    let step = 2;
    for t in 0..step {
        let trace = engine.trace(&state, t).expect("runs");
        state = program
            .next_state
            .iter()
            .map(|&slot| trace.slots[slot as usize].clone())
            .collect();
    }
    let trace = engine.trace(&state, step).expect("runs");
    let s = Step {
        program: &program,
        slots: &trace.slots,
        dataset: Some(&data),
        seed: &seed,
        step,
        class: Class::Fp32,
    };
    for (op, o) in program.ops.iter().enumerate() {
        let out = &trace.slots[program.output_slot(op) as usize];
        for (row, col) in [(0, 0), (out.rows() - 1, out.cols() - 1)] {
            let q = s.question(op, row, col).expect("in range");
            let honest = out.row(row).expect("in range")[col as usize];
            let name = format!("{backend:?} {} op {op} ({row}, {col})", o.name());
            c.around(&name, &q, honest);
        }
    }
}

/// Any finite f32, with exponents drawn from all of them.
fn any_finite(rng: &mut Rng) -> f32 {
    loop {
        let x = f32::from_bits(rng.next() as u32);
        if x.is_finite() {
            return x;
        }
    }
}

/// Values of one scale, with both signs, so that sums cancel.
fn moderate(rng: &mut Rng) -> f32 {
    let m = (rng.next() % (1 << 24)) as f32 / (1 << 24) as f32;
    let e = rng.below(9) as i32 - 4;
    let v = m * 2f32.powi(e);
    if rng.below(2) == 0 { v } else { -v }
}

fn dot_question(a: &[f32], b: &[f32], class: Class) -> Question {
    Question::Dot {
        terms: a.iter().copied().zip(b.iter().copied()).collect(),
        class,
    }
}

/// An honest-ish answer: the f32 sum in order (within the bound wherever nothing overflows).
fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn edge_cases(c: &mut Collector, rng: &mut Rng) {
    // Rows of every length a chunk boundary or the gas table cares about.
    for n in [1usize, 8, 9, 64, 256, 1024, 4096] {
        let a: Vec<f32> = (0..n).map(|_| moderate(rng)).collect();
        let b: Vec<f32> = (0..n).map(|_| moderate(rng)).collect();
        let q = dot_question(&a, &b, Class::Fp32);
        c.around(&format!("dot of {n}"), &q, naive_dot(&a, &b));
    }
    // Every class, at its own edges.
    let a: Vec<f32> = (0..64).map(|_| moderate(rng)).collect();
    let b: Vec<f32> = (0..64).map(|_| moderate(rng)).collect();
    for class in [Class::Tf32, Class::Bf16] {
        let q = dot_question(&a, &b, class);
        c.around(&format!("dot of 64, {class:?}"), &q, naive_dot(&a, &b));
    }
    // Bit patterns from anywhere: subnormals, huge and tiny products in one sum.
    for i in 0..12 {
        let n = 1 + rng.below(9) as usize;
        let a: Vec<f32> = (0..n).map(|_| any_finite(rng)).collect();
        let b: Vec<f32> = (0..n).map(|_| any_finite(rng)).collect();
        let q = dot_question(&a, &b, Class::Fp32);
        c.around(&format!("dot of any bits {i}"), &q, naive_dot(&a, &b));
    }
    let sub = f32::from_bits(1);
    let special: [(&str, Vec<f32>, Vec<f32>, f32); 12] = [
        ("zeros", vec![0.0, -0.0], vec![5.0, 3.0], 0.0),
        (
            "subnormal products",
            vec![sub, 1e-39],
            vec![1.0, 3.0],
            3e-39,
        ),
        (
            "a flushable subnormal input",
            vec![1e-39, 1.0],
            vec![1e30, 1.0],
            1.0,
        ),
        (
            "cancellation",
            vec![1e8, 1.0, -1e8],
            vec![1.0, 1.0, 1.0],
            0.0,
        ),
        ("±max", vec![f32::MAX, -f32::MAX], vec![1.0, 1.0], 0.0),
        // F1: a sum that may overflow still judges a finite claim by the bound.
        (
            "near overflow: add_bias(1, max)",
            vec![1.0, f32::MAX],
            vec![1.0, 1.0],
            f32::MAX,
        ),
        (
            "near overflow: ±1.8e38",
            vec![1.8e38, -1.8e38],
            vec![1.0, 1.0],
            0.0,
        ),
        (
            "may overflow",
            vec![f32::MAX, f32::MAX],
            vec![1.0, 1.0],
            f32::INFINITY,
        ),
        ("NaN input", vec![f32::NAN, 1.0], vec![1.0, 1.0], 7.0),
        // Review 5, 6: skipped against a zero, the other terms decide.
        (
            "infinite input times zero",
            vec![f32::INFINITY, 2.0],
            vec![0.0, 3.0],
            6.0,
        ),
        (
            "infinite input",
            vec![1.0, 2.0],
            vec![f32::NEG_INFINITY, 1.0],
            7.0,
        ),
        (
            "tiny against huge",
            vec![1e-30, 1e30],
            vec![1e-30, -1e-30],
            -1.0,
        ),
    ];
    for (name, a, b, honest) in special {
        let q = dot_question(&a, &b, Class::Fp32);
        c.around(name, &q, honest);
    }
    // Inputs a class rounds to infinity (and one just below), where only a non-finite claim is
    // honest, or only a finite one.
    for (name, class, bits) in [
        (
            "tf32 input rounded to infinity",
            Class::Tf32,
            0x7f7f_f000u32,
        ),
        ("tf32 input just below", Class::Tf32, 0x7f7f_efff),
        ("bf16 input rounded to infinity", Class::Bf16, 0x7f7f_8000),
        ("bf16 input just below", Class::Bf16, 0x7f7f_7fff),
    ] {
        let q = dot_question(&[f32::from_bits(bits), 1.0], &[1e-3, 2.0], class);
        let claims = [f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 3.4e35, 0.0];
        c.add(name, &q, &claims);
    }
    // Softmax: far logits, many classes, labels and scales of every kind.
    let softmaxes: [(&str, Vec<f32>, f32, u32, f32); 10] = [
        (
            "softmax of 10",
            vec![0.3, -1.2, 2.0, 0.0, 0.7, -0.4, 1.1, -2.5, 0.9, 0.1],
            2.0,
            2,
            1.0 / 32.0,
        ),
        (
            "softmax not the label",
            vec![0.3, -1.2, 2.0, 0.0],
            2.0,
            1,
            1.0 / 32.0,
        ),
        ("softmax far logit", vec![0.0, -95.0, 0.5], 0.0, 1, 0.25),
        (
            "softmax near the far edge",
            vec![0.0, -87.5, 0.5],
            1.0,
            1,
            1.0,
        ),
        ("softmax of 1", vec![3.5], 0.0, 0, 0.5),
        ("softmax label −0", vec![1.0, 2.0], -0.0, 0, 1.0),
        ("softmax huge logits", vec![3e38, -3e38, 1e38], 1.0, 0, 1.0),
        ("softmax negative scale", vec![0.5, 0.25], 1.0, 1, -3.0),
        ("softmax subnormal scale", vec![0.5, 0.25], 1.0, 0, 1e-40),
        ("softmax huge scale", vec![0.5, 0.25], 1.0, 1, 1e30),
    ];
    for (name, z, label, j, scale) in softmaxes {
        let q = Question::Softmax {
            logits: z.clone(),
            label,
            j,
            scale,
        };
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
        let sum: f32 = e.iter().sum();
        let y = if label == j as f32 { 1.0 } else { 0.0 };
        c.around(name, &q, (e[j as usize] / sum - y) * scale);
    }
    let many: Vec<f32> = (0..1024).map(|_| moderate(rng) * 8.0).collect();
    let q = Question::Softmax {
        logits: many.clone(),
        label: 5.0,
        j: 5,
        scale: 1.0,
    };
    c.around("softmax of 1024", &q, -0.999);
    c.around(
        "softmax NaN logit",
        &Question::Softmax {
            logits: vec![1.0, f32::NAN],
            label: 0.0,
            j: 0,
            scale: 1.0,
        },
        0.5,
    );
    // Exact ops: ±0, flushable subnormals, non-finite inputs.
    let exacts: [(&str, Vec<f32>, Vec<f32>); 6] = [
        ("copy", vec![1.5], vec![1.5]),
        ("copy of −0", vec![-0.0], vec![-0.0]),
        ("relu of a subnormal", vec![1e-40, 0.0], vec![1e-40]),
        ("relu of a negative", vec![0.0], vec![-2.0]),
        (
            "relu_grad with a flushable pre",
            vec![0.75, 0.0],
            vec![0.75, 1e-41],
        ),
        ("relu of NaN", vec![0.0], vec![f32::NAN]),
    ];
    for (name, values, inputs) in exacts {
        let honest = values[0];
        c.around(name, &Question::Exact { values, inputs }, honest);
    }
}

/// The ops vectors: traces on flex and the edges.
pub fn ops_file() -> OpsFile {
    let mut c = Collector {
        file: OpsFile {
            dots: Vec::new(),
            softmaxes: Vec::new(),
            exacts: Vec::new(),
        },
    };
    trace_cases(&mut c, Backend::Flex);
    edge_cases(&mut c, &mut Rng(crate::rng::SplitMix64(0x4f50_5345))); // "OPSE"
    c.file
}

/// The same trace on wgpu (lavapipe where there is no GPU): written only by a build with the
/// `wgpu` feature, and checked by re-judging rather than regenerating, since another driver may
/// round otherwise.
#[cfg(feature = "wgpu")]
pub fn ops_wgpu_file() -> OpsFile {
    let mut c = Collector {
        file: OpsFile {
            dots: Vec::new(),
            softmaxes: Vec::new(),
            exacts: Vec::new(),
        },
    };
    trace_cases(&mut c, Backend::WgpuCpu);
    c.file
}

/// Every claim of every case, with its question.
pub fn all(file: &OpsFile) -> Vec<(String, Question, Claim)> {
    let mut out = Vec::new();
    for c in &file.dots {
        out.extend(c.claims.iter().map(|&k| (c.name.clone(), c.question(), k)));
    }
    for c in &file.softmaxes {
        out.extend(c.claims.iter().map(|&k| (c.name.clone(), c.question(), k)));
    }
    for c in &file.exacts {
        out.extend(c.claims.iter().map(|&k| (c.name.clone(), c.question(), k)));
    }
    out
}
