// Reads the exchange, the insurance fund (and its vault) and one market over
// JSON-RPC with @anchor-lang/core and the committed IDL (idl/bulwark.json),
// and prints what it decoded as ONE JSON object on stdout, for comparison
// with the `bulwark` CLI (`markets --json`, `stake --json`, `audit --json`).
//
//   npx tsx read-rpc.ts <idl.json> <rpc_url> <market address>
//
// All accounts are fetched in one getMultipleAccounts call (commitment
// "confirmed"), so they come from the same slot. Each program account must
// be owned by the program (idl.address), start with the IDL's discriminator
// and have the size the IDL gives (a stale IDL decodes nothing); each vault
// must be an SPL token account of the collateral mint held by its PDA.
//
// Units: every integer is a decimal string (u64/i64 safe). `*_atoms` are
// quote atoms (1e-6 USD); prices (`index_price`, `mark_price`, ...) are price
// units (1e-6 USD per base unit); `*_lots` are base lots; `*_ppm`, `*_bps`
// and `*_secs` / `*_ts` as named.
//
// Exit 0 after printing; 1 (message on stderr) when an account is missing or
// fails a check; 2 on bad usage.

import { BorshAccountsCoder, web3, utils, type Idl } from "@anchor-lang/core";
import { readFileSync } from "node:fs";

const [idlPath, rpcUrl, marketArg] = process.argv.slice(2);
if (!idlPath || !rpcUrl || !marketArg) {
  console.error("usage: tsx read-rpc.ts <idl.json> <rpc_url> <market address>");
  process.exit(2);
}

function fail(msg: string): never {
  console.error(`read-rpc: ${msg}`);
  process.exit(1);
}

const idl = JSON.parse(readFileSync(idlPath, "utf8")) as Idl;
const coder = new BorshAccountsCoder(idl);
const programId = new web3.PublicKey(idl.address);
let marketKey: web3.PublicKey;
try {
  marketKey = new web3.PublicKey(marketArg);
} catch {
  console.error(`read-rpc: not a base58 address: ${marketArg}`);
  process.exit(2);
}

// PDA seeds: programs/bulwark/src/state/seeds.rs.
function pda(...seeds: (Buffer | Uint8Array)[]): web3.PublicKey {
  return web3.PublicKey.findProgramAddressSync(seeds, programId)[0];
}
const exchangeKey = pda(Buffer.from("exchange"));
const insuranceKey = pda(Buffer.from("insurance"));
const insuranceVaultKey = pda(Buffer.from("insurance_vault"));
const marketVaultKey = pda(Buffer.from("market_vault"), marketKey.toBuffer());

// Not in the IDL (the seat table and the book follow the Market header as
// raw arrays): sizes from programs/bulwark/src/state/{seat,order}.rs.
const SEAT_SIZE = 128;
const ORDER_SIZE = 48;
const MARKET_STATUS = ["Active", "ReduceOnly", "Paused"];
const INFLOWS = ["fee_share", "liquidation_fee", "protocol_deposit", "staker_deposit", "donation"];
const OUTFLOWS = ["bankruptcy_cover", "unstake"];

// Field access that works whether the coder keeps the IDL's snake_case
// names or camelCases them (as in check-idl.ts).
function field(obj: any, snake: string): any {
  if (obj == null) return undefined;
  if (snake in obj) return obj[snake];
  const camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return obj[camel];
}
/** An integer field (BN or number) as a decimal string. */
function int(obj: any, snake: string): string {
  const v = field(obj, snake);
  if (v === undefined || v === null) fail(`decoded account has no field ${snake} (IDL mismatch?)`);
  return v.toString();
}
function key(obj: any, snake: string): string {
  const v = field(obj, snake);
  if (v === undefined || v === null) fail(`decoded account has no field ${snake} (IDL mismatch?)`);
  return v.toBase58();
}

const connection = new web3.Connection(rpcUrl, "confirmed");
const wanted: [string, web3.PublicKey][] = [
  ["Exchange PDA", exchangeKey],
  ["insurance fund PDA", insuranceKey],
  ["insurance vault", insuranceVaultKey],
  ["market", marketKey],
  ["market vault", marketVaultKey],
];
let fetched: Awaited<ReturnType<typeof connection.getMultipleAccountsInfoAndContext>>;
try {
  fetched = await connection.getMultipleAccountsInfoAndContext(
    wanted.map(([, k]) => k),
    "confirmed",
  );
} catch (e) {
  fail(`getMultipleAccounts at ${rpcUrl} failed: ${e instanceof Error ? e.message : String(e)}`);
}
const infos = fetched.value;
function present(i: number): web3.AccountInfo<Buffer> {
  const info = infos[i];
  const [what, k] = wanted[i];
  if (!info) fail(`${what} ${k.toBase58()} does not exist (commitment confirmed, ${rpcUrl})`);
  return info;
}

/** Owner, discriminator and size checks, then the IDL decode. */
function programAccount(i: number, accountName: string, fixedSize: boolean): { data: Buffer; decoded: any } {
  const info = present(i);
  const [what, k] = wanted[i];
  const where = `${what} ${k.toBase58()}`;
  if (!info.owner.equals(programId)) {
    fail(`${where}: owner ${info.owner.toBase58()}, not the program ${programId.toBase58()}`);
  }
  const disc = coder.accountDiscriminator(accountName);
  const data = Buffer.from(info.data);
  if (data.length < disc.length || !data.subarray(0, disc.length).equals(disc)) {
    fail(
      `${where}: discriminator ${data.subarray(0, disc.length).toString("hex")} is not ` +
        `${accountName}'s ${disc.toString("hex")}`,
    );
  }
  const size = coder.size(accountName);
  if (fixedSize ? data.length !== size : data.length < size) {
    fail(`${where}: ${data.length} bytes, the IDL's ${accountName} is ${size} (stale IDL?)`);
  }
  return { data, decoded: coder.decode(accountName, data) };
}

/** An SPL token account: owner, mint and authority checks; its amount. */
function tokenAccount(i: number, mint: string, authority: web3.PublicKey): string {
  const info = present(i);
  const [what, k] = wanted[i];
  const where = `${what} ${k.toBase58()}`;
  if (!info.owner.equals(utils.token.TOKEN_PROGRAM_ID)) {
    fail(`${where}: owner ${info.owner.toBase58()}, not the SPL token program`);
  }
  const d = Buffer.from(info.data);
  if (d.length !== 165) fail(`${where}: ${d.length} bytes, not an SPL token account (165)`);
  const m = new web3.PublicKey(d.subarray(0, 32)).toBase58();
  if (m !== mint) fail(`${where}: mint ${m}, not the collateral mint ${mint}`);
  const a = new web3.PublicKey(d.subarray(32, 64));
  if (!a.equals(authority)) fail(`${where}: authority ${a.toBase58()}, not ${authority.toBase58()}`);
  return d.readBigUInt64LE(64).toString();
}

// ------------------------------------------------------------ exchange
const ex = programAccount(0, "Exchange", true).decoded;
const collateralMint = key(ex, "collateral_mint");
const exchange: Record<string, unknown> = {
  address: exchangeKey.toBase58(),
  version: int(ex, "version"),
  admin: key(ex, "admin"),
  collateral_mint: collateralMint,
  pyth_program: key(ex, "pyth_program"),
};
// Newer layouts add the pull-oracle owner; print it when the IDL has it.
if (field(ex, "pyth_receiver") !== undefined) exchange.pyth_receiver = key(ex, "pyth_receiver");
Object.assign(exchange, {
  treasury: key(ex, "treasury"),
  timelock_secs: int(ex, "timelock_secs"),
  pause_flags: int(ex, "pause_flags"),
  num_markets: int(ex, "num_markets"),
  change_seq: int(ex, "change_seq"),
});

// ------------------------------------------------------------ insurance
const fund = programAccount(1, "InsuranceFund", true).decoded;
if (key(fund, "exchange") !== exchangeKey.toBase58()) {
  fail(`insurance fund: exchange ${key(fund, "exchange")}, not the Exchange PDA ${exchangeKey.toBase58()}`);
}
if (key(fund, "vault") !== insuranceVaultKey.toBase58()) {
  fail(`insurance fund: vault ${key(fund, "vault")}, not the PDA ${insuranceVaultKey.toBase58()}`);
}
const inflows = field(fund, "inflows") as any[];
const outflows = field(fund, "outflows") as any[];
const insurance = {
  address: insuranceKey.toBase58(),
  vault: insuranceVaultKey.toBase58(),
  balance_atoms: int(fund, "balance"),
  vault_amount_atoms: tokenAccount(2, collateralMint, insuranceKey),
  total_shares: int(fund, "total_shares"),
  pending_unstake_shares: int(fund, "pending_unstake_shares"),
  share_epoch: int(fund, "share_epoch"),
  ledger_seq: int(fund, "ledger_seq"),
  hash_chain: Buffer.from(field(fund, "hash_chain")).toString("hex"),
  inflows_atoms: Object.fromEntries(INFLOWS.map((n, i) => [n, inflows[i].toString()])),
  outflows_atoms: Object.fromEntries(OUTFLOWS.map((n, i) => [n, outflows[i].toString()])),
  total_inflows_atoms: inflows.reduce((s: bigint, x: any) => s + BigInt(x.toString()), 0n).toString(),
  total_outflows_atoms: outflows.reduce((s: bigint, x: any) => s + BigInt(x.toString()), 0n).toString(),
  unstake_cooldown_secs: int(fund, "unstake_cooldown_secs"),
  tighten_coverage_bps: int(fund, "tighten_coverage_bps"),
  reduce_only_coverage_bps: int(fund, "reduce_only_coverage_bps"),
  last_audit_ts: int(fund, "last_audit_ts"),
  last_audit_vault_balance_atoms: int(fund, "last_audit_vault_balance"),
  last_audit_ok: int(fund, "last_audit_ok") === "1",
};

// ------------------------------------------------------------ market
const { data: mdata, decoded: mk } = programAccount(3, "Market", false);
if (key(mk, "exchange") !== exchangeKey.toBase58()) {
  fail(`market ${marketKey.toBase58()}: exchange ${key(mk, "exchange")}, not the Exchange PDA`);
}
if (key(mk, "vault") !== marketVaultKey.toBase58()) {
  fail(`market ${marketKey.toBase58()}: vault ${key(mk, "vault")}, not the PDA ${marketVaultKey.toBase58()}`);
}
// Layout (programs/bulwark/src/state/market.rs): discriminator and header
// (BOOK_OFFSET = coder.size("Market")), then [Order; book_capacity] bids and
// asks, then [Seat; seat_count] last (seats_offset(book_capacity)); the
// seat table grows and shrinks at the end, so the account is exactly this
// long.
const bookOffset = coder.size("Market");
const seatCount = Number(int(mk, "seat_count"));
const bookCapacity = Number(int(mk, "book_capacity"));
const seatsOffset = bookOffset + 2 * bookCapacity * ORDER_SIZE;
const expectedLen = seatsOffset + seatCount * SEAT_SIZE;
if (mdata.length !== expectedLen) {
  fail(
    `market ${marketKey.toBase58()}: ${mdata.length} bytes, header ${bookOffset} + 2 × ${bookCapacity} orders + ` +
      `${seatCount} seats = ${expectedLen} (stale IDL?)`,
  );
}
let seatsOccupied = 0;
for (let i = 0; i < seatCount; i++) {
  const o = seatsOffset + i * SEAT_SIZE;
  if (mdata.subarray(o, o + 32).some((b) => b !== 0)) seatsOccupied++;
}
const bidsOffset = bookOffset;
const asksOffset = bidsOffset + bookCapacity * ORDER_SIZE;
// Each side is sorted with the best order last (state/order.rs); price is
// the first u64 of an Order.
function bestPrice(sideOffset: number, n: number): string | null {
  return n === 0 ? null : mdata.readBigUInt64LE(sideOffset + (n - 1) * ORDER_SIZE).toString();
}
const numBids = Number(int(mk, "num_bids"));
const numAsks = Number(int(mk, "num_asks"));
const cfg = field(mk, "config");
const st = field(mk, "state");
const wf = field(mk, "waterfall");
const status = Number(int(mk, "status"));
const market = {
  address: marketKey.toBase58(),
  name: Buffer.from(field(mk, "name")).toString("utf8").replace(/\0+$/, ""),
  market_index: int(mk, "market_index"),
  status: MARKET_STATUS[status] ?? `status${status}`,
  waterfall_mode: int(cfg, "waterfall_mode") === "1" ? "socialized" : "adl",
  vault: marketVaultKey.toBase58(),
  vault_amount_atoms: tokenAccount(4, collateralMint, exchangeKey),
  index_price: int(st, "index_price"),
  mark_price: int(st, "mark_price"),
  last_trade_price: int(st, "last_trade_price"),
  best_bid: bestPrice(bidsOffset, numBids),
  best_ask: bestPrice(asksOffset, numAsks),
  index_publish_ts: int(st, "index_publish_ts"),
  mark_updated_ts: int(st, "mark_updated_ts"),
  open_interest_lots: int(st, "open_interest_lots"),
  last_funding_rate_ppm: int(st, "last_funding_rate_ppm"),
  total_collateral_atoms: int(st, "total_collateral"),
  total_deposits_atoms: int(st, "total_deposits"),
  total_withdrawals_atoms: int(st, "total_withdrawals"),
  total_fees_atoms: int(st, "total_fees"),
  unswept_insurance_fees_atoms: int(st, "unswept_insurance_fees"),
  unswept_treasury_fees_atoms: int(st, "unswept_treasury_fees"),
  fill_count: int(st, "fill_count"),
  seats_used: int(mk, "seats_used"),
  seats_occupied: String(seatsOccupied),
  seat_count: String(seatCount),
  max_seats: int(mk, "max_seats"),
  book_capacity: String(bookCapacity),
  num_bids: String(numBids),
  num_asks: String(numAsks),
  tick_size: int(cfg, "tick_size"),
  base_lots_per_unit: int(cfg, "base_lots_per_unit"),
  min_order_lots: int(cfg, "min_order_lots"),
  max_order_lots: int(cfg, "max_order_lots"),
  open_interest_cap_lots: int(cfg, "open_interest_cap_lots"),
  taker_fee_ppm: int(cfg, "taker_fee_ppm"),
  maker_fee_ppm: int(cfg, "maker_fee_ppm"),
  price_band_bps: int(cfg, "price_band_bps"),
  tiers: (field(cfg, "tiers") as any[]).slice(0, Number(int(cfg, "num_tiers"))).map((t) => ({
    max_notional_atoms: int(t, "max_notional"),
    initial_margin_ppm: int(t, "initial_margin_ppm"),
    maint_margin_ppm: int(t, "maint_margin_ppm"),
  })),
  insurance_cover: {
    cap_atoms: int(cfg, "insurance_cover_cap"),
    period_secs: int(cfg, "insurance_cover_period_secs"),
    period_start_ts: int(wf, "cover_period_start"),
    used_in_period_atoms: int(wf, "cover_used_in_period"),
    total_cover_atoms: int(wf, "total_cover"),
  },
  waterfall: {
    tightening_level: int(wf, "tightening_level"),
    liquidations: int(wf, "liquidations"),
    bankruptcies: int(wf, "bankruptcies"),
    adl_events: int(wf, "adl_events"),
    socialized_events: int(wf, "socialized_events"),
    total_socialized_atoms: int(wf, "total_socialized"),
    total_unpaid_deficit_atoms: int(wf, "total_unpaid_deficit"),
    unswept_liquidation_fees_atoms: int(wf, "unswept_liquidation_fees"),
  },
};

console.log(
  JSON.stringify(
    {
      program: programId.toBase58(),
      idl_version: idl.metadata.version,
      rpc_url: rpcUrl,
      slot: String(fetched.context.slot),
      exchange,
      insurance,
      market,
    },
    null,
    2,
  ),
);
