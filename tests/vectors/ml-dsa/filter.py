#!/usr/bin/env python3
"""filter.py - make this folder's ML-DSA-65 vectors from the shared copies.

    python3 tests/vectors/ml-dsa/filter.py [SHARED-VECTORS-DIR]

SHARED-VECTORS-DIR defaults to ../shared/vectors beside the repository (the
unmodified NIST ACVP and Wycheproof copies, see SOURCE). It writes here:

  NAME.json  the source of truth. ACVP files: the upstream JSON with only
             the ML-DSA-65 test groups kept (sigGen's expectedResults.json
             has no parameterSet: its groups are kept by the tgIds of the
             ML-DSA-65 groups of prompt.json), every other field and the
             order of keys untouched, written as upstream writes it (indent
             2, no trailing newline; re-serialising an unfiltered upstream
             file this way gives it back byte for byte, which the script
             checks). Wycheproof files hold ML-DSA-65 only already and are
             copied byte for byte (the script checks that too).
  NAME.txt   the same tests in a line format that tests/unit/test_mldsa.c
             reads without a JSON parser. The first lines name the JSON
             files the records come from, each with its SHA3-256, which the
             C test recomputes, so a .txt can never drift from its .json.

Line format: "# ..." comments; one record per test, "key = value" lines, a
blank line after each. Keys: op, tcId, result (valid or invalid), and hex
byte strings (lowercase, possibly empty): seed, pk, sk, msg, ctx, mp (M'
for the internal interface), mu, rnd, sig. A field the JSON lacks is not
written (a missing msg means a μ-only test; a missing ctx is the empty
context; a missing rnd is the deterministic variant, 32 zero bytes).

ops:
  keygen         KeyGen_internal(seed) = (pk, sk)
  sign           Sign(sk, msg, ctx) with rnd: sig
  sign_internal  Sign_internal(sk, mp, rnd): sig
  sign_mu        Sign_internal from μ (external μ): sig
  verify         Verify(pk, msg, sig, ctx): result
  verify_internal Verify_internal(pk, mp, sig): result
  verify_mu      Verify_internal from μ: result
  sign_seed      Wycheproof: KeyGen_internal(seed) = pk (result invalid if
                 the seed has the wrong length), then, with msg, μ of pk,
                 msg and ctx = mu and Sign(sk, msg, ctx) with rnd = sig
                 (result invalid if ctx is too long), without msg,
                 Sign_internal from mu; the signature must verify under pk
  sign_sk        Wycheproof noseed: the same from the expanded sk (result
                 invalid for a malformed sk or a long ctx)

HashML-DSA (FIPS 204 Algorithm 4) is not implemented in Doteros, but the
ACVP preHash groups are still run through the internal interface: this
script computes M' = 1 || len(ctx) || ctx || OID(PH) || PH(msg) with
Python's hashlib (as Algorithm 4 does) and writes it as mp
(ops sign_internal and verify_internal).
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PARAM = "ML-DSA-65"

# FIPS 204 Algorithm 4: the DER encoding of each hash function's OID
# (2.16.840.1.101.3.4.2.x) and the function PH.
OID = "06096086480165030402"
PREHASH = {
    "SHA2-224": ("04", lambda m: hashlib.sha224(m).digest()),
    "SHA2-256": ("01", lambda m: hashlib.sha256(m).digest()),
    "SHA2-384": ("02", lambda m: hashlib.sha384(m).digest()),
    "SHA2-512": ("03", lambda m: hashlib.sha512(m).digest()),
    "SHA2-512/224": ("05", lambda m: hashlib.new("sha512_224", m).digest()),
    "SHA2-512/256": ("06", lambda m: hashlib.new("sha512_256", m).digest()),
    "SHA3-224": ("07", lambda m: hashlib.sha3_224(m).digest()),
    "SHA3-256": ("08", lambda m: hashlib.sha3_256(m).digest()),
    "SHA3-384": ("09", lambda m: hashlib.sha3_384(m).digest()),
    "SHA3-512": ("0a", lambda m: hashlib.sha3_512(m).digest()),
    "SHAKE-128": ("0b", lambda m: hashlib.shake_128(m).digest(32)),
    "SHAKE-256": ("0c", lambda m: hashlib.shake_256(m).digest(64)),
}


def prehash_mp(t):
    oid, ph = PREHASH[t["hashAlg"]]
    ctx = bytes.fromhex(t["context"])
    assert len(ctx) <= 255
    return (bytes([1, len(ctx)]) + ctx + bytes.fromhex(OID + oid) +
            ph(bytes.fromhex(t["message"]))).hex()


def load_acvp(shared, src):
    raw = open(os.path.join(shared, src), "rb").read()
    doc = json.loads(raw)
    if json.dumps(doc, indent=2).encode() != raw:
        sys.exit(f"{src}: upstream layout is not json.dumps(indent=2)")
    return doc


def keep(doc, tgids):
    doc["testGroups"] = [g for g in doc["testGroups"] if g["tgId"] in tgids]
    return json.dumps(doc, indent=2).encode()


def acvp_keygen(shared):
    src = "ML-DSA-keyGen-FIPS204/internalProjection.json"
    doc = load_acvp(shared, src)
    tg = {g["tgId"] for g in doc["testGroups"] if g["parameterSet"] == PARAM}
    out = keep(doc, tg)
    recs = [{"tcId": t["tcId"], "op": "keygen", "result": "valid",
             "seed": t["seed"], "pk": t["pk"], "sk": t["sk"]}
            for g in doc["testGroups"] for t in g["tests"]]
    write("acvp_keygen_65", [("acvp_keygen_65", out)], recs, 25,
          f"{src} (ACVP), {PARAM} groups only")


def acvp_siggen(shared):
    src = "ML-DSA-sigGen-FIPS204/prompt.json"
    src2 = "ML-DSA-sigGen-FIPS204/expectedResults.json"
    doc = load_acvp(shared, src)
    exp = load_acvp(shared, src2)
    tg = {g["tgId"] for g in doc["testGroups"] if g["parameterSet"] == PARAM}
    out = keep(doc, tg)
    out2 = keep(exp, tg)
    sigs = {t["tcId"]: t["signature"] for g in exp["testGroups"]
            for t in g["tests"]}
    recs = []
    for g in doc["testGroups"]:
        for t in g["tests"]:
            r = {"tcId": t["tcId"], "result": "valid", "sk": t["sk"],
                 "rnd": "00" * 32 if g["deterministic"] else t["rnd"]}
            if g["signatureInterface"] == "external":
                if g["preHash"] == "pure":
                    r.update(op="sign", msg=t["message"], ctx=t["context"])
                else:
                    r.update(op="sign_internal", mp=prehash_mp(t))
            elif g["externalMu"]:
                r.update(op="sign_mu", mu=t["mu"])
            else:
                r.update(op="sign_internal", mp=t["message"])
            r["sig"] = sigs[t["tcId"]]
            recs.append(r)
    write("acvp_siggen_65", [("acvp_siggen_65_prompt", out),
                             ("acvp_siggen_65_expected", out2)], recs, 120,
          f"{src} joined with {src2} on tcId (ACVP), {PARAM} groups only")


def acvp_sigver(shared):
    src = "ML-DSA-sigVer-FIPS204/internalProjection.json"
    doc = load_acvp(shared, src)
    tg = {g["tgId"] for g in doc["testGroups"] if g["parameterSet"] == PARAM}
    out = keep(doc, tg)
    recs = []
    for g in doc["testGroups"]:
        for t in g["tests"]:
            r = {"tcId": t["tcId"],
                 "result": "valid" if t["testPassed"] else "invalid",
                 "pk": t["pk"]}
            if g["signatureInterface"] == "external":
                if g["preHash"] == "pure":
                    r.update(op="verify", msg=t["message"], ctx=t["context"])
                else:
                    r.update(op="verify_internal", mp=prehash_mp(t))
            elif g["externalMu"]:
                r.update(op="verify_mu", mu=t["mu"])
            else:
                r.update(op="verify_internal", mp=t["message"])
            r["sig"] = t["signature"]
            recs.append(r)
    write("acvp_sigver_65", [("acvp_sigver_65", out)], recs, 60,
          f"{src} (ACVP), {PARAM} groups only")


def wycheproof(shared, src, expect_tests):
    raw = open(os.path.join(shared, src), "rb").read()
    doc = json.loads(raw)
    if "65" not in doc["algorithm"] and "65" not in src:
        sys.exit(f"{src}: not ML-DSA-65")
    recs = []
    for g in doc["testGroups"]:
        for t in g["tests"]:
            r = {"tcId": t["tcId"], "result": t["result"]}
            ty = g["type"]
            if ty == "MlDsaVerify":
                r.update(op="verify", pk=g["publicKey"], msg=t["msg"],
                         ctx=t.get("ctx", ""), sig=t["sig"])
            elif ty == "MlDsaSign":
                if "privateSeed" in g:
                    r.update(op="sign_seed", seed=g["privateSeed"])
                else:
                    r.update(op="sign_sk", sk=g["privateKey"])
                if g.get("publicKey") is not None:
                    r["pk"] = g["publicKey"]
                for k in ("msg", "ctx", "mu", "rnd"):
                    if k in t:
                        r[k] = t[k]
                r["sig"] = t["sig"]
            else:
                sys.exit(f"{src}: unknown group type {ty!r}")
            if r["result"] not in ("valid", "invalid"):
                sys.exit(f"{src}: tcId {t['tcId']}: result {r['result']!r}")
            recs.append(r)
    if doc["numberOfTests"] != expect_tests:
        sys.exit(f"{src}: numberOfTests {doc['numberOfTests']}")
    name = os.path.basename(src)[:-5]
    write(name, [(name, raw)], recs, expect_tests, f"{src} (Wycheproof)")


def write(name, jsons, recs, expect_tests, origin):
    if len(recs) != expect_tests:
        sys.exit(f"{name}: {len(recs)} tests, want {expect_tests}")
    lines = []
    for jname, raw in jsons:
        with open(os.path.join(HERE, jname + ".json"), "wb") as f:
            f.write(raw)
        lines.append(f"# {jname}.json sha3-256 "
                     f"{hashlib.sha3_256(raw).hexdigest()}")
    lines += [f"# {len(recs)} tests, from {origin}; made by filter.py", ""]
    for r in recs:
        for k, v in r.items():
            lines.append(f"{k} = {v.lower() if isinstance(v, str) else v}")
        lines.append("")
    with open(os.path.join(HERE, name + ".txt"), "w") as f:
        f.write("\n".join(lines))


def main():
    shared = (sys.argv[1] if len(sys.argv) > 1 else
              os.path.join(HERE, "..", "..", "..", "..", "shared", "vectors"))
    acvp_keygen(shared)
    acvp_siggen(shared)
    acvp_sigver(shared)
    wycheproof(shared, "wycheproof/mldsa_65_verify_test.json", 210)
    wycheproof(shared, "wycheproof/mldsa_65_sign_seed_test.json", 105)
    wycheproof(shared, "wycheproof/mldsa_65_sign_noseed_test.json", 78)


if __name__ == "__main__":
    main()
