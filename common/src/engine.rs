//! The executor, DESIGN §4: runs step programs on burn tensors.
//!
//! The device picks the backend: `flex` (burn's pure-Rust CPU backend) always, `wgpu` with the
//! `wgpu` feature (GPUs, or Mesa's lavapipe on a machine without one). A step either stays on
//! the device ([`Engine::step`], for training) or reads every slot back and hashes it
//! ([`Engine::trace`], for disputes); both run the same kernels in the same order, so a trace
//! reproduces the state a plain run reached bit for bit.
//!
//! Each op's real-number semantics are in [`crate::program::Op`]; the kernels here are one honest
//! f32 implementation of them, and the tier-2 checker accepts any implementation within bounds.

use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, TensorData};

use crate::check::Class;
use crate::merkle::Hash;
use crate::program::{self, Op, Program, Shape};
use crate::tensor::{self, Tensor};
use crate::{batch, state};

/// A matrix on the device.
pub type DeviceTensor = burn::tensor::Tensor<2>;

/// Which burn backend runs the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// burn's pure-Rust CPU backend.
    Flex,
    /// burn's wgpu backend on the default adapter (a GPU).
    #[cfg(feature = "wgpu")]
    Wgpu,
    /// burn's wgpu backend on a software adapter (Mesa's lavapipe): wgpu without a GPU.
    #[cfg(feature = "wgpu")]
    WgpuCpu,
}

impl Backend {
    pub fn device(self) -> Device {
        match self {
            Backend::Flex => Device::flex(),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "wgpu")]
            Backend::WgpuCpu => Device::wgpu(burn::tensor::DeviceKind::Cpu),
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flex" | "cpu" => Ok(Backend::Flex),
            #[cfg(feature = "wgpu")]
            "wgpu" | "gpu" => Ok(Backend::Wgpu),
            #[cfg(feature = "wgpu")]
            "wgpu-cpu" | "lavapipe" => Ok(Backend::WgpuCpu),
            other => Err(format!(
                "unknown backend {other:?} (known: flex{})",
                if cfg!(feature = "wgpu") {
                    ", wgpu, wgpu-cpu"
                } else {
                    "; wgpu needs the `wgpu` feature"
                }
            )),
        }
    }
}

/// Why a program cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Program(#[from] program::Error),
    #[error("the program reads a data set of {expected} columns, this one has {got}")]
    DatasetColumns { expected: u32, got: u32 },
    #[error("the program loads rows but no data set was given")]
    NoDataset,
    #[error("data set row {row}, column {col} is {value}: a data set must be finite")]
    NonFiniteDataset { row: u32, col: u32, value: f32 },
    #[error("the state has {got} tensors, the program {expected}")]
    StateLength { expected: usize, got: usize },
    #[error("state tensor {index} is {got}, the program wants {expected}")]
    StateShape {
        index: usize,
        expected: Shape,
        got: Shape,
    },
    #[error("reading a tensor back from the device: {0}")]
    Readback(String),
}

/// A program ready to run on one device, with its data set uploaded.
#[derive(Debug)]
pub struct Engine {
    device: Device,
    backend: Backend,
    program: Program,
    shapes: Vec<Shape>,
    dataset: Option<(DeviceTensor, u32)>,
    seed: Hash,
    precision: Class,
}

/// Every slot of one step, read back, with its hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub step: u64,
    pub slots: Vec<Tensor>,
    /// Each slot's `tensorHash`.
    pub hashes: Vec<Hash>,
    /// `traceRoot`.
    pub root: Hash,
}

impl Engine {
    /// Checks the program and the data set (before any work starts) and uploads the data set.
    pub fn new(
        backend: Backend,
        program: Program,
        dataset: Option<&Tensor>,
        seed: Hash,
    ) -> Result<Self, Error> {
        let shapes = program.validate()?;
        let loads = program
            .ops
            .iter()
            .any(|op| matches!(op, Op::LoadRows { .. }));
        let device = backend.device();
        let dataset = match dataset {
            None if loads => return Err(Error::NoDataset),
            None => None,
            Some(d) => {
                if d.cols() != program.dataset_cols {
                    return Err(Error::DatasetColumns {
                        expected: program.dataset_cols,
                        got: d.cols(),
                    });
                }
                if let Some(i) = d.data().iter().position(|v| !v.is_finite()) {
                    return Err(Error::NonFiniteDataset {
                        row: (i / d.cols() as usize) as u32,
                        col: (i % d.cols() as usize) as u32,
                        value: d.data()[i],
                    });
                }
                Some((upload(&device, d), d.rows()))
            }
        };
        Ok(Self {
            device,
            backend,
            program,
            shapes,
            dataset,
            seed,
            precision: Class::Fp32,
        })
    }

    /// Rounds the inputs of every matrix product to the class's precision, as tf32 or bf16
    /// hardware does (an fp32 task run this way is a cheat the checker catches).
    pub fn with_precision(mut self, class: Class) -> Self {
        self.precision = class;
        self
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Every slot's shape.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }

    /// Checks a state against the program's state shapes.
    pub fn check_state(&self, state: &[Tensor]) -> Result<(), Error> {
        if state.len() != self.program.state.len() {
            return Err(Error::StateLength {
                expected: self.program.state.len(),
                got: state.len(),
            });
        }
        for (index, (t, &expected)) in state.iter().zip(&self.program.state).enumerate() {
            let got = Shape::new(t.rows(), t.cols());
            if got != expected {
                return Err(Error::StateShape {
                    index,
                    expected,
                    got,
                });
            }
        }
        Ok(())
    }

    /// Puts a state on the device.
    pub fn upload(&self, state: &[Tensor]) -> Result<Vec<DeviceTensor>, Error> {
        self.check_state(state)?;
        Ok(state.iter().map(|t| upload(&self.device, t)).collect())
    }

    /// Reads a state back from the device.
    pub fn download(&self, state: Vec<DeviceTensor>) -> Result<Vec<Tensor>, Error> {
        download_state(state)
    }

    /// Runs step `step` (counting from 0 over the whole task) on the device and returns the next
    /// state and the outputs.
    pub fn step(
        &self,
        state: Vec<DeviceTensor>,
        step: u64,
    ) -> (Vec<DeviceTensor>, Vec<DeviceTensor>) {
        let slots = self.run(state, step);
        let pick =
            |list: &[program::Slot]| list.iter().map(|&s| slots[s as usize].clone()).collect();
        (pick(&self.program.next_state), pick(&self.program.outputs))
    }

    /// Runs step `step` from a state on the host and returns every slot with its hashes.
    pub fn trace(&self, state: &[Tensor], step: u64) -> Result<Trace, Error> {
        let slots = self.run(self.upload(state)?, step);
        let slots: Vec<Tensor> = slots.into_iter().map(download).collect::<Result<_, _>>()?;
        let hashes: Vec<Hash> = slots.iter().map(|t| t.commit().hash).collect();
        let root = state::trace_root(&hashes).expect("a program has at least one slot");
        Ok(Trace {
            step,
            slots,
            hashes,
            root,
        })
    }

    fn run(&self, state: Vec<DeviceTensor>, step: u64) -> Vec<DeviceTensor> {
        let mut slots = state;
        slots.reserve(self.program.ops.len());
        for (i, op) in self.program.ops.iter().enumerate() {
            let out = self.exec(
                &slots,
                op,
                step,
                self.shapes[self.program.output_slot(i) as usize],
            );
            slots.push(out);
        }
        slots
    }

    fn exec(&self, slots: &[DeviceTensor], op: &Op, step: u64, out: Shape) -> DeviceTensor {
        let s = |slot: program::Slot| slots[slot as usize].clone();
        match *op {
            Op::LoadRows { batch, sequential } => {
                let (data, n) = self
                    .dataset
                    .as_ref()
                    .expect("Engine::new refuses a loading program without a data set");
                let rows: Vec<i64> = if sequential {
                    (0..batch)
                        .map(|r| ((step * u64::from(batch) + u64::from(r)) % u64::from(*n)) as i64)
                        .collect()
                } else {
                    batch::rows(&self.seed, step, batch, *n)
                        .into_iter()
                        .map(i64::from)
                        .collect()
                };
                let index = burn::tensor::Tensor::<1, Int>::from_data(
                    TensorData::new(rows, [batch as usize]),
                    &self.device,
                );
                data.clone().select(0, index)
            }
            Op::SliceCols { input, start, len } => {
                let rows = out.rows as usize;
                s(input).slice([0..rows, start as usize..(start + len) as usize])
            }
            Op::MatmulNt { a, b } => {
                let (a, b) = (self.round(s(a)), self.round(s(b)));
                a.matmul(b.transpose())
            }
            Op::Transpose { input } => s(input).transpose(),
            Op::AddBias { input, bias } => s(input) + s(bias),
            Op::Relu { input } => relu(s(input)),
            Op::ReluGrad { grad, pre } => s(grad).mask_fill(s(pre).lower_equal_elem(0.0), 0.0),
            Op::SoftmaxXentGrad {
                logits,
                labels,
                scale,
            } => {
                let z = s(logits);
                let shape = [out.rows as usize, out.cols as usize];
                let max = z.clone().max_dim(1);
                let e = (z - max).exp();
                let sum = e.clone().sum_dim(1);
                let p = e / sum;
                let classes =
                    burn::tensor::Tensor::<1, Int>::arange(0..i64::from(out.cols), &self.device)
                        .float()
                        .reshape([1, out.cols as usize])
                        .expand(shape);
                let one_hot = classes.equal(s(labels).expand(shape)).float();
                (p - one_hot).mul_scalar(scale)
            }
            Op::RowSum { input } => s(input).sum_dim(1).reshape([1, out.cols as usize]),
            Op::Momentum {
                velocity,
                grad,
                momentum,
            } => s(velocity).mul_scalar(momentum) + s(grad),
            Op::SgdUpdate {
                param,
                velocity,
                lr,
            } => s(param) - s(velocity).mul_scalar(lr),
        }
    }
}

impl Engine {
    fn round(&self, t: DeviceTensor) -> DeviceTensor {
        let dropped = match self.precision {
            Class::Fp32 => return t,
            Class::Tf32 => 13,
            Class::Bf16 => 16,
        };
        let host = download(t).expect("a device tensor reads back");
        let rounded: Vec<f32> = host
            .data()
            .iter()
            .map(|v| round_mantissa(*v, dropped))
            .collect();
        let rounded = Tensor::new(host.rows() as usize, host.cols() as usize, rounded)
            .expect("the shape of an existing tensor");
        upload(&self.device, &rounded)
    }
}

/// Rounds to nearest (ties to even), dropping the low `bits` of the mantissa.
pub fn round_mantissa(v: f32, bits: u32) -> f32 {
    if !v.is_finite() {
        return v;
    }
    let b = v.to_bits();
    let half = (1u32 << (bits - 1)) - 1 + ((b >> bits) & 1);
    f32::from_bits(b.wrapping_add(half) & !((1u32 << bits) - 1))
}

/// A host tensor on the device, bit for bit.
pub fn upload(device: &Device, t: &Tensor) -> DeviceTensor {
    DeviceTensor::from_data(
        TensorData::new(t.data().to_vec(), [t.rows() as usize, t.cols() as usize]),
        device,
    )
}

/// A state on the host, bit for bit; any thread may read a state back, not only the one that
/// computed it.
pub fn download_state(state: Vec<DeviceTensor>) -> Result<Vec<Tensor>, Error> {
    state.into_iter().map(download).collect()
}

/// A device tensor on the host, bit for bit.
pub fn download(t: DeviceTensor) -> Result<Tensor, Error> {
    let [rows, cols] = t.dims();
    let values = t
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| Error::Readback(format!("{e:?}")))?;
    Tensor::new(rows, cols, values).map_err(|e: tensor::Error| Error::Readback(e.to_string()))
}

/// The state hash of a host state.
pub fn state_hash(state: &[Tensor]) -> Hash {
    let hashes: Vec<Hash> = state.iter().map(|t| t.commit().hash).collect();
    state::state_hash(&hashes).expect("a state has at least one tensor")
}
