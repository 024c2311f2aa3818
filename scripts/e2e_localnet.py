#!/usr/bin/env python3
"""End to end over JSON-RPC on a real local validator (run by scripts/e2e-localnet).

Every step is a `bulwark` CLI process against the validator's RPC URL, as a
trader, keeper operator or auditor would run it; the keeper is its own
long-running process whose /health endpoint is read. The mock oracle
(programs/mock-oracle) moves the prices: a slide that makes one seat
liquidatable but solvent, then a gap that leaves two seats bankrupt with an
insurance cover cap that pays for one of them, so the other must be
deleveraged (the cover and ADL rules are exclusive: the program decides).

Prints one JSON line on stdout; exit 1 when any part failed.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A Pyth-style feed id for the pull feed (any 32 bytes on a local cluster).
PULL_FEED_ID = "0x" + "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"
LOTS_PER_BTC = 10_000


def log(msg):
    print(f"e2e-localnet: {msg}", file=sys.stderr, flush=True)


class Failed(Exception):
    pass


class E2E:
    def __init__(self, args):
        self.args = args
        self.bulwark = args.bulwark
        self.work = args.keep or tempfile.mkdtemp(prefix="bulwark-e2e-")
        os.makedirs(self.work, exist_ok=True)
        self.validator = None
        self.keeper = None
        self.url = None
        self.result = {
            "validator": False,
            "bootstrap": False,
            "feeds": [],
            "trades": 0,
            "fills": 0,
            "cancels": 0,
            "withdrawals": 0,
            "stake_ok": False,
            "unstake_ok": False,
            "keeper_health_ok": False,
            "liquidations": 0,
            "covers": 0,
            "adl_events": 0,
            "audit_ok": False,
            "ts_client_ok": False,
            "errors": [],
        }
        self.timings = {}
        self.addresses = {}

    # ------------------------------------------------------------ processes
    def cli(self, *argv, signer=None, expect_fail=False, timeout=120, conn=True):
        """Runs `bulwark CMD -u URL -k SIGNER ARGS...`; returns its JSON."""
        # The connection flags belong to the command (before a subcommand
        # such as `oracle set` or `unstake request`).
        extra = []
        if conn and self.url:
            extra += ["-u", self.url]
        if conn and signer:
            extra += ["-k", signer]
        cmd = [self.bulwark, argv[0], *extra, *argv[1:]]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
        if expect_fail:
            if p.returncode == 0:
                raise Failed(f"expected failure: {' '.join(argv)}\n{p.stdout}")
            return p.stderr.strip()
        if p.returncode != 0:
            raise Failed(f"bulwark {' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        out = p.stdout.strip()
        try:
            return json.loads(out) if out else None
        except json.JSONDecodeError:
            return out

    def start_validator(self):
        t0 = time.time()
        ledger = os.path.join(self.work, "ledger")
        cmd = [
            os.path.join(REPO, "scripts", "localnet"),
            "--rpc-port", str(self.args.rpc_port),
            "--faucet-port", "0",
            "--ledger", ledger,
        ]
        self.validator_log = open(os.path.join(self.work, "validator.log"), "w")
        self.validator = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self.validator_log, text=True,
            cwd=REPO, start_new_session=True,
        )
        info = {}
        while True:
            line = self.validator.stdout.readline()
            if not line:
                rc = self.validator.wait()
                if rc == 3:
                    raise SystemExit(self.skip("scripts/localnet: SBF tool unavailable"))
                raise Failed(f"scripts/localnet exited {rc} (see {self.validator_log.name})")
            k, _, v = line.strip().partition("=")
            info[k] = v
            if k == "upgrade_authority_keypair":
                break
        self.url = info["rpc_url"]
        self.admin = os.path.join(REPO, info["upgrade_authority_keypair"]) \
            if not os.path.isabs(info["upgrade_authority_keypair"]) else info["upgrade_authority_keypair"]
        self.addresses[self.admin] = info["upgrade_authority"]
        self.result["validator"] = True
        self.timings["validator_s"] = round(time.time() - t0, 1)
        log(f"validator at {self.url} ({self.timings['validator_s']} s)")

    def skip(self, reason):
        print(json.dumps({"validator": False, "skipped": True, "reason": reason}))
        return 0

    def stop(self):
        for p in (self.keeper, self.validator):
            if p and p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=20)
                except Exception:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except Exception:
                        pass

    # ------------------------------------------------------------ wallets
    def keypair(self, name):
        path = os.path.join(self.work, f"{name}.json")
        if path not in self.addresses:
            if os.path.exists(path):
                os.remove(path)
            self.addresses[path] = self.cli("keygen", "--out", path, "--json", conn=False)["address"]
        return path

    def pubkey(self, path):
        if path not in self.addresses:
            raise Failed(f"unknown keypair {path}")
        return self.addresses[path]

    # ------------------------------------------------------------ oracle
    def set_price(self, usd):
        argv = ["oracle", "set", "--price", str(usd), "--conf", str(self.conf(usd)), "--json"]
        for f in self.feeds:
            argv += ["--feed", f["keypair"]]
        self.cli(*argv, signer=self.admin)
        self.price = usd
        self.last_price_write = time.time()

    def fresh(self):
        """Rewrites the current price when it is older than 20 s (the
        market's max staleness is 60 s): a real feed publishes every slot."""
        if time.time() - self.last_price_write > 20:
            self.set_price(self.price)

    @staticmethod
    def conf(usd):
        return round(usd * 0.0002, 2)

    def create_feeds(self):
        self.feeds = []
        self.last_price_write = time.time()
        kinds = self.args.feeds.split(",")
        for i, kind in enumerate(kinds):
            path = os.path.join(self.work, f"feed-{i}-{kind}.json")
            argv = ["oracle", "create", "--kind", kind, "--out", path,
                    "--price", str(self.price), "--conf", str(self.conf(self.price)), "--json"]
            if kind == "pull":
                argv += ["--feed-id", PULL_FEED_ID]
            v = self.cli(*argv, signer=self.admin)
            self.feeds.append({"kind": kind, "keypair": path, "address": v["address"]})
        self.result["feeds"] = [f["kind"] for f in self.feeds]

    # ------------------------------------------------------------ bootstrap
    def write_config(self):
        mock = self.mock_oracle_id()
        feeds = []
        for f in self.feeds:
            e = f'{{ name = "mock-{f["kind"]}", address = "{f["address"]}"'
            if f["kind"] == "pull":
                e += f', kind = "pull", feed_id = "{PULL_FEED_ID}"'
            feeds.append(e + " }")
        cfg = f"""
[exchange]
timelock_secs = 3600
pyth_program = "{mock}"
pyth_receiver = "{mock}"

[[markets]]
name = "BTC-PERP"
max_seats = 64
book_capacity = 64
tick_size_usd = 0.1
base_lots_per_unit = {LOTS_PER_BTC}
min_order_lots = 1
max_order_lots = 500000
position_limit_lots = 2000000
open_interest_cap_lots = 50000000
taker_fee_ppm = 500
maker_fee_ppm = -100
insurance_fee_share_ppm = 500000
liquidation_fee_ppm = 10000
keeper_liquidation_share_ppm = 300000
price_band_bps = 2000
funding_interval_secs = 3600
funding_cap_ppm = 1000
mark_ema_secs = 300
takeover_discount_ppm = 500000
insurance_cover_cap_usd = {int(self.args.cover_cap)}
insurance_cover_period_secs = 86400
partial_liquidation_tier = 2
waterfall_mode = "adl"
min_seat_collateral_usd = 100
min_order_notional_usd = 10

[markets.oracle]
min_feeds = {len(self.feeds)}
max_staleness_secs = 60
max_conf_bps = 100
max_deviation_bps = 200
feeds = [{", ".join(feeds)}]

[[markets.tiers]]
max_notional_usd = 100000
initial_margin_ppm = 20000
maint_margin_ppm = 10000
[[markets.tiers]]
max_notional_usd = 500000
initial_margin_ppm = 33334
maint_margin_ppm = 16667
[[markets.tiers]]
max_notional_usd = 10000000
initial_margin_ppm = 100000
maint_margin_ppm = 50000
"""
        path = os.path.join(self.work, "bootstrap.toml")
        with open(path, "w") as fh:
            fh.write(cfg)
        return path

    def mock_oracle_id(self):
        with open(os.path.join(REPO, "programs", "mock-oracle", "src", "lib.rs")) as fh:
            for line in fh:
                if line.startswith("anchor_lang::declare_id!"):
                    return line.split('"')[1]
        raise Failed("no declare_id! in programs/mock-oracle")

    def bootstrap(self):
        t0 = time.time()
        cfg = self.write_config()
        r = self.cli("bootstrap", "--config", cfg, "--json", signer=self.admin)
        self.market = r["markets"][0]["market"]
        # Idempotent: a second run changes nothing.
        again = self.cli("bootstrap", "--config", cfg, "--json", signer=self.admin)
        changed = [s for s in again["steps"] if s["status"] not in ("exists", "already queued")]
        if changed:
            raise Failed(f"second bootstrap changed {changed}")
        self.result["bootstrap"] = True
        self.timings["bootstrap_s"] = round(time.time() - t0, 1)
        log(f"bootstrap: market {self.market}")

    # ------------------------------------------------------------ trading
    def fund(self, name, usd, sol=5):
        kp = self.keypair(name)
        self.cli("fund", "--to", self.pubkey(kp), "--sol", str(sol), "--usd", str(usd),
                 "--json", signer=self.admin)
        return kp

    def order(self, kp, side, otype, lots, price=None, client_id=0):
        argv = ["order", "--side", side, "--type", otype, "--lots", str(lots),
                "--client-id", str(client_id), "--json"]
        if price is not None:
            argv += ["--price", f"{price:.1f}"]
        self.fresh()
        r = self.cli(*argv, signer=kp)
        self.result["trades"] += 1
        self.result["fills"] += len(r.get("fills", []))
        return r

    def quote(self, mm, mid, levels=3, lots=20_000, step=0.001, deep_bid=None):
        self.fresh()
        self.cli("cancel", "--all", "--json", signer=mm)
        self.result["cancels"] += 1
        for k in range(1, levels + 1):
            self.order(mm, "buy", "post-only", lots, round(mid * (1 - step * k), 1), client_id=100 + k)
            self.order(mm, "sell", "post-only", lots, round(mid * (1 + step * k), 1), client_id=200 + k)
        if deep_bid:
            self.order(mm, "buy", "post-only", 40_000, round(deep_bid, 1), client_id=300)

    def positions(self, kp):
        return self.cli("positions", "--json", signer=kp)

    def position(self, kp):
        ps = self.positions(kp)
        return ps[0] if ps else None

    # ------------------------------------------------------------ keeper
    def start_keeper(self, kp):
        self.keeper_log = os.path.join(self.work, "keeper.jsonl")
        self.keeper = subprocess.Popen(
            [self.bulwark, "keeper", "-u", self.url, "-k", kp, "--interval-ms", "1000",
             "--health-port", str(self.args.health_port)],
            stdout=open(self.keeper_log, "w"), stderr=open(self.keeper_log + ".err", "w"),
            cwd=REPO, start_new_session=True,
        )

    def health(self):
        url = f"http://127.0.0.1:{self.args.health_port}/health"
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())

    def wait_health(self, pred, what, timeout=90):
        t0 = time.time()
        last = None
        while time.time() - t0 < timeout:
            if self.keeper.poll() is not None:
                raise Failed(f"keeper exited {self.keeper.returncode}")
            try:
                last = self.health()
                if pred(last):
                    return last
            except OSError:
                pass
            self.fresh()
            time.sleep(1)
        raise Failed(f"timed out waiting for {what}; last /health: {json.dumps(last)}")

    # ------------------------------------------------------------ the run
    def run(self):
        self.price = 65_000.0
        self.start_validator()
        self.create_feeds()
        self.bootstrap()

        t0 = time.time()
        # Money: the admin mints collateral (a localnet mint's authority).
        self.cli("fund", "--to", self.pubkey(self.admin), "--usd", "200000", "--json",
                 signer=self.admin)
        mm = self.fund("mm", 2_000_000)
        long_liq = self.fund("long-liq", 3_000)
        long_cov = self.fund("long-cov", 4_000)
        long_adl = self.fund("long-adl", 8_000)
        short = self.fund("short", 60_000)
        staker = self.fund("staker", 2_000)
        keeper = self.fund("keeper", 0)

        # The insurance fund: the protocol's seed, and a staker who leaves.
        self.cli("stake", "--amount", "100000", "--json", signer=self.admin)
        s = self.cli("stake", "--amount", "1000", "--json", signer=staker)
        self.result["stake_ok"] = s is not None and self.cli("stake", "--json", signer=staker)["shares"] > 0
        req = self.cli("unstake", "request", "--json", signer=staker)
        view = self.cli("stake", "--json", signer=staker)
        early = self.cli("unstake", "withdraw", "--json", signer=staker, expect_fail=True)
        self.result["unstake_ok"] = bool(view["unstake_shares"] > 0 and "Cooldown" in early)
        self.result["unstake_request"] = req
        self.result["unstake_early_withdraw_error"] = early.splitlines()[-1][:200]

        # Deposits and the first quotes.
        for kp, usd in ((mm, 1_500_000), (long_liq, 3_000), (long_cov, 4_000),
                        (long_adl, 8_000), (short, 60_000)):
            self.fresh()
            self.cli("deposit", "--amount", str(usd), "--json", signer=kp)
        self.quote(mm, self.price)
        # One cancel by client id, then the level is quoted again.
        self.cli("cancel", "--client-id", "103", "--json", signer=mm)
        self.result["cancels"] += 1
        self.order(mm, "buy", "post-only", 20_000, round(self.price * 0.997, 1), client_id=103)

        # Positions: three leveraged longs and a short, at market.
        self.order(long_liq, "buy", "market", 10_000)          # 1 BTC, ~22x
        self.order(long_cov, "buy", "market", 5_000)           # 0.5 BTC, ~8x
        self.order(long_adl, "buy", "market", 12_000)          # 1.2 BTC, ~10x
        self.order(short, "sell", "market", 30_000)            # 3 BTC
        self.quote(mm, self.price)
        p = self.position(short)
        if not p or p["base_lots"] != -30_000:
            raise Failed(f"short position {p}")
        self.fresh()
        self.cli("withdraw", "--amount", "1000", "--json", signer=short)
        self.result["withdrawals"] += 1
        self.timings["trading_s"] = round(time.time() - t0, 1)

        # The keeper, its own process.
        self.start_keeper(keeper)
        self.wait_health(lambda h: h.get("rounds", 0) >= 2 and h.get("status") == "running",
                         "two keeper rounds")
        self.result["keeper_health_ok"] = True

        # 1. A slide of 4 %: long-liq is below maintenance, still solvent.
        t0 = time.time()
        self.set_price(62_400.0)
        h = self.wait_health(lambda h: h["actions"].get("Liquidated", 0) >= 1, "a liquidation")
        log(f"liquidated: {h['actions']}")
        pl = self.position(long_liq)
        if pl and pl["base_lots"] != 0:
            raise Failed(f"long-liq still open after liquidation: {pl}")

        # 2. Makers requote at the new price, with bids deep enough to take
        # the bankrupt seats' closes after the gap (inside the 20 % band now).
        gap = round(62_400.0 * 0.82, 1)
        self.quote(mm, 62_400.0, deep_bid=gap * 0.998)
        self.set_price(gap)
        h = self.wait_health(
            lambda h: h["actions"].get("CoveredBankruptcy", 0) >= 1
            and h["actions"].get("Deleveraged", 0) >= 1,
            "an insurance cover and an ADL",
        )
        log(f"after the gap: {h['actions']}")
        self.result["liquidations"] = h["actions"].get("Liquidated", 0)
        self.result["covers"] = h["actions"].get("CoveredBankruptcy", 0)
        self.result["adl_events"] = h["actions"].get("Deleveraged", 0)
        self.result["keeper_failures"] = h.get("failures", 0)
        for kp in (long_cov, long_adl):
            p = self.position(kp)
            if p and p["base_lots"] != 0:
                raise Failed(f"a bankrupt long is still open: {p}")
        self.timings["crash_s"] = round(time.time() - t0, 1)
        self.stop_keeper()

        # The auditor: chain data only, the ledger's hash chain recomputed
        # from the validator's transaction history.
        t0 = time.time()
        self.set_price(gap)
        self.timings["finality_wait_s"] = self.wait_finalized()
        audit = self.cli("audit", "--events", "--json")
        self.audit = audit
        # ok: vault == ledger == inflows - outflows, the ring buffer and the
        # events read from the validator's history both recompute to the
        # fund's hash-chain head, every market invariant holds.
        self.result["audit_ok"] = bool(audit["ok"] and audit["events_chain_ok"] is True
                                       and audit["ring_chain_ok"])
        self.result["audit_ledger_entries"] = audit["ledger_entries"]
        self.result["insurance_cover_paid_usd"] = audit["outflows"].get("bankruptcy_cover", 0)
        if not self.result["insurance_cover_paid_usd"] > 0:
            raise Failed("the keeper reported a cover but the ledger has no bankruptcy_cover outflow")
        self.timings["audit_s"] = round(time.time() - t0, 1)

        # The TypeScript client against the CLI.
        self.result["ts_client_ok"] = self.ts_client()

    def rpc(self, method, params):
        req = urllib.request.Request(
            self.url, data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                       "params": params}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())["result"]

    def wait_finalized(self, timeout=120):
        """Waits until every transaction confirmed so far is finalized: the
        node's address index (getSignaturesForAddress) serves rooted slots."""
        target = self.rpc("getSlot", [{"commitment": "confirmed"}])
        t0 = time.time()
        while self.rpc("getSlot", [{"commitment": "finalized"}]) < target:
            if time.time() - t0 > timeout:
                raise Failed(f"slot {target} not finalized after {timeout} s")
            time.sleep(1)
        return round(time.time() - t0, 1)

    def stop_keeper(self):
        if self.keeper and self.keeper.poll() is None:
            os.killpg(self.keeper.pid, signal.SIGTERM)
            self.keeper.wait(timeout=20)

    def ts_client(self):
        ts_dir = os.path.join(REPO, "app", "ts")
        if not os.path.isdir(os.path.join(ts_dir, "node_modules")):
            self.result["errors"].append("node/npm missing: TypeScript client not run")
            return False
        p = subprocess.run(
            ["npx", "--no-install", "tsx", "read-rpc.ts", os.path.join(REPO, "idl", "bulwark.json"),
             self.url, self.market],
            capture_output=True, text=True, cwd=ts_dir, timeout=120,
        )
        if p.returncode != 0:
            self.result["errors"].append(f"read-rpc.ts: {p.stderr.strip()[-500:]}")
            return False
        ts = json.loads(p.stdout)
        markets = self.cli("markets", "--json")
        stake = self.cli("stake", "--json", signer=self.admin)
        m = next(x for x in markets if x["market"] == self.market)
        checks = compare_ts(ts, m, stake, self.audit)
        w = ts["market"]["waterfall"]
        checks.append(("on-chain liquidations >= keeper's", w["liquidations"],
                       self.result["liquidations"], int(w["liquidations"]) >= self.result["liquidations"]))
        checks.append(("on-chain ADL events >= keeper's", w["adl_events"],
                       self.result["adl_events"], int(w["adl_events"]) >= self.result["adl_events"]))
        self.result["chain_waterfall"] = w
        self.result["ts_checks"] = len(checks)
        bad = [c for c in checks if not c[3]]
        for c in bad:
            self.result["errors"].append(f"TS {c[0]}: {c[1]} != CLI {c[2]}")
        return not bad and len(checks) > 0


def atoms(usd):
    return None if usd is None else round(usd * 1e6)


def compare_ts(ts, market_view, stake_view, audit):
    """(what, ts value, cli value, equal) for every field both read.

    read-rpc.ts prints integers as decimal strings in on-chain units (quote
    atoms = 1e-6 USD, price units = 1e-6 USD per base unit); the CLI prints
    USD as floats: compared as atoms.
    """
    out = []

    def eq(what, a, b):
        out.append((what, a, b, str(a) == str(b)))

    tm, ti = ts["market"], ts["insurance"]
    eq("market name", tm["name"], market_view["name"])
    eq("market status", tm["status"], market_view["status"])
    eq("waterfall mode", tm["waterfall_mode"], market_view["waterfall_mode"])
    eq("index (price units)", tm["index_price"], atoms(market_view["index"]))
    eq("mark (price units)", tm["mark_price"], atoms(market_view["mark"]))
    eq("best bid", tm["best_bid"], atoms(market_view["best_bid"]))
    eq("best ask", tm["best_ask"], atoms(market_view["best_ask"]))
    eq("open interest (lots)", tm["open_interest_lots"], market_view["open_interest_lots"])
    eq("seats used", tm["seats_used"], market_view["seats_used"])
    eq("resting bids", tm["num_bids"], market_view["resting_bids"])
    eq("resting asks", tm["num_asks"], market_view["resting_asks"])
    eq("insurance balance (atoms)", ti["balance_atoms"], atoms(stake_view["fund_balance"]))
    eq("insurance shares", ti["total_shares"], stake_view["fund_shares"])
    eq("insurance vault (atoms)", ti["vault_amount_atoms"], atoms(audit["vault_balance"]))
    eq("insurance ledger balance (atoms)", ti["balance_atoms"], atoms(audit["ledger_balance"]))
    eq("ledger entries", ti["ledger_seq"], audit["ledger_entries"])
    for k, v in audit["inflows"].items():
        eq(f"inflow {k} (atoms)", ti["inflows_atoms"][k], atoms(v))
    for k, v in audit["outflows"].items():
        eq(f"outflow {k} (atoms)", ti["outflows_atoms"][k], atoms(v))
    am = next(m for m in audit["markets"] if m["name"] == tm["name"])
    eq("market vault (atoms)", tm["vault_amount_atoms"], atoms(am["vault"]))
    # The waterfall's own counters, which the keeper's actions must match.
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulwark", required=True)
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    ap.add_argument("--rpc-port", type=int, default=int(os.environ.get("E2E_RPC_PORT", "18999")))
    ap.add_argument("--health-port", type=int, default=18787)
    ap.add_argument("--feeds", default="legacy,pull", help="mock feeds of the market, in order")
    ap.add_argument("--cover-cap", type=float, default=8000.0, help="USD per day the fund may cover")
    ap.add_argument("--hold", action="store_true", help="on failure, keep the validator running")
    args = ap.parse_args()
    e = E2E(args)
    t0 = time.time()
    ok = False
    try:
        e.run()
        r = e.result
        ok = (r["validator"] and r["bootstrap"] and r["trades"] > 0 and r["liquidations"] > 0
              and r["covers"] > 0 and r["adl_events"] > 0 and r["audit_ok"] and r["ts_client_ok"]
              and r["stake_ok"] and r["unstake_ok"] and r["keeper_health_ok"] and not r["errors"])
    except SystemExit:
        raise
    except Exception as ex:  # noqa: BLE001 - every failure ends in the JSON line
        e.result["errors"].append(f"{type(ex).__name__}: {ex}")
        log(f"FAILED: {ex} (work dir {e.work})")
    finally:
        if args.hold and not ok:
            log(f"--hold: validator left running at {e.url}; Ctrl-C to stop")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        e.stop()
    e.result["timings"] = {**e.timings, "total_s": round(time.time() - t0, 1)}
    e.result["ok"] = ok
    print(json.dumps(e.result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
