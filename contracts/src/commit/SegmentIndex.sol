// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title SegmentIndex
/// @notice A solver's signed segment index (docs/PROTOCOL.md §10, "Segment indexes"): the roots
/// over a segment's `k + 1` per-step state hashes and over its `k` trace roots, signed
/// (`r ‖ s ‖ v`, `v` 27 or 28, low `s`: one signature, one encoding) as an EIP-191 message over
/// `keccak256(abi.encode(keccak256("poai/segment/1"), market, task, segment, resultRoot,
/// statesRoot, tracesRoot))`. `Dispute.proveEquivocation` holds a solver to what it signed;
/// `Market.attest` takes a *pass* naming only an index the solver signed.
library SegmentIndex {
    bytes32 internal constant TAG = keccak256("poai/segment/1");
    uint256 internal constant HALF_N =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice The digest the solver signs.
    function digest(
        address market,
        uint256 task,
        uint64 segment,
        bytes32 resultRoot,
        bytes32 statesRoot,
        bytes32 tracesRoot
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG, market, task, segment, resultRoot, statesRoot, tracesRoot));
    }

    /// @notice The signer of EIP-191 message `d`, or zero for a malformed signature (another
    /// length, `v` not 27 or 28, a high `s`).
    function signer(bytes32 d, bytes calldata sig) internal pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v != 27 && v != 28) return address(0);
        if (uint256(s) > HALF_N) return address(0);
        bytes32 message = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", d));
        return ecrecover(message, v, r, s);
    }
}
