// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Batch} from "./commit/Batch.sol";
import {Merkle} from "./commit/Merkle.sol";
import {State} from "./commit/State.sol";
import {Tensor} from "./commit/Tensor.sol";

/// @title CommitmentChecker
/// @notice The commitment libraries behind external calls: a stateless contract anyone (a node
/// through `eth_call`, a test, the demo) can ask whether a proof holds against a commitment. Each
/// check returns normally or reverts with the custom error that names the first failure.
contract CommitmentChecker {
    function version() external pure returns (string memory) {
        return "poai-commitments/1";
    }

    function leafHash(bytes calldata payload) external view returns (bytes32) {
        return Merkle.leafHash(payload);
    }

    function merkleRoot(bytes[] calldata payloads) external view returns (bytes32) {
        return Merkle.rootOfPayloads(payloads);
    }

    function merkleRootFrom(
        uint256 leafCount,
        uint256 index,
        bytes calldata payload,
        bytes32[] calldata siblings
    ) external view returns (bytes32) {
        return Merkle.rootFrom(leafCount, index, Merkle.leafHash(payload), siblings);
    }

    function checkMerkle(
        bytes32 root,
        uint256 leafCount,
        uint256 index,
        bytes calldata payload,
        bytes32[] calldata siblings
    ) external view {
        Merkle.check(root, leafCount, index, Merkle.leafHash(payload), siblings);
    }

    function rowRoot(bytes calldata row) external view returns (bytes32) {
        return Tensor.rowRoot(row);
    }

    function tensorHash(Tensor.Header calldata h) external pure returns (bytes32) {
        return Tensor.hash(h);
    }

    function checkRow(
        Tensor.Header calldata h,
        bytes32 tensorHash_,
        uint256 row,
        bytes calldata rowBytes,
        bytes32[] calldata siblings
    ) external view {
        Tensor.checkRow(h, tensorHash_, row, rowBytes, siblings);
    }

    function checkValue(
        Tensor.Header calldata h,
        bytes32 tensorHash_,
        uint256 row,
        uint256 col,
        bytes32 chunk,
        bytes32[] calldata chunkSiblings,
        bytes32[] calldata rowSiblings
    ) external view returns (uint32 bits) {
        return Tensor.checkValue(h, tensorHash_, row, col, chunk, chunkSiblings, rowSiblings);
    }

    function stateHash(bytes32[] calldata tensorHashes) external view returns (bytes32) {
        return State.hash(tensorHashes);
    }

    function checkStateTensor(
        bytes32 stateHash_,
        uint256 tensorCount,
        uint256 index,
        bytes32 tensorHash_,
        bytes32[] calldata siblings
    ) external view {
        State.checkTensor(stateHash_, tensorCount, index, tensorHash_, siblings);
    }

    function batchRow(bytes32 seed, uint64 step, uint32 r, uint256 n)
        external
        pure
        returns (uint256)
    {
        return Batch.rowIndex(seed, step, r, n);
    }
}
