// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {CommitmentChecker} from "../src/CommitmentChecker.sol";
import {Merkle} from "../src/commit/Merkle.sol";
import {Tensor} from "../src/commit/Tensor.sol";

/// @notice Gas of the commitment checks, recorded by `forge test --mc GasTest` into
/// `snapshots/GasTest.json` (docs/BENCHMARKS.md). `library/…` is the library call inside a
/// contract; `external/…` a call to CommitmentChecker, with its calldata decoding.
contract GasTest is Test {
    CommitmentChecker internal checker;
    bytes32[] internal siblings20;
    bytes32 internal leaf20;
    bytes32 internal root20;
    uint256 internal constant INDEX20 = 0xa5a5a;
    bytes internal row1024;

    function setUp() public {
        checker = new CommitmentChecker();
        leaf20 = Merkle.leafHash32(keccak256("leaf"));
        for (uint256 i; i < 20; ++i) {
            siblings20.push(keccak256(abi.encode("sibling", i)));
        }
        root20 = Merkle.rootFrom(1 << 20, INDEX20, leaf20, siblings20);
        row1024 = new bytes(4096);
        for (uint256 i; i < 4096; ++i) {
            row1024[i] = bytes1(uint8(uint256(keccak256(abi.encode(i)))));
        }
    }

    function test_gas_depth20Proof() public {
        // Storage is read before measuring: the figures are the check's own.
        bytes32[] memory siblings = siblings20;
        (bytes32 root, bytes32 leaf) = (root20, leaf20);
        bytes memory payload = abi.encodePacked(keccak256("leaf"));
        CommitmentChecker c = checker;
        vm.startSnapshotGas("library/merkleCheck_depth20");
        Merkle.check(root, 1 << 20, INDEX20, leaf, siblings);
        vm.stopSnapshotGas();
        vm.startSnapshotGas("external/checkMerkle_depth20");
        c.checkMerkle(root, 1 << 20, INDEX20, payload, siblings);
        vm.stopSnapshotGas();
    }

    function test_gas_rowRoot1024Values() public {
        bytes memory row = row1024;
        CommitmentChecker c = checker;
        vm.startSnapshotGas("library/rowRoot_1024values");
        bytes32 root = Tensor.rowRoot(row);
        vm.stopSnapshotGas();
        vm.startSnapshotGas("external/rowRoot_1024values");
        bytes32 again = c.rowRoot(row);
        vm.stopSnapshotGas();
        vm.assertEq(root, again, "same root");
    }
}
