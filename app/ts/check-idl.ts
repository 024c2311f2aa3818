// Loads the committed IDL (idl/bulwark.json) with @anchor-lang/core and
// decodes the accounts `bulwark simulate --dump-accounts DIR` wrote, then
// compares decoded fields with the values simulate recorded (DIR/index.json)
// and, when present, with simulate's --json summary (DIR/summary.json).
//
//   npx tsx check-idl.ts <idl.json> <dump dir>
//
// Exit 0 when everything matches, 1 otherwise.

import { BorshAccountsCoder, type Idl } from "@anchor-lang/core";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [idlPath, dir] = process.argv.slice(2);
if (!idlPath || !dir) {
  console.error("usage: tsx check-idl.ts <idl.json> <dump dir>");
  process.exit(2);
}

const idl = JSON.parse(readFileSync(idlPath, "utf8")) as Idl;
const coder = new BorshAccountsCoder(idl);
const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
const expected = index.expected;

let failures = 0;
let checks = 0;
function check(what: string, got: unknown, want: unknown): void {
  checks++;
  const g = String(got);
  const w = String(want);
  if (g === w) {
    console.log(`  ok   ${what} = ${g}`);
  } else {
    failures++;
    console.log(`  FAIL ${what}: decoded ${g}, expected ${w}`);
  }
}

// Field access that works whether the coder keeps the IDL's snake_case
// names or camelCases them.
function field(obj: any, snake: string): any {
  if (obj == null) return undefined;
  if (snake in obj) return obj[snake];
  const camel = snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return obj[camel];
}

function load(name: string): { address: string; owner: string; data: Buffer } {
  const a = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
  return { address: a.address, owner: a.owner, data: Buffer.from(a.data_base64, "base64") };
}

function decode(accountName: string, file: string): any {
  const a = load(file);
  check(`${file}: owner is the program`, a.owner, idl.address);
  const disc = coder.accountDiscriminator(accountName);
  check(`${file}: ${accountName} discriminator`, a.data.subarray(0, 8).toString("hex"), disc.toString("hex"));
  return coder.decode(accountName, a.data);
}

console.log(`IDL ${idl.metadata.name} ${idl.metadata.version} (${idl.address}), dump ${dir}`);

const ex = decode("Exchange", "exchange");
const e = expected.exchange;
check("Exchange.admin", field(ex, "admin").toBase58(), e.admin);
check("Exchange.collateral_mint", field(ex, "collateral_mint").toBase58(), e.collateral_mint);
check("Exchange.timelock_secs", field(ex, "timelock_secs").toString(), e.timelock_secs);
check("Exchange.num_markets", field(ex, "num_markets").toString(), e.num_markets);

const fund = decode("InsuranceFund", "insurance_fund");
const f = expected.insurance_fund;
check("InsuranceFund.balance", field(fund, "balance").toString(), f.balance);
check("InsuranceFund.total_shares", field(fund, "total_shares").toString(), f.total_shares);
check("InsuranceFund.ledger_seq", field(fund, "ledger_seq").toString(), f.ledger_seq);
check(
  "InsuranceFund.inflows",
  field(fund, "inflows").map((x: any) => x.toString()).join(","),
  f.inflows.join(","),
);
check(
  "InsuranceFund.outflows",
  field(fund, "outflows").map((x: any) => x.toString()).join(","),
  f.outflows.join(","),
);

const ledger = decode("InsuranceLedger", "insurance_ledger");
check("InsuranceLedger.count = InsuranceFund.ledger_seq", field(ledger, "count").toString(), f.ledger_seq);

const market = decode("Market", "market");
const name = Buffer.from(field(market, "name")).toString("utf8").replace(/\0+$/, "");
const s = expected.summary;
check("Market.name", name, s.market);
check(
  "Market.state.open_interest_lots",
  field(field(market, "state"), "open_interest_lots").toString(),
  s.open_interest_lots,
);

// What simulate printed (--json), when the caller saved it.
const summaryPath = join(dir, "summary.json");
if (existsSync(summaryPath)) {
  const printed = JSON.parse(readFileSync(summaryPath, "utf8"));
  check(
    "simulate insurance.end (USD) = InsuranceFund.balance / 1e6",
    (Number(field(fund, "balance").toString()) / 1e6).toFixed(6),
    Number(printed.insurance.end).toFixed(6),
  );
  check(
    "simulate insurance.ledger_entries = InsuranceFund.ledger_seq",
    field(fund, "ledger_seq").toString(),
    printed.insurance.ledger_entries,
  );
  check("simulate market = Market.name", name, printed.market);
  check(
    "simulate open_interest_lots = Market.state.open_interest_lots",
    field(field(market, "state"), "open_interest_lots").toString(),
    printed.open_interest_lots,
  );
} else {
  console.log("  (no summary.json: simulate's --json output not compared)");
}

console.log(failures === 0 ? `IDL check: OK (${checks} checks)` : `IDL check: ${failures} of ${checks} checks FAILED`);
process.exit(failures === 0 ? 0 : 1);
