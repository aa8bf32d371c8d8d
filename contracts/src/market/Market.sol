// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {OpProver} from "../OpProver.sol";
import {Availability} from "./Availability.sol";
import {Games} from "./Games.sol";
import {Stakes} from "./Stakes.sol";
import {Tasks} from "./Tasks.sol";

/// @title Market
/// @notice The PoAI market: stakes (`Stakes`), tasks with their escrow and deadlines (`Tasks`),
/// sampling and attestations (`Attestations`), the dispute game with its settlement (`Games`)
/// and data availability (`Availability`), in one contract that holds the money.
contract Market is Availability {
    constructor(uint64 unbondingDelay_, uint64 moveWindow_, OpProver prover_)
        Tasks(unbondingDelay_)
        Games(moveWindow_, prover_)
    {}
}
