// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {OpChecker} from "../src/OpChecker.sol";
import {Verdict} from "../src/prover/Verdict.sol";

/// @notice The one-op prover's differential vectors (`contracts/test/vectors/ops*.json`, written
/// by `poai-vectors` from the Rust checker, traces of flex and wgpu included): for every claim
/// of every case, the contract gives the verdict Rust gave.
contract OpsVectorsTest is Test {
    OpChecker internal checker;

    function setUp() public {
        checker = new OpChecker();
    }

    function _read(string memory name) internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), "/test/vectors/", name));
    }

    /// @dev Rust's name for a reason (`check::Reason`, snake case).
    function _name(Verdict.Reason r) internal pure returns (string memory) {
        if (r == Verdict.Reason.WithinBound) return "within_bound";
        if (r == Verdict.Reason.NonFiniteInput) return "non_finite_input";
        if (r == Verdict.Reason.MayOverflow) return "may_overflow";
        if (r == Verdict.Reason.NonFiniteClaim) return "non_finite_claim";
        return "outside_bound";
    }

    function _claims(string memory json, string memory path) internal view returns (uint256 n) {
        return lengthOf(json, string.concat(path, ".claims"));
    }

    function _claim(string memory json, string memory path, uint256 k)
        internal
        pure
        returns (uint32 claim, string memory reason, string memory label)
    {
        string memory c = string.concat(path, ".claims[", vm.toString(k), "]");
        claim = uint32(vm.parseJsonUint(json, string.concat(c, ".claim")));
        reason = vm.parseJsonString(json, string.concat(c, ".reason"));
        label = string.concat(
            vm.parseJsonString(json, string.concat(path, ".name")), " #", vm.toString(k)
        );
    }

    function _dots(string memory json) internal view returns (uint256 checked) {
        uint256 n = lengthOf(json, "dots");
        for (uint256 i = 0; i < n; i++) {
            string memory p = at("dots", i);
            bytes memory a = vm.parseJsonBytes(json, string.concat(p, ".a"));
            bytes memory b = vm.parseJsonBytes(json, string.concat(p, ".b"));
            uint8 class = uint8(vm.parseJsonUint(json, string.concat(p, ".class")));
            uint256 m = lengthOf(json, string.concat(p, ".claims"));
            for (uint256 k = 0; k < m; k++) {
                (uint32 claim, string memory want, string memory label) = _claim(json, p, k);
                vm.assertEq(_name(checker.judgeDot(a, b, class, claim)), want, label);
                checked++;
            }
        }
    }

    function _softmaxes(string memory json) internal view returns (uint256 checked) {
        uint256 n = lengthOf(json, "softmaxes");
        for (uint256 i = 0; i < n; i++) {
            string memory p = at("softmaxes", i);
            bytes memory z = vm.parseJsonBytes(json, string.concat(p, ".z"));
            uint32 label = uint32(vm.parseJsonUint(json, string.concat(p, ".label")));
            uint32 j = uint32(vm.parseJsonUint(json, string.concat(p, ".j")));
            uint32 scale = uint32(vm.parseJsonUint(json, string.concat(p, ".scale")));
            uint256 m = lengthOf(json, string.concat(p, ".claims"));
            for (uint256 k = 0; k < m; k++) {
                (uint32 claim, string memory want, string memory name) = _claim(json, p, k);
                vm.assertEq(_name(checker.judgeSoftmax(z, label, j, scale, claim)), want, name);
                checked++;
            }
        }
    }

    function _exacts(string memory json) internal view returns (uint256 checked) {
        uint256 n = lengthOf(json, "exacts");
        for (uint256 i = 0; i < n; i++) {
            string memory p = at("exacts", i);
            uint256[] memory values = vm.parseJsonUintArray(json, string.concat(p, ".values"));
            uint256[] memory inputs = vm.parseJsonUintArray(json, string.concat(p, ".inputs"));
            uint256 m = lengthOf(json, string.concat(p, ".claims"));
            for (uint256 k = 0; k < m; k++) {
                (uint32 claim, string memory want, string memory label) = _claim(json, p, k);
                vm.assertEq(_name(checker.judgeExact(values, inputs, claim)), want, label);
                checked++;
            }
        }
    }

    function test_dotVerdictsAreRusts() public view {
        vm.assertTrue(_dots(_read("ops.json")) > 500, "dot claims");
        vm.assertTrue(_dots(_read("ops_wgpu.json")) > 300, "wgpu dot claims");
    }

    function test_softmaxVerdictsAreRusts() public view {
        vm.assertTrue(_softmaxes(_read("ops.json")) > 100, "softmax claims");
        vm.assertTrue(_softmaxes(_read("ops_wgpu.json")) > 10, "wgpu softmax claims");
    }

    function test_exactVerdictsAreRusts() public view {
        vm.assertTrue(_exacts(_read("ops.json")) > 100, "exact claims");
        vm.assertTrue(_exacts(_read("ops_wgpu.json")) > 100, "wgpu exact claims");
    }
}
