// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @notice The cheatcodes our tests use (forge-std is not on npm; these are forge's own).
interface Vm {
    function readFile(string calldata path) external view returns (string memory);
    function projectRoot() external view returns (string memory);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function parseJsonUint(string calldata json, string calldata key)
        external
        pure
        returns (uint256);
    function parseJsonBytes(string calldata json, string calldata key)
        external
        pure
        returns (bytes memory);
    function parseJsonBytes32(string calldata json, string calldata key)
        external
        pure
        returns (bytes32);
    function parseJsonBytes32Array(string calldata json, string calldata key)
        external
        pure
        returns (bytes32[] memory);
    function parseJsonUintArray(string calldata json, string calldata key)
        external
        pure
        returns (uint256[] memory);
    function parseJsonBool(string calldata json, string calldata key) external pure returns (bool);
    function parseJsonString(string calldata json, string calldata key)
        external
        pure
        returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
    function assume(bool condition) external pure;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
    function expectPartialRevert(bytes4 selector) external;
    function startSnapshotGas(string calldata name) external;
    function stopSnapshotGas() external returns (uint256 gasUsed);
    function snapshotValue(string calldata name, uint256 value) external;
    function deal(address account, uint256 balance) external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest)
        external
        pure
        returns (uint8 v, bytes32 r, bytes32 s);
    function prank(address sender) external;
    function prank(address sender, address origin) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function fee(uint256 newBasefee) external;
    function txGasPrice(uint256 newGasPrice) external;
    function expectEmit() external;
    function label(address account, string calldata name) external;
    function assertEq(uint256 left, uint256 right, string calldata error) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata error) external pure;
    function assertEq(address left, address right, string calldata error) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata error)
        external
        pure;
    function assertEq(string calldata left, string calldata right, string calldata error)
        external
        pure;
    function assertTrue(bool condition, string calldata error) external pure;
    function assertFalse(bool condition, string calldata error) external pure;
    function assertGt(uint256 left, uint256 right, string calldata error) external pure;
    function assertLt(uint256 left, uint256 right, string calldata error) external pure;
}

/// @notice The smallest test base: the cheatcode handle and a few helpers.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev The JSON path of element `i` of array `array`, e.g. `.proofs[3]`.
    function at(string memory array, uint256 i) internal pure returns (string memory) {
        return string.concat(".", array, "[", vm.toString(i), "]");
    }

    /// @dev The length of a JSON array, found by probing for its elements.
    function lengthOf(string memory json, string memory array) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, at(array, n))) ++n;
    }

    /// @dev The selector of the revert data of a failed call, or 0 if it carried none.
    function selectorOf(bytes memory revertData) internal pure returns (bytes4 s) {
        // casting to 'bytes4' keeps the selector, the first four bytes, which is the point
        // forge-lint: disable-next-line(unsafe-typecast)
        if (revertData.length >= 4) s = bytes4(revertData);
    }
}
