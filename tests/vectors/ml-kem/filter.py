#!/usr/bin/env python3
"""filter.py - make this folder's ML-KEM-768 vectors from the shared copies.

    python3 tests/vectors/ml-kem/filter.py [SHARED-VECTORS-DIR]

SHARED-VECTORS-DIR defaults to ../shared/vectors beside the repository (the
unmodified NIST ACVP and Wycheproof copies, see SOURCE). For each input it
writes two files here:

  NAME.json  the source of truth. ACVP files: the upstream JSON with only
             the ML-KEM-768 test groups kept, every other field and the
             order of keys untouched, written as upstream writes it (indent
             2, no trailing newline; re-serialising an unfiltered upstream
             file this way gives it back byte for byte, which the script
             checks). Wycheproof files hold ML-KEM-768 only already and are
             copied byte for byte (the script checks that too).
  NAME.txt   the same tests in a line format that tests/unit/test_mlkem.c
             reads without a JSON parser. The first line names the JSON and
             gives its SHA3-256, which the C test recomputes, so a .txt can
             never drift from its .json.

Line format: "# ..." comments; one record per test, "key = value" lines, a
blank line after each. Keys: op (keygen, keygen_seed, keygen_decaps,
encaps, decaps, ekcheck, dkcheck), tcId, result (valid or invalid), and hex
byte strings d, z, seed, ek, dk, m, c, ss (lowercase; possibly empty, and
empty where the JSON has no such field).
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PARAM = "ML-KEM-768"


def acvp(shared, src, name, expect_tests):
    raw = open(os.path.join(shared, src), "rb").read()
    doc = json.loads(raw)
    if json.dumps(doc, indent=2).encode() != raw:
        sys.exit(f"{src}: upstream layout is not json.dumps(indent=2)")
    doc["testGroups"] = [g for g in doc["testGroups"]
                         if g["parameterSet"] == PARAM]
    out = json.dumps(doc, indent=2).encode()
    recs = []
    for g in doc["testGroups"]:
        fn = g.get("function")
        for t in g["tests"]:
            r = {"tcId": t["tcId"]}
            if doc["mode"] == "keyGen":
                r.update(op="keygen", result="valid", d=t["d"], z=t["z"],
                         ek=t["ek"], dk=t["dk"])
            elif fn == "encapsulation":
                # dk is given too: the test also decapsulates c with it.
                r.update(op="encaps", result="valid", ek=t["ek"],
                         dk=t["dk"], m=t["m"], c=t["c"], ss=t["k"])
            elif fn == "decapsulation":
                r.update(op="decaps", result="valid", dk=t["dk"],
                         c=t["c"], ss=t["k"])
            elif fn == "encapsulationKeyCheck":
                r.update(op="ekcheck",
                         result="valid" if t["testPassed"] else "invalid",
                         ek=t["ek"])
            elif fn == "decapsulationKeyCheck":
                r.update(op="dkcheck",
                         result="valid" if t["testPassed"] else "invalid",
                         dk=t["dk"])
            else:
                sys.exit(f"{src}: unknown function {fn!r}")
            recs.append(r)
    if len(recs) != expect_tests:
        sys.exit(f"{src}: {len(recs)} ML-KEM-768 tests, want {expect_tests}")
    write(name, out, recs, f"{src} (ACVP), {PARAM} groups only")


def wycheproof(shared, src, expect_tests):
    raw = open(os.path.join(shared, src), "rb").read()
    doc = json.loads(raw)
    groups = [g for g in doc["testGroups"] if g["parameterSet"] == PARAM]
    if len(groups) != len(doc["testGroups"]):
        # Not the case in the pinned copy; kept for a future one.
        doc["testGroups"] = groups
        raw = json.dumps(doc, indent=2).encode() + b"\n"
    recs = []
    for g in groups:
        for t in g["tests"]:
            r = {"tcId": t["tcId"], "result": t["result"]}
            ty = g["type"]
            if ty == "MLKEMTest":
                # A seed of the wrong length comes without an ek.
                r.update(op="keygen_decaps", seed=t["seed"],
                         ek=t.get("ek", ""), c=t["c"], ss=t["K"])
            elif ty == "MLKEMEncapsTest":
                r.update(op="encaps", ek=t["ek"], m=t["m"], c=t["c"],
                         ss=t["K"])
            elif ty == "MLKEMKeyGen":
                r.update(op="keygen_seed", seed=t["seed"], ek=t["ek"],
                         dk=t["dk"])
            elif ty == "MLKEMDecapsValidationTest":
                r.update(op="decaps", dk=t["dk"], c=t["c"],
                         ss=t.get("K", ""))
            else:
                sys.exit(f"{src}: unknown group type {ty!r}")
            if r["result"] not in ("valid", "invalid"):
                sys.exit(f"{src}: tcId {t['tcId']}: result {r['result']!r}")
            recs.append(r)
    if len(recs) != expect_tests or doc["numberOfTests"] != expect_tests:
        sys.exit(f"{src}: {len(recs)} tests, want {expect_tests}")
    write(os.path.basename(src)[:-5], raw, recs, f"{src} (Wycheproof)")


def write(name, raw, recs, origin):
    with open(os.path.join(HERE, name + ".json"), "wb") as f:
        f.write(raw)
    lines = [
        f"# {name}.json sha3-256 {hashlib.sha3_256(raw).hexdigest()}",
        f"# {len(recs)} tests, from {origin}; made by filter.py",
        "",
    ]
    for r in recs:
        for k, v in r.items():
            lines.append(f"{k} = {v.lower() if isinstance(v, str) else v}")
        lines.append("")
    with open(os.path.join(HERE, name + ".txt"), "w") as f:
        f.write("\n".join(lines))


def main():
    shared = (sys.argv[1] if len(sys.argv) > 1 else
              os.path.join(HERE, "..", "..", "..", "..", "shared", "vectors"))
    acvp(shared, "ML-KEM-keyGen-FIPS203/internalProjection.json",
         "acvp_keygen_768", 25)
    acvp(shared, "ML-KEM-encapDecap-FIPS203/internalProjection.json",
         "acvp_encapdecap_768", 55)
    wycheproof(shared, "wycheproof/mlkem_768_test.json", 193)
    wycheproof(shared, "wycheproof/mlkem_768_encaps_test.json", 265)
    wycheproof(shared, "wycheproof/mlkem_768_keygen_seed_test.json", 100)
    wycheproof(shared, "wycheproof/mlkem_768_semi_expanded_decaps_test.json",
               9)


if __name__ == "__main__":
    main()
