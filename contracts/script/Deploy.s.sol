// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";

/// @notice The cheatcodes a deployment uses.
interface ScriptVm {
    function startBroadcast() external;
    function stopBroadcast() external;
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256);
}

/// @title Deploy
/// @notice Deploys the one-op prover and the market that asks it. The devnet and the tests use
/// this script: `forge script script/Deploy.s.sol --rpc-url <url> --private-key <key>
/// --broadcast`. `POAI_UNBONDING_SECONDS` (default 7 days) and `POAI_MOVE_SECONDS` (default one
/// hour) set the unbonding delay and each game move's window.
contract Deploy {
    ScriptVm internal constant vm =
        ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external returns (Market market, OpProver prover) {
        uint64 unbonding = uint64(vm.envOr("POAI_UNBONDING_SECONDS", uint256(7 days)));
        uint64 moveWindow = uint64(vm.envOr("POAI_MOVE_SECONDS", uint256(1 hours)));
        vm.startBroadcast();
        prover = new OpProver();
        market = new Market(unbonding, moveWindow, prover);
        vm.stopBroadcast();
    }
}
