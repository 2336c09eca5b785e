#!/usr/bin/env python3
"""filter.py - make this folder's composite-signature vectors from the
shared copies.

    python3 tests/vectors/composite/filter.py [SHARED-COMPOSITE-DIR]

SHARED-COMPOSITE-DIR defaults to ../shared/vectors/composite beside the
repository (an unmodified copy of the LAMPS working group's
src/testvectors.json and Appendix D samples, see SOURCE). It writes here:

  mldsa65_ed25519_testvectors.json
      upstream's top-level "m" and "ctx" unchanged and "tests" reduced to
      the entry whose tcId is "id-MLDSA65-Ed25519-SHA512", its fields
      unchanged, written as upstream writes it (json.dumps with indent 2)
      plus a final newline. Re-serialising the unfiltered upstream file
      this way (without the newline) gives it back byte for byte, which
      the script checks first.
  mldsa65_standalone_testvectors.json
      the same for the entry "id-ML-DSA-65" (plain ML-DSA-65, which the
      draft includes for debugging the ML-DSA component).
  messageFormatSample_ctx.md, messageFormatSample_noctx.md
      the draft's Appendix D (M' built step by step, for
      id-MLDSA65-ECDSA-P256-SHA512), byte for byte.
  composite_mldsa65_ed25519.txt
      all of the above as records that tests/unit/test_composite.c reads
      without a JSON parser. The first lines name each source file with
      its SHA3-256, which the C test recomputes, so the .txt cannot drift
      from the files it was made from.

Line format: "# ..." comments; one record per test, "key = value" lines,
a blank line after each. Keys: op, tcId, what (which upstream field the
signature is), result (always valid: upstream has no negative vector),
and lowercase hex (possibly empty): pk, sk, msg, ctx, sig, label, mp.

ops:
  composite  id-MLDSA65-Ed25519-SHA512: sk = ML-DSA-65 seed || Ed25519
             seed, pk = its public key, sig = the composite signature of
             msg under ctx; mp is M' = Prefix || Label || len(ctx) || ctx
             || SHA-512(msg) computed here with Python's hashlib from the
             draft's rules (-19 §2.2), so the C test can check that both
             components of sig are over exactly this M'. what is "s" (ctx
             empty), "sWithContext" (ctx = the top-level ctx) or "x5c" (the
             self-signed certificate's signature: msg is its DER
             TBSCertificate, ctx empty).
  mldsa      id-ML-DSA-65: sk = the seed ξ, pk, and sig a pure FIPS 204
             ML-DSA-65 signature of msg under ctx (what as above).
  mprime     Appendix D: label (hex of the ASCII label), msg, ctx, and the
             M' the draft prints.

All base64 fields of the JSON are standard base64 with padding.
"""
import base64
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UPSTREAM = "testvectors_all_upstream.json"
UPSTREAM_SHA256 = \
    "a60f697f9fd94c3cd5e4501a40c4396d9a9ffc7cf0f8a1ddd87dedbb46a7abf0"
COMPOSITE = "id-MLDSA65-Ed25519-SHA512"
STANDALONE = "id-ML-DSA-65"
PREFIX = b"CompositeAlgorithmSignatures2025"
LABEL = b"COMPSIG-MLDSA65-Ed25519-SHA512"
OID_COMPOSITE = bytes.fromhex("06082b060105050706" "30")  # 1.3.6.1.5.5.7.6.48
OID_MLDSA65 = bytes.fromhex("0609608648016503040312")   # 2.16.840.1.101.3.4.3.18
SAMPLES = [("upstream-messageFormatSample_noctx.txt",
            "messageFormatSample_noctx.md"),
           ("upstream-messageFormatSample_ctx.txt",
            "messageFormatSample_ctx.md")]


def b64(s):
    return base64.b64decode(s, validate=True)


def der(buf, off):
    """One DER TLV at off: (tag, start of value, end of value)."""
    tag = buf[off]
    n = buf[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[off:off + k], "big")
        off += k
    return tag, off, off + n


def certificate(x5c, oid):
    """TBSCertificate (the whole TLV) and the signature bits of a DER
    certificate whose signatureAlgorithm is oid with no parameters."""
    tag, v, end = der(x5c, 0)
    if tag != 0x30 or end != len(x5c):
        sys.exit("x5c: not one SEQUENCE")
    tag, tv, tend = der(x5c, v)           # tbsCertificate
    tbs = x5c[v:tend]
    tag, av, aend = der(x5c, tend)        # signatureAlgorithm
    if tag != 0x30 or x5c[av:aend] != oid:
        sys.exit("x5c: unexpected signatureAlgorithm (or parameters)")
    tag, bv, bend = der(x5c, aend)        # signatureValue
    if tag != 0x03 or x5c[bv] != 0 or bend != end:
        sys.exit("x5c: signatureValue is not a whole-byte BIT STRING")
    return tbs, x5c[bv + 1:bend]


def mprime(label, msg, ctx):
    assert len(ctx) <= 255
    return PREFIX + label + bytes([len(ctx)]) + ctx + \
        hashlib.sha512(msg).digest()


def entry(doc, tcid):
    t = [t for t in doc["tests"] if t["tcId"] == tcid]
    if len(t) != 1:
        sys.exit(f"{UPSTREAM}: {len(t)} entries {tcid!r}")
    return t[0]


def filtered(doc, t):
    out = {k: v for k, v in doc.items() if k != "tests"}
    out["tests"] = [t]
    if list(out) != list(doc):
        sys.exit(f"{UPSTREAM}: unexpected top-level keys {list(doc)}")
    return json.dumps(out, indent=2).encode() + b"\n"


def records(op, t, m, ctx, spki_oid, want):
    pk, sk = b64(t["pk"]), b64(t["sk"])
    if (len(pk), len(sk)) != want[:2]:
        sys.exit(f"{t['tcId']}: pk {len(pk)}, sk {len(sk)} bytes")
    tbs, certsig = certificate(b64(t["x5c"]), spki_oid)
    if pk not in tbs:
        sys.exit(f"{t['tcId']}: the certificate does not hold pk")
    recs = []
    for what, msg, c, sig in (("s", m, b"", b64(t["s"])),
                              ("sWithContext", m, ctx,
                               b64(t["sWithContext"])),
                              ("x5c", tbs, b"", certsig)):
        if len(sig) != want[2]:
            sys.exit(f"{t['tcId']} {what}: signature of {len(sig)} bytes")
        r = {"op": op, "tcId": t["tcId"], "what": what, "result": "valid",
             "pk": pk.hex(), "sk": sk.hex(), "msg": msg.hex(),
             "ctx": c.hex(), "sig": sig.hex()}
        if op == "composite":
            r["mp"] = mprime(LABEL, msg, c).hex()
        recs.append(r)
    return recs


def unwrap(text, key):
    """The hex after the first "key:" line of an Appendix D sample, with
    the lines of hex digits that continue it; "<empty>" is the empty
    string."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(key + ":"):
            v = line[len(key) + 1:].strip()
            if v == "<empty>":
                return b""
            for more in lines[i + 1:]:
                if not re.fullmatch(r"[0-9a-f]+", more.strip()):
                    break
                v += more.strip()
            return bytes.fromhex(v)
    sys.exit(f"sample: no {key}")


def sample(raw):
    text = raw.decode("ascii")
    label = re.search(r"^Label:[ \t]*(\S+)$", text, re.M).group(1).encode()
    msg, ctx = unwrap(text, "M"), unwrap(text, "ctx")
    mp = unwrap(text, "M'")
    if unwrap(text, "Prefix") != PREFIX:
        sys.exit("sample: another prefix")
    if mp != mprime(label, msg, ctx):
        sys.exit("sample: M' is not Prefix || Label || len || ctx || "
                 "SHA-512(M)")
    return {"op": "mprime", "tcId": label.decode(), "result": "valid",
            "label": label.hex(), "msg": msg.hex(), "ctx": ctx.hex(),
            "mp": mp.hex()}


def main():
    shared = (sys.argv[1] if len(sys.argv) > 1 else
              os.path.join(HERE, "..", "..", "..", "..", "shared",
                           "vectors", "composite"))
    raw = open(os.path.join(shared, UPSTREAM), "rb").read()
    if hashlib.sha256(raw).hexdigest() != UPSTREAM_SHA256:
        sys.exit(f"{UPSTREAM}: not the copy SOURCE names")
    doc = json.loads(raw)
    if json.dumps(doc, indent=2).encode() != raw:
        sys.exit(f"{UPSTREAM}: upstream layout is not json.dumps(indent=2)")
    m, ctx = b64(doc["m"]), b64(doc["ctx"])

    files = []
    recs = []
    comp = entry(doc, COMPOSITE)
    files.append(("mldsa65_ed25519_testvectors.json", filtered(doc, comp)))
    recs += records("composite", comp, m, ctx, OID_COMPOSITE,
                    (1984, 64, 3373))
    alone = entry(doc, STANDALONE)
    files.append(("mldsa65_standalone_testvectors.json",
                  filtered(doc, alone)))
    recs += records("mldsa", alone, m, ctx, OID_MLDSA65, (1952, 32, 3309))
    for src, dst in SAMPLES:
        sraw = open(os.path.join(shared, src), "rb").read()
        files.append((dst, sraw))
        recs.append(sample(sraw))

    lines = []
    for name, data in files:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        lines.append(f"# {name} sha3-256 {hashlib.sha3_256(data).hexdigest()}")
    lines += [f"# {len(recs)} tests from {UPSTREAM} ({COMPOSITE} and "
              f"{STANDALONE}: s, sWithContext, x5c) and Appendix D; made by "
              "filter.py", ""]
    for r in recs:
        for k, v in r.items():
            lines.append(f"{k} = {v}" if v != "" else f"{k} =")
        lines.append("")
    with open(os.path.join(HERE, "composite_mldsa65_ed25519.txt"), "w") as f:
        f.write("\n".join(lines))
    for name, data in files:
        print(f"{hashlib.sha256(data).hexdigest()}  {name}")


if __name__ == "__main__":
    main()
