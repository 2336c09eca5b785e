#!/usr/bin/env python3
"""Seeds for fuzz_log (tests/fuzz/corpus/log): dotd's entry log files
(docs/log-format.md), valid and damaged. Run from the repository root;
rewrites the seeds byte for byte."""
import hashlib, os, struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "log")
MAGIC = b"DOTLOG1\n"


def records(entries, t0=1000):
    prev, out = bytes(32), b""
    for i, e in enumerate(entries, 1):
        head = struct.pack(">IQQ", len(e), i, t0 + i)
        h = hashlib.blake2b(b"dot-log-v1" + prev + head[4:] + head[:4] + e,
                            digest_size=32).digest()
        out += head + e + h
        prev = h
    return out


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


ents = [b"genesis-ish entry", b"x" * 300, b"\x01\x02\x03"]
log = MAGIC + records(ents)
put("ok-empty", b"")
put("ok-magic-only", MAGIC)
put("ok-three", log)
put("ok-zeros-ahead", log + bytes(1500))
torn = struct.pack(">IQQ", 400, 4, 1004) + b"\x5a" * 40
put("ok-torn-over-zeros", log + torn + bytes(600))
put("ok-torn-short", log + torn)
put("ok-torn-header", log + torn[:9])
put("bad-zeros-then-data", log + bytes(700) + b"\x01" + bytes(50))
mid = bytearray(log)
mid[8 + 20 + 3] ^= 1
put("bad-first-record-changed", bytes(mid))
put("bad-magic", b"DOTLOG2\n" + log[8:])
put("bad-index", MAGIC + records(ents)[:0] +
    struct.pack(">IQQ", 3, 7, 1) + b"abc" + bytes(32) + b"tail")
put("bad-zero-length", MAGIC + struct.pack(">IQQ", 0, 1, 1) + b"\x01")
