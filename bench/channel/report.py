"""bench/channel/report.py - the table, ratios and verdicts of bench/channel/run.

Reads the raw outputs (one "name value" per line) named SYSTEM.rROUND from
$BENCH_RAW, prints the "## Channel" section and, when $BENCH_WRITE is 1, puts
it into $BENCH_RESULTS (replacing an earlier Channel section, keeping every
other section).
"""
import os
import re
import statistics as st

env = os.environ
raw = env["BENCH_RAW"]
rounds = int(env["BENCH_ROUNDS"])
nbytes = int(env["BENCH_BYTES"])
systems = env["BENCH_SYSTEMS"].split()
R = range(1, rounds + 1)


def load(system, r):
    vals = {}
    with open(os.path.join(raw, f"{system}.r{r}")) as f:
        for ln in f:
            p = ln.split()
            if len(p) == 2:
                try:
                    vals[p[0]] = float(p[1])
                except ValueError:
                    vals[p[0]] = p[1]
    return vals


runs = {(s, r): load(s, r) for s in systems for r in R}
have_iperf = "iperf3" in systems


def series(system, metric):
    return [runs[(system, r)][metric] for r in R]


def stat(v):
    return st.median(v), min(v), max(v)


def per_round(f):
    return [f(r) for r in R]


def fmt(v):
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(vals, f=fmt):
    med, lo, hi = stat(vals)
    return f"{f(med)} ({f(lo)} – {f(hi)})"


# ---- CPU per byte (s per GB = ns per byte) ----
def cpu(system, r, part):
    v = runs[(system, r)]
    b = v["bytes"]
    tck = v["clk_tck"]
    tunnel = (v["stunnel_server_ticks"] + v["stunnel_client_ticks"]) / tck
    parts = {
        "send_user": v["send_user"], "send_sys": v["send_sys"],
        "recv_user": v["recv_user"], "recv_sys": v["recv_sys"],
        "send": v["send_cpu"], "recv": v["recv_cpu"],
        "tunnel": tunnel if system == "stunnel" else 0.0,
    }
    parts["all"] = parts["send"] + parts["recv"] + parts["tunnel"]
    return parts[part] / b * 1e9


def cpu_med(system, part):
    return st.median(cpu(system, r, part) for r in R)


def sleeps_med(system):
    return st.median(runs[(system, r)]["recv_sleeps"] / runs[(system, r)]["bytes"] * 1e6 for r in R)


def pearson(xs, ys):
    mx, my = st.mean(xs), st.mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / (sxx * syy) ** 0.5 if sxx > 0 and syy > 0 else 0.0


suite = env["BENCH_TLS_SUITE"]
TPUT = [
    # key, label, bytes per write
    ("raw64", "raw TCP", "65,536"),
    ("aes64", "Doteros channel, AES-256-GCM", "65,565 (1 frame)"),
    ("chacha64", "Doteros channel, ChaCha20-Poly1305", "65,565 (1 frame)"),
    ("chacha64m", "Doteros channel, ChaCha20-Poly1305, 65,408-byte messages", "65,438 (1 frame)"),
    ("stunnel", f"stunnel TLS 1.3 tunnel ({suite})", "65,536 into it"),
    ("raw256", "raw TCP", "262,144"),
    ("aes256", "Doteros channel, AES-256-GCM", "262,260 (4 frames)"),
    ("chacha256", "Doteros channel, ChaCha20-Poly1305", "262,260 (4 frames)"),
    ("raw1m", "raw TCP", "1,048,576"),
]
if have_iperf:
    ipw = int(stat(series("iperf3", "write_size"))[0])
    TPUT.append(("iperf3", "iperf3 (its defaults)", f"{ipw:,}"))

table = ["| system | bytes per write | MB/s | sender busy | CPU s/GB: sender | receiver | tunnel | all | receiver sleeps per MB |",
         "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
for key, label, w in TPUT:
    mbs = cell(series(key, "mbs"))
    if key == "iperf3":
        table.append(f"| {label} | {w} | {mbs} | – | – | – | – | – | – |")
        continue
    busy = st.median(runs[(key, r)]["send_cpu"] / runs[(key, r)]["seconds"] for r in R)
    tun = f"{cpu_med(key, 'tunnel'):.2f}" if key == "stunnel" else "–"
    table.append(f"| {label} | {w} | {mbs} | {busy * 100:.0f} % | "
                 f"{cpu_med(key, 'send'):.2f} | {cpu_med(key, 'recv'):.2f} | {tun} | "
                 f"{cpu_med(key, 'all'):.2f} | {sleeps_med(key):.1f} |")

# ---- handshakes ----
HS = [
    ("wall_us", "wall time to a confirmed channel"),
    ("connect_wall_us", "wall time, TCP connect included"),
    ("init_cpu_us", "**initiator CPU in lib/net**"),
    ("resp_cpu_us", "**responder CPU in lib/net**"),
    ("init_thread_cpu_us", "initiator thread CPU, socket calls included"),
    ("resp_thread_cpu_us", "responder thread CPU, socket calls included"),
]
# Classic (kem 0) and hybrid (Noise hfs with X-Wing, docs/wire-protocol.md
# §3.5) handshakes, measured interleaved in the same run.
KINDS = ("xx", "ik", "xxhfs", "ikhfs")
htable = ["| per handshake | XX (full) | IK (known responder key) | XXhfs (hybrid) | IKhfs (hybrid) | unit |",
          "| --- | ---: | ---: | ---: | ---: | --- |"]
for m, label in HS:
    htable.append(f"| {label} | "
                  + " | ".join(cell(series('hs', f"{k}_{m}")) for k in KINDS)
                  + " | µs |")
x25519 = stat(series("hs", "x25519_us"))[0]
keyp = stat(series("hs", "keypair_us"))[0]
xw = {o: stat(series("hs", f"xwing_{o}_us"))[0] for o in ("keypair", "encaps", "decaps")}
dh = {p: (int(stat(series("hs", f"{p}_init_dh"))[0]),
          int(stat(series("hs", f"{p}_resp_dh"))[0])) for p in KINDS}
kem = {p: (int(stat(series("hs", f"{p}_init_kem"))[0]),
           int(stat(series("hs", f"{p}_resp_kem"))[0])) for p in KINDS}
htable.append("| X25519 DH operations, initiator / responder | "
              + " | ".join(f"{dh[k][0]} / {dh[k][1]}" for k in KINDS)
              + " | (+1 key pair each) |")
htable.append("| X-Wing operations, initiator / responder | "
              + " | ".join(f"{kem[k][0]} / {kem[k][1]}" for k in KINDS)
              + " | (initiator: key pair + decaps; responder: encaps) |")
floor = {p: dh[p][0] * x25519 + keyp for p in KINDS}
for p in ("xxhfs", "ikhfs"):
    floor[p] += xw["keypair"] + xw["decaps"]
htable.append("| floor: initiator's DHs + key pair (+ X-Wing key pair and decaps) | "
              + " | ".join(f"{floor[k]:.0f}" for k in KINDS) + " | µs |")
htable.append(f"| X-Wing alone (same run): key pair / encaps / decaps | – | – | "
              f"{xw['keypair']:.0f} / {xw['encaps']:.0f} / {xw['decaps']:.0f} | – | µs |")
for p, c in (("xxhfs", "xx"), ("ikhfs", "ik")):
    r = " / ".join(f"{stat(series('hs', f'{p}_{m}'))[0] / stat(series('hs', f'{c}_{m}'))[0]:.2f}"
                   for m in ("init_cpu_us", "resp_cpu_us", "wall_us"))
    cells = ["–", "–", r, "–"] if p == "xxhfs" else ["–", "–", "–", r]
    htable.append(f"| hybrid / classic: initiator CPU / responder CPU / wall | "
                  + " | ".join(cells) + " | ratio |")
hs_cipher = runs[("hs", 1)].get("cipher", "?")
hs_count = int(stat(series("hs", "count"))[0])

# ---- ratios and verdicts ----
rtable = ["| measure | target | median | range (min – max) | verdict |",
          "| --- | --- | ---: | ---: | --- |"]
verdicts = {}


def add(label, vals, op, limit, target, unit="", key=None):
    med, lo, hi = stat(vals)
    ok = (lambda v: v >= limit) if op == ">=" else (lambda v: v < limit)
    v = "PASS" if ok(med) else "MISS"
    f = (lambda x: f"{x:.0f} {unit}") if unit else (lambda x: f"{x:.3f}")
    tgt = f"{op} {limit:g}{' ' + unit if unit else ''}"
    if target:
        if ok(lo) != ok(hi):
            v += " (range crosses)"
        shown = f"**{v}**"
        verdicts[key or label] = v
    else:
        tgt = f"(info: {tgt})"
        shown = v.lower()
    rtable.append(f"| {label} | {tgt} | {f(med)} | {f(lo)} – {f(hi)} | {shown} |")


def ratio(a, b):
    return per_round(lambda r: runs[(a, r)]["mbs"] / runs[(b, r)]["mbs"])


names = {"aes": "AES-256-GCM", "chacha": "ChaCha20-Poly1305"}
for s in ("aes", "chacha"):
    add(f"channel ({names[s]}) / stunnel TLS 1.3 tunnel, 64 KiB writes",
        ratio(f"{s}64", "stunnel"), ">=", 2.0, True, key=f"{s} vs stunnel")
for s in ("aes", "chacha"):
    add(f"channel ({names[s]}) / raw TCP, 64 KiB writes",
        ratio(f"{s}64", "raw64"), ">=", 0.8, True, key=f"{s} vs raw")
for p, who in (("init", "initiator"), ("resp", "responder")):
    add(f"full handshake (XX), {who} CPU in lib/net",
        series("hs", f"xx_{p}_cpu_us"), "<", 250, True, unit="µs", key=f"XX {who} CPU")
add("channel (ChaCha20-Poly1305, 65,408-byte messages) / raw TCP, 64 KiB writes",
    ratio("chacha64m", "raw64"), ">=", 0.8, False)
for s in ("aes", "chacha"):
    add(f"channel ({names[s]}) / raw TCP, 256 KiB writes",
        ratio(f"{s}256", "raw256"), ">=", 0.8, False)
if have_iperf:
    for s in ("aes", "chacha"):
        add(f"channel ({names[s]}, 64 KiB writes) / iperf3 (the issue's reference)",
            ratio(f"{s}64", "iperf3"), ">=", 0.8, False)
for s in ("aes", "chacha"):
    add(f"best channel run ({names[s]}, 64 or 256 KiB writes) / raw TCP, 1 MiB writes",
        per_round(lambda r, s=s: max(runs[(f"{s}64", r)]["mbs"], runs[(f"{s}256", r)]["mbs"])
                  / runs[("raw1m", r)]["mbs"]), ">=", 0.8, False)
for s in ("aes", "chacha"):
    add(f"channel ({names[s]}, 256 KiB writes) / stunnel tunnel",
        ratio(f"{s}256", "stunnel"), ">=", 2.0, False)
for s in ("aes", "chacha"):
    add(f"raw TCP sender CPU per byte / channel ({names[s]}) sender CPU per byte, 64 KiB writes",
        per_round(lambda r, s=s: cpu("raw64", r, "send") / cpu(f"{s}64", r, "send")),
        ">=", 0.8, False)
for p, who in (("init", "initiator"), ("resp", "responder")):
    add(f"IK handshake, {who} CPU in lib/net", series("hs", f"ik_{p}_cpu_us"),
        "<", 250, False, unit="µs")
for p, who, i in (("init", "initiator", 0), ("resp", "responder", 1)):
    add(f"XX handshake, {who} CPU in lib/net / its X25519 floor",
        per_round(lambda r, p=p, i=i: runs[("hs", r)][f"xx_{p}_cpu_us"] /
                  (runs[("hs", r)][f"xx_{p}_dh"] * runs[("hs", r)]["x25519_us"]
                   + runs[("hs", r)]["keypair_us"])), "<", 1.25, False)
for p, who in (("init", "initiator"), ("resp", "responder")):
    add(f"XX handshake, {who} thread CPU with its socket calls",
        series("hs", f"xx_{p}_thread_cpu_us"), "<", 250, False, unit="µs")

misses = [k for k, v in verdicts.items() if v.startswith("MISS")]
summary = (f"Targets: {len(verdicts) - len(misses)} of {len(verdicts)} met"
           + (f"; missed: {', '.join(misses)}." if misses else "."))


# ---- the profile (perf), when the run made one ----
def perf_rows(path):
    rows = []
    if not os.path.exists(path):
        return rows
    for ln in open(path):
        m = re.match(r"^\s+([0-9.]+)%\s+(\S+)\s+(\S+)(?:\s+\[(.)\]\s+(.*\S))?\s*$", ln)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3), m.group(5) or ""))
    return rows


def dso_class(dso):
    if dso.startswith("[kernel"):
        return "kernel"
    for k in ("libcrypto", "libsodium", "libc.so", "bench_channel"):
        if dso.startswith(k):
            return k
    return "other"


def profile_table(name, threads):
    rows = perf_rows(os.path.join(raw, f"profile.{name}.dso"))
    if not rows:
        return None
    total = sum(r[0] for r in rows)
    out = []
    for th in threads:
        mine = [r for r in rows if r[1] == th]
        t = sum(r[0] for r in mine)
        if t == 0:
            continue
        c = {}
        for pct, _, dso, _ in mine:
            k = dso_class(dso)
            c[k] = c.get(k, 0) + pct
        out.append(f"| {name} | {th} | {t / total * 100:.0f} % | "
                   + " | ".join(f"{c.get(k, 0) / t * 100:.1f} %" for k in
                                ("libcrypto", "libsodium", "kernel", "libc.so", "bench_channel", "other"))
                   + " |")
    return out


def top_syms(name, thread, dso_pred, n):
    rows = perf_rows(os.path.join(raw, f"profile.{name}.sym"))
    t = sum(r[0] for r in rows if r[1] == thread)
    if t == 0:
        return []
    pick = [(pct, sym) for pct, th, dso, sym in rows if th == thread and dso_pred(dso)]
    pick.sort(reverse=True)
    return [f"`{sym}` {pct / t * 100:.1f} %" for pct, sym in pick[:n]]


# ---- reading the numbers ----
def med_of(f):
    return st.median(f(r) for r in R)


S2 = ("aes", "chacha")
aead = {s: stat(series(f"{s}64", "aead_mbs"))[0] for s in S2}
aead_m = stat(series("chacha64m", "aead_mbs"))[0]
# The channel sender's CPU per byte beyond raw TCP's (same write size, per
# round), and what the AEAD alone costs per byte (measured in the same
# process after the run, in thread CPU time).
extra_send = {s: med_of(lambda r, s=s: cpu(f"{s}64", r, "send") - cpu("raw64", r, "send")) for s in S2}
extra_user = {s: med_of(lambda r, s=s: cpu(f"{s}64", r, "send_user") - cpu("raw64", r, "send_user")) for s in S2}
extra_sys = {s: med_of(lambda r, s=s: cpu(f"{s}64", r, "send_sys") - cpu("raw64", r, "send_sys")) for s in S2}
aead_ns = {s: 1e3 / aead[s] for s in S2}  # ns per byte
DIRECT = [k for k in ("raw64", "raw256", "raw1m", "aes64", "aes256", "chacha64", "chacha256", "chacha64m")]
wk_x = [cpu(k, r, "send_sys") for k in DIRECT for r in R]
wk_y = [runs[(k, r)]["recv_sleeps"] / runs[(k, r)]["bytes"] * 1e6 for k in DIRECT for r in R]
wk_r = pearson(wk_x, wk_y)
raw_send = cpu_med("raw64", "send")
raw_sys_all = [cpu(k, r, "send_sys") for k in ("raw64", "raw256", "raw1m") for r in R]
busy = {k: st.median(runs[(k, r)]["send_cpu"] / runs[(k, r)]["seconds"] for r in R)
        for k in ("raw64", "aes64", "chacha64")}
st_all = cpu_med("stunnel", "all")
ch_all = {s: cpu_med(f"{s}64", "all") for s in S2}
raw_all = cpu_med("raw64", "all")
need_gbs = 4 / raw_send  # AEAD speed (GB per CPU-second) for 80 %: a <= k / 4
two_core = {s: 2 / ch_all[s] for s in S2}  # GB/s: the whole path's CPU over 2 cores
raw64_gbs = stat(series("raw64", "mbs"))[0] / 1e3
batch_gain = {s: med_of(lambda r, s=s: runs[(f"{s}256", r)]["mbs"] / runs[(f"{s}64", r)]["mbs"]) for s in S2}
m_gain = med_of(lambda r: runs[("chacha64m", r)]["mbs"] / runs[("chacha64", r)]["mbs"])
m_ratio = stat(ratio("chacha64m", "raw64"))[0]
hs_wall = {p: stat(series("hs", f"{p}_wall_us"))[0] for p in ("xx", "ik")}
hs_cpu = {p: stat(series("hs", f"{p}_init_cpu_us"))[0] for p in ("xx", "ik")}
hs_cpu_h = {p: stat(series("hs", f"{p}_init_cpu_us"))[0] for p in ("xxhfs", "ikhfs")}
hs_rcpu = {p: stat(series("hs", f"{p}_resp_cpu_us"))[0] for p in KINDS}
hs_wall_h = {p: stat(series("hs", f"{p}_wall_us"))[0] for p in ("xxhfs", "ikhfs")}

def hs_profile_share():
    rows = perf_rows(os.path.join(raw, "profile.hs.dso"))
    out = []
    for th in ("hs-init", "hs-resp"):
        user = [r for r in rows if r[1] == th and not r[2].startswith("[kernel")]
        tot = sum(r[0] for r in user)
        sod = sum(r[0] for r in user if r[2].startswith("libsodium"))
        if tot > 0:
            out.append(f"{sod / tot * 100:.0f} %")
    if len(out) != 2:
        return ""
    return (f" (libsodium is {out[0]} / {out[1]} of the initiator's /\n  responder's user-space samples"
            " in the profile; a one-off breakdown of such a profile\n  by address gave X25519 93 %"
            " and BLAKE2b 7 % of libsodium's)")


hs_prof = hs_profile_share()


def own_profile_share():
    rows = perf_rows(os.path.join(raw, "profile.aes64.dso"))
    out = []
    for th in ("chan-send", "chan-recv"):
        t = sum(r[0] for r in rows if r[1] == th)
        b = sum(r[0] for r in rows if r[1] == th and r[2].startswith("bench_channel"))
        if t > 0:
            out.append(f"{b / t * 100:.1f} %")
    if len(out) != 2:
        return ""
    return (f" (in the profile, lib/net and the harness together are {out[0]} / {out[1]} of\n"
            "  the sender's / receiver's samples)")


own_share = own_profile_share()
if batch_gain["aes"] < 1.05 and batch_gain["chacha"] < 1.05:
    batch_word = "do not help"
elif batch_gain["aes"] < 1.15 and batch_gain["chacha"] < 1.15:
    batch_word = "help little"
else:
    batch_word = "help"
notes = f"""Reading the numbers (medians over rounds; CPU in s per GB, which is ns per byte):
- Every single-connection run here is bound by its **sender thread**: it is busy
  {busy['raw64'] * 100:.0f} % of the wall time for raw TCP and {busy['aes64'] * 100:.0f} / {busy['chacha64'] * 100:.0f} % for the
  channel (AES-256-GCM / ChaCha20-Poly1305), while the receiver waits part of the time. On
  loopback the sender's system calls also run the receiving side's TCP processing (the
  softirq runs in the sender's context), so raw TCP's sender spends {raw_send:.2f} ns per byte, nearly
  all in the kernel, and the receiver only copies out. That kernel cost is the noisiest
  number here: {min(raw_sys_all):.2f} to {max(raw_sys_all):.2f} ns per byte over the raw runs of this run, with the
  write size and from run to run. It follows the receiver's sleeps: each is a wake-up the
  sending thread pays for (a cross-CPU interrupt, dear in this VM), and over all {len(wk_x)} direct
  bulk runs the sender's kernel time per byte and the receiver's sleeps per byte correlate
  at r = {wk_r:.2f}. A receiver that decrypts is more often behind, sleeps less and so costs its
  sender less kernel time than raw TCP's receiver does: hence the channel's smaller kernel
  share below.
- The channel's sender spends {extra_send['aes']:.2f} (AES-256-GCM) / {extra_send['chacha']:.2f} (ChaCha20-Poly1305)
  ns per byte more than raw TCP's at the same write size: {extra_user['aes']:.2f} / {extra_user['chacha']:.2f} in user space
  and {extra_sys['aes']:+.2f} / {extra_sys['chacha']:+.2f} in the kernel. The AEAD alone, called as lib/net calls it
  (dot_aead_encrypt on 65,535-byte messages, timed in thread CPU in the same process after
  each run), runs at {aead['aes']:,.0f} / {aead['chacha']:,.0f} MB per CPU-second, that is {aead_ns['aes']:.2f} / {aead_ns['chacha']:.2f} ns per
  byte: raw TCP's sender plus the AEAD predicts {raw_send + aead_ns['aes']:.2f} / {raw_send + aead_ns['chacha']:.2f} ns per byte for the
  channel's sender, against {cpu_med('aes64', 'send'):.2f} / {cpu_med('chacha64', 'send'):.2f} measured. lib/net itself is a sliver of
  either thread's time{own_share}: no allocation in the loop (`io.out` and `io.data`
  are reused once grown), no extra copy (`dot_net_send` encrypts the message straight into
  `io.out` behind its header; `dot_net_input` decrypts straight from the read buffer into
  `io.data`), one write(2) per 65,565-byte frame.
- So the 80 % target against raw TCP is a matter of the AEAD's speed on the one sending
  thread, where it is serial with the kernel's work: roughly, the channel reaches 80 % only
  if its AEAD costs at most a quarter of raw TCP's sender cost per byte, with this run's
  median {need_gbs:.1f} GB per CPU-second or more; OpenSSL 3.0's AES-256-GCM gives {aead['aes'] / 1e3:.1f}.
- **ChaCha20-Poly1305 and 65,535-byte messages.** OpenSSL 3.0's Poly1305 (the AVX-512 IFMA
  code) runs its 8-block loop on 512-bit registers only when the input is a multiple of
  128 bytes; a 65,535-byte message runs the 4-block loop on 256-bit registers (perf: `ymm`
  against `zmm` in the same code) and the AEAD slows by about a quarter: {aead['chacha']:,.0f} against
  {aead_m:,.0f} MB per CPU-second at 65,408 bytes (same run; `openssl speed -evp
  chacha20-poly1305`, measured once here: 3,145 against 4,259 MB/s at -bytes 65535 and
  65536). The channel with 65,408-byte
  messages moves {m_gain:.2f} × what it moves with 65,535 (per-round median), {m_ratio:.2f} of raw TCP.
  AES-256-GCM does not care.
- Whole path: the stunnel tunnel costs {st_all:.2f} s of CPU per GB (four processes' worth of
  copies, TLS records of at most 16 KiB and stunnel's 18 KiB buffers), the channel
  {ch_all['aes']:.2f} / {ch_all['chacha']:.2f}, raw TCP {raw_all:.2f}.
- Handshakes: the work is libsodium's X25519{hs_prof}; lib/net's CPU is
  {hs_cpu['xx']:.0f} µs per XX side against a floor of {floor['xx']:.0f} µs for its DHs in a hot loop. IK
  confirms in one round trip instead of two but its critical path holds 10 X25519
  operations against XX's 8: on loopback, where a round trip costs tens of µs, the two come
  out close ({hs_wall['xx']:.0f} against {hs_wall['ik']:.0f} µs for XX and IK); over any network whose round trip
  exceeds about two X25519 (about {2 * x25519:.0f} µs), IK is the faster.
- Hybrid handshakes (X-Wing through Noise hfs, decision 0020): the initiator's CPU in lib/net
  grows from {hs_cpu['xx']:.0f} to {hs_cpu_h['xxhfs']:.0f} µs (XX) and {hs_cpu['ik']:.0f} to {hs_cpu_h['ikhfs']:.0f} µs (IK), the responder's from
  {hs_rcpu['xx']:.0f} to {hs_rcpu['xxhfs']:.0f} and {hs_rcpu['ik']:.0f} to {hs_rcpu['ikhfs']:.0f} µs: the initiator adds an X-Wing key pair and a
  decapsulation ({xw['keypair'] + xw['decaps']:.0f} µs alone in this run), the responder an encapsulation
  ({xw['encaps']:.0f} µs) and the check of `e1`, besides hashing and encrypting the 2,336
  bytes of `e1` and `ekem1`. The full handshake's target (under 250 µs of CPU per side) is
  for the classic one; the hybrid initiator's {hs_cpu_h['xxhfs']:.0f} µs is {'above' if hs_cpu_h['xxhfs'] >= 250 else 'within'} it. On loopback the wall time to a
  confirmed channel grows from {hs_wall['xx']:.0f} to {hs_wall_h['xxhfs']:.0f} µs (XX) and {hs_wall['ik']:.0f} to {hs_wall_h['ikhfs']:.0f} µs (IK). The
  profile's `hs` run holds all four kinds; ML-KEM-768, linked statically, counts there
  under bench_channel, not libsodium.

**What would meet the raw-TCP target** (not changed here; lib/net and lib/crypto are
untouched by this benchmark):
1. lib/crypto, ChaCha20-Poly1305 through OpenSSL: in `feed()` of
   lib/crypto/aead_openssl.c, pass the text to `EVP_CipherUpdate` in two calls, the largest
   multiple of 128 bytes first and the rest after. The bytes and the tag are unchanged (the
   ChaCha20 block boundary and Poly1305's buffering are respected); measured on a 65,535-byte
   message with EVP directly: 3.1 to 4.0 GB/s on this machine, same tag. The run's
   65,408-byte row above shows what it does to the channel. No effect on AES-256-GCM.
2. A faster AES-256-GCM: this CPU has VAES and VPCLMULQDQ with AVX-512, but OpenSSL 3.0
   runs its 128-bit AES-NI stitched code (perf: `vaesenc` on `xmm` registers). A
   VAES/AVX-512 GCM (later OpenSSL releases, BoringSSL or AWS-LC carry one) would cut the
   AEAD's share of the sender; the target needs about {need_gbs:.0f} GB per CPU-second (above).
3. Take the AEAD off the socket thread. Split `dot_net_send` into a stateful step on the
   I/O thread (take the counter, write header and counter, count toward the rekey limits)
   and a pure `seal(key, counter, header, plaintext) -> body` any thread can run; likewise
   on receipt (check epoch and replay window, decrypt on a worker, then record the counter
   in the window in order). Encryption of frame N+1 then overlaps the kernel's send of
   frame N. On this 2-core VM the receiver needs the other core, so the whole path's
   CPU ({ch_all['aes']:.2f} ns per byte for AES-256-GCM) over two cores bounds it at about
   {two_core['aes']:.1f} GB/s ({two_core['aes'] / raw64_gbs:.2f} of raw TCP's {raw64_gbs:.1f}); with cores to spare (a node, not
   loopback), the channel would run at the speed of its slowest single stage.
Bigger writes {batch_word}: four frames per write (the 256 KiB rows) move {batch_gain['aes']:.2f} × / {batch_gain['chacha']:.2f} × what
one frame per write moves (per-round medians), and raw TCP itself varies as much with its
write size."""

sw_iperf = f", iperf3 {env['BENCH_IPERF']}" if have_iperf else ""
section = f"""## Channel

bench/channel/run, {env['BENCH_DATE']}, {rounds} rounds; commit {env['BENCH_COMMIT']}.
Machine: {env['BENCH_NPROC']} cores, {env['BENCH_CPU']} (a shared VM whose speed drifts), CPU flags
{env['BENCH_FLAGS'].strip()}; Linux {env['BENCH_KERNEL']}; load average {env['BENCH_LOAD_BEFORE']} before the run,
{env['BENCH_LOAD_AFTER']} after (the run itself keeps about two threads busy).
Software: {env['BENCH_CC']} (-O3, meson release), libsodium {env['BENCH_SODIUM']},
OpenSSL {env['BENCH_OPENSSL']} (libcrypto, the AEAD backend); stunnel {env['BENCH_STUNNEL']} (Debian stunnel4) on
{env['BENCH_STUNNEL_SSL']}{sw_iperf}.

**Method.** Every system moves {nbytes:,} bytes through one TCP connection on 127.0.0.1, in one
run on one machine; one round runs each system once, in an order that rotates from round to
round, for {rounds} rounds. The table gives the median over rounds and the range; each ratio
is computed within a round and the median and range of those are given. MB/s is 10^6
application bytes per second of the sender's wall time, from its first write to the
receiver's answer (an 8-byte count, sent once every byte has arrived, checked by the
sender). `bench_channel` (bench/channel/bench_channel.c, linked statically against
libdoteros) runs the sender and the receiver as two threads of one process.
- *raw TCP*: the sender writes a fixed random buffer in writes of the size shown; the
  receiver reads into a 1 MiB buffer and counts.
- *Doteros channel*: a real handshake first (Noise_XXhfs with X-Wing, the default, over the
  same socket, the sender initiating and proposing the suite; the responder's cookie gate and accept callback as in
  dotd), not timed. Then the sender seals 65,535-byte DATA messages with `dot_net_send`
  (each 65,565 bytes on the wire: the largest frame) into `io.out` and writes `io.out`
  after every frame (as dotd does, writing `io->out` after every call), or after four;
  the receiver reads into a 1 MiB buffer, cuts frames with `dot_net_frame_next`, gives each
  to `dot_net_input` and checks each message's length and sequence number. The answer is a
  DATA message. One more row sends 65,408-byte messages with ChaCha20-Poly1305 (see
  below). Each run also times the AEAD alone in its process, on its message size.
- *stunnel*: a stunnel server (certificate: a self-signed P-256 certificate made by the run
  script) in front of the raw receiver and a stunnel client (verifying that certificate and
  the host name) in front of the raw sender, both TLS 1.3 only, started once per run and
  reused by every round (one new connection, one TLS handshake each, not timed apart: a
  handshake is under a millisecond of a {nbytes / 1e9:.1f} GB run). Negotiated: {suite}.
  Their CPU is read from /proc around each run.
- *iperf3*: `iperf3 -c 127.0.0.1 -n BYTES` against a one-off `iperf3 -s`, its default
  write size; its received bytes per second.
- CPU: each thread's user and system time (getrusage RUSAGE_THREAD) over its timed part,
  per byte moved. "Sender busy" is the sender thread's CPU time over the wall time;
  "receiver sleeps" its voluntary context switches (ru_nvcsw), per 10^6 bytes.
- Handshakes: `bench_channel hs {hs_count}` runs {hs_count} handshakes of each of four kinds per
  round: XX and IK classic (`kem` 0, `dot_net_config.classic`) and XXhfs and IKhfs hybrid
  (Noise hfs with X-Wing, docs/wire-protocol.md §3.5, the default), interleaved in batches
  of 50 (XX, IK, XXhfs, IKhfs, XX, …) in one process, each over a fresh TCP connection
  between an initiator thread and a responder thread (TCP_NODELAY; the responder takes
  either, its default), suite {hs_cipher}, fresh ephemeral and X-Wing keys from
  getrandom(2); each handshake must end with the KEM it proposed (`dot_net_kem`). Wall time runs from the initiator's `dot_net_new` until the channel
  is confirmed: for XX, HS1, HS2, HS3 and the responder's KEEPALIVE confirmation (two round
  trips); for IK, HS1 and HS2 (one). CPU is CLOCK_THREAD_CPUTIME_ID summed over a side's
  lib/net calls (`dot_net_new`, `dot_net_input`, which do the DH, hashing, the cookie gate's
  mac1 and the accept callback), and for information over the whole side with its socket
  calls. Each round gives the median over its handshakes; the table the median of those
  over rounds and their range. The floor is the same run's libsodium X25519 (`dot_kx`, a
  median of 21 batches) times the DH count, plus one key-pair generation, plus for the
  hybrid initiator the same run's X-Wing key pair and decapsulation (lib/crypto, medians
  of 21 batches). The hybrid / classic rows are ratios of the medians over rounds.
- *Resumed*: lib/net has no session resumption (no tickets or pre-shared keys): every
  connection runs a full Noise handshake with fresh ephemeral keys. The abbreviated handshake
  is **IK**, used when the initiator already knows the responder's static key (from the
  ledger: a node's key, or the node a client was configured with) and by every in-channel
  rekey: one round trip to a confirmed channel instead of XX's two, but one more DH on each
  side (es, ss, ee, se against XX's ee, es, se), so it saves round trips, not CPU. That is
  what this report calls the resumed handshake.

Throughput:

{chr(10).join(table)}

Handshakes:

{chr(10).join(htable)}

Ratios and targets (targets in bold; "range crosses" when the per-round range straddles the
limit). {summary}

{chr(10).join(rtable)}

{notes}
"""



ptab = []
for name, threads in (("raw64", ("chan-send", "chan-recv")),
                      ("aes64", ("chan-send", "chan-recv")),
                      ("hs", ("hs-init", "hs-resp"))):
    t = profile_table(name, threads)
    if t:
        ptab += t
if ptab:
    ksend = top_syms("aes64", "chan-send", lambda d: d.startswith("[kernel"), 6)
    own = {th: top_syms("aes64", th, lambda d: d.startswith("bench_channel"), 6)
           for th in ("chan-send", "chan-recv")}
    section += f"""
**Profile** (`perf record -F 1999`, one extra run after the rounds of each of: raw TCP with
64 KiB writes, the channel with AES-256-GCM and one frame per write, and `bench_channel hs
{hs_count}`; share of the samples by thread, then by shared object within the thread.
libcrypto is the AEAD (OpenSSL), libsodium X25519 and BLAKE2b, bench_channel the harness
with lib/net linked in statically):

| run | thread | share of samples | libcrypto | libsodium | kernel | libc | bench_channel (lib/net) | other |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(ptab)}

Channel sender, top kernel symbols (this VM's paravirtual interrupt enable, `pvm_irq_enable`,
collects the samples taken while interrupts were off: the TCP transmit and loopback receive
path): {", ".join(ksend) or "–"}. Top lib/net and harness symbols, sender: {", ".join(own["chan-send"]) or "–"};
receiver: {", ".join(own["chan-recv"]) or "–"}.
"""

print()
print(section)
if env.get("BENCH_WRITE") == "1":
    path = env["BENCH_RESULTS"]
    preamble = ("# Benchmark results\n\n"
                "Written by bench/run (`make bench`); each section by its bench/*/run. Every number\n"
                "comes from one run on one machine, beside the peers measured in the same run.\n\n")
    text = open(path).read() if os.path.exists(path) else preamble
    m = re.search(r"^## Channel\n.*?(?=^## |\Z)", text, flags=re.M | re.S)
    if m:
        text = text[:m.start()] + section + ("\n" if m.end() < len(text) else "") + text[m.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    tmp = path + ".channel.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    print(f"bench/channel: wrote the Channel section of {os.path.relpath(path)}")
