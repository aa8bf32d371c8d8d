//! The one-op prover on a real anvil: a real training step's trace, committed by the Rust
//! prover (`poai_common::prove`), judged by the deployed `OpProver` through `eth_call` — a
//! forged value and a swapped data row are proven, honest values and loads are not.

use alloy::network::EthereumWallet;
use alloy::providers::ProviderBuilder;
use alloy::signers::local::PrivateKeySigner;
use poai_common::chain::{self, bindings::op_prover::OpProver};
use poai_common::check::Class;
use poai_common::engine::{Backend, Engine, Trace};
use poai_common::program::{Op, Program, mlp};
use poai_common::prove::Committed;
use poai_common::rng::SplitMix64;
use poai_common::tensor::Tensor;

const SEED: [u8; 32] = [3; 32];

fn data(swap: Option<u32>) -> Tensor {
    let mut rng = SplitMix64(21);
    let mut rows: Vec<Vec<f32>> = (0..40)
        .map(|i| {
            let mut r: Vec<f32> = (0..12).map(|_| rng.symmetric_unit()).collect();
            r.push((i % 4) as f32);
            r
        })
        .collect();
    if let Some(r) = swap {
        rows.swap(r as usize, (r as usize + 1) % 40);
    }
    Tensor::from_rows(&rows).expect("rectangular")
}

fn step(program: &Program, data: &Tensor) -> Trace {
    let model = mlp::Config {
        input: 12,
        hidden: vec![16],
        classes: 4,
    };
    let state = model.initial_state(8);
    Engine::new(Backend::Flex, program.clone(), Some(data), SEED)
        .expect("valid")
        .trace(&state, 0)
        .expect("runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_value_and_a_swapped_row_are_proven_on_anvil_and_honest_ones_are_not() {
    let anvil = chain::start_anvil(chain::default_anvil()).expect("anvil from npm");
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url());
    let prover = OpProver::deploy(&provider).await.expect("deploys");

    let model = mlp::Config {
        input: 12,
        hidden: vec![16],
        classes: 4,
    };
    let program = model.training(mlp::Sgd {
        lr: 0.1,
        momentum: 0.9,
        batch: 4,
    });
    let honest = step(&program, &data(None));
    let matmul = program
        .ops
        .iter()
        .position(|o| matches!(o, Op::MatmulNt { .. }))
        .expect("an MLP multiplies");
    let mut forged = honest.clone();
    let slot = program.output_slot(matmul) as usize;
    let t = &forged.slots[slot];
    let mut values = t.data().to_vec();
    values[0] *= 1.001;
    forged.slots[slot] =
        Tensor::new(t.rows() as usize, t.cols() as usize, values).expect("same shape");

    for (trace, fraud) in [(&honest, false), (&forged, true)] {
        let committed = Committed::new(&program, trace).expect("commits");
        let call = committed
            .op_proof(Class::Fp32, matmul, 0, 0)
            .expect("a matmul value");
        let proven = prover
            .provesFraud(call.step, call.op, call.inputs, call.output)
            .call()
            .await
            .expect("a well-formed proof");
        assert_eq!(proven, fraud, "forged: {fraud}");
    }

    // A solver that trained on a data set with the first batch row swapped for its neighbour.
    let real = data(None);
    let first = poai_common::batch::row_index(&SEED, 0, 0, real.rows());
    let cheat = step(&program, &data(Some(first)));
    for (trace, fraud) in [(&honest, false), (&cheat, true)] {
        let committed = Committed::new(&program, trace).expect("commits");
        let call = committed
            .load_proof(&real, &SEED, 0, 0, 0)
            .expect("op 0 loads");
        let proven = prover
            .provesLoadFraud(
                call.step,
                call.op,
                call.data,
                call.output,
                call.loaded,
                call.source,
            )
            .call()
            .await
            .expect("a well-formed proof");
        assert_eq!(proven, fraud, "swapped: {fraud}");
    }
}
