//! Getting money out of the market: `poai unbond` asks for free stake back (it stays slashable
//! for the market's unbonding delay), and `poai withdraw` credits every stake whose delay has
//! passed and sends the account its whole credit — payments, fees, refunds, bounties and
//! unbonded stake.

use poai_node::chain::{Chain, eth, ether};
use serde_json::{Value, json};

use super::ChainArgs;

/// The stake roles, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StakeRole {
    Solver,
    Verifier,
}

impl StakeRole {
    const ALL: [StakeRole; 2] = [StakeRole::Solver, StakeRole::Verifier];

    /// The market's `Stakes.Role`, as its calls take it.
    fn id(self) -> u8 {
        match self {
            StakeRole::Solver => 1,
            StakeRole::Verifier => 2,
        }
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct UnbondArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// Which stake.
    #[arg(long, value_enum)]
    role: StakeRole,
    /// How much, in ether; all of the free stake if not given.
    #[arg(long, allow_negative_numbers = true)]
    amount: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct WithdrawArgs {
    #[command(flatten)]
    chain: ChainArgs,
}

fn print(out: &Value, json_out: bool) {
    if json_out {
        println!("{out:#}");
    } else if let Some(lines) = out["said"].as_array() {
        for line in lines {
            println!("{}", line.as_str().unwrap_or_default());
        }
    }
}

pub(crate) async fn unbond(args: UnbondArgs, json_out: bool) -> eyre::Result<()> {
    let c = &args.chain;
    let chain = Chain::connect(&c.rpc, &c.key, c.market).await?;
    let stake = chain
        .market
        .stakeOf(chain.address, args.role.id())
        .call()
        .await?;
    let amount = match args.amount {
        Some(x) if !(x.is_finite() && x > 0.0) => {
            eyre::bail!("--amount must be a positive number of ether, not {x}")
        }
        Some(x) => eth(x),
        None if stake.free.is_zero() => {
            eyre::bail!("no free {:?} stake to unbond", args.role)
        }
        None => stake.free,
    };
    if amount > stake.free {
        eyre::bail!(
            "only {} ether of {:?} stake is free (locked in tasks: {})",
            ether(stake.free),
            args.role,
            ether(stake.locked)
        );
    }
    let call = chain.market.startUnbonding(args.role.id(), amount);
    chain
        .send(call.into_transaction_request(), "start unbonding")
        .await?;
    let after = chain
        .market
        .stakeOf(chain.address, args.role.id())
        .call()
        .await?;
    let out = json!({
        "account": chain.address.to_string(),
        "role": args.role,
        "unbonding": ether(after.unbonding),
        "unbondsAt": after.unbondsAt,
        "free": ether(after.free),
        "said": [format!(
            "{} ether of {:?} stake unbonding; `poai withdraw` after unix time {}",
            ether(after.unbonding),
            args.role,
            after.unbondsAt
        )],
    });
    print(&out, json_out);
    Ok(())
}

pub(crate) async fn withdraw(args: WithdrawArgs, json_out: bool) -> eyre::Result<()> {
    let c = &args.chain;
    let chain = Chain::connect(&c.rpc, &c.key, c.market).await?;
    let now = chain.now().await?;
    let mut said = Vec::new();
    let mut unbonded = serde_json::Map::new();
    let mut waiting = serde_json::Map::new();
    for role in StakeRole::ALL {
        let stake = chain
            .market
            .stakeOf(chain.address, role.id())
            .call()
            .await?;
        if stake.unbonding.is_zero() {
            continue;
        }
        if now < stake.unbondsAt {
            said.push(format!(
                "{} ether of {role:?} stake is still unbonding, until unix time {}",
                ether(stake.unbonding),
                stake.unbondsAt
            ));
            waiting.insert(
                format!("{role:?}").to_lowercase(),
                json!(ether(stake.unbonding)),
            );
            continue;
        }
        let call = chain.market.finishUnbonding(role.id());
        chain
            .send(
                call.into_transaction_request(),
                format!("finish unbonding {role:?} stake"),
            )
            .await?;
        unbonded.insert(
            format!("{role:?}").to_lowercase(),
            json!(ether(stake.unbonding)),
        );
    }
    let credit = chain.credit().await?;
    if credit.is_zero() {
        said.push("nothing to withdraw".into());
    } else {
        chain
            .send(
                chain.market.withdraw().into_transaction_request(),
                "withdraw",
            )
            .await?;
        said.push(format!(
            "withdrew {} ether to {}",
            ether(credit),
            chain.address
        ));
    }
    let out = json!({
        "account": chain.address.to_string(),
        "unbonded": unbonded,
        "stillUnbonding": waiting,
        "withdrawn": ether(credit),
        "said": said,
    });
    print(&out, json_out);
    Ok(())
}
