// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Float} from "./Float.sol";
import {Verdict} from "./Verdict.sol";

/// @title Dot
/// @notice Judges one claimed value of a dot product `c = Σ a_i·b_i` against the rigorous bound
/// of PROTOCOL §7, in integers only, exactly as `poai_common::check` does:
///
///     |ĉ − c| ≤ ((1+ε_in)(1+γ_n) − 1)·Σ|a_i·b_i| + 4n·2^-126 + Σ_{a_i or b_i subnormal}|a_i·b_i|
///
/// Every product `±m_a·m_b·2^(e_a+e_b)` is counted in units of `2^F`, `F = max(G − 120, −186)`
/// with `G = max_i(field(a_i) + field(b_i)) − 300` over the raw exponent fields. Products below a unit are rounded
/// down; `c` and the claim then lie within `n` and `1` units of their integers, which the bound
/// adds, so a rounding only ever widens what is accepted. Each integer stays below 2^250.
library Dot {
    /// @notice Precision classes: how matrix products may round their inputs.
    uint8 internal constant FP32 = 0;
    uint8 internal constant TF32 = 1;
    uint8 internal constant BF16 = 2;
    /// @notice The longest dot product a program may hold (`program::MAX_DIM`).
    uint256 internal constant MAX_TERMS = 1 << 20;

    /// Exponents below are biased by 298 (two f32 exponents, each biased by 149).
    uint256 private constant WINDOW = 120;
    uint256 private constant FLOOR = 112; // −186
    int256 private constant CLAIM_REACH = 200;
    int256 private constant NO_OVERFLOW_BELOW = -77;

    error BadClass(uint8 class);
    error TermCount(uint256 aBytes, uint256 bBytes);

    /// @notice `ε_in·2^24` of a class: fp32 0, tf32 `2^-10 + 2^-22`, bf16 `2^-7 + 2^-16`.
    function epsilon(uint8 class) internal pure returns (uint256) {
        if (class == FP32) return 0;
        if (class == TF32) return (1 << 14) + 4;
        if (class == BF16) return (1 << 17) + (1 << 8);
        revert BadClass(class);
    }

    /// @notice Judges `claim` (f32 bits) as `Σ a_i·b_i` over two packed little-endian f32 rows
    /// of equal length.
    function judge(bytes memory a, bytes memory b, uint8 class, uint256 claim)
        internal
        pure
        returns (Verdict.Reason)
    {
        uint256 eps = epsilon(class);
        uint256 n = a.length / 4;
        if (n == 0 || n > MAX_TERMS || a.length != b.length || a.length % 4 != 0) {
            revert TermCount(a.length, b.length);
        }
        (bool finite, bool zeroField, uint256 fb) = _window(a, b, n);
        if (!finite) return _nonFiniteTerms(a, b, n, class, claim);
        int256 f = int256(fb) - 298;
        // Rule 2 excuses only a non-finite claim: an infinity never leaves a sum, so a finite
        // result means nothing overflowed, and the bound holds for it (review 4, F1).
        if (!Float.isFinite(claim)) {
            if (
                _roundsToInfinity(a, b, n, class)
                    || (f > NO_OVERFLOW_BELOW && _mayOverflow(a, b, n, fb, eps))
            ) return Verdict.Reason.MayOverflow;
            return Verdict.Reason.NonFiniteClaim;
        }
        Sums memory sums = _sums(a, b, n, fb, zeroField);
        return _decide(sums, n, f, eps, claim);
    }

    /// @dev Rule 1 (PROTOCOL §7) for a dot product: a term with a NaN or infinite factor makes
    /// the IEEE value non-finite, so a non-finite claim passes; a finite one is honest only where
    /// a kernel skips zero terms: every non-finite factor must meet a zero, and the claim is
    /// judged as the sum of the other terms (0 if there are none), as
    /// `poai_common::check::non_finite_terms`.
    function _nonFiniteTerms(bytes memory a, bytes memory b, uint256 n, uint8 class, uint256 claim)
        private
        pure
        returns (Verdict.Reason)
    {
        if (!Float.isFinite(claim)) return Verdict.Reason.NonFiniteInput;
        uint256[] memory ra = new uint256[](n);
        uint256[] memory rb = new uint256[](n);
        uint256 m;
        for (uint256 i = 0; i < n; i++) {
            uint256 x = Float.at(a, i);
            uint256 y = Float.at(b, i);
            if (Float.isFinite(x) && Float.isFinite(y)) {
                ra[m] = x;
                rb[m] = y;
                m++;
            } else if (x & 0x7fffffff != 0 && y & 0x7fffffff != 0) {
                return Verdict.Reason.OutsideBound;
            }
        }
        if (m == 0) {
            return
                claim & 0x7fffffff == 0 ? Verdict.Reason.WithinBound : Verdict.Reason.OutsideBound;
        }
        assembly ("memory-safe") {
            mstore(ra, m)
            mstore(rb, m)
        }
        return judge(Float.pack(ra), Float.pack(rb), class, claim);
    }

    /// @dev Rule 2 (PROTOCOL §7), first part: whether the class rounds an input (to nearest) to
    /// infinity: magnitudes from `2^128 − 2^116` in tf32, `2^128 − 2^119` in bf16.
    function _roundsToInfinity(bytes memory a, bytes memory b, uint256 n, uint8 class)
        private
        pure
        returns (bool)
    {
        if (class == FP32) return false;
        uint256 from = class == TF32 ? 0x7f7ff000 : 0x7f7f8000;
        for (uint256 i = 0; i < n; i++) {
            if (Float.at(a, i) & 0x7fffffff >= from || Float.at(b, i) & 0x7fffffff >= from) {
                return true;
            }
        }
        return false;
    }

    /// @dev Rule 2 (PROTOCOL §7), the rest: whether some way of computing the sum (any order, fused or
    /// not, inputs rounded as the class allows, subnormals flushed) may take a value before its
    /// rounding to `T = 2^128 − 2^103`, the least that rounds to infinity. An operation sums some
    /// of the terms, whose exact sum lies in `[−N, P]`; the roundings below it add at most
    /// `ε_in + γ_{n−1}` of the inexact products' magnitude and `ε_in + γ_{n−2}` of the exact
    /// ones, and a flush per operation. In units of `2^F`, times `2^24 − n`:
    /// `(max(P, N) + n + tiny)(2^24 − n) + ε_in·2^24·S + (n − 1)·S_inexact + (n − 2)⁺·S_exact ≥
    /// T·(2^24 − n)`, as `poai_common::check::may_overflow`. Only ever run for a non-finite claim
    /// near the top of the range, so it loops plainly.
    function _mayOverflow(bytes memory a, bytes memory b, uint256 n, uint256 fb, uint256 eps)
        private
        pure
        returns (bool)
    {
        // [positive part, negative part, exact products, inexact products]
        uint256[4] memory parts;
        for (uint256 i = 0; i < n; i++) {
            (uint256 p, bool negative, bool exact) = _term(a, b, i, fb);
            parts[negative ? 1 : 0] += p;
            parts[exact && eps == 0 ? 2 : 3] += p + 1;
        }
        int256 f = int256(fb) - 298;
        uint256 denominator = (1 << 24) - n;
        uint256 tiny =
            f <= -126 ? (4 * n) << uint256(-126 - f) : ((4 * n - 1) >> uint256(f + 126)) + 1;
        uint256 reach = ((parts[0] > parts[1] ? parts[0] : parts[1]) + n + tiny) * denominator + eps
            * (parts[2] + parts[3]) + (n - 1) * parts[3] + (n > 2 ? n - 2 : 0) * parts[2];
        return reach >= (((1 << 25) - 1) << uint256(103 - f)) * denominator;
    }

    /// @dev Term `i`: `|a_i·b_i|` in units of `2^(fb − 298)`, rounded down, its sign, and
    /// whether the product is an f32 itself.
    function _term(bytes memory a, bytes memory b, uint256 i, uint256 fb)
        private
        pure
        returns (uint256 p, bool negative, bool exact)
    {
        (, bool na, uint256 ma, uint256 ea) = Float.decode(Float.at(a, i));
        (, bool nb, uint256 mb, uint256 eb) = Float.decode(Float.at(b, i));
        uint256 q = ma * mb;
        uint256 g = ea + eb; // e_a + e_b + 298
        p = g < fb ? q >> (fb - g) : q << (g - fb);
        negative = na != nb;
        exact = _exactProduct(q, g);
    }

    /// @dev Whether the product `q·2^(g − 298)` of two f32 is an f32 itself: its significand
    /// fits 24 bits and its lowest bit is at least `2^-149`.
    function _exactProduct(uint256 q, uint256 g) private pure returns (bool) {
        if (q == 0) return true;
        uint256 lowest;
        unchecked {
            lowest = q & (~q + 1);
        }
        // The significand without its trailing zeros; the lowest bit `2^(g−298)·lowest`.
        return q / lowest < 1 << 24 && (g >= 149 || q % (1 << (149 - g)) == 0);
    }

    /// @dev The products in units of 2^F, rounded down: their signed sum `c`, and upper bounds of
    /// `Σ|a_i·b_i|` and of the part with a subnormal input.
    struct Sums {
        int256 c;
        uint256 magnitude;
        uint256 flushable;
    }

    /// @dev Rule 3 for a finite claim, on the sums of a window at `2^f`.
    function _decide(Sums memory s, uint256 n, int256 f, uint256 eps, uint256 claim)
        private
        pure
        returns (Verdict.Reason)
    {
        uint256 denominator = (1 << 24) - n;
        uint256 tiny =
            f <= -126 ? (4 * n) << uint256(-126 - f) : ((4 * n - 1) >> uint256(f + 126)) + 1;
        uint256 rhs = (eps + n) * s.magnitude + (tiny + s.flushable) * denominator;
        uint256 d = _distance(s, f, claim);
        if (d == type(uint256).max) return Verdict.Reason.OutsideBound;
        uint256 slack = n + 1;
        if (d > slack && (d - slack) * denominator > rhs) return Verdict.Reason.OutsideBound;
        return Verdict.Reason.WithinBound;
    }

    /// @dev `|X − C|` in units of 2^f, the claim `X` rounded towards zero; a claim past the
    /// reach of every bound gives `type(uint256).max`.
    function _distance(Sums memory s, int256 f, uint256 claim) private pure returns (uint256) {
        (, bool negative, uint256 m, uint256 eb) = Float.decode(claim);
        int256 shift = int256(eb) - 149 - f;
        if (m != 0 && shift > CLAIM_REACH) return type(uint256).max;
        uint256 x = shift >= 0 ? m << uint256(shift) : m >> uint256(-shift);
        int256 distance = (negative ? -int256(x) : int256(x)) - s.c;
        return uint256(distance >= 0 ? distance : -distance);
    }

    /// @notice Judges `claim` as `Σ a_i·b_i` for a few terms given as f32 bits.
    function judgeTerms(uint256[] memory a, uint256[] memory b, uint8 class, uint256 claim)
        internal
        pure
        returns (Verdict.Reason)
    {
        return judge(Float.pack(a), Float.pack(b), class, claim);
    }

    /// @dev Whether every input is finite, whether any has a zero exponent field (zero or
    /// subnormal), and the window's biased exponent `F + 298 = max(G_raw − 122, 112)`, `G_raw`
    /// the largest sum of two raw exponent fields. Eight values at a time (SWAR): a word of each
    /// row, each 4-byte lane byte-swapped to big-endian; the fields' tests and a lane-wise
    /// running maximum need no lane to be taken out until the end.
    function _window(bytes memory a, bytes memory b, uint256 n)
        private
        pure
        returns (bool finite, bool zeroField, uint256 fb)
    {
        uint256 bad;
        uint256 zero;
        uint256 top;
        assembly ("memory-safe") {
            function swap(w) -> r {
                let m8 := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
                let m16 := 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff
                r := or(shl(8, and(w, m8)), and(shr(8, w), m8))
                r := or(shl(16, and(r, m16)), and(shr(16, r), m16))
            }
            let exps := 0x7f8000007f8000007f8000007f8000007f8000007f8000007f8000007f800000
            let unit := 0x0080000000800000008000000080000000800000008000000080000000800000
            let high := 0x8000000080000000800000008000000080000000800000008000000080000000
            let most := 0
            let pa := add(a, 0x20)
            let pb := add(b, 0x20)
            for { let left := n } left {} {
                let wa := swap(mload(pa))
                let wb := swap(mload(pb))
                if lt(left, 8) {
                    // Lanes past the row hold the smallest normal: finite, not zero, and too
                    // small to move the window.
                    let rest := sub(shl(shl(5, sub(8, left)), 1), 1)
                    wa := or(and(wa, not(rest)), and(unit, rest))
                    wb := or(and(wb, not(rest)), and(unit, rest))
                    left := 8
                }
                left := sub(left, 8)
                pa := add(pa, 0x20)
                pb := add(pb, 0x20)
                let xa := and(wa, exps)
                let xb := and(wb, exps)
                // A field of all ones carries into the lane's top bit; a field of zeros does not
                // clear it from below.
                bad := or(bad, and(or(add(xa, unit), add(xb, unit)), high))
                zero := or(
                    zero,
                    and(not(and(sub(or(xa, high), unit), sub(or(xb, high), unit))), high)
                )
                let sums := add(shr(23, xa), shr(23, xb))
                let ge := mul(shr(31, and(sub(or(most, high), sums), high)), 0xffffffff)
                most := or(and(most, ge), and(sums, not(ge)))
            }
            for { let sh := 0 } lt(sh, 256) { sh := add(sh, 32) } {
                let lane := and(shr(sh, most), 0xffffffff)
                if gt(lane, top) { top := lane }
            }
        }
        finite = bad == 0;
        zeroField = zero != 0;
        fb = top > FLOOR + WINDOW + 2 ? top - WINDOW - 2 : FLOOR;
    }

    /// @dev The sums of the products at the window `fb`. Each product is below 2^168 and
    /// n ≤ 2^20, so no sum overflows. The part with a subnormal input is summed in a loop of
    /// its own, only when there is one (a zero counts: it costs a loop, never a verdict).
    function _sums(bytes memory a, bytes memory b, uint256 n, uint256 fb, bool subnormal)
        private
        pure
        returns (Sums memory s)
    {
        int256 c;
        uint256 magnitude;
        uint256 flushable;
        assembly ("memory-safe") {
            function swap(w) -> r {
                let m8 := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
                let m16 := 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff
                r := or(shl(8, and(w, m8)), and(shr(8, w), m8))
                r := or(shl(16, and(r, m16)), and(shr(16, r), m16))
            }
            // |a·b| in units of 2^w, rounded down, for two big-endian f32.
            function product(va, vb, w) -> p {
                let fa := and(shr(23, va), 0xff)
                let fv := and(shr(23, vb), 0xff)
                p := mul(
                    or(and(va, 0x7fffff), shl(23, iszero(iszero(fa)))),
                    or(and(vb, 0x7fffff), shl(23, iszero(iszero(fv))))
                )
                let g := add(sub(fa, iszero(iszero(fa))), sub(fv, iszero(iszero(fv))))
                switch lt(g, w)
                case 1 { p := shr(sub(w, g), p) }
                default { p := shl(sub(g, w), p) }
            }
            let pa := add(a, 0x20)
            let pb := add(b, 0x20)
            for { let left := n } left {} {
                let wa := swap(mload(pa))
                let wb := swap(mload(pb))
                let lanes := 8
                if lt(left, 8) { lanes := left }
                left := sub(left, lanes)
                pa := add(pa, 0x20)
                pb := add(pb, 0x20)
                for { let sh := 224 } lanes { sh := sub(sh, 32) } {
                    lanes := sub(lanes, 1)
                    let va := and(shr(sh, wa), 0xffffffff)
                    let vb := and(shr(sh, wb), 0xffffffff)
                    let p := product(va, vb, fb)
                    magnitude := add(magnitude, p)
                    // Add p or −p: the sign bit of va ⊕ vb picks +1 or −1.
                    c := add(c, mul(p, sub(1, shl(1, shr(31, xor(va, vb))))))
                    if subnormal {
                        let fa := and(shr(23, va), 0xff)
                        let fv := and(shr(23, vb), 0xff)
                        if or(
                            and(iszero(fa), iszero(iszero(and(va, 0x7fffff)))),
                            and(iszero(fv), iszero(iszero(and(vb, 0x7fffff))))
                        ) {
                            flushable := add(flushable, add(p, 1))
                        }
                    }
                }
            }
            magnitude := add(magnitude, n)
        }
        s = Sums(c, magnitude, flushable);
    }
}
