//! `bulwark bootstrap`: applies a bootstrap config (`migrations/*.toml`) to
//! any [`Chain`], idempotently — what exists is skipped: the exchange PDA,
//! the insurance ledger (grown to full size if a run stopped half-way),
//! markets by name, insurance parameters already at their value or already
//! queued. Running it twice changes nothing the second time.
//!
//! On a real cluster the collateral mint and every oracle feed must be
//! given in the config (`[exchange] collateral_mint`, feeds' `address`);
//! on the embedded chain (or a localhost validator, for the mint) the
//! missing ones are created.

use crate::chain_trait::Chain;
use crate::client::{self, describe_error};
use crate::config::BootstrapConfig;
use crate::ix;
use crate::pyth::{feed_account_bytes, PythPrice};
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use bulwark::instructions::{CreateMarketArgs, InitializeExchangeArgs};
use bulwark::oracle::OracleOwners;
use bulwark::state::{InsuranceLedger, ParamKey};
use serde::Serialize;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Step {
    pub what: String,
    /// "created", "exists", "grown", "set", "queued", "already queued".
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppliedMarket {
    pub name: String,
    pub market: String,
    pub feeds: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub exchange: String,
    pub collateral_mint: String,
    pub treasury: String,
    pub markets: Vec<AppliedMarket>,
    pub steps: Vec<Step>,
}

impl ApplyReport {
    /// Steps that changed something.
    pub fn changes(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.status != "exists" && s.status != "already queued")
            .count()
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Create the collateral mint when the config names none (the embedded
    /// chain, a localhost validator). Otherwise it must be in the config.
    pub allow_new_mint: bool,
}

fn step(steps: &mut Vec<Step>, what: impl Into<String>, status: &str, detail: impl Into<String>) {
    steps.push(Step {
        what: what.into(),
        status: status.into(),
        detail: detail.into(),
    });
}

async fn send<C: Chain>(
    chain: &mut C,
    ixs: &[solana_instruction::Instruction],
    signers: &[&Keypair],
    what: &str,
) -> Result<(), String> {
    chain
        .send(ixs, signers)
        .await
        .map(|_| ())
        .map_err(|e| format!("{what}: {}", describe_error(&e)))
}

async fn create_mint<C: Chain>(chain: &mut C, admin: &Keypair) -> Result<Pubkey, String> {
    use anchor_lang::solana_program::program_pack::Pack;
    let mint = Keypair::new();
    let lamports = chain.minimum_balance(spl_token::state::Mint::LEN).await;
    let ixs = [
        solana_system_interface::instruction::create_account(
            &chain.payer_key(),
            &mint.pubkey(),
            lamports,
            spl_token::state::Mint::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &mint.pubkey(),
            &admin.pubkey(),
            None,
            bulwark::math::QUOTE_DECIMALS,
        )
        .map_err(|e| e.to_string())?,
    ];
    send(chain, &ixs, &[&mint, admin], "create the collateral mint").await?;
    Ok(mint.pubkey())
}

/// Applies `cfg`; `admin` signs (and, on RPC, pays).
pub async fn apply_config<C: Chain>(
    chain: &mut C,
    admin: &Keypair,
    cfg: &BootstrapConfig,
    opts: ApplyOptions,
) -> Result<ApplyReport, String> {
    let mut steps = Vec::new();
    let pyth_program = cfg.pyth_program()?;
    let pyth_receiver = cfg.pyth_receiver()?;
    let admin_key = admin.pubkey();
    // Validate every market spec before touching the chain.
    for spec in &cfg.markets {
        spec.market_config()?;
    }

    // 1. The exchange (and with it the insurance fund and its vault).
    let (mint, treasury) = match client::exchange(chain).await {
        Some(ex) => {
            if let Some(m) = cfg.collateral_mint()? {
                if m != ex.collateral_mint {
                    return Err(format!(
                        "the exchange exists with collateral mint {} but the config says {m}",
                        ex.collateral_mint
                    ));
                }
            }
            if ex.admin != admin_key {
                return Err(format!(
                    "the exchange exists and its admin is {}, not {admin_key}",
                    ex.admin
                ));
            }
            step(
                &mut steps,
                "exchange",
                "exists",
                ix::exchange_pda().to_string(),
            );
            (ex.collateral_mint, ex.treasury)
        }
        None => {
            let mint =
                match cfg.collateral_mint()? {
                    Some(m) => {
                        if chain.account(&m).await.is_none() {
                            return Err(format!(
                                "collateral_mint {m} does not exist on this cluster"
                            ));
                        }
                        step(&mut steps, "collateral mint", "exists", m.to_string());
                        m
                    }
                    None if opts.allow_new_mint => {
                        let m = create_mint(chain, admin).await?;
                        step(&mut steps, "collateral mint", "created", m.to_string());
                        m
                    }
                    None => return Err(
                        "[exchange] collateral_mint is required on this cluster (a new mint is \
                         only created on the embedded chain or a localhost validator)"
                            .into(),
                    ),
                };
            let treasury = match cfg.treasury()? {
                Some(t) => t,
                None => {
                    send(
                        chain,
                        &[client::create_associated_token_account_idempotent(
                            &chain.payer_key(),
                            &admin_key,
                            &mint,
                        )],
                        &[admin],
                        "create the treasury token account",
                    )
                    .await?;
                    client::associated_token_address(&admin_key, &mint)
                }
            };
            // Only the program's upgrade authority may initialize: the
            // program's real ProgramData account (on the embedded chain, the
            // one `EmbeddedChain::start` writes) must name this keypair.
            let program_data = ix::program_data_address();
            let authority = chain.account(&program_data).await.and_then(|a| {
                bulwark::instructions::initialize_exchange::upgrade_authority(&a.data)
            });
            if authority != Some(admin_key) {
                return Err(format!(
                    "initialize_exchange needs the program's upgrade authority: program data                      {program_data} names {}, not {admin_key} (deploy with this keypair as                      upgrade authority, or sign with the authority and rotate the admin later                      with propose_admin / accept_admin)",
                    authority.map_or("no upgrade authority".to_string(), |k| k.to_string())
                ));
            }
            let args = InitializeExchangeArgs {
                treasury,
                pyth_program,
                pyth_receiver,
                timelock_secs: cfg.exchange.timelock_secs,
                bounds: cfg.bounds(),
            };
            send(
                chain,
                &[ix::initialize_exchange(&admin_key, &mint, args)],
                &[admin],
                "initialize_exchange",
            )
            .await?;
            step(
                &mut steps,
                "exchange",
                "created",
                ix::exchange_pda().to_string(),
            );
            (mint, treasury)
        }
    };

    // 2. The insurance ledger's ring buffer, grown to full size.
    let full = 8 + core::mem::size_of::<InsuranceLedger>();
    let mut len = chain.account_data(&ix::insurance_ledger_pda()).await.len();
    if len == 0 {
        send(
            chain,
            &[ix::init_insurance_ledger(&admin_key)],
            &[admin],
            "init_insurance_ledger",
        )
        .await?;
        step(&mut steps, "insurance ledger", "created", "");
        len = chain.account_data(&ix::insurance_ledger_pda()).await.len();
    } else if len >= full {
        step(&mut steps, "insurance ledger", "exists", "");
    }
    if len < full {
        let mut grown = 0;
        while chain.account_data(&ix::insurance_ledger_pda()).await.len() < full {
            if grown > 4 * (full / 10_240 + 1) {
                return Err("grow_insurance_ledger makes no progress".into());
            }
            // The same instruction each time: a fresh blockhash is fetched
            // by the chain where needed.
            send(
                chain,
                &[ix::grow_insurance_ledger()],
                &[admin],
                "grow_insurance_ledger",
            )
            .await?;
            grown += 1;
        }
        step(
            &mut steps,
            "insurance ledger",
            "grown",
            format!("{grown} steps to {full} bytes"),
        );
    }

    // 3. Insurance parameters.
    if let Some(ins) = &cfg.insurance {
        let fund = client::insurance_fund(chain)
            .await
            .ok_or("the insurance fund is missing")?;
        let ex = client::exchange(chain)
            .await
            .ok_or("the exchange is missing")?;
        let insurance = ix::insurance_pda();
        for (key, want, have) in [
            (
                ParamKey::InsuranceUnstakeCooldownSecs,
                ins.unstake_cooldown_secs,
                fund.unstake_cooldown_secs,
            ),
            (
                ParamKey::InsuranceTightenCoverageBps,
                ins.tighten_coverage_bps.map(i64::from),
                fund.tighten_coverage_bps as i64,
            ),
            (
                ParamKey::InsuranceReduceOnlyCoverageBps,
                ins.reduce_only_coverage_bps.map(i64::from),
                fund.reduce_only_coverage_bps as i64,
            ),
            (
                ParamKey::InsuranceCoverageHysteresisBps,
                ins.coverage_hysteresis_bps.map(i64::from),
                fund.coverage_hysteresis_bps as i64,
            ),
            (
                ParamKey::InsuranceTightenedImMultiplierPpm,
                ins.tightened_im_multiplier_ppm.map(i64::from),
                fund.tightened_im_multiplier_ppm as i64,
            ),
        ] {
            let Some(want) = want else { continue };
            let what = format!("insurance {key:?}");
            if want == have {
                step(&mut steps, what, "exists", format!("{have}"));
                continue;
            }
            let queued = ex.pending.iter().any(|p| {
                p.active == 1 && p.target == insurance && p.key == key as u16 && p.value == want
            });
            if queued {
                step(
                    &mut steps,
                    what,
                    "already queued",
                    format!("{have} -> {want}"),
                );
                continue;
            }
            match chain
                .send(&[ix::set_param(&admin_key, None, key, 0, want)], &[admin])
                .await
            {
                Ok(_) => step(&mut steps, what, "set", format!("{have} -> {want}")),
                Err(e)
                    if e.code() == Some(u32::from(bulwark::error::ErrorCode::TimelockRequired)) =>
                {
                    send(
                        chain,
                        &[ix::queue_param_change(&admin_key, None, key, 0, want)],
                        &[admin],
                        "queue_param_change",
                    )
                    .await?;
                    step(
                        &mut steps,
                        what,
                        "queued",
                        format!(
                            "{have} -> {want} after the {} s timelock (apply_param_change)",
                            ex.timelock_secs
                        ),
                    );
                }
                Err(e) => return Err(format!("{what}: {}", describe_error(&e))),
            }
        }
    }

    // 4. Markets, by name.
    let existing = client::list_markets(chain).await;
    let now = chain.unix_time().await;
    let mut markets = Vec::new();
    for spec in &cfg.markets {
        if let Some(m) = existing.iter().find(|m| m.name() == spec.name) {
            step(
                &mut steps,
                format!("market {}", spec.name),
                "exists",
                m.key.to_string(),
            );
            markets.push(AppliedMarket {
                name: spec.name.clone(),
                market: m.key.to_string(),
                feeds: m.feeds().iter().map(|k| k.to_string()).collect(),
            });
            continue;
        }
        let config = spec.market_config()?;
        let mut feeds = Vec::new();
        for f in &spec.oracle.feeds {
            let key = f.key()?;
            if f.address.is_none() {
                // A simulated account in the feed's own format and owner.
                let p = PythPrice::usd(f.initial_price_usd, f.conf_usd, now);
                let format = f.format()?;
                let account = Account {
                    lamports: 10_000_000,
                    data: feed_account_bytes(&format, &p),
                    owner: *OracleOwners {
                        pyth_program,
                        pyth_receiver,
                    }
                    .for_kind(format.kind),
                    executable: false,
                    rent_epoch: 0,
                };
                chain.write_account(&key, account).await.map_err(|e| {
                    format!(
                        "market {}: feed {:?} has no `address` ({e}); on a cluster give the \
                         Pyth price account's address in the config",
                        spec.name, f.name
                    )
                })?;
                step(
                    &mut steps,
                    format!("oracle {}", f.name),
                    "created",
                    format!("{key} (simulated Pyth {} account)", f.kind),
                );
            } else if chain.account(&key).await.is_none() {
                return Err(format!(
                    "market {}: feed {:?} at {key} does not exist on this cluster",
                    spec.name, f.name
                ));
            }
            feeds.push(key);
        }
        let market = Keypair::new();
        let size = bulwark::state::Market::account_size(0, spec.book_capacity);
        let lamports = chain.minimum_balance(size).await;
        let create =
            ix::create_market_account(&admin_key, &market.pubkey(), lamports, spec.book_capacity);
        let args = CreateMarketArgs {
            name: spec.name_bytes(),
            max_seats: spec.max_seats,
            book_capacity: spec.book_capacity,
            config,
        };
        let init = ix::create_market(&admin_key, &market.pubkey(), &mint, args);
        send(
            chain,
            &[create, init],
            &[admin, &market],
            &format!("create market {}", spec.name),
        )
        .await?;
        step(
            &mut steps,
            format!("market {}", spec.name),
            "created",
            market.pubkey().to_string(),
        );
        // The first index; a stale or missing feed is reported, not fatal.
        if let Err(e) = chain
            .send(&[ix::refresh_prices(&market.pubkey(), &feeds)], &[admin])
            .await
        {
            step(
                &mut steps,
                format!("index {}", spec.name),
                "not set",
                describe_error(&e),
            );
        }
        markets.push(AppliedMarket {
            name: spec.name.clone(),
            market: market.pubkey().to_string(),
            feeds: feeds.iter().map(|k| k.to_string()).collect(),
        });
    }
    Ok(ApplyReport {
        exchange: ix::exchange_pda().to_string(),
        collateral_mint: mint.to_string(),
        treasury: treasury.to_string(),
        markets,
        steps,
    })
}
