#!/usr/bin/env python3
"""gen_status_corpus.py - write the seed corpus of fuzz_status (a node's
"status" answer as dot reads it, cli/status.h):

    tests/fuzz/gen_status_corpus.py tests/fuzz/corpus/status

"ok-*" answers parse, "bad-*" ones are refused (DOT_EAPI_FORMAT).
"""
import os
import struct
import sys


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for lim, add, fmt in ((1 << 8, 24, ">B"), (1 << 16, 25, ">H"),
                          (1 << 32, 26, ">I")):
        if n < lim:
            return bytes([major << 5 | add]) + struct.pack(fmt, n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def enc(v):
    """Canonical CBOR of ints, bytes, str, lists, and maps given as lists
    of (key, value) pairs (so order and repeats are the seed's)."""
    if isinstance(v, int):
        return head(0, v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, tuple):  # ("map", [(k, v), ...])
        return head(5, len(v[1])) + b"".join(enc(k) + enc(x)
                                             for k, x in v[1])
    raise TypeError(v)


def cmap(pairs):
    return ("map", pairs)


BASE = [(1, 42), (2, 1800000000), (3, b"\x11" * 16), (4, b"\x22" * 32),
        (5, "admin"), (6, "0.1.0")]
RAFT = (7, cmap([(1, "leader"), (2, 3), (3, 1), (4, 1),
                 (5, "127.0.0.1:7400"), (6, 42)]))
VOTERS = (8, [1, 2, 3])
POLICY = (9, "hybrid")

SEEDS = {
    "ok-single": cmap(BASE + [POLICY]),
    "ok-single-old": cmap(BASE),
    "ok-cluster": cmap(BASE + [RAFT, VOTERS, POLICY]),
    "ok-later-key": cmap(BASE + [RAFT, VOTERS, POLICY, (10, [1, "x"])]),
    "ok-many-voters": cmap(BASE + [(8, list(range(1, 100)))]),
    "bad-missing-admin": cmap(BASE[:4] + BASE[5:]),
    "bad-repeated-key": cmap(BASE + [(6, "0.2.0")]),
    "bad-out-of-order": cmap(BASE[1:2] + BASE[:1] + BASE[2:]),
    "bad-nul-in-admin": cmap(BASE[:4] + [(5, "ad\0min")] + BASE[5:]),
    "bad-long-role": cmap(BASE + [(7, cmap([(1, "l" * 16), (2, 3), (3, 1),
                                            (4, 1), (5, "a"), (6, 1)]))]),
    "bad-consensus-5": cmap(BASE + [(7, cmap([(1, "leader"), (2, 3),
                                              (3, 1), (4, 1), (5, "a")]))]),
    "bad-voters-4097": cmap(BASE + [(8, [1] * 4097)]),
    "bad-short-hash": cmap(BASE[:3] + [(4, b"\x22" * 31)] + BASE[4:]),
    "bad-policy-bytes": cmap(BASE + [(9, b"hybrid")]),
    "bad-array": [1, 2, 3],
}


def main():
    out = sys.argv[1]
    for name, v in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(enc(v))
    with open(os.path.join(out, "bad-trailing"), "wb") as f:
        f.write(enc(SEEDS["ok-single"]) + b"\x00")


if __name__ == "__main__":
    main()
