"""bench/cluster/report.py - the table, ratios and verdicts of bench/cluster/run.

Reads the raw outputs (one "name value" per line) named
  doteros.cC.rR, etcd.cC.rR
from $BENCH_RAW, prints the "## Cluster" section and, when $BENCH_WRITE is 1,
puts it into $BENCH_RESULTS (replacing an earlier Cluster section, keeping
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
size = int(env["BENCH_SIZE"])
SYSTEMS = [("doteros", "Doteros, 3 nodes"), ("etcd", "etcd, 3 members")]
R = range(1, rounds + 1)


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
    # one name for the timed count of both
    vals["n"] = vals["txs"] if system == "doteros" else vals["ok"]
    return vals


runs = {(s, c, r): load(s, c, r) for s, _ in SYSTEMS for c in clients for r in R}


def series(system, c, metric):
    return [runs[(system, c, r)][metric] for r in R]


def stat(v):
    return st.median(v), min(v), max(v)


def ratio(num, den, c, metric):
    return [runs[(num, c, r)][metric] / runs[(den, c, r)][metric] for r in R]


def fmt_tps(v):
    return f"{v:,.0f}"


def fmt_ms(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def cell(vals, f):
    med, lo, hi = stat(vals)
    return f"{f(med)} ({f(lo)} – {f(hi)})"


def cpu_us(s, c, r, which):
    """CPU time per timed tx (µs) of the leader or of both followers."""
    v = runs[(s, c, r)]
    return v[f"cpu_{which}"] / v["clk_tck"] * 1e6 / v["n"]


def med_of(f):
    return st.median(f(r) for r in R)


# ---- the table ----
table = ["| system | clients | throughput, tx/s | p50, ms | p99, ms | "
         "leader CPU per tx, µs | followers' CPU per tx, µs | machine busy | txs per entry |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
for c in clients:
    for s, label in SYSTEMS:
        batch = (f"{stat(series(s, c, 'batch_mean'))[0]:.1f}"
                 if s == "doteros" else "–")
        lead = med_of(lambda r: cpu_us(s, c, r, "leader"))
        fol = med_of(lambda r: cpu_us(s, c, r, "followers"))
        busy = stat(series(s, c, "machine_busy"))[0]
        table.append(f"| {label} | {c} | {cell(series(s, c, 'tps'), fmt_tps)} | "
                     f"{cell(series(s, c, 'p50_ms'), fmt_ms)} | "
                     f"{cell(series(s, c, 'p99_ms'), fmt_ms)} | {lead:.0f} | "
                     f"{fol:.0f} | {busy * 100:.0f} % | {batch} |")


# ---- ratios and verdicts ----
def verdict(v, op, limit):
    ok = {"<=": v <= limit, ">=": v >= limit}[op]
    return "PASS" if ok else "MISS"


rtable = ["| measure | target | median | range (min – max) | verdict |",
          "| --- | --- | ---: | ---: | --- |"]
verdicts = {}


def add(label, vals, op, limit, target, key=None):
    med, lo, hi = stat(vals)
    tgt = f"{op} {limit:g}"
    v = verdict(med, op, limit)
    if target:
        if verdict(lo, op, limit) != verdict(hi, op, limit):
            v += " (range crosses)"
        shown = f"**{v}**"
        verdicts[key or label] = v
    else:
        tgt = f"(info: {tgt})"
        shown = v.lower()
    rtable.append(f"| {label} | {tgt} | {med:.3f} | {lo:.3f} – {hi:.3f} | {shown} |")


top = max(clients)
add(f"throughput at {top} clients, Doteros / etcd",
    ratio("doteros", "etcd", top, "tps"), ">=", 1.0, True, key="throughput")
add(f"p99 at {top} clients, Doteros / etcd",
    ratio("doteros", "etcd", top, "p99_ms"), "<=", 1.0, True, key="p99")
add(f"p50 at {top} clients, Doteros / etcd",
    ratio("doteros", "etcd", top, "p50_ms"), "<=", 1.0, False)
for c in clients:
    if c == top:
        continue
    cs = f"{c} client{'s' if c > 1 else ''}"
    add(f"throughput at {cs}, Doteros / etcd",
        ratio("doteros", "etcd", c, "tps"), ">=", 1.0, False)
    add(f"p99 at {cs}, Doteros / etcd",
        ratio("doteros", "etcd", c, "p99_ms"), "<=", 1.0, False)
misses = [k for k, v in verdicts.items() if v.startswith("MISS")]
summary = (f"Targets: {len(verdicts) - len(misses)} of {len(verdicts)} met"
           + (f"; missed: {', '.join(misses)}." if misses else "."))

# ---- notes: caps reached, catch-up, log lines ----
capped = [f"{s} {c} clients round {r}" for (s, c, r), v in runs.items()
          if s == "doteros" and v["txs"] >= v["cap"]]
built_late = [f"{c} clients round {r}" for (s, c, r), v in runs.items()
              if s == "etcd" and v["ok"] > v["cap"]]
notes_d = sum(runs[("doteros", c, r)].get("log_notes", 0) for c in clients for r in R)
notes_e = sum(runs[("etcd", c, r)].get("log_notes", 0) for c in clients for r in R)
conv_d = stat(series("doteros", top, "converge_s"))
lag_d = stat(series("doteros", top, "lag_entries"))
batch_d = stat(series("doteros", top, "batch_mean"))[0]
conv_e = stat(series("etcd", top, "converge_s"))
busy_d = stat(series("doteros", top, "machine_busy"))[0]
busy_e = stat(series("etcd", top, "machine_busy"))[0]
tot_d = med_of(lambda r: cpu_us("doteros", top, r, "leader") + cpu_us("doteros", top, r, "followers"))
tot_e = med_of(lambda r: cpu_us("etcd", top, r, "leader") + cpu_us("etcd", top, r, "followers"))
fol_share = med_of(lambda r: cpu_us("doteros", top, r, "followers") /
                   (cpu_us("doteros", top, r, "leader") + cpu_us("doteros", top, r, "followers")))
cli_d = med_of(lambda r: runs[("doteros", top, r)]["self_cpu_s"] / runs[("doteros", top, r)]["txs"] * 1e6)
cli_e = med_of(lambda r: runs[("etcd", top, r)]["cpu_timed_s"] / runs[("etcd", top, r)]["ok"] * 1e6)
ncores = int(env["BENCH_NPROC"])

oddities = []
if capped:
    oddities.append("the load generator's cap was reached (the run ended before "
                    f"{duration} s) in: {', '.join(sorted(capped))}")
if built_late:
    oddities.append("wrk built requests during the timed run past its prebuilt ones in: "
                    + ", ".join(sorted(built_late)))
oddities.append(f"error or warning lines in the nodes' logs over all runs: Doteros {notes_d:.0f}, "
                f"etcd {notes_e:.0f}")
quorum = ("before the rounds, the run checked once that a Doteros cluster set up this\n"
          "  way has three raft voters: with either follower stopped the leader commits a write, with\n"
          "  both stopped it does not (within 3 s). etcd's three members are voters by construction."
          if env.get("BENCH_QUORUM") == "1" else
          "the quorum check (a Doteros cluster set up this way has three raft voters) was\n"
          "  skipped in this run (QUORUM_CHECK=0).")


def loop_pct(r, which, kind):
    """Share of the timed part a Doteros node's main thread (its event loop)
    ran or waited, runnable, for a CPU: the leader, or the followers' mean."""
    v = runs[("doteros", top, r)]
    ms = v["seconds"] * 1000
    if which == "leader":
        return v[f"watch_{kind}_ms_1"] / ms
    return (v[f"watch_{kind}_ms_2"] + v[f"watch_{kind}_ms_3"]) / 2 / ms


has_sched = all("watch_wait_ms_1" in runs[("doteros", top, r)] for r in R)
if has_sched:
    loops = (f"  The nodes' event loops (each dotd's main thread, where raft, the apply and the API\n"
             f"  run) ran {med_of(lambda r: loop_pct(r, 'leader', 'run')) * 100:.0f} % of the timed part on the leader and "
             f"{med_of(lambda r: loop_pct(r, 'followers', 'run')) * 100:.0f} % on a follower, and\n"
             f"  waited, runnable, for a CPU {med_of(lambda r: loop_pct(r, 'leader', 'wait')) * 100:.0f} % and "
             f"{med_of(lambda r: loop_pct(r, 'followers', 'wait')) * 100:.0f} % of it (/proc/PID/schedstat): every hop of a\n"
             f"  commit (leader, follower, leader) waits its turn for a core.\n")
else:
    loops = ""

section = f"""## Cluster

bench/cluster/run, {env['BENCH_DATE']}, {rounds} rounds of {duration} s runs ({env['BENCH_ELAPSED']} s in all);
commit {env['BENCH_COMMIT']}.
Machine: {ncores} cores, {env['BENCH_CPU']} (a shared VM whose speed drifts, other work
running beside); data directories on {env['BENCH_FS']}, the same disk for every node of both systems; load
average {env['BENCH_LOAD_BEFORE']} before the run, {env['BENCH_LOAD_AFTER']} after.
Software: {env['BENCH_CC']} (-O3, meson release), SQLite {env['BENCH_SQLITE']},
libsodium {env['BENCH_SODIUM']}, raft {env['BENCH_RAFT']}; etcd {env['BENCH_ETCD']} (Debian etcd-server), wrk {env['BENCH_WRK']}.

**Method.** Three nodes on one machine, all on loopback, durable writes of {size}-byte values from
{", ".join(str(c) for c in clients[:-1])} and {top} clients that each keep exactly one request in flight, sent to the
leader. Two systems take the same work in one run, each on a fresh cluster (fresh data
directories in a temporary directory, started by the run script and stopped after the
measurement); for each client count the two run one after the other, in an order that
alternates from round to round, for {rounds} rounds. Each measurement lasts {duration} s after set-up
and warm-up. The table gives the median over rounds and the range; each ratio is computed
within a round (adjacent runs) and the median and range of those are given. After each
measurement every node must reach the same state (Doteros: ledger index and state hash;
etcd: revision) within 60 s, or the run aborts. CPU times are over the timed part: the
leader's process, the two followers' together, per timed write; "machine busy" is the share
of all {ncores} cores' time not idle meanwhile (load generator and everything else on the machine
included).
- *Doteros*: the release `dotd` in cluster mode (`--raft-addr`, raft 0.22 over the secure
  channel between node keys). Set-up as in tests/daemon/cluster3.sh: `dot init` founds node 1
  (the benchmark's admin key and cluster id, written by `bench_ledger_load keyfile`), `dot node
  invite` and `dot node join` admit nodes 2 and 3, which start and are added to raft by the
  leader; the run waits until all three have applied the same ledger and raft entries
  (including both joiners' configuration changes). The load is bench/ledger's
  `bench_ledger_load` on the leader's Unix socket (the leader found by `dot status --json`;
  etcd's clients use loopback TCP, HTTP and JSON), with the same set-up as in the Ledger
  section (an `fs.mkdir`, a capability token for the benchmark's holder key, two negative
  controls that must be refused, a put signed by another key ("key is not the token's
  holder") and the holder's put with a forged signature ("transaction signature is
  invalid"), every tx built and
  signed before timing, a warm-up of max(64, 4 × C) puts), then `fs.put` of {size} fresh random
  bytes to a distinct path per tx under the token; every receipt must carry status 0 and the
  tx's id. The cluster's crypto policy is `{os.environ.get('BENCH_POLICY', 'classic')}` (`dot init --policy`; the
  benchmark's keys follow it), and {('one put presents the token inline and every later one names it by reference, `[3, rid]`, leaving the holder key out (docs/decisions/0022)' if os.environ.get('BENCH_TOKEN_REF', '1') == '1' else 'every put carries the token inline')}. The leader verifies each tx's signatures on worker threads as it queues it,
  batches queued txs into one ledger entry and proposes it to raft; raft makes it durable in
  each node's log (fsync) and commits it on a majority; every node, leader and followers,
  applies it with lib/state's `dot_state_apply`, which checks every tx's signatures (each
  node verifies each one itself, once: on the leader found in the cache its workers filled
  as the tx was queued, on each follower in the cache its own workers filled as the entry
  arrived, before it committed; the workers run at nice 5 in a cluster), token
  chain (in each node's verified-chain cache after the first), holder and rights; the leader
  answers from its own apply. Latency is from writing the request to reading its receipt.
  "txs per entry" is timed txs over ledger entries written meanwhile.
- *Three voters*: {quorum}
- *etcd*: three members (`etcd --name m1|m2|m3 --initial-cluster ...`, loopback ports of
  their own, fsync on as by default), driven at the leader's gRPC-JSON gateway (POST
  `/v3/kv/put`; the leader found by each member's `/v3/maintenance/status`) by
  `wrk -t1 -cC --latency` with bench/ledger/etcd_put.lua: a distinct key per put and {size}
  random bytes (base64 in the JSON), requests built before timing; a one-second warm-up run
  first. Only responses whose body
  holds `"revision"` count; the store's revision must have grown by that count (plus at
  most the C requests wrk leaves in flight) or the run aborts. Latency percentiles are wrk's.
  etcd signs, verifies and checks nothing per write.

{chr(10).join(table)}

Ratios and targets (targets in bold; "range crosses" when the per-round range straddles the
limit). {summary}

{chr(10).join(rtable)}

Reading the numbers (medians over rounds, {top} clients):
- CPU: Doteros spends {tot_d:.0f} µs of node CPU per write over its three nodes, etcd {tot_e:.0f} µs;
  {fol_share * 100:.0f} % of Doteros's is the followers' (each applies and re-checks every tx). The
  machine was {busy_d * 100:.0f} % busy during the Doteros runs, {busy_e * 100:.0f} % during etcd's: where it is near
  100 %, the {ncores} cores, shared by three nodes, the load generator and other work, are the limit.
{loops}  The clients' CPU over the timed part: bench_ledger_load {cli_d:.0f} µs per tx (its txs signed
  before), wrk {cli_e:.0f} µs per put (its requests built before).
- Catch-up: when the load ended, the slowest Doteros follower had applied {lag_d[0]:.0f} ledger entries
  fewer than the leader (range {lag_d[1]:.0f} – {lag_d[2]:.0f}; about {batch_d:.0f} txs each); the followers matched the
  leader's index and state hash {conv_d[0]:.2f} s later (range {conv_d[1]:.2f} – {conv_d[2]:.2f}); etcd's members matched the
  leader's revision {conv_e[0]:.2f} s later ({conv_e[1]:.2f} – {conv_e[2]:.2f}); status polling included.
- {"; ".join(oddities)}.
"""

print()
print(section)
if env.get("BENCH_WRITE") == "1":
    path = env["BENCH_RESULTS"]
    preamble = ("# Benchmark results\n\n"
                "Written by bench/run (`make bench`); each section by its bench/*/run. Every number\n"
                "comes from one run on one machine, beside the peers measured in the same run.\n\n")
    text = open(path).read() if os.path.exists(path) else preamble
    m = re.search(r"^## Cluster\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if m:
        text = text[:m.start()] + section + ("\n" if m.end() < len(text) else "") + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    print(f"bench/cluster: wrote the Cluster section of {os.path.relpath(path)}")
