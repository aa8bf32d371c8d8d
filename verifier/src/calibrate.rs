//! Calibrating tier 1's `τ`: measure how far an honest re-execution on one backend drifts from
//! an honest run on another, over many segments, and propose `τ` with a safety margin.

use poai_common::engine::Engine;
use poai_common::run::Schedule;
use poai_common::tensor::Tensor;
use poai_common::tolerance::Comparison;
use serde::Serialize;

/// What a calibration measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub segments: u64,
    pub steps_per_segment: u64,
    /// The worst relative L2 distance over the state tensors, per segment.
    pub drift: Vec<f64>,
    pub max_drift: f64,
    pub margin: f64,
    /// `max_drift × margin`, rounded up to one significant digit.
    pub proposed_tau: f64,
}

/// Runs `schedule` on `solver` from `init`; re-executes each segment on `verifier` from the
/// solver's checkpoint and measures the drift at the segment's end.
pub fn calibrate(
    solver: &Engine,
    verifier: &Engine,
    init: &[Tensor],
    schedule: Schedule,
    margin: f64,
    mut on_segment: impl FnMut(u64, f64),
) -> Result<Calibration, poai_common::engine::Error> {
    let k = schedule.interval;
    let mut checkpoint = init.to_vec();
    let mut drift = Vec::new();
    for j in 0..schedule.segments() {
        let run = |engine: &Engine| -> Result<Vec<Tensor>, poai_common::engine::Error> {
            let mut state = engine.upload(&checkpoint)?;
            for t in j * k..(j + 1) * k {
                state = engine.step(state, t).0;
            }
            engine.download(state)
        };
        let solved = run(solver)?;
        let verified = run(verifier)?;
        let worst = Comparison::new(&solved, &verified, 0.0).worst();
        on_segment(j, worst);
        drift.push(worst);
        checkpoint = solved;
    }
    let max_drift = drift.iter().copied().fold(0.0, f64::max);
    Ok(Calibration {
        segments: schedule.segments(),
        steps_per_segment: k,
        drift,
        max_drift,
        margin,
        proposed_tau: round_up_one_digit(max_drift * margin),
    })
}

/// Rounds up to one significant decimal digit: 2.3e-6 → 3e-6.
fn round_up_one_digit(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powf(x.log10().floor());
    (x / scale).ceil() * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_up_keeps_one_digit() {
        assert!((round_up_one_digit(2.3e-6) - 3e-6).abs() < 1e-18);
        assert!((round_up_one_digit(9.01e-5) - 1e-4).abs() < 1e-16);
        assert_eq!(round_up_one_digit(0.0), 0.0);
    }
}
