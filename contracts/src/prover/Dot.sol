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
/// with `G` the largest `e_a + e_b` of a non-zero product. Products below a unit are rounded
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
        (bool finite, uint256 fb) = _window(a, b, n);
        if (!finite) return Verdict.Reason.NonFiniteInput;
        Sums memory sums = _sums(a, b, n, fb);
        return _decide(sums, n, int256(fb) - 298, eps, claim);
    }

    /// @dev The products in units of 2^F, rounded down: their positive and negative parts, and
    /// upper bounds of `Σ|a_i·b_i|` and of the part with a subnormal input.
    struct Sums {
        uint256 pos;
        uint256 neg;
        uint256 magnitude;
        uint256 flushable;
    }

    /// @dev Rules 2 and 3 on the sums of a window at `2^f`.
    function _decide(Sums memory s, uint256 n, int256 f, uint256 eps, uint256 claim)
        private
        pure
        returns (Verdict.Reason)
    {
        uint256 denominator = (1 << 24) - n;
        // Rule 2: |any partial sum| ≤ (1 + γ_n)·Σ|a_i·b_i| may reach the largest f32.
        if (
            f > NO_OVERFLOW_BELOW
                && s.magnitude << 24 >= (((1 << 24) - 1) * denominator) << uint256(104 - f)
        ) return Verdict.Reason.MayOverflow;
        if (!Float.isFinite(claim)) return Verdict.Reason.NonFiniteClaim;
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
        int256 distance = (negative ? -int256(x) : int256(x)) - (int256(s.pos) - int256(s.neg));
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

    /// @dev Whether every input is finite, and the window's biased exponent `F + 298`.
    function _window(bytes memory a, bytes memory b, uint256 n)
        private
        pure
        returns (bool finite, uint256 fb)
    {
        uint256 top;
        bool any;
        finite = true;
        assembly ("memory-safe") {
            function le(p, i) -> v {
                v := shr(224, mload(add(p, mul(i, 4))))
                v := or(
                    or(shl(24, and(v, 0xff)), shl(8, and(v, 0xff00))),
                    or(shr(8, and(v, 0xff0000)), shr(24, v))
                )
            }
            function biased(v) -> eb {
                let field := and(shr(23, v), 0xff)
                eb := sub(field, iszero(iszero(field)))
            }
            let pa := add(a, 0x20)
            let pb := add(b, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let va := le(pa, i)
                let vb := le(pb, i)
                if or(eq(and(shr(23, va), 0xff), 0xff), eq(and(shr(23, vb), 0xff), 0xff)) {
                    finite := 0
                    break
                }
                if and(iszero(iszero(and(va, 0x7fffffff))), iszero(iszero(and(vb, 0x7fffffff)))) {
                    let g := add(biased(va), biased(vb))
                    if or(iszero(any), gt(g, top)) { top := g }
                    any := 1
                }
            }
        }
        fb = any && top > FLOOR + WINDOW ? top - WINDOW : FLOOR;
    }

    /// @dev The sums of the products at the window `fb`. Each product is below 2^168 and
    /// n ≤ 2^20, so no sum overflows.
    function _sums(bytes memory a, bytes memory b, uint256 n, uint256 fb)
        private
        pure
        returns (Sums memory s)
    {
        uint256 pos;
        uint256 neg;
        uint256 magnitude;
        uint256 flushable;
        assembly ("memory-safe") {
            function le(p, i) -> v {
                v := shr(224, mload(add(p, mul(i, 4))))
                v := or(
                    or(shl(24, and(v, 0xff)), shl(8, and(v, 0xff00))),
                    or(shr(8, and(v, 0xff0000)), shr(24, v))
                )
            }
            // One product in units of 2^F, rounded down, and whether an input is subnormal.
            function product(va, vb, w) -> p, subnormal {
                let fa := and(shr(23, va), 0xff)
                let fv := and(shr(23, vb), 0xff)
                let ma := and(va, 0x7fffff)
                let mb := and(vb, 0x7fffff)
                subnormal := or(
                    and(iszero(fa), iszero(iszero(ma))),
                    and(iszero(fv), iszero(iszero(mb)))
                )
                if fa { ma := or(ma, 0x800000) }
                if fv { mb := or(mb, 0x800000) }
                let g := add(sub(fa, iszero(iszero(fa))), sub(fv, iszero(iszero(fv))))
                p := mul(ma, mb)
                switch lt(g, w)
                case 1 { p := shr(sub(w, g), p) }
                default { p := shl(sub(g, w), p) }
            }
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let va := le(add(a, 0x20), i)
                let vb := le(add(b, 0x20), i)
                let p, subnormal := product(va, vb, fb)
                switch shr(31, xor(va, vb))
                case 1 { neg := add(neg, p) }
                default { pos := add(pos, p) }
                magnitude := add(magnitude, add(p, 1))
                if subnormal { flushable := add(flushable, add(p, 1)) }
            }
        }
        s = Sums(pos, neg, magnitude, flushable);
    }
}
