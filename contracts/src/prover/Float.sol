// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title Float
/// @notice IEEE-754 binary32 values, given by their bits, as exact integers: `±m·2^e` with
/// `m < 2^24` (PROTOCOL §7). Exponents are returned biased by 149 (`eb = e + 149 ≥ 0`) so that
/// they stay unsigned.
library Float {
    uint256 internal constant EXPONENT_BIAS = 149;

    /// @notice The parts of a finite value; `finite` is false for NaN and infinities.
    function decode(uint256 bits)
        internal
        pure
        returns (bool finite, bool negative, uint256 m, uint256 eb)
    {
        uint256 field = (bits >> 23) & 0xff;
        m = bits & 0x7fffff;
        negative = (bits >> 31) & 1 == 1;
        finite = field != 0xff;
        if (field != 0) {
            m |= 1 << 23;
            eb = field - 1;
        }
    }

    function isFinite(uint256 bits) internal pure returns (bool) {
        return (bits >> 23) & 0xff != 0xff;
    }

    function isSubnormal(uint256 bits) internal pure returns (bool) {
        return (bits >> 23) & 0xff == 0 && bits & 0x7fffff != 0;
    }

    /// @notice Equal as real numbers: the same bits, or both zero (±0 alike). Both finite.
    function equal(uint256 x, uint256 y) internal pure returns (bool) {
        return x == y || (x | y) & 0x7fffffff == 0;
    }

    /// @notice `x > 0` for finite `x`.
    function positive(uint256 bits) internal pure returns (bool) {
        return bits >> 31 == 0 && bits & 0x7fffffff != 0;
    }

    /// @notice The f32 bits of the whole number `j < 2^24`.
    function ofInt(uint256 j) internal pure returns (uint256) {
        if (j == 0) return 0;
        uint256 top = 0;
        while (j >> (top + 1) != 0) top++;
        return ((127 + top) << 23) | ((j << (23 - top)) & 0x7fffff);
    }

    /// @notice Value `i` (little-endian f32) of a packed row.
    function at(bytes memory row, uint256 i) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(224, mload(add(add(row, 0x20), mul(i, 4))))
            v := or(
                or(shl(24, and(v, 0xff)), shl(8, and(v, 0xff00))),
                or(shr(8, and(v, 0xff0000)), shr(24, v))
            )
        }
    }

    /// @notice Packs f32 bits into a little-endian row.
    function pack(uint256[] memory values) internal pure returns (bytes memory row) {
        row = new bytes(values.length * 4);
        for (uint256 i = 0; i < values.length; i++) {
            uint256 v = values[i];
            row[4 * i] = bytes1(uint8(v));
            row[4 * i + 1] = bytes1(uint8(v >> 8));
            row[4 * i + 2] = bytes1(uint8(v >> 16));
            row[4 * i + 3] = bytes1(uint8(v >> 24));
        }
    }
}
