"""bench/ledger/report.py - the table, ratios and verdicts of bench/ledger/run.

Reads the raw outputs (one "name value" per line) named
  dotd-checked.cC.rR, dotd-unchecked.cC.rR, etcd.cC.rR
from $BENCH_RAW, prints the "## Ledger" section and, when $BENCH_WRITE is 1,
puts it into $BENCH_RESULTS (replacing an earlier Ledger section, keeping
every other section).
"""
import os
import re
import statistics as st

env = os.environ
raw = env["BENCH_RAW"]
rounds = int(env["BENCH_ROUNDS"])
clients = [int(c) for c in env["BENCH_CLIENTS"].split()]
duration = int(env["BENCH_DURATION"])
SYSTEMS = [("dotd-checked", "Doteros dotd (checked)"),
           ("dotd-unchecked", "Doteros dotd, checks off (bench build)"),
           ("etcd", "etcd, one member")]


def load(system, c, r):
    vals = {}
    with open(os.path.join(raw, f"{system}.c{c}.r{r}")) as f:
        for ln in f:
            p = ln.split()
            if len(p) == 2:
                try:
                    vals[p[0]] = float(p[1])
                except ValueError:
                    pass
    return vals


runs = {(s, c, r): load(s, c, r)
        for s, _ in SYSTEMS for c in clients for r in range(1, rounds + 1)}


def series(system, c, metric):
    return [runs[(system, c, r)][metric] for r in range(1, rounds + 1)]


def stat(v):
    return st.median(v), min(v), max(v)


def ratio(num, den, c, metric):
    return [runs[(num, c, r)][metric] / runs[(den, c, r)][metric]
            for r in range(1, rounds + 1)]


def fmt_tps(v):
    return f"{v:,.0f}"


def fmt_ms(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def cell(vals, f):
    med, lo, hi = stat(vals)
    return f"{f(med)} ({f(lo)} – {f(hi)})"


# ---- the table ----
def cpu_us(s, c, r):
    v = runs[(s, c, r)]
    return v["cpu_ticks"] / v["clk_tck"] * 1e6 / (v["txs"] + v["warmup"] + 2)


table = ["| system | clients | throughput, tx/s | p50, ms | p99, ms | txs per entry | node CPU per tx, µs |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
for c in clients:
    for s, label in SYSTEMS:
        dotd = s.startswith("dotd")
        batch = f"{stat(series(s, c, 'batch_mean'))[0]:.1f}" if dotd else "–"
        cpu = (f"{st.median(cpu_us(s, c, r) for r in range(1, rounds + 1)):.0f}"
               if dotd else "–")
        table.append(f"| {label} | {c} | {cell(series(s, c, 'tps'), fmt_tps)} | "
                     f"{cell(series(s, c, 'p50_ms'), fmt_ms)} | "
                     f"{cell(series(s, c, 'p99_ms'), fmt_ms)} | {batch} | {cpu} |")


# ---- ratios and verdicts ----
def verdict(v, op, limit):
    ok = {"<=": v <= limit, ">=": v >= limit}[op]
    return "PASS" if ok else "MISS"


rtable = ["| measure | target | median | range (min – max) | verdict |",
          "| --- | --- | ---: | ---: | --- |"]
verdicts = {}


def add(label, vals, op, limit, target, pct=False, key=None):
    med, lo, hi = stat(vals)
    f = (lambda x: f"{x * 100:.1f} %") if pct else (lambda x: f"{x:.3f}")
    tgt = (f"{op} {limit * 100:g} %" if pct else f"{op} {limit:g}")
    v = verdict(med, op, limit)
    if target:
        if verdict(lo, op, limit) != verdict(hi, op, limit):
            v += " (range crosses)"
        shown = f"**{v}**"
        verdicts[key or label] = v
    else:
        tgt = f"(info: {tgt})"
        shown = v.lower()
    rtable.append(f"| {label} | {tgt} | {f(med)} | {f(lo)} – {f(hi)} | {shown} |")


# The cost of checking: throughput lost to the checks, per round.
for c in clients:
    cost = [1 - x for x in ratio("dotd-checked", "dotd-unchecked", c, "tps")]
    add(f"cost of checking at {c} client{'s' if c > 1 else ''} "
        f"(1 − checked / unchecked throughput)", cost, "<=", 0.05, True,
        pct=True, key=f"cost{c}")
top = max(clients)
add(f"throughput at {top} clients, dotd (checked) / etcd",
    ratio("dotd-checked", "etcd", top, "tps"), ">=", 1.0, True, key="tps")
add(f"p99 at {top} clients, dotd (checked) / etcd",
    ratio("dotd-checked", "etcd", top, "p99_ms"), "<=", 1.0, True, key="p99")
for c in clients:
    if c == top:
        continue
    add(f"throughput at {c} client{'s' if c > 1 else ''}, dotd (checked) / etcd",
        ratio("dotd-checked", "etcd", c, "tps"), ">=", 1.0, False)
    add(f"p99 at {c} client{'s' if c > 1 else ''}, dotd (checked) / etcd",
        ratio("dotd-checked", "etcd", c, "p99_ms"), "<=", 1.0, False)
add(f"p50 at {top} clients, dotd (checked) / etcd",
    ratio("dotd-checked", "etcd", top, "p50_ms"), "<=", 1.0, False)


def med(s, c, m):
    return stat(series(s, c, m))[0]


# What the checks cost per tx, in node CPU (the two builds' CPU per tx).
R = range(1, rounds + 1)
check_cpu = {c: st.median(cpu_us("dotd-checked", c, r) - cpu_us("dotd-unchecked", c, r)
                          for r in R) for c in clients}
cpu_top = st.median(cpu_us("dotd-checked", top, r) for r in R)
busy_top = st.median(runs[("dotd-checked", top, r)]["tps"] * cpu_us("dotd-checked", top, r) / 1e6
                     for r in R)
busy_one = st.median(runs[("dotd-checked", min(clients), r)]["tps"] *
                     cpu_us("dotd-checked", min(clients), r) / 1e6 for r in R)
kib_per_tx = st.median(
    runs[("dotd-checked", top, r)]["data_kib"] /
    (runs[("dotd-checked", top, r)]["txs"] + runs[("dotd-checked", top, r)]["warmup"] + 2)
    for r in R)
wal_share = st.median(runs[("dotd-checked", top, r)].get("wal_kib", 0) /
                      runs[("dotd-checked", top, r)]["data_kib"] for r in R)
misses = [k for k, v in verdicts.items() if v.startswith("MISS")]
summary = (f"Targets: {len(verdicts) - len(misses)} of {len(verdicts)} met"
           + (f"; missed: {', '.join(misses)}." if misses else "."))

section = f"""## Ledger

bench/ledger/run, {env['BENCH_DATE']}, {rounds} rounds of {duration} s runs; commit {env['BENCH_COMMIT']}.
Machine: {env['BENCH_NPROC']} cores, {env['BENCH_CPU']} (a shared VM whose speed drifts); data
directories on {env['BENCH_FS']} (the same disk for every system); load average {env['BENCH_LOAD_BEFORE']} before
the run, {env['BENCH_LOAD_AFTER']} after.
Software: {env['BENCH_CC']} (-O3, meson release), SQLite {env['BENCH_SQLITE']},
libsodium {env['BENCH_SODIUM']}; etcd {env['BENCH_ETCD']} (Debian etcd-server), wrk {env['BENCH_WRK']}.

**Method.** One node, durable writes of 1 KiB files, from 1, 8 and 64 clients that each keep
exactly one request in flight. Three systems take the same work on the same machine in one
run, each started by the run script on a fresh data directory for every measurement and
stopped after it; for each client count the three run one after the other, in an order that
rotates from round to round, for {rounds} rounds. Each measurement lasts {duration} s after its set-up
and warm-up. The table gives the median over rounds and the range; each ratio is computed
within a round (adjacent runs) and the median and range of those are given.
- *Doteros dotd (checked)*: the release dotd, its write path as shipped: each tx's
  signature is checked on a worker thread; a batch of queued txs becomes one ledger entry,
  appended to the entry log and made durable (fdatasync, on dotd's log thread) before it is
  applied by lib/state (SQLite, WAL; checkpoints on a thread of their own) and before any
  receipt is sent; the sync of entry N+1 overlaps the apply of entry N (decision 0012).
  `bench_ledger_load` (bench/ledger/load.c) connects C clients to dotd's Unix socket from one
  thread with poll(2). Set-up, untimed: `fs.mkdir /bench-cC` under the admin account; a
  capability token minted by the admin key for the benchmark's holder key (path
  /bench-cC, rights create|write, expiring in a day); two negative controls, a put under
  that token signed by another key, which must be refused with "key is not the token's
  holder", and the holder's put with one byte of its signature changed, which must be
  refused with "transaction signature is invalid", or the run aborts; then every tx is
  built and signed (Ed25519) and its request framed.
  A warm-up of max(64, 4 × C) puts brings the token's chain into the node's verified-chain
  cache. Timed: `fs.put` of 1 KiB of fresh random bytes to a distinct path per tx, each
  under the token; every receipt must carry status 0 and the tx's id, or the run aborts.
  Per-request latency is from writing the request to reading its receipt. "txs per entry"
  is timed txs over ledger entries written meanwhile (dotd's group commit).
- *dotd, checks off*: the same dotd and load from a benchmark-only build
  (`meson -Dbench_unchecked=true`, which defines DOT_BENCH_UNCHECKED for lib/ and dotd):
  dotd queues each parsed tx at once, with no signature worker, and in `op_authorize` no
  tx signature, validity window, holder or token chain is checked (the issuer is still
  resolved from the state and becomes the principal). Its negative controls
  are reversed: the other key's put and the forged one must be *accepted*, or the run
  aborts, so the build really has its checks off.
- *etcd*: a single member (`etcd --name m1`, data directory on the same disk, loopback
  ports of its own, fsync on as by default), driven through its gRPC-JSON gateway (POST
  `/v3/kv/put`) by `wrk -t1 -cC --latency` with bench/ledger/etcd_put.lua, which builds
  every request before timing: a distinct key per put and 1 KiB of random bytes (base64
  in the JSON). A one-second warm-up run precedes it. Only responses whose body holds
  `"revision"` count; the store's revision must have grown by that count (plus at most the
  C requests wrk leaves in flight) or the run aborts. Latency percentiles are wrk's.

{chr(10).join(table)}

Ratios and targets (targets in bold; "range crosses" when the per-round range straddles the
limit). {summary}

{chr(10).join(rtable)}

Reading the numbers (medians over rounds):
- Node CPU: at {top} clients the checked dotd spends {cpu_top:.0f} µs of CPU per tx (all its
  threads: loop, log, checkpoints, signature workers), {busy_top * 100:.0f} % of one core;
  at {min(clients)} client {busy_one * 100:.0f} %, the rest waiting on the fdatasync and the round trip. The checks add {check_cpu[top]:.0f} µs of CPU per tx at {top} clients
  ({", ".join(f"{check_cpu[c]:.0f} µs at {c}" for c in clients if c != top)}): essentially one
  Ed25519 verify of the tx's signature, the holder's proof (about 43 µs here, see the Token
  section), plus the cached chain check and the revocation lookups; with the cache warm no
  block signature is verified again. Where the node is CPU-bound, that share of a tx's CPU
  is the share of throughput the checks cost.
- Durability: one fdatasync per ledger entry (the entry log's); SQLite runs in WAL mode with
  synchronous=NORMAL. Data directory after the {top}-client runs: about {kib_per_tx:.0f} KiB per 1 KiB
  put, {wal_share * 100:.0f} % of it SQLite's write-ahead log.
"""

print()
print(section)
if env.get("BENCH_WRITE") == "1":
    path = env["BENCH_RESULTS"]
    preamble = ("# Benchmark results\n\n"
                "Written by bench/run (`make bench`); each section by its bench/*/run. Every number\n"
                "comes from one run on one machine, beside the peers measured in the same run.\n\n")
    text = open(path).read() if os.path.exists(path) else preamble
    m = re.search(r"^## Ledger\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if m:
        text = text[:m.start()] + section + ("\n" if m.end() < len(text) else "") + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    print(f"bench/ledger: wrote the Ledger section of {os.path.relpath(path)}")
