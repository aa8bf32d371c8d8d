// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {DEFAULT_MIN_BOND, Deploy} from "../script/Deploy.s.sol";
import {Market} from "../src/market/Market.sol";

/// @notice The deployment script deploys the market and its two courts, wired to each other,
/// with the documented defaults (no `POAI_*` variable is set in tests).
contract DeployTest is Test {
    function test_theScriptDeploysAWiredMarket() public {
        Deploy.Deployed memory d = new Deploy().run();
        Market market = d.market;
        vm.assertEq(market.dispute(), address(d.dispute), "market -> dispute");
        vm.assertEq(market.availability(), address(d.availability), "market -> availability");
        vm.assertEq(address(d.dispute.market()), address(market), "dispute -> market");
        vm.assertEq(address(d.availability.market()), address(market), "availability -> market");
        vm.assertEq(address(d.availability.dispute()), address(d.dispute), "availability -> game");
        vm.assertEq(address(d.dispute.prover()), address(d.prover), "dispute -> prover");
        vm.assertEq(market.version(), "poai-market/2", "market version");
        vm.assertEq(d.prover.version(), "poai-op-prover/1", "prover version");
        vm.assertEq(market.unbondingDelay(), 7 days, "unbonding");
        vm.assertEq(market.minBond(), DEFAULT_MIN_BOND, "min bond");
        vm.assertEq(DEFAULT_MIN_BOND, 0.165 ether, "the documented default");
        vm.assertEq(market.minVerifierStake(), 1 ether, "min verifier stake");
        vm.assertEq(d.dispute.moveWindow(), 1 hours, "move window");
        vm.assertEq(d.dispute.clock(), 1 days, "clock");
        vm.assertEq(d.availability.moveWindow(), 1 hours, "answer window");
    }

    /// @notice The wiring is final: nobody, the deployer included, can rewire the courts, and a
    /// stranger cannot open a case on the deployed market.
    function test_theDeployedMarketCannotBeRewired() public {
        Deploy.Deployed memory d = new Deploy().run();
        vm.expectRevert(Market.AlreadyWired.selector);
        d.market.wire(address(this), address(this));
        vm.expectRevert(abi.encodeWithSelector(Market.NotACourt.selector, address(this)));
        d.market.closeCase(1, address(this), 0);
    }

    /// @notice EIP-170: every deployed contract fits a chain's 24 KiB code limit.
    function test_everyContractFitsTheCodeSizeLimit() public {
        Deploy.Deployed memory d = new Deploy().run();
        vm.assertTrue(address(d.market).code.length <= 24_576, "Market");
        vm.assertTrue(address(d.dispute).code.length <= 24_576, "Dispute");
        vm.assertTrue(address(d.availability).code.length <= 24_576, "Availability");
        vm.assertTrue(address(d.prover).code.length <= 24_576, "OpProver");
    }
}
