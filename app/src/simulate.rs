//! `bulwark simulate`: runs a scenario on the embedded chain, bootstrapped
//! from `migrations/`, checking every invariant after every step.

use crate::bootstrap::{bootstrap, set_oracle, Deployment};
use crate::chain::EmbeddedChain;
use crate::config::{usd, BootstrapConfig};
use crate::invariants;
use crate::ix;
use crate::pyth::PythPrice;
use anchor_lang::prelude::Pubkey;
use bulwark::state::MarketRef;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Traders deposit, the index moves, traders withdraw; operator limits
    /// are exercised. (Trading arrives with the order book.)
    Collateral,
}

impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "collateral" => Ok(Scenario::Collateral),
            other => Err(format!(
                "unknown scenario {other:?} (available: collateral)"
            )),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub market: String,
    pub steps: u32,
    pub traders: u32,
    /// fills (none until the order book lands).
    pub fills: Vec<serde_json::Value>,
    /// USD.
    pub deposits_usd: f64,
    /// USD.
    pub withdrawals_usd: f64,
    /// USD, the market vault at the end.
    pub vault_usd: f64,
    /// rejected actions with the program's error code, as expected.
    pub rejections: Vec<Rejection>,
    /// USD, index after each refresh.
    pub index_path_usd: Vec<f64>,
    pub invariant_checks: u32,
    pub invariants_ok: bool,
    pub violations: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Rejection {
    pub action: String,
    pub error_code: Option<u32>,
}

struct Sim {
    chain: EmbeddedChain,
    dep: Deployment,
    summary: Summary,
    quiet: bool,
}

impl Sim {
    fn log(&self, line: String) {
        if !self.quiet {
            println!("{line}");
        }
    }

    async fn check(&mut self) {
        let markets: Vec<Pubkey> = self.dep.markets.iter().map(|m| m.key).collect();
        let v = invariants::check_all(&mut self.chain, &markets).await;
        self.summary.invariant_checks += 1;
        self.summary.steps += 1;
        self.summary.violations.extend(v);
    }

    async fn set_price(&mut self, price_usd: f64) -> Result<(), String> {
        let now = self.chain.clock().await.unix_timestamp;
        let m = &self.dep.markets[0];
        let (key, feeds) = (m.key, m.feeds.clone());
        for f in &feeds {
            set_oracle(
                &mut self.chain,
                f,
                &self.dep.pyth_program,
                &PythPrice::usd(price_usd, price_usd * 2e-4, now),
            );
        }
        self.chain
            .send(&[ix::refresh_prices(&key, &feeds)], &[])
            .await
            .map_err(|e| e.to_string())?;
        let data = self.chain.account_data(&key).await;
        let idx = MarketRef::from_bytes(&data)
            .map_err(|e| e.to_string())?
            .header
            .state
            .index_price;
        self.summary.index_path_usd.push(idx as f64 / 1e6);
        self.log(format!("[t] index -> {:.2} USD", idx as f64 / 1e6));
        self.check().await;
        Ok(())
    }
}

pub async fn run(
    cfg: &BootstrapConfig,
    scenario: Scenario,
    quiet: bool,
) -> Result<Summary, String> {
    let mut chain = EmbeddedChain::start(vec![]).await;
    let dep = bootstrap(&mut chain, cfg).await?;
    let market = dep.markets.first().ok_or("the config lists no market")?;
    let summary = Summary {
        scenario: format!("{scenario:?}").to_lowercase(),
        market: market.name.clone(),
        ..Default::default()
    };
    let mut sim = Sim {
        chain,
        dep,
        summary,
        quiet,
    };
    sim.log(format!(
        "bootstrapped exchange with {} on the embedded chain",
        sim.summary.market
    ));
    sim.check().await;
    match scenario {
        Scenario::Collateral => collateral_scenario(&mut sim).await?,
    }
    sim.summary.invariants_ok = sim.summary.violations.is_empty();
    Ok(sim.summary)
}

async fn collateral_scenario(sim: &mut Sim) -> Result<(), String> {
    let market = sim.dep.markets[0].key;
    let mint = sim.dep.collateral_mint;
    let amounts = [10_000.0, 25_000.0, 50_000.0];
    let mut traders = Vec::new();
    for (i, a) in amounts.iter().enumerate() {
        let kp = Keypair::new();
        sim.chain
            .airdrop(&kp.pubkey(), 1_000_000_000)
            .await
            .map_err(|e| e.to_string())?;
        let ata = sim
            .chain
            .create_token_account(&mint, &kp.pubkey())
            .await
            .map_err(|e| e.to_string())?;
        sim.chain
            .mint_to(&mint, &ata, usd(*a))
            .await
            .map_err(|e| e.to_string())?;
        sim.chain
            .send(&[ix::deposit(&kp.pubkey(), &market, &ata, usd(*a))], &[&kp])
            .await
            .map_err(|e| e.to_string())?;
        sim.summary.deposits_usd += a;
        sim.log(format!("[t] trader{i} deposits {a:.2} USD"));
        sim.check().await;
        traders.push((kp, ata));
    }
    sim.summary.traders = traders.len() as u32;
    for p in [65_300.0, 64_100.0, 66_000.0] {
        sim.set_price(p).await?;
    }
    // Withdraw part, then try to take out more than is free.
    let (kp, ata) = &traders[0];
    sim.chain
        .send(
            &[ix::withdraw(&kp.pubkey(), &market, ata, usd(4_000.0))],
            &[kp],
        )
        .await
        .map_err(|e| e.to_string())?;
    sim.summary.withdrawals_usd += 4_000.0;
    sim.log("[t] trader0 withdraws 4000.00 USD".into());
    sim.check().await;
    let r = sim
        .chain
        .send(
            &[ix::withdraw(&kp.pubkey(), &market, ata, usd(7_000.0))],
            &[kp],
        )
        .await;
    let code = r.err().and_then(|e| e.code());
    sim.log(format!(
        "[t] trader0 tries to withdraw 7000.00 USD: rejected (error {code:?})"
    ));
    sim.summary.rejections.push(Rejection {
        action: "withdraw above free collateral".into(),
        error_code: code,
    });
    sim.check().await;
    // Empty and release a seat.
    let (kp, ata) = &traders[2];
    sim.chain
        .send(
            &[
                ix::withdraw(&kp.pubkey(), &market, ata, usd(50_000.0)),
                ix::release_seat(&kp.pubkey(), &market),
            ],
            &[kp],
        )
        .await
        .map_err(|e| e.to_string())?;
    sim.summary.withdrawals_usd += 50_000.0;
    sim.log("[t] trader2 withdraws everything and releases its seat".into());
    sim.check().await;
    let vault = sim
        .chain
        .token_balance(&ix::market_vault_pda(&market))
        .await;
    sim.summary.vault_usd = vault as f64 / 1e6;
    Ok(())
}

/// Human-readable summary.
pub fn print_summary(s: &Summary) {
    println!("--- summary ({} on {}) ---", s.scenario, s.market);
    println!(
        "steps: {}  traders: {}  fills: {}",
        s.steps,
        s.traders,
        s.fills.len()
    );
    println!(
        "deposits: {:.2} USD  withdrawals: {:.2} USD  vault: {:.2} USD",
        s.deposits_usd, s.withdrawals_usd, s.vault_usd
    );
    for r in &s.rejections {
        println!(
            "rejected as expected: {} (error {:?})",
            r.action, r.error_code
        );
    }
    println!(
        "invariants: {} after {} checks",
        if s.invariants_ok { "OK" } else { "VIOLATED" },
        s.invariant_checks
    );
    for v in &s.violations {
        println!("  violation: {v}");
    }
}
