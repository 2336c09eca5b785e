// biscuit.mjs - the Biscuit peer of bench/token (bench/token/run).
//
// Biscuit is the closest peer of Doteros tokens: public-key (Ed25519),
// offline attenuation by appending blocks. Here through the official
// WebAssembly build, npm @biscuit-auth/biscuit-wasm (version pinned in
// package.json / package-lock.json), under Node 20:
//
//   node --experimental-wasm-modules biscuit.mjs
//
// The token carries what the Doteros bench token carries:
//   authority  right("file1", "read"), right("file1", "write"),
//              a time check (expires 2030-06-01)
//   block 1    attenuates to read only (a check on the operation)
//   block 2    an earlier time check (2030-01-01)
// and the authorizer asks for read on file1 at 2027-01-01.
//
// Per op, the median over batches of
//   biscuit_mint_us            build the authority block, sign with the root
//   biscuit_attenuate_us       append one block (block 2)
//   biscuit_parse_verify_us    Biscuit.fromBytes: parse + every signature
//   biscuit_authorize_us       fromBytes + authorizer + authorizeWithLimits
// and the serialized size. Before any timing, negative controls must fail
// (wrong root key, a tampered token, a request for write), or it aborts.
//
// The authorizer's default run limit (1 ms) is too tight under WASM and
// fails with "RunLimit Timeout": it is raised to 1 s (PEERS.md). To give
// Biscuit its best case, the authorizer's Datalog is parsed once and merged
// into a fresh AuthorizerBuilder per request (buildAuthenticated consumes it).
//
// Output: one "name value" line per metric, for bench/token/run.

import {
  AuthorizerBuilder,
  Biscuit,
  BiscuitBuilder,
  BlockBuilder,
  KeyPair,
  PrivateKey,
  PublicKey,
  SignatureAlgorithm,
} from "@biscuit-auth/biscuit-wasm";

const BATCHES = 21;
const BATCH_NS = 5e6; // about 5 ms per batch
const LIMITS = { max_facts: 1000, max_iterations: 100, max_time_micro: 1000000 };

function die(what) {
  console.error(`biscuit.mjs: ${what}`);
  process.exit(1);
}

// Fixed seeds, as in bench_token.c: the same token on every run (Biscuit
// still draws each block's ephemeral key at random; sizes do not change).
function seed(byte) {
  return new Uint8Array(32).fill(byte);
}
const rootSk = PrivateKey.fromBytes(seed(0x11), SignatureAlgorithm.Ed25519);
// PrivateKey has no getter for its public key: go through a KeyPair.
function publicOf(byte) {
  const kp = KeyPair.fromPrivateKey(
    PrivateKey.fromBytes(seed(byte), SignatureAlgorithm.Ed25519),
  );
  const raw = new Uint8Array(32);
  kp.getPublicKey().toBytes(raw);
  return PublicKey.fromBytes(raw, SignatureAlgorithm.Ed25519);
}
const rootPk = publicOf(0x11);
const wrongPk = publicOf(0x99);

function blockOf(code) {
  const b = new BlockBuilder();
  b.addCode(code);
  return b;
}
const authority = blockOf(`
  right("file1", "read");
  right("file1", "write");
  check if time($time), $time < 2030-06-01T00:00:00Z;
`);
const block1 = blockOf(`check if operation("read");`);
const block2 = blockOf(`check if time($time), $time < 2030-01-01T00:00:00Z;`);

function authorizerFor(op) {
  const a = new AuthorizerBuilder();
  a.addCode(`
    time(2027-01-01T00:00:00Z);
    resource("file1");
    operation("${op}");
    allow if resource($r), operation($op), right($r, $op);
  `);
  return a;
}
const authRead = authorizerFor("read");
const authWrite = authorizerFor("write");

function mint() {
  const bb = new BiscuitBuilder();
  bb.merge(authority);
  return bb.build(rootSk); // consumes bb
}

// parse + verify + authorize; throws on any refusal.
function authorize(bytes, pk, base) {
  const tok = Biscuit.fromBytes(bytes, pk);
  const ab = new AuthorizerBuilder();
  ab.merge(base);
  const az = ab.buildAuthenticated(tok); // consumes ab
  try {
    return az.authorizeWithLimits(LIMITS);
  } finally {
    az.free();
    tok.free();
  }
}

// The 3-block token.
const t0 = mint();
const t1 = t0.appendBlock(block1);
const t2 = t1.appendBlock(block2);
const bytes = t2.toBytes();
const text = t2.toBase64();
if (t2.countBlocks() !== 3) die("token does not have 3 blocks");

// Controls: the valid request passes, every broken one fails.
function refused(f) {
  try {
    f();
  } catch {
    return true;
  }
  return false;
}
if (authorize(bytes, rootPk, authRead) !== 0) die("control: valid refused");
if (!refused(() => Biscuit.fromBytes(bytes, wrongPk).free()))
  die("control: a wrong root key was accepted");
if (!refused(() => authorize(bytes, wrongPk, authRead)))
  die("control: a wrong root key was authorized");
if (!refused(() => authorize(bytes, rootPk, authWrite)))
  die("control: write was authorized on a read-only token");
{
  // Flip a byte near the end (block 2's signature or the proof).
  let caught = 0;
  for (let i = bytes.length - 40; i < bytes.length; i += 7) {
    const bad = bytes.slice();
    bad[i] ^= 0x01;
    if (!refused(() => authorize(bad, rootPk, authRead)))
      die(`control: a token tampered at byte ${i} was accepted`);
    caught++;
  }
  if (caught === 0) die("control: no tampered token tried");
}

// The timed ops.
const ops = [
  ["biscuit_mint_us", () => mint().free()],
  ["biscuit_attenuate_us", () => t1.appendBlock(block2).free()],
  ["biscuit_parse_verify_us", () => Biscuit.fromBytes(bytes, rootPk).free()],
  [
    "biscuit_authorize_us",
    () => {
      if (authorize(bytes, rootPk, authRead) !== 0) die("refused");
    },
  ],
];

const now = () => Number(process.hrtime.bigint());
function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
function calibrate(op) {
  let iters = 1;
  for (;;) {
    const s = now();
    for (let i = 0; i < iters; i++) op();
    const dt = now() - s;
    if (dt >= BATCH_NS / 4 || iters >= 1 << 20)
      return Math.max(1, Math.ceil((iters * BATCH_NS) / Math.max(dt, 1)));
    iters *= 2;
  }
}

// Warm up (JIT, WASM tiers), calibrate, then interleave batch by batch.
const plan = ops.map(([name, op]) => {
  for (let i = 0; i < 200; i++) op();
  return { name, op, iters: calibrate(op), per: [] };
});
for (let b = 0; b < BATCHES; b++) {
  for (const m of plan) {
    const s = now();
    for (let i = 0; i < m.iters; i++) m.op();
    m.per.push((now() - s) / m.iters);
  }
}

const out = [];
for (const m of plan) out.push(`${m.name} ${(median(m.per) / 1000).toFixed(3)}`);
out.push(`biscuit_bytes ${bytes.length}`);
out.push(`biscuit_text_bytes ${text.length}`);
out.push(`biscuit_blocks ${t2.countBlocks()}`);
console.log(out.join("\n"));
