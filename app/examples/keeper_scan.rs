//! Keeper scan time at scale (issue 12 item 5): what `Keeper::round` does
//! with one market before it sends anything, timed on markets of 1,024,
//! 16,384 and 65,536 seats.
//!
//!   cargo run -p bulwark-app --example keeper_scan
//!
//! `scripts/bench-cu` runs it after the CU benchmark (dev profile, like the
//! tests) and, with `--write`, puts its table into BENCHMARKS.md. It exits
//! non-zero if the 65,536-seat total exceeds 1,000 ms, or if the scan does
//! not find exactly the seats built below maintenance or bankrupt.
//!
//! The program cannot create a market over `MAX_SEAT_CAPACITY` (8,192)
//! seats yet, so each market's account bytes are built in memory with the
//! program's own layout (`MarketBuf`, `book::insert`, `book::reserve`):
//! every seat occupied (about 30 % flat, the rest positions in long/short
//! pairs at 2x to 33x, a few dozen below maintenance, a few bankrupt), a
//! book three-quarters full on both sides, index 65,000 USD and the mark
//! 5 USD above it, the localnet BTC-PERP config (migrations/localnet.toml).
//!
//! Stages, each the median of several warm runs:
//! - fetch: an RPC getAccountInfo stand-in with no network. The account is
//!   put in a JSON-RPC response body (base64 data, `UiAccount`) and the
//!   client's own steps are timed: parse the body as a `serde_json::Value`
//!   (what the HTTP sender does), `serde_json::from_value` into
//!   `Response<Option<UiAccount>>`, `UiAccount::to_account` (base64 decode).
//!   The real client asks for base64+zstd; zstd decompression is not timed
//!   here (no zstd encoder among the app's dependencies), nor the transfer.
//! - decode: `MarketBuf::from_account_data` (the copy into aligned memory
//!   `Keeper::fresh` makes) and `MarketRef::from_bytes` (zero-copy views).
//! - candidates: `keeper::needs_by_seat` (margin of every occupied seat at the
//!   risk price: liquidate / bankrupt, which phase 2 turns into
//!   liquidation, takeover, cover or ADL), `funding_due`, `unswept_fees`
//!   and `tightening_due`, the functions the round calls.
//!
//! Not timed: phase 2 (per candidate, a refetch and an engine recompute on
//! a copy), the second fetch the round makes for housekeeping, sends.

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use base64::Engine as _;
use bulwark::engine::book::{self, Side};
use bulwark::engine::margin;
use bulwark::engine::sandbox::MarketBuf;
use bulwark::state::{InsuranceFund, Market, MarketRef, Order, Seat};
use bulwark_app::config::BootstrapConfig;
use bulwark_app::keeper::{self, Need};
use solana_rpc_client_api::response::{Response, UiAccount, UiAccountData, UiAccountEncoding};
use std::time::Instant;

const SIZES: [u32; 3] = [1_024, 16_384, 65_536];
const RUNS: usize = 7;
const LIMIT_MS: f64 = 1_000.0;
const NOW: i64 = 1_800_000_000;
/// price units (1e-6 USD per BTC).
const INDEX: u64 = 65_000_000_000;
const MARK: u64 = INDEX + 5_000_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Class {
    Flat,
    Healthy,
    BelowMaint,
    Bankrupt,
}

struct Built {
    data: Vec<u8>,
    fund_data: Vec<u8>,
    below_maint: usize,
    bankrupt: usize,
    orders: usize,
}

fn owner(i: u32) -> Pubkey {
    let mut k = [0x5a; 32];
    k[..4].copy_from_slice(&(i + 1).to_le_bytes());
    Pubkey::new_from_array(k)
}

/// Collateral that gives `seat` an equity of `target` quote atoms at the mark.
fn set_equity(seat: &mut Seat, st: &bulwark::state::MarketState, lpu: u64, target: i128) {
    seat.collateral = 0;
    let e0 = margin::equity(seat, st, lpu, MARK, true).expect("equity");
    seat.collateral = (target - e0) as i64;
}

fn build(seats: u32) -> Built {
    let cfg_file = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/localnet.toml");
    let spec = &BootstrapConfig::load(std::path::Path::new(cfg_file))
        .expect("localnet config")
        .markets[0];
    let cfg = spec.market_config().expect("market config");
    let book_capacity = if seats <= 1_024 { 256 } else { 1_024 };
    let mut rng = Rng(seats as u64);
    let mut buf = MarketBuf::new(cfg, seats, book_capacity);
    let lpu = cfg.base_lots_per_unit;
    let tick = cfg.tick_size;
    let m = buf.view();
    m.header.name[..8].copy_from_slice(b"BTC-PERP");
    m.header.seats_used = seats;
    let st = &mut m.header.state;
    st.index_price = INDEX;
    st.index_publish_ts = NOW - 1;
    st.index_updated_ts = NOW - 1;
    st.mark_price = MARK;
    st.mark_updated_ts = NOW - 1;
    st.last_trade_price = MARK;
    st.last_funding_ts = NOW - 1_200;
    st.twap_start_ts = NOW - 1_200;
    st.twap_last_ts = NOW - 1;
    st.unswept_insurance_fees = 1_500_000_000;
    st.unswept_treasury_fees = 1_500_000_000;

    // Classes: ~30 % flat, the rest positions; a few dozen below
    // maintenance and a few bankrupt, spread over the table, both sides.
    let below_maint = 16 + seats as usize / 2_048;
    let bankrupt = 4 + seats as usize / 16_384;
    let mut class = vec![Class::Flat; seats as usize];
    let mut positions = Vec::new();
    for (i, c) in class.iter_mut().enumerate() {
        if rng.below(10) >= 3 {
            *c = Class::Healthy;
            positions.push(i);
        }
    }
    if positions.len() % 2 == 1 {
        let last = positions.pop().expect("one position");
        class[last] = Class::Flat;
    }
    let stride = positions.len() / (below_maint + bankrupt);
    for k in 0..below_maint + bankrupt {
        // k % 2 alternates long and short seats (pairs are adjacent).
        let i = positions[k * stride + k % 2];
        class[i] = if k < bankrupt {
            Class::Bankrupt
        } else {
            Class::BelowMaint
        };
    }

    let mut pair_lots = 0i64;
    let mut long_lots = 0u64;
    for (i, s) in m.seats.iter_mut().enumerate() {
        s.owner = owner(i as u32);
        s.funding_snapshot = st.cum_funding_per_lot;
        if class[i] == Class::Flat {
            s.collateral = (10 + rng.below(10_000)) as i64 * 1_000_000;
            continue;
        }
        // Pairs: a long of 0.0001 to 5 BTC, then a short of the same size.
        let base = if pair_lots == 0 {
            pair_lots = 1 + rng.below(50_000) as i64;
            long_lots += pair_lots as u64;
            pair_lots
        } else {
            let b = -pair_lots;
            pair_lots = 0;
            b
        };
        s.base_lots = base;
        // entered within ±3 % of the mark
        let entry = (MARK as i128) * (970_000 + rng.below(60_001) as i128) / 1_000_000;
        s.entry_cost = (base as i128 * entry / lpu as i128) as i64;
        let side = usize::from(base < 0);
        s.loss_snapshot = st.social_loss_per_lot[side];
        let notional = (base.unsigned_abs() as i128) * MARK as i128 / lpu as i128;
        let target = match class[i] {
            // 3 % to 50 % of notional: 2x to 33x, above every tier's
            // maintenance for positions of this size.
            Class::Healthy => notional * (30_000 + rng.below(470_001) as i128) / 1_000_000,
            // 0.5 %: below the lowest maintenance rate (1 %), solvent.
            Class::BelowMaint => notional * 5 / 1_000,
            Class::Bankrupt => -notional * 3 / 1_000,
            Class::Flat => unreachable!(),
        };
        set_equity(s, st, lpu, target);
    }
    st.open_interest_lots = long_lots;

    // The book: three quarters of each side, makers among the healthy and
    // flat seats, prices within 2 % of the mark.
    let per_side = book_capacity as usize * 3 / 4;
    let best_bid = (MARK / tick) * tick - tick;
    let best_ask = (MARK / tick) * tick + tick;
    let mut orders = 0;
    for side in [Side::Bid, Side::Ask] {
        for _ in 0..per_side {
            let seat = loop {
                let i = rng.below(seats as u64) as usize;
                if matches!(class[i], Class::Flat | Class::Healthy) && m.seats[i].num_orders < 8 {
                    break i;
                }
            };
            let steps = rng.below(13_000);
            let price = match side {
                Side::Bid => best_bid - steps * tick,
                Side::Ask => best_ask + steps * tick,
            };
            let lots = 1 + rng.below(5_000);
            let id = m.header.state.next_order_id;
            m.header.state.next_order_id += 1;
            let o = Order {
                price,
                lots,
                order_id: id,
                client_order_id: id,
                expiry_ts: 0,
                seat: seat as u32,
                flags: 0,
                padding: [0; 3],
            };
            let (orders_side, n) = match side {
                Side::Bid => (&mut *m.bids, &mut m.header.num_bids),
                Side::Ask => (&mut *m.asks, &mut m.header.num_asks),
            };
            book::insert(orders_side, n, side, o).expect("book insert");
            let s = &mut m.seats[seat];
            book::reserve(s, side, price, lots, lpu).expect("reserve");
            s.num_orders += 1;
            // margin for the order (the program asks for initial margin of
            // position and orders): 5 % of its notional
            s.collateral += (book::reserved_quote(price, lots, lpu).expect("quote") / 20) as i64;
            orders += 1;
        }
    }
    let st = &mut m.header.state;
    st.total_collateral = m.seats.iter().map(|s| s.collateral).sum();
    st.total_entry_cost = m.seats.iter().map(|s| s.entry_cost).sum();
    st.total_deposits = m.seats.iter().map(|s| s.collateral.max(0) as u64).sum();

    // The insurance fund: 2 % of open interest (above the 1 % tightening
    // threshold, so no tightening change is due).
    let oi = margin::notional_ceil(long_lots, MARK, lpu).expect("oi");
    let mut fund: InsuranceFund = bytemuck::Zeroable::zeroed();
    fund.balance = oi / 50;
    fund.tighten_coverage_bps = 100;
    fund.reduce_only_coverage_bps = 25;
    fund.coverage_hysteresis_bps = 25;
    fund.tightened_im_multiplier_ppm = 1_500_000;
    let mut fund_data = InsuranceFund::DISCRIMINATOR.to_vec();
    fund_data.extend_from_slice(bytemuck::bytes_of(&fund));

    let data = buf.bytes().to_vec();
    assert_eq!(data.len(), Market::account_size(seats, book_capacity));
    Built {
        data,
        fund_data,
        below_maint,
        bankrupt,
        orders,
    }
}

/// A getAccountInfo response body as a validator sends it (base64 data).
fn rpc_body(data: &[u8]) -> String {
    let account = UiAccount {
        lamports: 1_000_000_000,
        data: UiAccountData::Binary(
            base64::engine::general_purpose::STANDARD.encode(data),
            UiAccountEncoding::Base64,
        ),
        owner: bulwark::ID.to_string(),
        executable: false,
        rent_epoch: u64::MAX,
        space: Some(data.len() as u64),
    };
    serde_json::json!({
        "jsonrpc": "2.0",
        "result": {"context": {"slot": 412_345_678u64, "apiVersion": "4.2.2"}, "value": account},
        "id": 1,
    })
    .to_string()
}

/// The client's side of getAccountInfo once the body has arrived, and the
/// time of its steps (ms): JSON parse, typed response, base64 decode.
fn fetch(body: &str) -> (Vec<u8>, [f64; 3]) {
    let t0 = Instant::now();
    let mut v: serde_json::Value = serde_json::from_str(body).expect("json");
    let t1 = Instant::now();
    let r: Response<Option<UiAccount>> =
        serde_json::from_value(v["result"].take()).expect("response");
    let t2 = Instant::now();
    let data = r
        .value
        .expect("account")
        .to_account()
        .expect("binary data")
        .data;
    let t3 = Instant::now();
    (data, [ms(t1 - t0), ms(t2 - t1), ms(t3 - t2)])
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Three decimals under 1 ms, two above.
fn fmt_ms(x: f64) -> String {
    if x < 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.2}")
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Row {
    seats: u32,
    bytes: usize,
    fetch: f64,
    decode: f64,
    scan: f64,
    total: f64,
    found: String,
}

fn measure(seats: u32) -> Row {
    let b = build(seats);
    let body = rpc_body(&b.data);
    eprintln!(
        "keeper_scan: {seats} seats, {} account bytes, {} response bytes, {} resting orders",
        b.data.len(),
        body.len(),
        b.orders
    );
    let (mut f, mut d, mut c, mut t) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut steps: [Vec<f64>; 3] = Default::default();
    let mut found = (0, 0);
    // one warm-up run, then RUNS timed ones
    for run in 0..=RUNS {
        let t0 = Instant::now();
        let (data, step_ms) = std::hint::black_box(fetch(&body));
        let t1 = Instant::now();
        let buf = MarketBuf::from_account_data(&data);
        let m = MarketRef::from_bytes(buf.bytes()).expect("market");
        let t2 = Instant::now();
        let cands = keeper::needs_by_seat(&m);
        let funding = keeper::funding_due(&m, NOW);
        let fees = keeper::unswept_fees(&m);
        let tighten = keeper::tightening_due(&m, &b.fund_data);
        std::hint::black_box((&cands, funding, fees, tighten));
        let t3 = Instant::now();
        assert_eq!(data, b.data, "the fetch must return the account bytes");
        assert!(!funding && !tighten && fees > 0);
        found = (
            cands
                .iter()
                .filter(|(_, _, n)| *n == Need::Liquidate)
                .count(),
            cands
                .iter()
                .filter(|(_, _, n)| *n == Need::Bankrupt)
                .count(),
        );
        if run > 0 {
            f.push(ms(t1 - t0));
            d.push(ms(t2 - t1));
            c.push(ms(t3 - t2));
            t.push(ms(t3 - t0));
            for (v, x) in steps.iter_mut().zip(step_ms) {
                v.push(x);
            }
        }
    }
    let [json, typed, b64] = steps.map(median);
    eprintln!(
        "keeper_scan: {seats} seats, fetch steps (median ms): JSON parse {json:.2}, \
         typed response {typed:.2}, base64 decode {b64:.2}"
    );
    assert_eq!(
        found,
        (b.below_maint, b.bankrupt),
        "the scan must find exactly the seats built below maintenance and bankrupt"
    );
    Row {
        seats,
        bytes: b.data.len(),
        fetch: median(f),
        decode: median(d),
        scan: median(c),
        total: median(t),
        found: format!(
            "{} ({} liquidate, {} bankrupt)",
            found.0 + found.1,
            found.0,
            found.1
        ),
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn main() {
    let rows: Vec<Row> = SIZES.iter().map(|&s| measure(s)).collect();
    let mut table = String::from(
        "| seats | account bytes | fetch+base64 ms | decode ms | candidates ms | total ms | candidates found |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for r in &rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            thousands(r.seats as u64),
            thousands(r.bytes as u64),
            fmt_ms(r.fetch),
            fmt_ms(r.decode),
            fmt_ms(r.scan),
            fmt_ms(r.total),
            r.found
        ));
    }
    print!("{table}");
    if let Ok(path) = std::env::var("BULWARK_KEEPER_SCAN_TABLE") {
        std::fs::write(&path, &table).expect("write the table");
    }
    let big = rows.last().expect("rows");
    if big.total > LIMIT_MS {
        eprintln!(
            "keeper_scan: FAILED: the {}-seat scan took {:.1} ms, over {LIMIT_MS} ms",
            big.seats, big.total
        );
        std::process::exit(1);
    }
    eprintln!(
        "keeper_scan: OK: the {}-seat scan took {:.1} ms (limit {LIMIT_MS} ms)",
        big.seats, big.total
    );
}
