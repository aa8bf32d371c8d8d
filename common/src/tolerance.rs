//! Tier 1, DESIGN §5: a verifier re-executes a segment on its own hardware and passes it when
//! every state tensor is within a relative L2 distance `τ` of the solver's,
//! `‖w' − w‖₂ / max(‖w‖₂, tiny) ≤ τ`. It finds suspects fast; it proves nothing (tier 2 does).

use serde::{Deserialize, Serialize};

use crate::tensor::Tensor;

/// The default `τ`, from `poai calibrate` (docs/BENCHMARKS.md): the largest honest CPU↔wgpu
/// drift measured over 30 segments of k = 100 steps of the digits task was 1.1e-5; τ leaves a
/// margin of about 90 above it.
pub const DEFAULT_TAU: f64 = 1e-3;

/// Norms below this count as this (a zero tensor compared with a zero tensor is distance 0).
pub const TINY: f64 = 1e-30;

/// The relative L2 distance of the solver's `got` from the checker's own re-execution
/// `reference`; infinite if the shapes differ, or if `got` is non-finite where `reference` is
/// finite. Where the checker's own value is itself non-finite (an honest run that diverged:
/// AUDIT H3 (c)) the place proves nothing either way and is left out, whatever `got` holds
/// there: a checker never challenges a divergence it reproduces, since no op fed by a NaN or an
/// infinity is provable.
pub fn distance(got: &Tensor, reference: &Tensor) -> f64 {
    if got.rows() != reference.rows() || got.cols() != reference.cols() {
        return f64::INFINITY;
    }
    let mut diff = 0.0f64;
    let mut norm = 0.0f64;
    for (&a, &b) in got.data().iter().zip(reference.data()) {
        if !b.is_finite() {
            continue;
        }
        if !a.is_finite() {
            return f64::INFINITY;
        }
        let d = f64::from(a) - f64::from(b);
        diff += d * d;
        norm += f64::from(b) * f64::from(b);
    }
    diff.sqrt() / norm.sqrt().max(TINY)
}

/// The tier-1 verdict on a whole state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Each state tensor's distance.
    pub distances: Vec<f64>,
    pub tau: f64,
}

impl Comparison {
    /// Compares the solver's state `got` with the checker's re-executed `reference`, tensor by
    /// tensor.
    pub fn new(got: &[Tensor], reference: &[Tensor], tau: f64) -> Self {
        let mut distances: Vec<f64> = got
            .iter()
            .zip(reference)
            .map(|(g, r)| distance(g, r))
            .collect();
        if got.len() != reference.len() {
            distances.push(f64::INFINITY);
        }
        Self { distances, tau }
    }

    /// The largest distance.
    pub fn worst(&self) -> f64 {
        self.distances.iter().copied().fold(0.0, f64::max)
    }

    pub fn passes(&self) -> bool {
        self.worst() <= self.tau
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::vector(v.to_vec()).expect("non-empty")
    }

    #[test]
    fn distance_is_relative_l2() {
        assert_eq!(distance(&t(&[3.0, 4.0]), &t(&[3.0, 4.0])), 0.0);
        let d = distance(&t(&[3.0, 4.5]), &t(&[3.0, 4.0]));
        assert!((d - 0.1).abs() < 1e-12, "{d}");
        assert_eq!(distance(&t(&[0.0]), &t(&[0.0])), 0.0);
    }

    #[test]
    fn nan_infinity_and_shape_changes_are_infinitely_far() {
        assert_eq!(distance(&t(&[f32::NAN]), &t(&[1.0])), f64::INFINITY);
        assert_eq!(distance(&t(&[f32::INFINITY]), &t(&[1.0])), f64::INFINITY);
        assert_eq!(distance(&t(&[1.0, 2.0]), &t(&[1.0])), f64::INFINITY);
    }

    #[test]
    fn a_state_passes_only_if_every_tensor_does() {
        let a = [t(&[1.0, 2.0]), t(&[5.0])];
        let b = [t(&[1.0, 2.0]), t(&[5.001])];
        assert!(Comparison::new(&a, &a, 1e-6).passes());
        let c = Comparison::new(&a, &b, 1e-6);
        assert!(!c.passes());
        assert!(Comparison::new(&a, &b, 1e-3).passes());
        assert!(
            !Comparison::new(&a[..1], &b, 1.0).passes(),
            "a missing tensor fails"
        );
    }

    /// AUDIT H3 (c): a run that diverges honestly diverges for the checker too; where its own
    /// value is NaN or infinite the place is left out (both NaN is distance 0), so an honest
    /// diverging task is not challenged. The solver alone diverging is still infinite.
    #[test]
    fn places_where_the_checker_itself_diverged_are_left_out() {
        let nan = f32::NAN;
        assert_eq!(distance(&t(&[nan, 4.0]), &t(&[nan, 4.0])), 0.0);
        assert_eq!(distance(&t(&[f32::INFINITY]), &t(&[f32::INFINITY])), 0.0);
        assert_eq!(distance(&t(&[1.0, 4.0]), &t(&[nan, 4.0])), 0.0);
        let d = distance(&t(&[nan, 4.5]), &t(&[nan, 4.0]));
        assert!((d - 0.125).abs() < 1e-12, "{d}");
        assert_eq!(distance(&t(&[nan, 4.0]), &t(&[1.0, 4.0])), f64::INFINITY);
        // All of the checker's own values non-finite: nothing to compare, nothing to challenge.
        assert_eq!(
            distance(&t(&[nan, nan]), &t(&[nan, f32::NEG_INFINITY])),
            0.0
        );
    }
}
