// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Role} from "./Types.sol";

/// @title Stakes
/// @notice Solver and verifier stakes (DESIGN §1): a deposit is free until a task locks part of
/// it; free stake leaves through an unbonding delay, so that a slash can still reach stake that
/// was just freed. Payouts are credited to a balance and pulled (`withdraw`), never pushed.
abstract contract Stakes {
    /// @notice One account's stake in one role.
    struct Stake {
        uint256 free;
        uint256 locked;
        uint256 unbonding;
        uint64 unbondsAt;
    }

    /// @notice Where burned wei goes: slashed stake nobody may be paid from.
    address internal constant BURN = address(0xdEaD);

    /// @notice Seconds between asking for stake back and getting it.
    uint64 public immutable unbondingDelay;

    mapping(address => mapping(Role => Stake)) internal _stakes;
    /// @notice What an address can withdraw: payments, refunds, bounties and unbonded stake.
    mapping(address => uint256) public balanceOf;

    /// @dev Σ of every stake and balance, for the solvency invariant.
    uint256 internal _totalStaked;
    uint256 internal _totalBalances;

    /// @dev The reentrancy lock's transient slot.
    bytes32 private constant LOCK = keccak256("poai.market.lock");

    event StakeDeposited(address indexed account, Role indexed role, uint256 amount);
    event UnbondingStarted(address indexed account, Role indexed role, uint256 amount, uint64 at);
    event StakeUnbonded(address indexed account, Role indexed role, uint256 amount);
    event StakeLocked(address indexed account, Role indexed role, uint256 amount);
    event StakeUnlocked(address indexed account, Role indexed role, uint256 amount);
    event StakeSlashed(address indexed account, Role indexed role, uint256 amount);
    event Credited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);

    error BadRole();
    error ZeroAmount();
    error InsufficientStake(uint256 free, uint256 needed);
    error StillUnbonding(uint64 at);
    error NothingToWithdraw();
    error TransferFailed();
    error Reentered();

    constructor(uint64 unbondingDelay_) {
        unbondingDelay = unbondingDelay_;
    }

    modifier nonReentrant() {
        bytes32 slot = LOCK;
        bool locked;
        assembly ("memory-safe") {
            locked := tload(slot)
        }
        if (locked) revert Reentered();
        assembly ("memory-safe") {
            tstore(slot, 1)
        }
        _;
        assembly ("memory-safe") {
            tstore(slot, 0)
        }
    }

    function stakeOf(address account, Role role) external view returns (Stake memory) {
        return _stakes[account][role];
    }

    /// @notice Adds the value sent to the caller's free stake in `role`.
    function deposit(Role role) external payable nonReentrant {
        if (role == Role.None) revert BadRole();
        if (msg.value == 0) revert ZeroAmount();
        _stakes[msg.sender][role].free += msg.value;
        _totalStaked += msg.value;
        emit StakeDeposited(msg.sender, role, msg.value);
    }

    /// @notice Moves `amount` of free stake to unbonding; it can be withdrawn after the delay,
    /// which restarts with every new request.
    function startUnbonding(Role role, uint256 amount) external nonReentrant {
        if (role == Role.None) revert BadRole();
        if (amount == 0) revert ZeroAmount();
        Stake storage s = _stakes[msg.sender][role];
        if (s.free < amount) revert InsufficientStake(s.free, amount);
        s.free -= amount;
        s.unbonding += amount;
        s.unbondsAt = uint64(block.timestamp) + unbondingDelay;
        emit UnbondingStarted(msg.sender, role, amount, s.unbondsAt);
    }

    /// @notice Credits unbonded stake to the caller's balance once the delay has passed.
    function finishUnbonding(Role role) external nonReentrant {
        Stake storage s = _stakes[msg.sender][role];
        if (s.unbonding == 0) revert NothingToWithdraw();
        if (block.timestamp < s.unbondsAt) revert StillUnbonding(s.unbondsAt);
        uint256 amount = s.unbonding;
        s.unbonding = 0;
        _totalStaked -= amount;
        _credit(msg.sender, amount);
        emit StakeUnbonded(msg.sender, role, amount);
    }

    /// @notice Sends the caller its whole balance.
    function withdraw() external nonReentrant {
        uint256 amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        balanceOf[msg.sender] = 0;
        _totalBalances -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function _lock(address account, Role role, uint256 amount) internal {
        Stake storage s = _stakes[account][role];
        if (s.free < amount) revert InsufficientStake(s.free, amount);
        s.free -= amount;
        s.locked += amount;
        emit StakeLocked(account, role, amount);
    }

    function _unlock(address account, Role role, uint256 amount) internal {
        Stake storage s = _stakes[account][role];
        s.locked -= amount;
        s.free += amount;
        emit StakeUnlocked(account, role, amount);
    }

    /// @dev Takes `amount` of locked stake out of the stakes; the caller decides where it goes.
    function _slashLocked(address account, Role role, uint256 amount) internal {
        _stakes[account][role].locked -= amount;
        _totalStaked -= amount;
        emit StakeSlashed(account, role, amount);
    }

    /// @dev Sends `amount` to `0x…dEaD`, which runs no code: a burn is the one push payment.
    function _burn(uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = BURN.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function _credit(address account, uint256 amount) internal {
        if (amount == 0) return;
        balanceOf[account] += amount;
        _totalBalances += amount;
        emit Credited(account, amount);
    }
}
