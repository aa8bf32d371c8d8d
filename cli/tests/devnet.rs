//! End to end, as a user runs it: `poai devnet` starts a real anvil, deploys the real contracts,
//! and runs a solver, verifiers and a whistleblower as separate `poai` processes talking libp2p
//! on 127.0.0.1; a digits task goes from submit to settlement. Each test makes one participant
//! misbehave the way a real one would and checks who was paid and who was slashed.

use serde_json::Value;

/// Runs `poai devnet --json` with a small task and short windows; returns its summary.
fn devnet(extra: &[&str]) -> Value {
    let dir = std::env::temp_dir().join(format!(
        "poai-e2e-{}-{}",
        std::process::id(),
        extra.join("").replace('-', "")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut args = vec!["--json", "devnet"];
    args.extend_from_slice(extra);
    for (flag, value) in [
        ("--steps", "200"),
        ("--interval", "20"),
        ("--hidden", "32"),
        ("--challenge-within", "25"),
        ("--move-window", "12"),
        ("--timeout", "600"),
    ] {
        if !extra.contains(&flag) {
            args.extend_from_slice(&[flag, value]);
        }
    }
    let dir_s = dir.display().to_string();
    args.extend_from_slice(&["--dir", &dir_s]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_poai"))
        .args(&args)
        .output()
        .expect("poai runs");
    assert!(
        out.status.success(),
        "poai devnet {extra:?} failed:\n{}\nnode logs in {dir_s}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON summary")
}

fn account<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["report"]["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["name"] == name)
        .expect("a named account")
}

/// The name of the devnet's account at `address`.
fn name_of<'a>(summary: &'a Value, address: &str) -> &'a str {
    summary["report"]["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["address"] == address)
        .and_then(|a| a["name"].as_str())
        .expect("a known account")
}

fn credit(summary: &Value, name: &str) -> f64 {
    account(summary, name)["credit"].as_f64().expect("a credit")
}

fn task(summary: &Value) -> &Value {
    &summary["report"]["tasks"][0]
}

/// How many times `event` is in the run's timeline.
fn events(summary: &Value, event: &str) -> usize {
    summary["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["event"] == event)
        .count()
}

fn games(summary: &Value) -> &Vec<Value> {
    summary["report"]["games"].as_array().expect("games")
}

/// Payment 5, solver stake 10 (bounty 5, submitter's share 3), bond 1, two samples at a fee
/// of 0.1 with a stake of 1 each (submit's defaults).
const PAYMENT: f64 = 5.0;
const BOUNTY: f64 = 5.0;
/// What a win by timeout earns at most (10% of the stake).
const TIMEOUT: f64 = 1.0;
const BOND: f64 = 1.0;
const FEE: f64 = 0.1;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn an_honest_task_is_paid_and_nobody_is_slashed() {
    let s = devnet(&[]);
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    assert!(
        games(&s).is_empty(),
        "nobody challenges an honest solver: {s:#}"
    );
    for sample in task(&s)["samples"].as_array().expect("samples") {
        assert_eq!(sample["attest"], "pass", "{s:#}");
        assert_eq!(
            sample["named"], true,
            "checked op by op before attesting: {s:#}"
        );
    }
    assert!(close(credit(&s, "solver"), PAYMENT - 2.0 * FEE), "{s:#}");
    assert!(close(
        credit(&s, "verifier-a") + credit(&s, "verifier-b"),
        2.0 * FEE
    ));
    assert_eq!(account(&s, "solver")["solverStake"]["free"], 100.0);
    for v in ["verifier-a", "verifier-b"] {
        assert_eq!(account(&s, v)["verifierStake"]["free"], 10.0, "{s:#}");
    }
    // Every node answers its HTTP API; the solver's metrics count its work.
    for node in ["solver", "verifier-a", "verifier-b", "whistleblower"] {
        assert_eq!(s["nodes"][node]["health"], "ok\n", "{node}");
    }
    let metrics = s["nodes"]["solver"]["metrics"].as_str().expect("metrics");
    assert!(metrics.contains("poai_steps_trained 200\n"), "{metrics}");
    assert!(metrics.contains("poai_results_committed 1\n"), "{metrics}");
}

/// A cheating solver is slashed through the real game; the best prover is paid its bond back
/// and the bounty (a win by timeout only the timeout reward, TIMEOUT), and the submitter gets
/// the payment back with its share.
fn slashed(cheat: &str) -> Value {
    slashed_with(cheat, &[])
}

/// [`slashed`], with more flags for the devnet.
fn slashed_with(cheat: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--cheat", cheat];
    args.extend_from_slice(extra);
    let s = devnet(&args);
    assert_eq!(task(&s)["status"], "slashed", "{cheat}: {s:#}");
    assert_eq!(
        task(&s)["settled"],
        true,
        "{cheat}: the stake is split: {s:#}"
    );
    let (winner, reward) = match task(&s)["prover"].as_str() {
        Some(prover) => (prover, BOUNTY),
        None => (
            task(&s)["timeoutWinner"].as_str().expect("a winner"),
            TIMEOUT,
        ),
    };
    let name = name_of(&s, winner);
    assert!(
        credit(&s, name) >= BOND + reward - 1e-9,
        "{cheat}: {name} convicted it and is paid: {s:#}"
    );
    assert!(
        close(credit(&s, "submitter"), PAYMENT + 3.0),
        "{cheat}: {s:#}"
    );
    assert!(close(credit(&s, "solver"), 0.0), "{cheat}: {s:#}");
    assert_eq!(
        account(&s, "solver")["solverStake"]["free"],
        90.0,
        "{cheat}"
    );
    s
}

#[test]
fn a_solver_that_skips_steps_is_slashed() {
    slashed("skip-steps");
}

#[test]
fn a_solver_that_changes_the_learning_rate_is_slashed() {
    slashed("learning-rate");
}

#[test]
fn a_solver_that_swaps_data_rows_is_slashed() {
    slashed("swap-data");
}

#[test]
fn a_solver_that_computes_in_bf16_is_slashed() {
    slashed("bf16");
}

#[test]
fn a_solver_that_replays_a_checkpoint_is_slashed() {
    slashed("replay-checkpoint");
}

#[test]
fn a_solver_that_commits_random_weights_is_slashed() {
    slashed("random-weights");
}

#[test]
fn a_solver_that_withholds_its_checkpoints_is_slashed() {
    slashed("withhold-checkpoints");
}

/// A verifier that passes without checking does not save a cheat, and loses its stake: it names
/// the solver's signed segment index to be paid (which makes it the segment's posted data), the
/// whistleblower checks passed segments first and convicts the solver in a game on that data
/// (property 4); the pass is burned at settlement. Only the passes on the faulted segment are
/// burned.
#[test]
fn a_lazy_pass_does_not_save_a_cheating_solver_and_costs_its_stake() {
    let s = devnet(&["--cheat", "learning-rate", "--lazy-verifier"]);
    assert_eq!(task(&s)["status"], "slashed", "{s:#}");
    assert_eq!(task(&s)["settled"], true, "{s:#}");
    let samples = task(&s)["samples"].as_array().expect("samples");
    assert!(samples.iter().all(|x| x["named"] == true), "{s:#}");
    let wrong = samples
        .iter()
        .filter(|x| x["attest"] == "pass proven wrong")
        .count();
    assert!(wrong >= 1, "the faulted segment's pass is burned: {s:#}");
    assert!(
        credit(&s, "whistleblower") >= BOND + BOUNTY - 1e-9,
        "the whistleblower convicted it: {s:#}"
    );
    let v = &account(&s, "verifier-a")["verifierStake"];
    assert!(
        close(v["free"].as_f64().expect("free"), 10.0 - wrong as f64)
            && close(v["locked"].as_f64().expect("locked"), 0.0),
        "one verifier stake burned per burned pass: {s:#}"
    );
}

/// The shield of the second review of pass liability (N1): a cheater, convicted either way,
/// withholds the trace of the step a game picks, so that no proof is made against the index a
/// lazy verifier named. Naming made that index the segment's posted data: the game times out on
/// it, the segment faults, and the lazy pass is burned all the same.
#[test]
fn a_cheat_that_withholds_the_picked_trace_does_not_shield_a_lazy_pass() {
    let s = devnet(&["--cheat", "withhold-trace", "--lazy-verifier"]);
    assert_eq!(task(&s)["status"], "slashed", "{s:#}");
    assert_eq!(task(&s)["settled"], true, "{s:#}");
    assert!(
        games(&s).iter().all(|g| g["phase"] != "solver won"),
        "no game is won by a proof-free solver: {s:#}"
    );
    let samples = task(&s)["samples"].as_array().expect("samples");
    let wrong = samples
        .iter()
        .filter(|x| x["attest"] == "pass proven wrong")
        .count();
    assert!(wrong >= 1, "the faulted segment's pass is burned: {s:#}");
    let v = &account(&s, "verifier-a")["verifierStake"];
    assert!(
        close(v["free"].as_f64().expect("free"), 10.0 - wrong as f64)
            && close(v["locked"].as_f64().expect("locked"), 0.0),
        "one verifier stake burned per burned pass: {s:#}"
    );
}

#[test]
fn a_false_alarm_loses_its_bond_to_the_solver() {
    let s = devnet(&["--false-alarm"]);
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    assert!(
        games(&s).iter().all(|g| g["phase"] == "solver won"),
        "{s:#}"
    );
    assert_eq!(games(&s).len(), 1, "{s:#}");
    assert!(close(credit(&s, "whistleblower"), 0.0), "{s:#}");
    assert!(
        close(credit(&s, "solver"), PAYMENT - 2.0 * FEE + BOND),
        "{s:#}"
    );
}

/// Property 4, framing: a solver that trains honestly but never posts the trace a game picks,
/// with a false alarm on a segment a verifier passed, would burn that pass by the game's timeout
/// on the named data. The named verifier answers for the data it vouched for (it posts the
/// trace it checked, half a move window into the solver's turn): the game plays on, the false
/// alarm proves nothing and loses its bond, and every pass is paid.
#[test]
fn a_framer_that_withholds_a_named_trace_does_not_burn_the_honest_pass() {
    let s = devnet(&["--cheat", "frame-verifier", "--false-alarm"]);
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    assert_eq!(games(&s).len(), 1, "{s:#}");
    assert!(
        games(&s).iter().all(|g| g["phase"] == "solver won"),
        "the trace was posted and the false alarm proved nothing: {s:#}"
    );
    assert!(close(credit(&s, "whistleblower"), 0.0), "{s:#}");
    for sample in task(&s)["samples"].as_array().expect("samples") {
        assert_eq!(sample["attest"], "pass", "{s:#}");
        assert_eq!(sample["named"], true, "{s:#}");
    }
    assert!(close(
        credit(&s, "verifier-a") + credit(&s, "verifier-b"),
        2.0 * FEE
    ));
    for v in ["verifier-a", "verifier-b"] {
        assert_eq!(account(&s, v)["verifierStake"]["free"], 10.0, "{s:#}");
    }
    let logs = std::path::Path::new(s["logs"].as_str().expect("logs"));
    let posted = ["verifier-a.log", "verifier-b.log"].iter().any(|f| {
        std::fs::read_to_string(logs.join(f))
            .is_ok_and(|l| l.contains("posted a named trace the solver withheld"))
    });
    assert!(posted, "a named verifier posted the trace: {s:#}");
}

/// AUDIT H6: a submitter that sets a solve window no run fits would take the stake of a solver
/// that claims blindly. The solver measures the task's steps first and refuses it, saying why;
/// nobody claims, and the submitter takes its escrow back.
#[test]
fn an_infeasible_task_is_not_claimed_and_its_escrow_is_refunded() {
    let s = devnet(&["--solve-within", "1", "--claim-within", "15"]);
    assert_eq!(task(&s)["status"], "refunded", "{s:#}");
    assert!(close(credit(&s, "submitter"), PAYMENT), "{s:#}");
    assert_eq!(account(&s, "solver")["solverStake"]["free"], 100.0, "{s:#}");
    let log = std::fs::read_to_string(
        std::path::Path::new(s["logs"].as_str().expect("logs")).join("solver.log"),
    )
    .expect("the solver's log");
    assert!(
        log.contains("not claimed") && log.contains("the solve window is 1 s"),
        "{log}"
    );
}

#[test]
fn a_solver_that_crashes_mid_training_resumes_and_is_paid() {
    let s = devnet(&["--restart-solver"]);
    assert_eq!(
        s["restartedAfterCheckpoints"].as_u64(),
        Some(3),
        "crashed after its third of 11 checkpoints: {s:#}"
    );
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    assert!(games(&s).is_empty(), "{s:#}");
    let log = std::fs::read_to_string(
        std::path::Path::new(s["logs"].as_str().expect("logs")).join("solver.log"),
    )
    .expect("the solver's log");
    assert!(log.contains("resuming training"), "{log}");
}

/// AUDIT C1: a stranger's row requests against an honest task — one in range, one past the
/// tensor's end — are both answered and the solver is paid, with its answers' gas out of the
/// bonds and the rest burned (review 5, 2: withholding off chain earns a solver nothing).
#[test]
fn a_strangers_row_requests_are_answered_and_the_honest_solver_is_paid() {
    let s = devnet(&["--stranger-requests"]);
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    let requests = s["strangers"]["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 2, "{s:#}");
    assert_eq!(events(&s, "Answered"), 2, "both requests answered: {s:#}");
    let gas = credit(&s, "solver") - (PAYMENT - 2.0 * FEE);
    assert!(
        gas > 0.0 && gas < 0.01 * BOND,
        "the solver is paid, and its answers' gas (not the bonds): {s:#}"
    );
    assert_eq!(account(&s, "solver")["solverStake"]["free"], 100.0);
    assert!(close(credit(&s, "stranger"), 0.0), "{s:#}");
}

/// AUDIT H7: many challenges opened at once against an honest solver are all answered by one
/// post per segment; none convicts it, and every bond is the solver's.
#[test]
fn many_challenges_at_once_do_not_slash_an_honest_solver() {
    let n = 20;
    let s = devnet(&["--mass-challenges", "20"]);
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    let griefs = s["strangers"]["challenges"].as_array().expect("games");
    assert_eq!(griefs.len(), n, "{s:#}");
    let lost = games(&s)
        .iter()
        .filter(|g| g["phase"] == "solver won")
        .count();
    assert!(lost >= n, "every griefing game lost: {s:#}");
    assert_eq!(
        events(&s, "StepsPosted"),
        10,
        "one post per segment, for every game on it: {s:#}"
    );
    assert!(
        credit(&s, "solver") >= PAYMENT - 2.0 * FEE + n as f64 * BOND - 1e-9,
        "{s:#}"
    );
    assert_eq!(account(&s, "solver")["solverStake"]["free"], 100.0);
}

/// AUDIT C2: a solver that computes nothing, commits a root over made-up state hashes and
/// answers every move with made-up hashes is convicted: the per-step states it posted cannot be
/// opened on chain.
#[test]
fn a_solver_that_answers_with_junk_roots_is_slashed_through_availability() {
    let s = slashed("junk-roots");
    assert!(events(&s, "RequestTimedOut") > 0, "{s:#}");
}

/// AUDIT C2: a solver that plays every move but serves none of its states, off chain or on, is
/// convicted through an on-chain request it leaves unanswered.
#[test]
fn a_solver_that_withholds_while_playing_is_slashed_through_availability() {
    let s = slashed("withhold-while-playing");
    assert!(events(&s, "RequestTimedOut") > 0, "{s:#}");
}

/// Property 2 (AUDIT C2): a solver that skips steps and serves nothing off chain, but plays
/// every move and answers every opening on chain, is proven wrong from what the chain opened
/// alone: the challenger opens the segment's per-step states and the picked step's trace whole
/// on chain, rebuilds them, and proves the fault; the bonds of the openings it forced come back.
#[test]
fn a_solver_that_answers_only_on_chain_is_proven_wrong_from_its_openings() {
    let s = slashed("on-chain-only");
    assert!(task(&s)["prover"].is_string(), "proven: {s:#}");
    assert!(events(&s, "DataOpened") > 0, "{s:#}");
    // Convicted by the proof: an opening left unanswered only after that (a convicted solver
    // stops answering) convicts nothing new.
    let timeline = s["timeline"].as_array().expect("timeline");
    let first = |e: &str| timeline.iter().position(|x| x["event"] == e);
    let proven = first("FraudProven").expect("a proof");
    assert_eq!(first("Convicted"), Some(proven + 1), "{s:#}");
    assert!(first("RequestTimedOut").is_none_or(|t| t > proven), "{s:#}");
}

/// AUDIT H4 (property 2, wrong shapes): a solver whose posted trace has an op output of another
/// shape than the program's is proven wrong by that shape (the contract's `WrongShape`); the
/// challenger does not refuse the trace as malformed and time out.
#[test]
fn a_solver_that_posts_a_mis_shaped_trace_is_proven_wrong() {
    let s = slashed("mis-shaped-trace");
    assert!(task(&s)["prover"].is_string(), "proven: {s:#}");
    assert_eq!(events(&s, "RequestTimedOut"), 0, "{s:#}");
}

/// AUDIT H3 (b): a solver that trains honestly but commits its result list padded with made-up
/// leaves at the same depth is checked by its committed leaves: the verifiers pass, nobody
/// challenges, and it is paid.
#[test]
fn a_padded_result_list_is_read_by_its_committed_leaves() {
    let s = devnet(&["--cheat", "padded-result-list"]);
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    assert!(games(&s).is_empty(), "nobody challenges: {s:#}");
    for sample in task(&s)["samples"].as_array().expect("samples") {
        assert_eq!(sample["attest"], "pass", "{s:#}");
        assert_eq!(
            sample["named"], true,
            "checked op by op before attesting: {s:#}"
        );
    }
    assert!(close(credit(&s, "solver"), PAYMENT - 2.0 * FEE), "{s:#}");
}

/// AUDIT H3 (c), property 1: a task whose honest run diverges (a learning rate so large the
/// weights overflow to infinity and NaN) is not challenged: the checkers' own runs diverge at the
/// same places, which prove nothing either way. The solver is paid and nobody loses a bond.
#[test]
fn an_honest_run_that_diverges_is_paid_and_nobody_challenges() {
    let s = devnet(&["--lr", "1e30"]);
    assert_eq!(task(&s)["status"], "finalized", "{s:#}");
    assert!(games(&s).is_empty(), "nobody challenges: {s:#}");
    assert!(close(credit(&s, "solver"), PAYMENT - 2.0 * FEE), "{s:#}");
}

/// The other side of AUDIT H3 (c): a solver that replaces its state with NaN mid-run (and so
/// computes nothing after) is still proven wrong, at the segment where the state stopped being
/// finite, though every later segment passes tier 1.
#[test]
fn a_solver_that_plants_nan_weights_is_slashed() {
    let s = slashed("nan-weights");
    assert!(task(&s)["prover"].is_string(), "proven: {s:#}");
}

/// Review 4, F2: a solver that plants NaN and withholds off chain the last finite checkpoint
/// (the start of the segment that made the NaN), answering every opening on chain, would steer
/// a checker that passes over what it cannot fetch to an earlier, honest segment, or draw a
/// blind challenge there. Checkers open the checkpoint on chain first and prove the right one.
#[test]
fn a_solver_that_withholds_the_checkpoint_a_look_back_needs_is_proven_wrong() {
    let s = slashed("steer-look-back");
    assert!(task(&s)["prover"].is_string(), "proven: {s:#}");
    assert!(events(&s, "DataOpened") > 0, "opened on chain: {s:#}");
    // Ten segments; the NaN is made in segment 5, whose start is withheld: it is proven there.
    // The whistleblower (which always looks) challenges segment 5 only, never the honest
    // segment 4 before it. (A verifier sampled on segment 4 cannot fetch its end and still
    // challenges it blind: AUDIT H3 (a), Soundness II.)
    proven_only_where_the_nan_was_made(&s);
}

/// The NaN cheats' run (ten segments, the NaN made in segment 5): a game on segment 5 won, and
/// the whistleblower (which always looks) challenged segment 5 only.
fn proven_only_where_the_nan_was_made(s: &Value) {
    assert!(
        games(s)
            .iter()
            .any(|g| g["segment"] == 5 && g["phase"] == "challenger won"),
        "{s:#}"
    );
    let whistleblower = &account(s, "whistleblower")["address"];
    for g in games(s)
        .iter()
        .filter(|g| &g["challenger"] == whistleblower)
    {
        assert_eq!(g["segment"], 5, "only the segment that made the NaN: {s:#}");
    }
}

/// Review 5, 1: a cheater that steers as above and answers every opening only in the last
/// seconds before it is due. A checker waits for the answers (an answer keeps the window open
/// a move window past it), checks, and proves the segment that made the NaN.
#[test]
fn a_solver_that_answers_openings_at_the_last_second_is_still_proven_wrong() {
    let s = slashed("late-answers");
    assert!(task(&s)["prover"].is_string(), "proven: {s:#}");
    assert!(events(&s, "DataOpened") > 0, "opened on chain: {s:#}");
    proven_only_where_the_nan_was_made(&s);
}

/// Property 2 in the nodes: a cheater plants NaN (as above) and serves no checkpoint list off
/// chain, only its states. A checker that cannot name the checkpoints demands `resultRoot`'s
/// leaves on chain, checks with the states they name, and proves the segment that made the NaN
/// (before, the whistleblower challenged the first segment blind and lost its bond).
#[test]
fn a_solver_that_withholds_its_checkpoint_list_is_still_proven_wrong() {
    let s = slashed("withhold-list");
    assert!(task(&s)["prover"].is_string(), "proven: {s:#}");
    assert!(
        events(&s, "LeafOpened") > 0,
        "leaves opened on chain: {s:#}"
    );
    proven_only_where_the_nan_was_made(&s);
}

/// Issue 14: a solver that computes the matrix products of one step in tf32 in an fp32 task
/// (the smallest corner cut that saves work) moves the state by far less than τ, so every
/// tier-1 check passes it. The checkers run tier 2 on every op of the steps the solver serves
/// for each segment, find the step, pick it in the game and prove the op on chain. (The window
/// is longer than the other tests': tier 2 on every segment of the run takes a few seconds.)
#[test]
fn a_solver_that_computes_one_step_in_tf32_below_tau_is_proven_wrong() {
    let s = slashed_with("tf32-step", &["--challenge-within", "90"]);
    assert!(
        task(&s)["prover"].is_string(),
        "proven, not timed out: {s:#}"
    );
    for sample in task(&s)["samples"].as_array().expect("samples") {
        let distance = sample["distance"].as_f64().expect("a distance");
        assert!(
            distance <= 1e-3,
            "tier 1 passes every sampled segment: {s:#}"
        );
    }
    assert!(
        games(&s)
            .iter()
            .any(|g| g["segment"] == 5 && g["phase"] == "challenger won"),
        "the segment with the tf32 step is proven: {s:#}"
    );
    for g in games(&s) {
        assert_eq!(g["segment"], 5, "no other segment is challenged: {s:#}");
    }
}

/// The review of segment indexes, C1: a solver that trains honestly but serves an index whose
/// trace of one step is faulty draws every checker's challenge to that step, then posts the
/// honest trace in the game, which proves nothing. The challenger proves that the solver signed
/// another trace than it posted (`proveEquivocation`): the solver is slashed and no honest
/// checker loses its bond.
#[test]
fn a_solver_that_posts_another_trace_than_it_served_is_convicted_of_equivocation() {
    let s = slashed_with("bait-index", &["--challenge-within", "90"]);
    assert!(
        task(&s)["prover"].is_string(),
        "proven, not timed out: {s:#}"
    );
    assert!(
        games(&s)
            .iter()
            .all(|g| g["phase"] == "challenger won" || g["phase"] == "ended"),
        "no checker's game is lost to the solver (won, or ended with the bond back): {s:#}"
    );
    assert!(
        games(&s).iter().any(|g| g["phase"] == "challenger won"),
        "won: {s:#}"
    );
    assert!(
        games(&s).iter().any(|g| g["segment"] == 5),
        "the baited segment: {s:#}"
    );
}

/// The review of the binding, F2: a solver that trains honestly and serves its signed segment
/// indexes, but posts other per-step states on every segment before any pass can name one,
/// would keep every pass unnamed, and unpaid. A verifier refused its naming challenges instead
/// and proves that the solver signed other states than it posted (`proveEquivocation`).
#[test]
fn a_solver_that_posts_other_steps_than_it_signed_before_a_naming_is_convicted_of_equivocation() {
    let s = slashed_with("preempt-naming", &[]);
    let prover = task(&s)["prover"].as_str().expect("proven, not timed out");
    let name = name_of(&s, prover);
    assert!(
        name.starts_with("verifier"),
        "a verifier refused its naming proved it: {s:#}"
    );
    assert!(
        games(&s).iter().all(|g| g["phase"] != "solver won"),
        "no checker's game is lost to the solver: {s:#}"
    );
}
