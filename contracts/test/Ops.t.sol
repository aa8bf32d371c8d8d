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

    uint256 private constant ONE = 0x3f800000;
    uint256 private constant MAX = 0x7f7fffff;
    uint256 private constant INF = 0x7f800000;

    function _pair(uint256 x, uint256 y) internal pure returns (bytes memory) {
        return abi.encodePacked(_le(x), _le(y));
    }

    function _le(uint256 x) internal pure returns (bytes4) {
        uint32 v = uint32(x);
        return bytes4(uint32((v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)));
    }

    /// @notice Finding F1 (review 4): a sum that may overflow used to accept any claim, so
    /// `add_bias(1, f32::MAX)` could be claimed as 0, or NaN. Only a non-finite claim is excused,
    /// and only where some order of the sum overflows (PROTOCOL §7, rule 2).
    function test_F1_aFiniteClaimIsJudgedByTheBoundEvenWhereASumMayOverflow() public view {
        bytes memory bias = _pair(ONE, MAX);
        bytes memory ones = _pair(ONE, ONE);
        vm.assertEq(_name(checker.judgeDot(bias, ones, 0, uint32(MAX))), "within_bound", "F1 #1");
        vm.assertEq(
            _name(checker.judgeDot(bias, ones, 0, uint32(INF))), "non_finite_claim", "F1 #2"
        );
        vm.assertEq(_name(checker.judgeDot(bias, ones, 0, 0x7fc00000)), "non_finite_claim", "F1 #3");
        vm.assertEq(_name(checker.judgeDot(bias, ones, 0, 0)), "outside_bound", "F1 #4");
        vm.assertEq(_name(checker.judgeDot(bias, ones, 0, 0x7e967699)), "outside_bound", "F1 #5"); // 1e38
        bytes memory cancel = _pair(0x7f076abd, 0xff076abd); // ±1.8e38
        vm.assertEq(_name(checker.judgeDot(cancel, ones, 0, 0)), "within_bound", "F1 #6");
        vm.assertEq(_name(checker.judgeDot(cancel, ones, 0, 0x7e167699)), "outside_bound", "F1 #7"); // 5e37
        vm.assertEq(_name(checker.judgeDot(cancel, ones, 0, 0xff7fffff)), "outside_bound", "F1 #8");
        vm.assertEq(
            _name(checker.judgeDot(cancel, ones, 0, uint32(INF))), "non_finite_claim", "F1 #9"
        );
        // Where some order does overflow, an infinity is excused: 1.71e38 + 1.71e38 first, or
        // momentum's 0.9·3.4e38 + 3.4e38.
        bytes memory three = abi.encodePacked(_le(0x7f00a567), _le(0x7f00a567), _le(0xff00a567));
        bytes memory ones3 = abi.encodePacked(_le(ONE), _le(ONE), _le(ONE));
        vm.assertEq(_name(checker.judgeDot(three, ones3, 0, uint32(INF))), "may_overflow", "F1 #10");
        bytes memory momentum = _pair(0x3f666666, ONE);
        bytes memory values = _pair(0x7f7fc99e, 0x7f7fc99e);
        vm.assertEq(
            _name(checker.judgeDot(momentum, values, 0, uint32(INF))), "may_overflow", "F1 #11"
        );
    }

    /// @notice Review of F1's fix: a tf32 or bf16 task rounds a product's inputs to nearest, and
    /// the largest f32s round to infinity, so an honest product is infinite (or NaN, times 0).
    function test_F1_anInputAClassRoundsToInfinityExcusesANonFiniteClaim() public view {
        bytes memory tiny = _pair(0x3a83126f, 0); // 1e-3, 0
        bytes memory tf32 = _pair(0x7f7ff000, 0x7f7ff000);
        bytes memory bf16 = _pair(0x7f7f8000, 0x7f7f8000);
        vm.assertEq(_name(checker.judgeDot(tf32, tiny, 1, uint32(INF))), "may_overflow", "tf32");
        vm.assertEq(_name(checker.judgeDot(bf16, tiny, 2, 0x7fc00000)), "may_overflow", "bf16");
        vm.assertEq(_name(checker.judgeDot(tf32, tiny, 0, uint32(INF))), "non_finite_claim", "fp32");
        bytes memory below = _pair(0x7f7fefff, 0x7f7fefff);
        vm.assertEq(
            _name(checker.judgeDot(below, tiny, 1, uint32(INF))), "non_finite_claim", "below"
        );
    }

    /// @notice Review 5, 6: a dot product with a NaN or infinite factor is non-finite in IEEE,
    /// so a finite claim is a lie unless every such factor meets a zero a kernel may skip; then
    /// the other terms decide.
    function test_review5_aFiniteClaimFromANonFiniteInputNeedsAZeroPartner() public view {
        bytes memory zeroSix = _pair(0, 0x40c00000); // 0, 6.0
        bytes memory inf = _pair(INF, 0x40000000); // [inf, 2]
        bytes memory times = _pair(ONE, 0x40400000); // [1, 3]
        vm.assertEq(_name(checker.judgeDot(inf, times, 0, uint32(INF))), "non_finite_input", "#1");
        vm.assertEq(_name(checker.judgeDot(inf, times, 0, 0x40c00000)), "outside_bound", "#2");
        bytes memory skipped = _pair(0, 0x40400000); // [0, 3]
        vm.assertEq(_name(checker.judgeDot(inf, skipped, 0, 0x40c00000)), "within_bound", "#3");
        vm.assertEq(_name(checker.judgeDot(inf, skipped, 0, 0x40e00000)), "outside_bound", "#4");
        vm.assertEq(_name(checker.judgeDot(_pair(INF, 0), zeroSix, 0, 0)), "within_bound", "#5");
        vm.assertEq(
            _name(checker.judgeDot(_pair(INF, 0), zeroSix, 0, uint32(ONE))), "outside_bound", "#6"
        );
    }
}
