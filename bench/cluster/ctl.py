"""bench/cluster/ctl.py - the waiting and polling of bench/cluster/run, in one
process each (a python start per poll costs seconds on a loaded machine).

  ctl.py ports N
      N distinct free loopback TCP ports, on one line.
  ctl.py dot-status DOT SOCK
      "ledger_index state_hash role applied" of the node at SOCK.
  ctl.py dot-settled DOT INDEX APPLIED TIMEOUT SOCK...
      Wait until every node reports ledger index INDEX, raft applied index
      APPLIED and the same state hash; print the leader's position (1-based)
      in the SOCK list. Exit 1 on timeout, printing what each node said.
  ctl.py dot-converge DOT TIMEOUT SOCK...
      Wait until every node has the same ledger index and state hash; print
      "lag_entries N" (the leader's index minus the slowest node's at the
      first poll) and "converge_s S".
  ctl.py etcd-leader TIMEOUT PORT...
      Wait until every member answers and exactly one leads; print its port.
  ctl.py etcd-revision PORT
      The store's revision, from the member at PORT.
  ctl.py etcd-converge TIMEOUT REVISION PORT...
      Wait until every member is at REVISION; print "converge_s S".
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def ports(n):
    socks, out = [], []
    while len(out) < n:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        socks.append(s)
        if p not in out:
            out.append(p)
    for s in socks:
        s.close()
    print(" ".join(map(str, out)))


def dot_status(dot, sock):
    try:
        r = subprocess.run([dot, "status", "--json"], capture_output=True,
                           timeout=10, env=dict(os.environ, DOT_ADDR=f"unix:{sock}"))
        d = json.loads(r.stdout)
        raft = d.get("raft", {})
        return (d["ledger_index"], d["state_hash"], raft.get("role", "-"),
                raft.get("applied", 0))
    except (subprocess.SubprocessError, ValueError, KeyError, OSError):
        return None


def dot_settled(dot, index, applied, timeout, socks):
    end = time.time() + timeout
    while True:
        st = [dot_status(dot, s) for s in socks]
        # raft applied: at least `applied` (cosign commands, decision 0018,
        # add entries of their own while the log grows), equal on all
        if all(st) and all(x[0] == index and x[3] >= applied and
                           x[3] == st[0][3] and x[1] == st[0][1] for x in st):
            leaders = [i + 1 for i, x in enumerate(st) if x[2] == "leader"]
            if len(leaders) == 1:
                print(leaders[0])
                return 0
        if time.time() > end:
            print(f"index hash role applied per node: {st}", file=sys.stderr)
            return 1
        time.sleep(0.05)


def dot_converge(dot, timeout, socks):
    t0 = time.time()
    lag = None
    while True:
        st = [dot_status(dot, s) for s in socks]
        if all(st):
            if lag is None:
                lag = max(x[0] for x in st) - min(x[0] for x in st)
            if all(x[:2] == st[0][:2] for x in st):
                print(f"lag_entries {lag}")
                print(f"converge_s {time.time() - t0:.2f}")
                return 0
        if time.time() > t0 + timeout:
            print(f"the nodes did not converge in {timeout} s: {st}", file=sys.stderr)
            return 1
        time.sleep(0.05)


def etcd_post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)


def etcd_status(port):
    try:
        return etcd_post(port, "/v3/maintenance/status", {})
    except (OSError, ValueError):
        return None


def etcd_leader(timeout, ports_):
    end = time.time() + timeout
    while True:
        st = [etcd_status(p) for p in ports_]
        if all(st):
            lead = [p for p, s in zip(ports_, st)
                    if s.get("leader") and s["leader"] == s["header"]["member_id"]]
            ids = {s.get("leader") for s in st}
            if len(lead) == 1 and len(ids) == 1:
                print(lead[0])
                return 0
        if time.time() > end:
            print(f"etcd status per member: {st}", file=sys.stderr)
            return 1
        time.sleep(0.05)


def etcd_revision(port):
    print(etcd_post(port, "/v3/kv/range", {"key": "AA=="})["header"]["revision"])
    return 0


def etcd_converge(timeout, rev, ports_):
    t0 = time.time()
    while True:
        st = [etcd_status(p) for p in ports_]
        if all(st) and all(int(s["header"]["revision"]) == rev for s in st):
            print(f"converge_s {time.time() - t0:.2f}")
            return 0
        if time.time() > t0 + timeout:
            print(f"etcd members not at revision {rev}: "
                  f"{[s and s['header']['revision'] for s in st]}", file=sys.stderr)
            return 1
        time.sleep(0.05)


def main(a):
    cmd = a[0]
    if cmd == "ports":
        return ports(int(a[1]))
    if cmd == "dot-status":
        st = dot_status(a[1], a[2])
        if st is None:
            return 1
        print(*st)
        return 0
    if cmd == "dot-settled":
        return dot_settled(a[1], int(a[2]), int(a[3]), float(a[4]), a[5:])
    if cmd == "dot-converge":
        return dot_converge(a[1], float(a[2]), a[3:])
    if cmd == "etcd-leader":
        return etcd_leader(float(a[1]), [int(p) for p in a[2:]])
    if cmd == "etcd-revision":
        return etcd_revision(int(a[1]))
    if cmd == "etcd-converge":
        return etcd_converge(float(a[1]), int(a[2]), [int(p) for p in a[3:]])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) or 0)
