// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Dot} from "../src/prover/Dot.sol";
import {Float} from "../src/prover/Float.sol";
import {Verdict} from "../src/prover/Verdict.sol";

/// @notice Fuzz tests of the prover's arithmetic against independent references: f32 decoding
/// against re-encoding and against the IEEE ordering of bit patterns, and the windowed dot
/// product against exact int256 arithmetic where the exponents allow it.
contract ArithTest is Test {
    /// @dev The bits `decode` came from, rebuilt from its parts.
    function _encode(bool negative, uint256 m, uint256 eb) internal pure returns (uint256) {
        uint256 field = m >= 1 << 23 ? eb + 1 : 0;
        return (negative ? 1 << 31 : 0) | (field << 23) | (m & 0x7fffff);
    }

    function testFuzz_decodingRebuildsTheBits(uint32 bits) public pure {
        (bool finite, bool negative, uint256 m, uint256 eb) = Float.decode(bits);
        vm.assertEq(finite ? 1 : 0, (bits >> 23) & 0xff != 0xff ? 1 : 0, "finite");
        if (!finite) return;
        vm.assertTrue(m < 1 << 24, "m < 2^24");
        vm.assertTrue(eb <= 253, "e at most 104");
        vm.assertEq(_encode(negative, m, eb), bits, "rebuilt");
        vm.assertEq(Float.isSubnormal(bits) ? 1 : 0, m != 0 && m < 1 << 23 ? 1 : 0, "subnormal");
    }

    /// @dev m·2^(eb−149) against the other's: the values compare as IEEE says positive bit
    /// patterns do.
    function testFuzz_decodedValuesKeepTheOrderOfPositiveBitPatterns(uint32 x, uint32 y)
        public
        pure
    {
        x &= 0x7fffffff;
        y &= 0x7fffffff;
        vm.assume(x < 0x7f800000 && y < 0x7f800000);
        (,, uint256 mx, uint256 ex) = Float.decode(x);
        (,, uint256 my, uint256 ey) = Float.decode(y);
        bool less;
        if (mx == 0 || my == 0) {
            less = mx == 0 && my != 0;
        } else if (ex + _bits(mx) != ey + _bits(my)) {
            // Different leading-bit positions decide.
            less = ex + _bits(mx) < ey + _bits(my);
        } else {
            // Same position: the exponents differ by less than 24, so align exactly.
            less = ex < ey ? mx < my << (ey - ex) : mx << (ex - ey) < my;
        }
        vm.assertEq(less ? 1 : 0, x < y ? 1 : 0, "order");
    }

    function _bits(uint256 m) internal pure returns (uint256 k) {
        while (m >> k != 0) k++;
    }

    /// @dev A finite f32 with its exponent field in [100, 154]: |x| in [2^-27, 2^28).
    function _moderate(uint32 bits) internal pure returns (uint256) {
        uint256 field = 100 + ((bits >> 23) & 0xff) % 55;
        return (bits & 0x807fffff) | (field << 23);
    }

    /// @dev x·2^100 exactly, for a moderate x (its exponent e ≥ −73).
    function _scaled(uint256 bits) internal pure returns (int256) {
        (, bool negative, uint256 m, uint256 eb) = Float.decode(bits);
        int256 v = int256(m << (eb + 100 - 149));
        return negative ? -v : v;
    }

    /// @dev a·b·2^100 exactly: m_a·m_b < 2^48 shifted by e_a + e_b + 100 ≥ 0.
    function _product(uint256 x, uint256 y) internal pure returns (int256) {
        (, bool nx, uint256 mx, uint256 ex) = Float.decode(x);
        (, bool ny, uint256 my, uint256 ey) = Float.decode(y);
        int256 p = int256((mx * my) << (ex + ey + 100 - 298));
        return nx != ny ? -p : p;
    }

    /// @dev The f32 bits of an integer count of 2^-100, truncated (the value is moderate).
    function _toFloat(int256 c) internal pure returns (uint256) {
        uint256 mag = uint256(c >= 0 ? c : -c);
        if (mag == 0) return 0;
        uint256 k = 0;
        while (mag >> (k + 1) != 0) k++;
        if (k < 23) return 0;
        uint256 m = mag >> (k - 23);
        uint256 field = k - 23 + 50; // e = k − 23 − 100, field = e + 150
        return (c < 0 ? 1 << 31 : 0) | (field << 23) | (m & 0x7fffff);
    }

    function testFuzz_theWindowedDotProductAgreesWithExactArithmetic(
        uint32[4] memory xa,
        uint32[4] memory xb,
        int24 ulps,
        uint8 count
    ) public pure {
        uint256 n = 1 + count % 4;
        uint256[] memory a = new uint256[](n);
        uint256[] memory b = new uint256[](n);
        int256 c;
        uint256 s;
        for (uint256 i = 0; i < n; i++) {
            a[i] = _moderate(xa[i]);
            b[i] = _moderate(xb[i]);
            int256 p = _product(a[i], b[i]);
            c += p;
            s += uint256(p >= 0 ? p : -p);
        }
        // A claim some ulps from the exact value.
        uint256 near = _toFloat(c);
        vm.assume(near != 0);
        uint256 claim = uint256(int256(near) + int256(ulps));
        vm.assume((claim >> 23) & 0xff >= 100 && (claim >> 23) & 0xff <= 200);
        vm.assume(claim >> 31 == near >> 31);
        int256 d = _scaled(claim) - c;
        uint256 distance = uint256(d >= 0 ? d : -d);
        uint256 den = (1 << 24) - n;
        Verdict.Reason r = Dot.judgeTerms(a, b, Dot.FP32, claim);
        // Within the exact bound γ_n·Σ|a·b|: accepted.
        if (distance * den <= n * s) {
            vm.assertEq(uint256(r), uint256(Verdict.Reason.WithinBound), "inside");
        }
        // Past it by more than the window's slack (2^-112 units of 2^-100, n + 1 of them) and
        // the products' truncation here (n units): rejected.
        if (distance * den > n * s + (2 * n + 2) * (1 << 24)) {
            vm.assertEq(uint256(r), uint256(Verdict.Reason.OutsideBound), "outside");
        }
    }
}
