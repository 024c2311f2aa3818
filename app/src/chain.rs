//! The embedded in-process chain: solana-program-test running the Bulwark
//! program (natively, or its SBF bytecode when `SBF_OUT_DIR` points at
//! `bulwark.so`), with the syscall bridge installed.

use crate::bridge;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use solana_account::Account;
use solana_clock::Clock;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

/// Adapter with the plain entrypoint signature that `processor!` wants.
fn bulwark_entry(
    program_id: &Pubkey,
    accounts: &[anchor_lang::prelude::AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    // SAFETY of lifetimes: Anchor's `entry` wants one lifetime for the slice
    // and its elements; the processor only gives us a shorter borrow.
    let accounts: &[anchor_lang::prelude::AccountInfo] = unsafe { core::mem::transmute(accounts) };
    bulwark::entry(program_id, accounts, data)
}

/// `RUST_LOG` when it is unset: solana-program-test's default filter logs
/// every instruction at debug level (`solana_runtime::message_processor`),
/// which buries a run's own output.
pub const DEFAULT_RUST_LOG: &str = "error";

/// `RUST_LOG` that shows the program's logs (`Program log: …`, `Program …
/// invoke`) and otherwise only errors: what `simulate --verbose` uses when
/// `RUST_LOG` is unset.
pub const VERBOSE_RUST_LOG: &str = "error,solana_runtime::message_processor::stable_log=debug";

/// Sets `RUST_LOG` to [`DEFAULT_RUST_LOG`] unless it is set, once per
/// process, before the first chain starts (program-test reads it when it
/// installs its logger). The embedded chain, the CLI and the test harnesses
/// call it; set `RUST_LOG` (e.g. `RUST_LOG=debug`) to see the runtime's logs.
pub fn quiet_logs_by_default() {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", DEFAULT_RUST_LOG);
        }
    });
}

/// Whether `RUST_LOG` asks for the program's logs (it enables `debug` or
/// `trace` for something, e.g. `RUST_LOG=debug` or
/// `RUST_LOG=solana_runtime::message_processor=debug`).
pub fn rust_log_wants_program_logs() -> bool {
    std::env::var("RUST_LOG").is_ok_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("debug") || v.contains("trace")
    })
}

/// Compute-unit limit for one transaction in the embedded chain.
pub const DEFAULT_CU_LIMIT: u64 = 1_400_000;

/// Outcome of a transaction that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxError {
    /// The program (or Anchor on its behalf) returned this custom error code
    /// in instruction `index`.
    Custom { index: u8, code: u32 },
    /// Any other failure, as text.
    Other(String),
}

impl TxError {
    pub fn code(&self) -> Option<u32> {
        match self {
            TxError::Custom { code, .. } => Some(*code),
            TxError::Other(_) => None,
        }
    }
}

impl std::fmt::Display for TxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TxError::Custom { index, code } => {
                write!(
                    f,
                    "instruction {index} failed: error {}",
                    crate::client::error_label(*code)
                )
            }
            TxError::Other(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for TxError {}

fn classify(e: BanksClientError) -> TxError {
    use solana_instruction::error::InstructionError;
    match e {
        BanksClientError::TransactionError(TransactionError::InstructionError(
            i,
            InstructionError::Custom(c),
        ))
        | BanksClientError::SimulationError {
            err: TransactionError::InstructionError(i, InstructionError::Custom(c)),
            ..
        } => TxError::Custom { index: i, code: c },
        other => TxError::Other(format!("{other:?}")),
    }
}

/// A successful transaction's metadata.
#[derive(Debug, Clone, Default)]
pub struct TxOk {
    /// Compute units (real only when the program runs as SBF bytecode).
    pub compute_units: u64,
    pub logs: Vec<String>,
}

/// What makes two transactions identical under one blockhash.
/// What makes a transaction unique under one blockhash: its instructions
/// (they also fix who signs: the payer and the keys they mark as signers).
fn message_key(ixs: &[Instruction]) -> Vec<u8> {
    let mut key = Vec::new();
    for ix in ixs {
        key.extend_from_slice(ix.program_id.as_ref());
        for a in &ix.accounts {
            key.extend_from_slice(a.pubkey.as_ref());
            key.push(a.is_signer as u8 | ((a.is_writable as u8) << 1));
        }
        key.extend_from_slice(&(ix.data.len() as u64).to_le_bytes());
        key.extend_from_slice(&ix.data);
    }
    key
}

pub struct EmbeddedChain {
    pub ctx: ProgramTestContext,
    /// Whether the program runs as SBF bytecode (`SBF_OUT_DIR` set).
    pub sbf: bool,
    /// Blockhash in use and the messages already sent with it: a new
    /// blockhash is fetched (which waits for the next one) only when a
    /// transaction would repeat an earlier one exactly.
    blockhash: Option<solana_hash::Hash>,
    /// When `blockhash` was fetched: program-test makes slots in real time
    /// and a blockhash expires after 150 of them (about a second).
    blockhash_at: std::time::Instant,
    sent: std::collections::HashSet<Vec<u8>>,
    /// Every account named by a transaction or written directly: program-test
    /// has no `getProgramAccounts`, so account discovery scans these.
    known: std::collections::BTreeSet<Pubkey>,
}

impl EmbeddedChain {
    /// Starts a chain with the Bulwark program and the given extra accounts.
    pub async fn start(accounts: Vec<(Pubkey, Account)>) -> Self {
        Self::start_with_cu_limit(accounts, DEFAULT_CU_LIMIT).await
    }

    /// Like [`EmbeddedChain::start`], with a compute-unit limit per
    /// transaction of `cu_limit` instead of [`DEFAULT_CU_LIMIT`]. A limit
    /// above Solana's 1.4M lets a benchmark measure an instruction that
    /// would not fit one real transaction (and say by how much).
    pub async fn start_with_cu_limit(accounts: Vec<(Pubkey, Account)>, cu_limit: u64) -> Self {
        quiet_logs_by_default();
        let sbf =
            std::env::var_os("SBF_OUT_DIR").is_some() || std::env::var_os("BPF_OUT_DIR").is_some();
        let mut pt = ProgramTest::new("bulwark", bulwark::ID, processor!(bulwark_entry));
        pt.prefer_bpf(sbf);
        // The localnet mock oracle (mock_oracle.so beside bulwark.so in SBF
        // runs), so the tools a local validator uses can be tested here.
        pt.add_program(
            "mock_oracle",
            mock_oracle::ID,
            processor!(mock_oracle::process_instruction),
        );
        pt.set_compute_max_units(cu_limit);
        for (k, a) in accounts {
            pt.add_account(k, a);
        }
        let ctx = pt.start_with_context().await;
        bridge::install();
        let mut chain = Self {
            ctx,
            sbf,
            blockhash: None,
            blockhash_at: std::time::Instant::now(),
            sent: Default::default(),
            known: Default::default(),
        };
        chain.set_program_data(&chain.payer_pubkey());
        chain
    }

    /// Writes the program's ProgramData account (the upgradeable loader's
    /// header only) naming `authority` as upgrade authority: program-test
    /// loads the program without one, and `initialize_exchange` accepts only
    /// the upgrade authority. [`EmbeddedChain::start`] names the payer (the
    /// admin); the account works the same when the program runs as SBF.
    pub fn set_program_data(&mut self, authority: &Pubkey) {
        use bulwark::instructions::initialize_exchange::program_data_header;
        let data = program_data_header(authority);
        let account = Account {
            lamports: 1_000_000_000,
            data,
            owner: anchor_lang::solana_program::bpf_loader_upgradeable::ID,
            executable: false,
            rent_epoch: 0,
        };
        self.set_account(&crate::ix::program_data_address(), account);
    }

    /// Fetches a new blockhash for the next transactions. program-test
    /// advances slots on its own and a blockhash expires after 150 of them,
    /// so a long run of transactions must renew it (`send` renews it only to
    /// avoid repeating a transaction).
    pub async fn refresh_blockhash(&mut self) -> Result<(), TxError> {
        let bh = self
            .ctx
            .get_new_latest_blockhash()
            .await
            .map_err(|e| TxError::Other(e.to_string()))?;
        self.blockhash = Some(bh);
        self.blockhash_at = std::time::Instant::now();
        self.sent.clear();
        Ok(())
    }

    pub fn payer(&self) -> &Keypair {
        &self.ctx.payer
    }

    pub fn payer_pubkey(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// Sends one transaction paid by the chain's payer and signed by `signers`.
    /// Builds and signs a transaction paid by the chain's payer.
    async fn build_tx(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Transaction, TxError> {
        let payer = self.ctx.payer.pubkey();
        // Same instructions under the same blockhash would be the same
        // transaction (rejected as already processed): only then wait for a
        // fresh blockhash.
        let key = message_key(ixs);
        let stale = self.blockhash_at.elapsed() > std::time::Duration::from_millis(400);
        if self.blockhash.is_none() || self.sent.contains(&key) {
            let bh = self
                .ctx
                .get_new_latest_blockhash()
                .await
                .map_err(|e| TxError::Other(e.to_string()))?;
            self.blockhash = Some(bh);
            self.blockhash_at = std::time::Instant::now();
            self.sent.clear();
        } else if stale {
            // The latest blockhash, without waiting for a new one.
            let bh = self
                .ctx
                .banks_client
                .get_latest_blockhash()
                .await
                .map_err(|e| TxError::Other(e.to_string()))?;
            if Some(bh) != self.blockhash {
                self.blockhash = Some(bh);
                self.sent.clear();
            }
            // `get_new_latest_blockhash` waits for a hash other than the
            // context's last one: record this one there too, or the next
            // wait could return it again and repeat a transaction under it
            // (AlreadyProcessed, seen when slow transactions take this path).
            self.ctx.last_blockhash = bh;
            self.blockhash_at = std::time::Instant::now();
            if self.sent.contains(&key) {
                let bh = self
                    .ctx
                    .get_new_latest_blockhash()
                    .await
                    .map_err(|e| TxError::Other(e.to_string()))?;
                self.blockhash = Some(bh);
                self.sent.clear();
            }
        }
        self.sent.insert(key);
        for ix in ixs {
            self.known.extend(ix.accounts.iter().map(|a| a.pubkey));
        }
        let bh = self.blockhash.expect("blockhash set above");
        let mut all: Vec<&Keypair> = vec![&self.ctx.payer];
        // Only keys the instructions need as signers sign (a surplus signer
        // would make the transaction invalid).
        for s in signers {
            let k = s.pubkey();
            let needed = ixs
                .iter()
                .any(|ix| ix.accounts.iter().any(|a| a.pubkey == k && a.is_signer));
            if k != payer && needed && !all.iter().any(|x| x.pubkey() == k) {
                all.push(s);
            }
        }
        Ok(Transaction::new_signed_with_payer(
            ixs,
            Some(&payer),
            &all,
            bh,
        ))
    }

    /// Sends one transaction paid by the chain's payer and signed by `signers`.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<TxOk, TxError> {
        let tx = self.build_tx(ixs, signers).await?;
        self.process(tx).await
    }

    /// Like `send`, and also returns the program's `emit_cpi!` events
    /// (the data of its self-invocations after Anchor's event tag: an
    /// 8-byte event discriminator and the Borsh-encoded event), read from a
    /// simulation of the same transaction just before it is processed.
    pub async fn send_with_events(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(TxOk, Vec<Vec<u8>>), TxError> {
        let tx = self.build_tx(ixs, signers).await?;
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx.clone())
            .await
            .map_err(classify)?;
        let mut events = Vec::new();
        if let Some(details) = sim.simulation_details {
            for inner in details.inner_instructions.unwrap_or_default() {
                for ii in inner {
                    let d = &ii.instruction.data;
                    if d.len() >= 16 && &d[..8] == anchor_lang::event::EVENT_IX_TAG_LE {
                        events.push(d[8..].to_vec());
                    }
                }
            }
        }
        let ok = self.process(tx).await?;
        Ok((ok, events))
    }

    async fn process(&mut self, tx: Transaction) -> Result<TxOk, TxError> {
        let r = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
            .map_err(classify)?;
        let meta = r.metadata.clone();
        if let Err(e) = r.result {
            return Err(classify(BanksClientError::TransactionError(e)));
        }
        Ok(TxOk {
            compute_units: meta.as_ref().map(|m| m.compute_units_consumed).unwrap_or(0),
            logs: meta.map(|m| m.log_messages).unwrap_or_default(),
        })
    }

    pub async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.ctx.banks_client.get_account(*key).await.ok().flatten()
    }

    pub async fn account_data(&mut self, key: &Pubkey) -> Vec<u8> {
        self.account(key).await.map(|a| a.data).unwrap_or_default()
    }

    /// Every account any transaction named (or `set_account` wrote), in key
    /// order: the embedded chain's stand-in for `getProgramAccounts`.
    pub fn known_accounts(&self) -> Vec<Pubkey> {
        self.known.iter().copied().collect()
    }

    /// Compute units a simulation of the transaction consumed (0 when the
    /// program runs natively), or the error it would fail with.
    pub async fn simulate_units(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<u64, TxError> {
        let tx = self.build_tx(ixs, signers).await?;
        // Simulating does not send: the same message may still be sent
        // under this blockhash.
        self.sent.remove(&message_key(ixs));
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .map_err(classify)?;
        if let Err(e) = sim.result.clone().unwrap_or(Ok(())) {
            return Err(classify(BanksClientError::TransactionError(e)));
        }
        Ok(sim
            .simulation_details
            .map(|d| d.units_consumed)
            .unwrap_or(0))
    }

    pub async fn clock(&mut self) -> Clock {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .expect("clock sysvar")
    }

    /// Moves the chain's clock forward by `secs` seconds (and one slot).
    pub async fn advance_time(&mut self, secs: i64) {
        let mut c = self.clock().await;
        c.unix_timestamp += secs;
        c.slot += 1;
        self.ctx.set_sysvar(&c);
    }

    /// Moves the chain's clock forward by `slots` slots (and as many
    /// 400 ms slot times, rounded down to seconds).
    pub async fn advance_slots(&mut self, slots: u64) {
        let mut c = self.clock().await;
        c.slot += slots;
        c.unix_timestamp += (slots * 400 / 1_000) as i64;
        self.ctx.set_sysvar(&c);
    }

    /// Writes an account directly (oracle updates in tests and simulate).
    pub fn set_account(&mut self, key: &Pubkey, account: Account) {
        self.known.insert(*key);
        self.ctx.set_account(key, &account.into());
    }

    pub async fn rent_exempt(&mut self, len: usize) -> u64 {
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        rent.minimum_balance(len)
    }

    /// Token balance of an SPL token account (0 when it does not exist).
    pub async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        use anchor_lang::solana_program::program_pack::Pack;
        match self.account(key).await {
            Some(a) => spl_token::state::Account::unpack(&a.data)
                .map(|t| t.amount)
                .unwrap_or(0),
            None => 0,
        }
    }

    /// Creates a mint with `decimals`, its authority the payer.
    pub async fn create_mint(&mut self, decimals: u8) -> Result<Pubkey, TxError> {
        use anchor_lang::solana_program::program_pack::Pack;
        let mint = Keypair::new();
        let lamports = self.rent_exempt(spl_token::state::Mint::LEN).await;
        let payer = self.payer_pubkey();
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer,
                &mint.pubkey(),
                lamports,
                spl_token::state::Mint::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(
                &spl_token::ID,
                &mint.pubkey(),
                &payer,
                None,
                decimals,
            )
            .map_err(|e| TxError::Other(e.to_string()))?,
        ];
        self.send(&ixs, &[&mint]).await?;
        Ok(mint.pubkey())
    }

    /// Creates a token account of `mint` owned by `owner`.
    pub async fn create_token_account(
        &mut self,
        mint: &Pubkey,
        owner: &Pubkey,
    ) -> Result<Pubkey, TxError> {
        use anchor_lang::solana_program::program_pack::Pack;
        let acct = Keypair::new();
        let lamports = self.rent_exempt(spl_token::state::Account::LEN).await;
        let payer = self.payer_pubkey();
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer,
                &acct.pubkey(),
                lamports,
                spl_token::state::Account::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(
                &spl_token::ID,
                &acct.pubkey(),
                mint,
                owner,
            )
            .map_err(|e| TxError::Other(e.to_string()))?,
        ];
        self.send(&ixs, &[&acct]).await?;
        Ok(acct.pubkey())
    }

    /// Mints `amount` atoms to `to` (the payer is the mint authority).
    pub async fn mint_to(
        &mut self,
        mint: &Pubkey,
        to: &Pubkey,
        amount: u64,
    ) -> Result<(), TxError> {
        let payer = self.payer_pubkey();
        let ix = spl_token::instruction::mint_to(&spl_token::ID, mint, to, &payer, &[], amount)
            .map_err(|e| TxError::Other(e.to_string()))?;
        self.send(&[ix], &[]).await.map(|_| ())
    }

    /// Funds a wallet with SOL for fees and rent.
    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<(), TxError> {
        let ix = solana_system_interface::instruction::transfer(&self.payer_pubkey(), to, lamports);
        self.send(&[ix], &[]).await.map(|_| ())
    }
}
