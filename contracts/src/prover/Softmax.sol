// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Float} from "./Float.sol";
import {Verdict} from "./Verdict.sol";

/// @title Softmax
/// @notice Judges one claimed value of `softmax_xent_grad`, `(softmax(z)[j] − [j = label])·s`,
/// against an interval computed in 120-bit fixed point with every rounding outwards, exactly as
/// `poai_common::check` does (PROTOCOL §7). The honest computation may round `x̂ = fl(z − max z)`
/// by `u|x|`, compute `exp` within `(3 + 2|x̂|)` ulp, sum within `γ_C`, divide within 4 ulp, round
/// the subtraction and the product with `s`, and flush any result below 2^-126. `exp` itself is
/// bracketed by an alternating Taylor series on `x/128` squared seven times.
library Softmax {
    uint256 private constant BITS = 120;
    uint256 private constant UNIT = 1 << 120;
    /// @dev exp(−88) < 2^-126: an argument past it may give anything in [0, 2^-126].
    uint256 private constant FAR = 88 << 120;
    uint256 private constant TAYLOR_TERMS = 24;
    uint256 private constant HALVINGS = 7;
    uint256 private constant HALVING_DIVISOR = 128;
    uint256 private constant MAX_CLASSES = 1 << 20;

    error Classes(uint256 rowBytes, uint256 j);

    /// @notice Judges `claim` (f32 bits) as value `j` of the op for logits `z` (a packed
    /// little-endian f32 row), the example's label and the scale `s` (f32 bits).
    function judge(bytes memory z, uint256 label, uint256 j, uint256 scale, uint256 claim)
        internal
        pure
        returns (Verdict.Reason)
    {
        uint256 c = z.length / 4;
        if (c == 0 || c > MAX_CLASSES || z.length % 4 != 0 || j >= c) {
            revert Classes(z.length, j);
        }
        if (!Float.isFinite(label) || !Float.isFinite(scale)) {
            return Verdict.Reason.NonFiniteInput;
        }
        int256[] memory lo = new int256[](c);
        int256[] memory hi = new int256[](c);
        for (uint256 i = 0; i < c; i++) {
            uint256 v = Float.at(z, i);
            if (!Float.isFinite(v)) return Verdict.Reason.NonFiniteInput;
            (lo[i], hi[i]) = _fixed(v);
        }
        (uint256 pLo, uint256 pHi) = _probability(lo, hi, j);
        bool y = Float.equal(label, Float.ofInt(j));
        (int256 oLo, int256 oHi, int256 units) = _output(pLo, pHi, y, scale);
        (bool finite, bool negative, uint256 m, uint256 eb) = Float.decode(claim);
        if (!finite) return Verdict.Reason.NonFiniteClaim;
        bool outside;
        if (m == 0) {
            outside = oLo > 0 || oHi < 0;
        } else {
            int256 shift = int256(eb) - 149 - units;
            if (shift > 150) return Verdict.Reason.OutsideBound;
            uint256 down = shift >= 0 ? m << uint256(shift) : m >> uint256(-shift);
            uint256 up = down;
            if (shift < 0 && down << uint256(-shift) != m) up += 1;
            (int256 xLo, int256 xHi) =
                negative ? (-int256(up), -int256(down)) : (int256(down), int256(up));
            outside = xLo > oHi || xHi < oLo;
        }
        return outside ? Verdict.Reason.OutsideBound : Verdict.Reason.WithinBound;
    }

    /// @dev `⌊x·2^120⌋` and `⌈x·2^120⌉` of a finite f32 (|x·2^120| < 2^249).
    function _fixed(uint256 bits) private pure returns (int256, int256) {
        (, bool negative, uint256 m, uint256 eb) = Float.decode(bits);
        int256 shift = int256(eb) - 149 + int256(BITS);
        uint256 down = shift >= 0 ? m << uint256(shift) : m >> uint256(-shift);
        uint256 up = down;
        if (shift < 0 && down << uint256(-shift) != m) up += 1;
        return negative ? (-int256(up), -int256(down)) : (int256(down), int256(up));
    }

    /// @dev Bounds of the computed `softmax(z)[j]` in units of 2^-120.
    function _probability(int256[] memory lo, int256[] memory hi, uint256 j)
        private
        pure
        returns (uint256 pLo, uint256 pHi)
    {
        (uint256 sumLo, uint256 sumHi, uint256 eLoJ, uint256 eHiJ) = _exps(lo, hi, j);
        uint256 c = lo.length;
        // The sum of C non-negative terms in any order: within γ_C, and C flushes.
        sumLo = _sat(sumLo * ((1 << 24) - 2 * c) / ((1 << 24) - c), c);
        sumHi = _ceilDiv(sumHi << 24, (1 << 24) - c) + c;
        // The division within 4 ulp, and a flush.
        pLo = _sat((eLoJ * UNIT / sumHi * ((1 << 23) - 4)) >> 23, 1);
        pHi = _ceilDiv(_ceilDiv(eHiJ * UNIT, sumLo) * ((1 << 23) + 4), 1 << 23) + 1;
    }

    /// @dev The sums of the bounds of every computed exp, and the bounds of exp number j.
    function _exps(int256[] memory lo, int256[] memory hi, uint256 j)
        private
        pure
        returns (uint256 sumLo, uint256 sumHi, uint256 eLoJ, uint256 eHiJ)
    {
        (int256 maxLo, int256 maxHi) = _max(lo, hi);
        for (uint256 i = 0; i < lo.length; i++) {
            (uint256 eLo, uint256 eHi) = _exp(maxLo - hi[i], maxHi - lo[i]);
            sumLo += eLo;
            sumHi += eHi;
            if (i == j) (eLoJ, eHiJ) = (eLo, eHi);
        }
    }

    /// @dev The largest lower and the largest upper bound: the bounds of max z.
    function _max(int256[] memory lo, int256[] memory hi)
        private
        pure
        returns (int256 maxLo, int256 maxHi)
    {
        maxLo = lo[0];
        maxHi = hi[0];
        for (uint256 i = 1; i < lo.length; i++) {
            if (lo[i] > maxLo) maxLo = lo[i];
            if (hi[i] > maxHi) maxHi = hi[i];
        }
    }

    /// @dev Bounds of the computed `exp(z_i − max)` for `max − z_i` in [aLo, aHi] (units).
    function _exp(int256 aLoSigned, int256 aHiSigned)
        private
        pure
        returns (uint256 eLo, uint256 eHi)
    {
        uint256 aLo = aLoSigned < 0 ? 0 : uint256(aLoSigned);
        uint256 aHi = uint256(aHiSigned);
        // The argument's rounding (u|x|) and flush.
        aLo = _sat(aLo, _ceilDiv(aLo, 1 << 24) + 1);
        aHi = aHi + _ceilDiv(aHi, 1 << 24) + 1;
        if (aLo > FAR) return (0, 1);
        uint256 rho = 3 + 2 * _ceilDiv(aHi, UNIT);
        uint256 xHi = _expNeg(aLo, true);
        uint256 xLo = aHi > FAR ? 0 : _expNeg(aHi, false);
        eHi = _ceilDiv(xHi * ((1 << 23) + rho), 1 << 23) + 1;
        eLo = _sat((xLo * ((1 << 23) - rho)) >> 23, 1);
    }

    /// @dev `exp(−a·2^-120)` in units of 2^-120, rounded up or down, rigorously.
    function _expNeg(uint256 a, bool upper) private pure returns (uint256 y) {
        // Every term is at most 2^120 and t < 2^120, so no product reaches 2^241.
        unchecked {
            uint256 t = upper ? a >> HALVINGS : (a + HALVING_DIVISOR - 1) / HALVING_DIVISOR;
            uint256 down = UNIT;
            uint256 up = UNIT;
            uint256 evenDown = UNIT;
            uint256 evenUp = UNIT;
            uint256 oddDown;
            uint256 oddUp;
            for (uint256 i = 1; i <= TAYLOR_TERMS + 1; i++) {
                uint256 d = i * UNIT;
                down = down * t / d;
                up = (up * t + d - 1) / d;
                if (i == TAYLOR_TERMS + 1) break;
                if (i % 2 == 0) {
                    evenDown += down;
                    evenUp += up;
                } else {
                    oddDown += down;
                    oddUp += up;
                }
            }
            if (upper) {
                y = evenUp - oddDown;
            } else {
                y = evenDown > oddUp + up ? evenDown - oddUp - up : 0;
            }
            // y ≤ 2^120 + 2^-80: its square stays below 2^241.
            for (uint256 i = 0; i < HALVINGS; i++) {
                y = upper ? (y * y + UNIT - 1) / UNIT : y * y / UNIT;
            }
        }
    }

    /// @dev Bounds of the output, `(p − y)·s` with both roundings, in units of 2^(e_s − 120).
    function _output(uint256 pLo, uint256 pHi, bool y, uint256 scale)
        private
        pure
        returns (int256 oLo, int256 oHi, int256 units)
    {
        int256 qLo = int256(pLo) - (y ? int256(UNIT) : int256(0));
        int256 qHi = int256(pHi) - (y ? int256(UNIT) : int256(0));
        (qLo, qHi) = _widen(qLo, qHi, 1);
        (, bool negative, uint256 m, uint256 eb) = Float.decode(scale);
        int256 ms = int256(m);
        (oLo, oHi) = negative ? (-qHi * ms, -qLo * ms) : (qLo * ms, qHi * ms);
        int256 es = int256(eb) - 149;
        // 2^-126 in units of 2^(e_s − 120).
        uint256 flush = 1;
        if (es <= -6) flush <<= uint256(-6 - es);
        (oLo, oHi) = _widen(oLo, oHi, flush);
        units = es - int256(BITS);
    }

    /// @dev Widens [lo, hi] by one rounding (u of the larger magnitude, rounded up) and `extra`.
    function _widen(int256 lo, int256 hi, uint256 extra) private pure returns (int256, int256) {
        uint256 a = uint256(lo >= 0 ? lo : -lo);
        uint256 b = uint256(hi >= 0 ? hi : -hi);
        int256 w = int256(_ceilDiv(a > b ? a : b, 1 << 24) + extra);
        return (lo - w, hi + w);
    }

    function _ceilDiv(uint256 x, uint256 d) private pure returns (uint256) {
        return (x + d - 1) / d;
    }

    /// @dev `x − y`, or 0 below it.
    function _sat(uint256 x, uint256 y) private pure returns (uint256) {
        return x > y ? x - y : 0;
    }
}
