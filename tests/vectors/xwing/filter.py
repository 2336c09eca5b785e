#!/usr/bin/env python3
"""filter.py - make this folder's X-Wing vectors from the shared copies.

    python3 tests/vectors/xwing/filter.py [SHARED-XWING-DIR]

SHARED-XWING-DIR defaults to ../shared/vectors/xwing beside the repository
(the draft's own vectors, see SOURCE). It copies, byte for byte, after
checking each file's sha256 against the value recorded in SOURCE:

  test-vectors.json            the draft's 3 vectors (draft -10, Appendix C)
  x509-example-xwing.priv.pem  Appendix D: PKCS#8 of the key 00 01 .. 1f
  x509-example-xwing.pub.pem   Appendix D: its SubjectPublicKeyInfo

and writes xwing.txt, the same tests in a line format that
tests/unit/test_xwing.c reads without a JSON or DER parser. Its first lines
name each copied file and give its SHA3-256, which the C test recomputes,
so the .txt can never drift from the files it was made from.

Line format: "# ..." comments; one record per test, "key = value" lines, a
blank line after each. Keys: op, tcId, and lowercase hex byte strings.

  op = vector   seed, sk, pk, eseed, ct, ss: GenerateKeyPairDerand(seed)
                gives (sk, pk), EncapsulateDerand(pk, eseed) gives (ss, ct),
                Decapsulate(ct, sk) gives ss.
  op = x509     sk, pk: the raw keys inside the Appendix D PEM files (the
                PKCS#8 privateKey OCTET STRING, the SPKI BIT STRING); pk
                must be GenerateKeyPairDerand(sk)'s.

The DER is not parsed generally: each file must be exactly the expected
fixed prefix (id-XWing, 1.3.6.1.4.1.62253.25722, no parameters) followed by
the key, or the script stops.
"""
import base64
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# sha256 of the files as recorded in SOURCE (and in the shared SOURCE).
SHA256 = {
    "test-vectors.json":
        "409efe197550b22985b4a0419418a0c5f2c2b193426c55bd998399ec8d3e614d",
    "x509-example-xwing.priv.pem":
        "c55496d271b166a984ea6748180a2ec718c946c74cc7c5ac63d5a4f5759b771e",
    "x509-example-xwing.pub.pem":
        "327374bbb92ab6122ae5d5918dd21fa99b297447016557c211b419c9fd9389d3",
}
OID = bytes.fromhex("060b2b0601040183e62d81c87a")   # id-XWing
# OneAsymmetricKey { version 0, { id-XWing }, privateKey OCTET STRING(32) }:
# the draft puts the raw seed directly in privateKey (§5.8.2), 54 bytes.
PRIV_PREFIX = bytes.fromhex("3034020100300d") + OID + bytes.fromhex("0420")
# SubjectPublicKeyInfo { { id-XWing }, BIT STRING (0 unused bits, 1216 bytes) }
PUB_PREFIX = bytes.fromhex("308204d4300d") + OID + bytes.fromhex("038204c100")
SIZES = {"seed": 32, "sk": 32, "pk": 1216, "eseed": 64, "ct": 1120, "ss": 32}


def pem_body(raw, label):
    m = re.fullmatch(rb"-----BEGIN %s-----\n([A-Za-z0-9+/=\n]+)"
                     rb"-----END %s-----\n?" % (label, label), raw)
    if not m:
        sys.exit(f"not a {label.decode()} PEM file")
    return base64.b64decode(m.group(1).replace(b"\n", b""), validate=True)


def main():
    shared = (sys.argv[1] if len(sys.argv) > 1 else
              os.path.join(HERE, "..", "..", "..", "..", "shared", "vectors",
                           "xwing"))
    raw = {}
    for name, want in SHA256.items():
        data = open(os.path.join(shared, name), "rb").read()
        if hashlib.sha256(data).hexdigest() != want:
            sys.exit(f"{name}: sha256 differs from the one in SOURCE")
        raw[name] = data
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)

    recs = []
    vecs = json.loads(raw["test-vectors.json"])
    if len(vecs) != 3:
        sys.exit(f"test-vectors.json: {len(vecs)} vectors, want 3")
    for i, v in enumerate(vecs):
        if set(v) != set(SIZES):
            sys.exit(f"vector {i}: fields {sorted(v)}")
        for k, n in SIZES.items():
            if len(bytes.fromhex(v[k])) != n:
                sys.exit(f"vector {i}: {k} is not {n} bytes")
        r = {"op": "vector", "tcId": i + 1}
        r.update((k, v[k].lower()) for k in SIZES)
        recs.append(r)

    der = pem_body(raw["x509-example-xwing.priv.pem"], b"PRIVATE KEY")
    if len(der) != len(PRIV_PREFIX) + 32 or not der.startswith(PRIV_PREFIX):
        sys.exit("private key PEM: not the expected PKCS#8 form")
    sk = der[len(PRIV_PREFIX):]
    der = pem_body(raw["x509-example-xwing.pub.pem"], b"PUBLIC KEY")
    if len(der) != len(PUB_PREFIX) + 1216 or not der.startswith(PUB_PREFIX):
        sys.exit("public key PEM: not the expected SPKI form")
    pk = der[len(PUB_PREFIX):]
    if sk != bytes(range(32)):
        sys.exit("private key PEM: the key is not 00 01 .. 1f")
    recs.append({"op": "x509", "tcId": len(recs) + 1, "sk": sk.hex(),
                 "pk": pk.hex()})

    lines = [f"# {n} sha3-256 {hashlib.sha3_256(raw[n]).hexdigest()}"
             for n in SHA256]
    lines += [f"# {len(recs)} tests: the draft's {len(vecs)} vectors and the "
              "Appendix D keys; made by filter.py", ""]
    for r in recs:
        for k, v in r.items():
            lines.append(f"{k} = {v}")
        lines.append("")
    with open(os.path.join(HERE, "xwing.txt"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
