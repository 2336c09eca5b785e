// bench/pq/noble.mjs - the peer of bench_pq: @noble/post-quantum's ML-DSA-65
// and ML-KEM-768 under Node, timed the way bench_pq times lib/crypto (each
// operation on its own, ROUNDS rounds of OPS operations per cell, the cells
// in an order that rotates from round to round, inputs varying from call
// to call). Its output has bench_pq's "cell" lines (no cycle count: 0),
// with the names prefixed "noble_".
//
// The package is the one tests/cross uses (tests/cross/package.json,
// installed by scripts/deps under tests/cross/node_modules); NOBLE_DIR
// overrides where it is looked for. Exit status 3 if it is not there.
//
// Usage: node bench/pq/noble.mjs [ROUNDS [OPS]] (defaults 21, 50).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { randomBytes } from 'node:crypto'

const here = dirname(fileURLToPath(import.meta.url))
const dir = process.env.NOBLE_DIR ||
  join(here, '..', '..', 'tests', 'cross', 'node_modules', '@noble', 'post-quantum')
if (!existsSync(join(dir, 'package.json'))) {
  console.error(`noble.mjs: @noble/post-quantum not found at ${dir}`)
  process.exit(3)
}
const version = JSON.parse(readFileSync(join(dir, 'package.json'))).version
const { ml_dsa65 } = await import(pathToFileURL(join(dir, 'esm', 'ml-dsa.js')))
const { ml_kem768 } = await import(pathToFileURL(join(dir, 'esm', 'ml-kem.js')))

const rounds = Number(process.argv[2] || 21)
const ops = Number(process.argv[3] || 50)
if (!(rounds >= 1 && ops >= 1)) {
  console.error('usage: node noble.mjs [ROUNDS [OPS]]')
  process.exit(2)
}
const NSET = 16

// Inputs, and the controls: each signature verifies, one changed byte
// does not; both shared secrets agree.
const dsa = ml_dsa65.keygen(randomBytes(32))
const vset = []
for (let k = 0; k < NSET; k++) {
  const key = ml_dsa65.keygen(randomBytes(32))
  const msg = randomBytes(64)
  const sig = ml_dsa65.sign(key.secretKey, msg, new Uint8Array(0), randomBytes(32))
  if (!ml_dsa65.verify(key.publicKey, msg, sig)) throw new Error('noble verify')
  vset.push({ pk: key.publicKey, msg, sig })
}
{
  const bad = Uint8Array.from(vset[3].sig)
  bad[100] ^= 1
  if (ml_dsa65.verify(vset[3].pk, vset[3].msg, bad)) throw new Error('noble verify of a changed signature')
}
const kem = ml_kem768.keygen()
const cts = []
for (let k = 0; k < NSET; k++) {
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(kem.publicKey)
  const ss = ml_kem768.decapsulate(cipherText, kem.secretKey)
  if (Buffer.compare(Buffer.from(ss), Buffer.from(sharedSecret)) !== 0) throw new Error('noble shared secrets differ')
  cts.push(cipherText)
}

let counter = 0n
const msg = new Uint8Array(64)
const nextMsg = () => { counter++; new DataView(msg.buffer).setBigUint64(0, counter, true) }
const cells = [
  ['noble_mldsa65_keygen', () => ml_dsa65.keygen(randomBytes(32))],
  ['noble_mldsa65_sign', () => ml_dsa65.sign(dsa.secretKey, msg, new Uint8Array(0), randomBytes(32))],
  ['noble_mldsa65_verify', (i) => {
    const v = vset[i % NSET]
    if (!ml_dsa65.verify(v.pk, v.msg, v.sig)) throw new Error('noble verify')
  }],
  ['noble_mlkem768_keygen', () => ml_kem768.keygen()],
  ['noble_mlkem768_encaps', () => ml_kem768.encapsulate(kem.publicKey)],
  ['noble_mlkem768_decaps', (i) => ml_kem768.decapsulate(cts[i % NSET], kem.secretKey)],
]
const samples = cells.map(() => [])
// warm-up (the JIT)
for (const [, f] of cells) for (let i = 0; i < 16; i++) { nextMsg(); f(i) }
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < cells.length; j++) {
    const c = (r + j) % cells.length
    const f = cells[c][1]
    for (let i = 0; i < ops; i++) {
      nextMsg()
      const t0 = process.hrtime.bigint()
      f(r * ops + i)
      samples[c].push(Number(process.hrtime.bigint() - t0) / 1e3)
    }
  }
}
const median = (v) => {
  const s = [...v].sort((a, b) => a - b)
  const n = s.length
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
console.log(`noble_version ${version} node ${process.version}`)
cells.forEach(([name], c) => {
  const v = samples[c]
  const mean = v.reduce((a, b) => a + b, 0) / v.length
  console.log(`cell ${name} ${median(v).toFixed(2)} ${mean.toFixed(2)} 0 ` +
    `${Math.min(...v).toFixed(2)} ${Math.max(...v).toFixed(2)} ${v.length}`)
})
