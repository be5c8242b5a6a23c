//! `kalshi-alpha fees`: the fee of one order.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use kalshi_alpha::model::{Count, Money, Price, Role};
use kalshi_alpha::pricing::fees::{FeeMultiplier, FeeSchedule, FeeType, Rounding};

/// Arguments of `fees`.
#[derive(Debug, Args)]
pub struct FeesArgs {
    /// Contract price in dollars, strictly between 0 and 1 (e.g. 0.25).
    #[arg(long)]
    price: Price,
    /// Contracts (up to 2 decimals).
    #[arg(long)]
    count: Count,
    /// Taker (crosses the spread) or maker (rests and is taken).
    #[arg(long, value_enum)]
    role: RoleArg,
    /// The series' fee multiplier.
    #[arg(long, default_value = "1")]
    multiplier: FeeMultiplier,
    /// Fee rounding: each order up to the cent, or each fill up to $0.0001.
    #[arg(long, value_enum, default_value = "cent")]
    rounding: RoundingArg,
    /// The series' fee type (`quadratic` charges makers nothing).
    #[arg(long, value_enum, default_value = "quadratic-with-maker-fees")]
    fee_type: FeeTypeArg,
    /// Dollars per contract, for `--fee-type flat`.
    #[arg(long)]
    flat_fee: Option<Money>,
    /// Print JSON instead of the bare fee.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Taker,
    Maker,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoundingArg {
    Cent,
    Centicent,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FeeTypeArg {
    Quadratic,
    QuadraticWithMakerFees,
    Flat,
}

/// Runs `fees`.
pub fn run(args: FeesArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.price.is_tradeable(), "--price must be strictly between 0 and 1, got {}", args.price);
    let role = match args.role {
        RoleArg::Taker => Role::Taker,
        RoleArg::Maker => Role::Maker,
    };
    let rounding = match args.rounding {
        RoundingArg::Cent => Rounding::Cent,
        RoundingArg::Centicent => Rounding::Centicent,
    };
    let fee_type = match args.fee_type {
        FeeTypeArg::Quadratic => FeeType::Quadratic,
        FeeTypeArg::QuadraticWithMakerFees => FeeType::QuadraticWithMakerFees,
        FeeTypeArg::Flat => FeeType::Flat,
    };
    anyhow::ensure!(
        (fee_type == FeeType::Flat) == args.flat_fee.is_some(),
        "--flat-fee is required with --fee-type flat and only allowed with it"
    );
    let schedule = FeeSchedule::new(fee_type, args.multiplier, args.flat_fee)?;
    let fee = schedule.fee(role, args.price, args.count, rounding);
    if args.json {
        let out = serde_json::json!({
            "fee": fee,
            "unrounded": schedule.fee_unrounded(role, args.price, args.count),
            "price": args.price,
            "count": args.count,
            "role": role,
            "multiplier": args.multiplier,
            "rounding": rounding,
            "fee_type": schedule.fee_type(),
        });
        println!("{out}");
    } else {
        println!("{fee}");
    }
    Ok(ExitCode::SUCCESS)
}
