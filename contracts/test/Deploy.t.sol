// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Deploy} from "../script/Deploy.s.sol";
import {Market} from "../src/market/Market.sol";
import {OpProver} from "../src/OpProver.sol";

/// @notice The deployment script deploys a market wired to its prover, with the defaults.
contract DeployTest is Test {
    function test_theScriptDeploysAWiredMarket() public {
        (Market market, OpProver prover) = new Deploy().run();
        vm.assertEq(address(market.prover()), address(prover), "wired");
        vm.assertEq(market.version(), "poai-market/1", "market version");
        vm.assertEq(prover.version(), "poai-op-prover/1", "prover version");
        vm.assertEq(market.unbondingDelay(), 7 days, "unbonding");
        vm.assertEq(market.moveWindow(), 1 hours, "move window");
    }
}
