//! The challenger's reasoning (`common::dispute`, DESIGN §6 moves 2 and 4) on real executions:
//! an honest step has no fault, and each way a solver cheats is found as the fault the contract
//! can be shown.

use poai_common::check::Class;
use poai_common::dispute::{self, Fault, Served};
use poai_common::engine::{Backend, Engine};
use poai_common::program::mlp;
use poai_common::rng::SplitMix64;
use poai_common::tensor::Tensor;

const SEED: [u8; 32] = [0x44; 32];

fn task() -> (Tensor, mlp::Config, mlp::Sgd) {
    let mut rng = SplitMix64(99);
    let rows: Vec<Vec<f32>> = (0..40)
        .map(|i| {
            let mut r: Vec<f32> = (0..12).map(|_| rng.symmetric_unit()).collect();
            r.push((i % 4) as f32);
            r
        })
        .collect();
    let model = mlp::Config {
        input: 12,
        hidden: vec![16],
        classes: 4,
    };
    let sgd = mlp::Sgd {
        lr: 0.05,
        momentum: 0.9,
        batch: 8,
    };
    (Tensor::from_rows(&rows).expect("rectangular"), model, sgd)
}

/// The trace of step `t` from `state` by `engine`, judged against the task's program, data set
/// and the posted start and end states.
fn fault(
    engine: &Engine,
    honest: &Engine,
    data: &Tensor,
    start: &[Tensor],
    next: Option<&[Tensor]>,
    t: u64,
) -> Option<Fault> {
    let trace = engine.trace(start, t).expect("runs");
    let produced: Vec<Tensor> = honest
        .program()
        .next_state
        .iter()
        .map(|&s| trace.slots[s as usize].clone())
        .collect();
    dispute::find_fault(&Served {
        program: honest.program(),
        dataset: data,
        seed: &SEED,
        class: Class::Fp32,
        step: t,
        slots: &trace.slots,
        start,
        next: next.unwrap_or(&produced),
    })
    .expect("a well-formed trace")
}

#[test]
fn an_honest_step_has_no_fault_and_each_cheat_is_found_where_the_contract_can_check_it() {
    let (data, model, sgd) = task();
    let program = model.training(sgd);
    let honest = Engine::new(Backend::Flex, program.clone(), Some(&data), SEED).expect("valid");
    let state = model.initial_state(5);
    let t = 3;
    assert_eq!(fault(&honest, &honest, &data, &state, None, t), None);

    // A changed learning rate: the SGD update is outside its bound.
    let lr = Engine::new(
        Backend::Flex,
        model.training(mlp::Sgd {
            lr: sgd.lr * 1.01,
            ..sgd
        }),
        Some(&data),
        SEED,
    )
    .expect("valid");
    assert!(matches!(
        fault(&lr, &honest, &data, &state, None, t),
        Some(Fault::Op { .. })
    ));

    // bf16 instead of fp32: a matrix product is outside the fp32 bound.
    let bf16 = Engine::new(Backend::Flex, program.clone(), Some(&data), SEED)
        .expect("valid")
        .with_precision(Class::Bf16);
    assert!(matches!(
        fault(&bf16, &honest, &data, &state, None, t),
        Some(Fault::Op { .. })
    ));

    // A swapped data row: the load is not the batch rule's row.
    let row = poai_common::batch::row_index(&SEED, t, 2, data.rows());
    let mut swapped = data.data().to_vec();
    let cols = data.cols() as usize;
    let other = (row as usize + 1) % data.rows() as usize;
    swapped.copy_within(other * cols..(other + 1) * cols, row as usize * cols);
    let swapped = Tensor::new(data.rows() as usize, cols, swapped).expect("same shape");
    let data_cheat =
        Engine::new(Backend::Flex, program.clone(), Some(&swapped), SEED).expect("valid");
    assert_eq!(
        fault(&data_cheat, &honest, &data, &state, None, t),
        Some(Fault::Load { op: 0, row: 2 })
    );

    // A skipped step: the posted end state is the start state again.
    assert!(matches!(
        fault(&honest, &honest, &data, &state, Some(&state), t),
        Some(Fault::NextLink { .. })
    ));

    // A trace that starts elsewhere than the posted state (a replayed checkpoint).
    let other_start = model.initial_state(6);
    let trace = honest.trace(&other_start, t).expect("runs");
    let found = dispute::find_fault(&Served {
        program: &program,
        dataset: &data,
        seed: &SEED,
        class: Class::Fp32,
        step: t,
        slots: &trace.slots,
        start: &state,
        next: &state,
    })
    .expect("well-formed");
    assert_eq!(found, Some(Fault::StartLink { index: 0 }));
}

#[test]
fn the_picked_step_is_the_one_whose_update_the_cheat_changed() {
    let (data, model, sgd) = task();
    let program = model.training(sgd);
    let honest = Engine::new(Backend::Flex, program, Some(&data), SEED).expect("valid");
    let (k, segment) = (6u64, 1u64);
    let mut state = model.initial_state(5);
    let mut states = vec![state.clone()];
    for i in 0..k {
        let t = segment * k + i;
        let next = honest
            .download(honest.step(honest.upload(&state).expect("shapes"), t).0)
            .expect("reads back");
        // The cheat skips step 4 of the segment.
        state = if i == 4 { state } else { next };
        states.push(state.clone());
    }
    let pick = dispute::pick_step(&honest, &states, k, segment).expect("k + 1 states");
    assert_eq!(pick.step, 4);
    assert!(pick.distance >= 0.99, "{pick:?}");

    let honest_states: Vec<Vec<Tensor>> = {
        let mut s = model.initial_state(5);
        let mut all = vec![s.clone()];
        for i in 0..k {
            s = honest
                .download(
                    honest
                        .step(honest.upload(&s).expect("shapes"), segment * k + i)
                        .0,
                )
                .expect("reads back");
            all.push(s.clone());
        }
        all
    };
    let pick = dispute::pick_step(&honest, &honest_states, k, segment).expect("k + 1 states");
    assert_eq!(
        pick.distance, 0.0,
        "the same backend reproduces every update"
    );
    assert!(dispute::pick_step(&honest, &honest_states[1..], k, segment).is_err());
}

/// AUDIT H4: the challenger decides as the contract does. An op output of another shape than its
/// descriptor is fraud by itself (the contract's `WrongShape`; a load's, a data proof): it is
/// found and its proof built, not refused as a malformed trace.
#[test]
fn a_mis_shaped_op_output_is_a_provable_fault_not_an_error() {
    let (data, model, sgd) = task();
    let program = model.training(sgd);
    let honest = Engine::new(Backend::Flex, program.clone(), Some(&data), SEED).expect("valid");
    let state = model.initial_state(5);
    let t = 3;
    let trace = honest.trace(&state, t).expect("runs");
    let next: Vec<Tensor> = program
        .next_state
        .iter()
        .map(|&s| trace.slots[s as usize].clone())
        .collect();
    let judge = |slots: &[Tensor]| {
        let served = Served {
            program: &program,
            dataset: &data,
            seed: &SEED,
            class: Class::Fp32,
            step: t,
            slots,
            start: &state,
            next: &next,
        };
        let fault = dispute::find_fault(&served).expect("judged, not refused");
        if let Some(f) = fault {
            f.proof(&served, &[], 0).expect("its proof builds");
        }
        fault
    };
    // One column wider: op 1's output (a matrix product).
    let mut wide = trace.slots.clone();
    let slot = program.output_slot(1) as usize;
    let o = &wide[slot];
    let rows: Vec<Vec<f32>> = (0..o.rows())
        .map(|r| {
            let mut row = o.row(r).expect("in range").to_vec();
            row.push(0.0);
            row
        })
        .collect();
    wide[slot] = Tensor::from_rows(&rows).expect("rectangular");
    assert_eq!(
        judge(&wide),
        Some(Fault::Op {
            op: 1,
            row: 0,
            col: 0
        })
    );
    // A load one row short: a data proof.
    let mut short = trace.slots.clone();
    let slot = program.output_slot(0) as usize;
    let o = &short[slot];
    let rows: Vec<&[f32]> = (0..o.rows() - 1)
        .map(|r| o.row(r).expect("in range"))
        .collect();
    short[slot] = Tensor::from_rows(&rows).expect("rectangular");
    assert_eq!(judge(&short), Some(Fault::Load { op: 0, row: 0 }));
    // The honest trace: nothing.
    assert_eq!(judge(&trace.slots), None);
}

/// Review 4, F1: a cheater whose first wrong step is provable and whose later steps start from a
/// state nothing can be proven from (it claimed NaN where rule 2 lets any claim pass) must be
/// disputed at its first wrong step, although a later one differs more (here infinitely).
#[test]
fn the_earliest_clearly_wrong_step_is_picked_not_the_worst() {
    let (data, model, sgd) = task();
    let program = model.training(sgd);
    let honest = Engine::new(Backend::Flex, program, Some(&data), SEED).expect("valid");
    let (k, segment) = (6u64, 1u64);
    let step = |s: &Vec<Tensor>, t: u64| {
        honest
            .download(honest.step(honest.upload(s).expect("shapes"), t).0)
            .expect("reads back")
    };
    let mut state = model.initial_state(5);
    let mut states = vec![state.clone()];
    for i in 0..k {
        let mut next = step(&state, segment * k + i);
        if i == 2 {
            // Step 2 drives the last tensor (a bias) to the largest f32.
            let last = next.len() - 1;
            let b = &next[last];
            next[last] = Tensor::new(
                b.rows() as usize,
                b.cols() as usize,
                vec![f32::MAX; b.data().len()],
            )
            .expect("same shape");
        }
        if i == 3 {
            // Step 3 claims NaN everywhere.
            next = next
                .iter()
                .map(|t| {
                    Tensor::new(
                        t.rows() as usize,
                        t.cols() as usize,
                        vec![f32::NAN; t.data().len()],
                    )
                    .expect("same shape")
                })
                .collect();
        }
        state = next;
        states.push(state.clone());
    }
    let pick = dispute::pick_step(&honest, &states, k, segment).expect("k + 1 states");
    assert_eq!(pick.step, 2, "{pick:?}");
}

/// The review of segment indexes, H1: a served start state with more tensors than the trace
/// has slots (each equal to the slot at its place) is an error, not a panic past the trace's
/// end: the fault is in the step that made that state.
#[test]
fn a_start_state_with_an_extra_tensor_is_an_error_not_a_panic() {
    let (data, model, sgd) = task();
    let engine = Engine::new(Backend::Flex, model.training(sgd), Some(&data), SEED).expect("ok");
    let start = model.initial_state(3);
    let trace = engine.trace(&start, 0).expect("runs");
    // Every slot of the trace, then one more: each tensor the old loop compared was equal, and
    // the last was past the trace's end.
    let mut longer = trace.slots.clone();
    longer.push(start[0].clone());
    let next = engine
        .download(engine.step(engine.upload(&start).expect("fits"), 0).0)
        .expect("readback");
    let served = Served {
        program: engine.program(),
        dataset: &data,
        seed: &SEED,
        class: Class::Fp32,
        step: 0,
        slots: &trace.slots,
        start: &longer,
        next: &next,
    };
    assert!(matches!(
        dispute::find_fault(&served),
        Err(dispute::Error::StateTensors { got, expected })
            if got == trace.slots.len() + 1 && expected == start.len()
    ));
}
