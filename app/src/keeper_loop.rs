//! `bulwark keeper`: the keeper ([`crate::keeper::Keeper`], the same code
//! simulate runs) looped over the exchange's markets on any [`Chain`], with
//! one JSON line per action on the log, an HTTP `/health` endpoint and a
//! clean stop on a signal.
//!
//! Each round, per market: `refresh_prices` (the waterfall needs a fresh
//! index), then one keeper round — scan the fetched market, refetch and
//! recompute each candidate with the engine before sending; liquidation,
//! takeover, insurance cover, ADL, funding when due, tightening, fee
//! sweeps (every 10th round) and `audit_insurance` (every 20th).

use crate::chain_trait::Chain;
use crate::client::{self, describe_error};
use crate::ix;
use crate::keeper::{Action, Keeper};
use anchor_lang::prelude::Pubkey;
use bulwark::engine::collateral;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct KeeperOptions {
    /// Market names or addresses; empty = every market of the exchange
    /// (rediscovered every 30 rounds).
    pub markets: Vec<String>,
    pub interval: Duration,
    /// Stop after this many rounds (None = until a signal).
    pub max_rounds: Option<u64>,
    /// Send `refresh_prices` before each market's round.
    pub refresh_prices: bool,
}

impl Default for KeeperOptions {
    fn default() -> Self {
        Self {
            markets: Vec::new(),
            interval: Duration::from_millis(2_000),
            max_rounds: None,
            refresh_prices: true,
        }
    }
}

/// What `/health` returns.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    /// "starting", "running" or "stopped".
    pub status: String,
    pub keeper: String,
    /// unix seconds (wall clock).
    pub started_at: i64,
    pub rounds: u64,
    /// unix seconds (wall clock) at the end of the last round.
    pub last_round_at: Option<i64>,
    /// the cluster's unix time at the last round.
    pub last_round_chain_time: Option<i64>,
    /// milliseconds the last round took.
    pub last_round_ms: u64,
    pub markets: Vec<String>,
    /// Actions by kind since the start (`Liquidated`, `FundingUpdated`, …).
    pub actions: std::collections::BTreeMap<String, u64>,
    pub failures: u64,
    pub last_error: Option<String>,
}

pub type SharedHealth = Arc<Mutex<Health>>;

fn wall_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// An action's kind: its variant name.
pub fn action_kind(a: &Action) -> String {
    let s = format!("{a:?}");
    s.split([' ', '{', '(']).next().unwrap_or("").to_string()
}

#[derive(Serialize)]
struct LogLine<'a, T: Serialize> {
    /// unix milliseconds.
    ts_ms: u128,
    round: u64,
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    market: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(flatten)]
    body: T,
}

fn log_line<T: Serialize>(
    log: &mut dyn Write,
    round: u64,
    event: &str,
    market: Option<(&Pubkey, &str)>,
    body: T,
) {
    let line = LogLine {
        ts_ms: wall_ms(),
        round,
        event,
        market: market.map(|(k, _)| k.to_string()),
        name: market.map(|(_, n)| n),
        body,
    };
    if let Ok(s) = serde_json::to_string(&line) {
        let _ = writeln!(log, "{s}");
        let _ = log.flush();
    }
}

#[derive(Serialize)]
struct Msg<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct ActionBody<'a> {
    action: &'a Action,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeeperTotals {
    pub rounds: u64,
    pub actions: Vec<Action>,
}

struct MarketKeeper {
    name: String,
    feeds: Vec<Pubkey>,
    keeper: Keeper,
}

async fn discover<C: Chain>(
    chain: &mut C,
    kp: &Keypair,
    opts: &KeeperOptions,
    treasury: Pubkey,
    keepers: &mut HashMap<Pubkey, MarketKeeper>,
    log: &mut dyn Write,
    round: u64,
) -> Result<(), String> {
    for m in client::select_markets(chain, &opts.markets).await? {
        if keepers.contains_key(&m.key) {
            continue;
        }
        let name = m.name();
        let has_seat = collateral::find_seat(m.view().seats, &kp.pubkey()).is_some();
        // A seatless keeper is paid in its associated token account, named
        // only when it exists (a missing account would fail the liquidation).
        let fee_account = match client::exchange(chain).await {
            Some(ex) => {
                let ata = client::associated_token_address(&kp.pubkey(), &ex.collateral_mint);
                (!chain.account_data(&ata).await.is_empty()).then_some(ata)
            }
            None => None,
        };
        log_line(
            log,
            round,
            "market",
            Some((&m.key, &name)),
            Msg {
                message: "watching",
            },
        );
        if !has_seat {
            log_line(
                log,
                round,
                "warning",
                Some((&m.key, &name)),
                Msg {
                    message: "the keeper has no seat here: liquidation fees go to its associated \
                              collateral token account; takeovers need a seat \
                              (bulwark deposit --market <market> --amount <usd>)",
                },
            );
        }
        keepers.insert(
            m.key,
            MarketKeeper {
                name,
                feeds: m.feeds(),
                keeper: Keeper::new(kp.insecure_clone(), m.key, treasury)
                    .with_fee_account(fee_account),
            },
        );
    }
    Ok(())
}

/// Runs the keeper until `stop` turns true or `max_rounds` is reached.
pub async fn run_keeper<C: Chain>(
    chain: &mut C,
    kp: &Keypair,
    opts: &KeeperOptions,
    health: &SharedHealth,
    log: &mut dyn Write,
    stop: &mut watch::Receiver<bool>,
) -> Result<KeeperTotals, String> {
    let ex = client::exchange(chain)
        .await
        .ok_or("the exchange is not initialized on this cluster")?;
    let treasury = ex.treasury;
    let mut keepers: HashMap<Pubkey, MarketKeeper> = HashMap::new();
    {
        let mut h = health.lock().expect("health lock");
        h.status = "starting".into();
        h.keeper = kp.pubkey().to_string();
        h.started_at = (wall_ms() / 1000) as i64;
    }
    log_line(
        log,
        0,
        "start",
        None,
        Msg {
            message: &format!("keeper {}", kp.pubkey()),
        },
    );
    discover(chain, kp, opts, treasury, &mut keepers, log, 0).await?;
    if keepers.is_empty() {
        log_line(
            log,
            0,
            "warning",
            None,
            Msg {
                message: "no market found yet",
            },
        );
    }
    let labels = HashMap::new();
    let mut totals = KeeperTotals::default();
    let mut round = 0u64;
    loop {
        if *stop.borrow() || opts.max_rounds.is_some_and(|n| round >= n) {
            break;
        }
        round += 1;
        let started = Instant::now();
        if opts.markets.is_empty() && round.is_multiple_of(30) {
            if let Err(e) = discover(chain, kp, opts, treasury, &mut keepers, log, round).await {
                log_line(log, round, "error", None, Msg { message: &e });
            }
        }
        let mut keys: Vec<Pubkey> = keepers.keys().copied().collect();
        keys.sort();
        let mut round_actions = Vec::new();
        let mut last_error = None;
        for key in keys {
            let mk = keepers.get_mut(&key).expect("listed key");
            if opts.refresh_prices {
                if let Err(e) = chain
                    .send(&[ix::refresh_prices(&key, &mk.feeds)], &[kp])
                    .await
                {
                    let a = Action::Failed {
                        what: "refresh_prices".into(),
                        error: describe_error(&e),
                    };
                    log_line(
                        log,
                        round,
                        "action",
                        Some((&key, &mk.name)),
                        ActionBody { action: &a },
                    );
                    last_error = Some(format!("{}: refresh_prices: {}", mk.name, e));
                    round_actions.push(a);
                }
            }
            for a in mk.keeper.round(chain, &labels).await {
                log_line(
                    log,
                    round,
                    "action",
                    Some((&key, &mk.name)),
                    ActionBody { action: &a },
                );
                if let Action::Failed { what, error } = &a {
                    last_error = Some(format!("{}: {what}: {error}", mk.name));
                }
                round_actions.push(a);
            }
        }
        let chain_time = chain.unix_time().await;
        {
            let mut h = health.lock().expect("health lock");
            h.status = "running".into();
            h.rounds = round;
            h.last_round_at = Some((wall_ms() / 1000) as i64);
            h.last_round_chain_time = Some(chain_time);
            h.last_round_ms = started.elapsed().as_millis() as u64;
            let mut names: Vec<String> = keepers.values().map(|m| m.name.clone()).collect();
            names.sort();
            h.markets = names;
            for a in &round_actions {
                *h.actions.entry(action_kind(a)).or_default() += 1;
                if matches!(a, Action::Failed { .. }) {
                    h.failures += 1;
                }
            }
            if last_error.is_some() {
                h.last_error = last_error;
            }
        }
        totals.rounds = round;
        totals.actions.extend(round_actions);
        if opts.max_rounds.is_some_and(|n| round >= n) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(opts.interval) => {}
            _ = stop.changed() => {}
        }
    }
    health.lock().expect("health lock").status = "stopped".into();
    log_line(
        log,
        round,
        "stop",
        None,
        Msg {
            message: &format!("stopped after {round} rounds"),
        },
    );
    Ok(totals)
}

/// Serves `GET /health` (JSON) on `listener` until `stop` turns true.
pub async fn serve_health(
    listener: tokio::net::TcpListener,
    health: SharedHealth,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((mut sock, _)) = r else { continue };
                let health = health.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 2048];
                    let mut n = 0;
                    // Read the request head (bounded in size and time).
                    let read = tokio::time::timeout(Duration::from_secs(5), async {
                        while n < buf.len() {
                            match sock.read(&mut buf[n..]).await {
                                Ok(0) | Err(_) => break,
                                Ok(k) => n += k,
                            }
                            if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                                break;
                            }
                        }
                    })
                    .await;
                    if read.is_err() {
                        return;
                    }
                    let head = String::from_utf8_lossy(&buf[..n]);
                    let mut parts = head.split_whitespace();
                    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    let (code, body) = if method == "GET" && (path == "/health" || path.starts_with("/health?")) {
                        let h = health.lock().map(|h| h.clone()).unwrap_or_default();
                        ("200 OK", serde_json::to_string(&h).unwrap_or_else(|_| "{}".into()))
                    } else {
                        ("404 Not Found", "{\"error\":\"not found; try GET /health\"}".to_string())
                    };
                    let resp = format!(
                        "HTTP/1.1 {code}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
            _ = stop.changed() => {
                if *stop.borrow() { break; }
            }
        }
    }
}

/// Turns `stop` true on SIGINT or SIGTERM.
pub async fn stop_on_signals(stop: watch::Sender<bool>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                let _ = stop.send(true);
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    let _ = stop.send(true);
}

/// A minimal HTTP GET of `path` on 127.0.0.1:`port`; returns the status
/// code and the body (for tests and `bulwark keeper --check-health`).
pub async fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out).to_string();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("malformed response")?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((code, body))
}
