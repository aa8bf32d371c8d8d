// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Market} from "../src/market/Market.sol";
import {Dispute} from "../src/court/Dispute.sol";
import {Availability} from "../src/court/Availability.sol";
import {OpProver} from "../src/OpProver.sol";

// The most gas one answer to an availability request may take: `answerData` at both
// caps (64 KiB in 1 024 rows, 5.43 M gas measured by `GasTest.test_L1_…`, which fails if any
// answer outgrows this). Every answer is paid for by its request's bond (AUDIT M5; review 3, L1).
uint256 constant COSTLIEST_ANSWER_GAS = 5_500_000;
// The gas price the default `minBond` is sized for.
uint256 constant REFERENCE_GAS_PRICE = 30 gwei;
// The default protocol-minimum bond (0.165 ether): the costliest answer at the
// reference gas price, so that no request, repeated or not, costs an honest solver more gas than
// its bond repays. A chain with dearer gas sets `POAI_MIN_BOND_WEI`.
uint256 constant DEFAULT_MIN_BOND = COSTLIEST_ANSWER_GAS * REFERENCE_GAS_PRICE;

/// @notice The cheatcodes a deployment uses.
interface ScriptVm {
    function startBroadcast() external;
    function stopBroadcast() external;
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256);
}

/// @title Deploy
/// @notice Deploys the one-op prover, the market (which holds every wei) and its two courts (the
/// dispute game and data availability), and wires them. `forge script script/Deploy.s.sol
/// --rpc-url <url> --private-key <key> --broadcast`. Settings from the environment, with their
/// defaults: `POAI_UNBONDING_SECONDS` (7 days), `POAI_MOVE_SECONDS` (one hour: the least time a
/// move is given, and the time to answer a request), `POAI_CLOCK_SECONDS` (one day: each side's
/// time in one game), `POAI_MIN_BOND_WEI` (`DEFAULT_MIN_BOND`, 0.165 ether: covers the solver's gas
/// to answer any request at 30 gwei), `POAI_MIN_VERIFIER_STAKE_WEI` (1 ether).
contract Deploy {
    ScriptVm internal constant vm =
        ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct Deployed {
        Market market;
        Dispute dispute;
        Availability availability;
        OpProver prover;
    }

    function run() external returns (Deployed memory d) {
        uint64 unbonding = uint64(vm.envOr("POAI_UNBONDING_SECONDS", uint256(7 days)));
        uint64 moveWindow = uint64(vm.envOr("POAI_MOVE_SECONDS", uint256(1 hours)));
        uint64 clock = uint64(vm.envOr("POAI_CLOCK_SECONDS", uint256(1 days)));
        uint256 minBond = vm.envOr("POAI_MIN_BOND_WEI", DEFAULT_MIN_BOND);
        uint256 minStake = vm.envOr("POAI_MIN_VERIFIER_STAKE_WEI", uint256(1 ether));
        vm.startBroadcast();
        d.prover = new OpProver();
        d.market = new Market(unbonding, minBond, minStake);
        d.dispute = new Dispute(d.market, d.prover, moveWindow, clock);
        d.availability = new Availability(d.market, d.dispute, moveWindow);
        d.market.wire(address(d.dispute), address(d.availability));
        vm.stopBroadcast();
    }
}
