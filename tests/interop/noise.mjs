// tests/interop/noise.mjs PEER - lib/net's Noise core (PEER: the noise_peer
// program, tests/interop/noise_peer.c) against independent Noise
// implementations from npm, in both roles, for Noise_XX and Noise_IK over
// 25519 and BLAKE2b with every cipher the library has:
//
//   noise-handshake (Holepunch; JavaScript over libsodium): ChaChaPoly
//   noise-c.wasm (rweather's noise-c built to WebAssembly): ChaChaPoly, AESGCM
//
// For each library, cipher, pattern and Doteros role it runs one full
// session over noise_peer's stdin/stdout (framing and fixed payloads:
// noise_peer.c) and checks that
//   - the handshake completes, both ends have the same handshake hash and
//     each learned the other's static key; every handshake payload arrives;
//   - transport messages of 0 .. 65519 bytes go both ways and decrypt to the
//     expected plaintexts;
//   - Doteros rejects every one-byte change (each byte of every
//     authenticated handshake message; several of each transport message),
//     a truncated and an extended copy, and a replayed transport message,
//     and the session goes on unharmed;
//   - the library rejects changed transport messages from Doteros;
// then separate sessions where one byte of one handshake message (its
// first or its last, each message in turn, either direction) is flipped in
// transit, and one where the two ends' prologues differ by a byte of the
// cluster id: none may complete the handshake.
//
// The prologue is the channel's (docs/wire-protocol.md §3.2), built here
// from the docs and by noise_peer from lib/net's constants (-C).
//
// Prints TAP. A skip when the npm modules are missing (scripts/deps runs
// npm ci here) and, per cipher, when noise_peer says AES-256-GCM does not run
// on this CPU.
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const peerPath = process.argv[2]
if (!peerPath) {
  console.error('usage: node noise.mjs PATH/TO/noise_peer')
  process.exit(2)
}

// ---- the libraries -------------------------------------------------------

function version (name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url)
  return JSON.parse(fs.readFileSync(url, 'utf8')).version
}

async function loadLibraries () {
  const Noise = require('noise-handshake')
  const Cipher = require('noise-handshake/cipher')
  const createNoise = require('noise-c.wasm')
  const wasm = await new Promise((resolve) =>
    createNoise({ print () {}, printErr () {} }, resolve))
  const C = wasm.constants

  const holepunch = {
    lib: 'noise-handshake',
    version: version('noise-handshake'),
    ciphers: ['ChaChaPoly'],
    make (pattern, cipher, initiator, prologue, s, rs) {
      const hs = new Noise(pattern, initiator,
        { publicKey: Buffer.from(s.pk), secretKey: Buffer.from(s.sk) })
      hs.initialise(Buffer.from(prologue), rs ? Buffer.from(rs) : undefined)
      return {
        // recv() keeps views of its input (and zeroes some at the end):
        // it is given copies.
        write: (p) => Buffer.from(hs.send(Buffer.from(p))),
        read: (m) => Buffer.from(hs.recv(Buffer.from(m))),
        get done () { return hs.complete },
        hash: () => Buffer.from(hs.hash),
        remoteStatic: () => Buffer.from(hs.rs),
        split () {
          const tx = new Cipher(hs.tx)
          const rx = new Cipher(hs.rx)
          return {
            encrypt: (p) => Buffer.from(tx.encrypt(Buffer.from(p))),
            decrypt: (c) => Buffer.from(rx.decrypt(Buffer.from(c))),
            free () {}
          }
        },
        free () {}
      }
    }
  }

  const noiseC = {
    lib: 'noise-c.wasm',
    version: version('noise-c.wasm'),
    ciphers: ['ChaChaPoly', 'AESGCM'],
    make (pattern, cipher, initiator, prologue, s, rs) {
      const hs = wasm.HandshakeState(`Noise_${pattern}_25519_${cipher}_BLAKE2b`,
        initiator ? C.NOISE_ROLE_INITIATOR : C.NOISE_ROLE_RESPONDER)
      let live = true
      let done = false
      let hash = null
      let remote = null
      hs.Initialize(Uint8Array.from(prologue), Uint8Array.from(s.sk),
        rs ? Uint8Array.from(rs) : null, null)
      const finish = () => {
        if (hs.GetAction() !== C.NOISE_ACTION_SPLIT) return
        done = true
        hash = Buffer.from(hs.GetHandshakeHash())
        remote = Buffer.from(hs.GetRemotePublicKey())
      }
      // A failed call frees the state (noise-c.wasm's rule).
      const guard = (f) => {
        try {
          return f()
        } catch (e) {
          live = false
          throw e
        }
      }
      return {
        write (p) {
          const m = guard(() => Buffer.from(hs.WriteMessage(Uint8Array.from(p))))
          finish()
          return m
        },
        read (m) {
          const p = guard(() => Buffer.from(hs.ReadMessage(Uint8Array.from(m), true)))
          finish()
          return p
        },
        get done () { return done },
        hash: () => hash,
        remoteStatic: () => remote,
        split () {
          const [tx, rx] = hs.Split() // [send, receive]; frees hs
          live = false
          const ad = new Uint8Array(0)
          return {
            encrypt: (p) => Buffer.from(tx.EncryptWithAd(ad, Uint8Array.from(p))),
            decrypt: (c) => Buffer.from(rx.DecryptWithAd(ad, Uint8Array.from(c))),
            free () { tx.free(); rx.free() }
          }
        },
        free () {
          if (live) {
            live = false
            hs.free()
          }
        }
      }
    }
  }
  return [holepunch, noiseC]
}

// ---- keys, prologue, payloads (mirroring noise_peer.c) --------------------

const CIPHER_ID = { ChaChaPoly: 0x21, AESGCM: 0x22 } // Doteros suite ids
const MSG_LEN = [0, 1, 15, 16, 17, 1000, 65535 - 16]
const HS_MESSAGES = { XX: 3, IK: 2 }

// X25519 public key with Node's own crypto (neither library's).
function keypair () {
  const sk = crypto.randomBytes(32)
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b656e04220420', 'hex'), sk])
  const priv = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  const pk = crypto.createPublicKey(priv)
    .export({ format: 'der', type: 'spki' }).subarray(-32)
  return { sk, pk: Buffer.from(pk) }
}

// docs/wire-protocol.md §3.2
function channelPrologue (clusterId, cipher) {
  return Buffer.concat([Buffer.from('doteros-channel/1', 'ascii'), clusterId,
    Buffer.from([0x01, CIPHER_ID[cipher], 0x00])])
}

const hsPayload = (i, from) => Buffer.from(`noise-interop hs${i} from ${from}`)

function plaintext (j, fromNode) {
  const b = Buffer.alloc(MSG_LEN[j])
  for (let x = 0; x < b.length; x++) b[x] = (x * 31 + j * 7 + (fromNode ? 0x80 : 0)) & 0xff
  return b
}

function flip (msg, pos) {
  const b = Buffer.from(msg)
  b[pos] ^= 1 << (pos % 8)
  return b
}

const hex = (b) => Buffer.from(b).toString('hex')

// ---- the peer process -----------------------------------------------------

class Peer {
  constructor (args) {
    this.proc = spawn(peerPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    this.buf = Buffer.alloc(0)
    this.frames = []
    this.waiter = null
    this.eof = false
    this.stderr = ''
    this.proc.stdin.on('error', () => {}) // the peer may exit first
    this.proc.stderr.on('data', (d) => { this.stderr += d })
    this.proc.stdout.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d])
      while (this.buf.length >= 3) {
        const n = this.buf.readUInt16BE(1)
        if (this.buf.length < 3 + n) break
        this.frames.push({ type: String.fromCharCode(this.buf[0]),
          body: Buffer.from(this.buf.subarray(3, 3 + n)) })
        this.buf = this.buf.subarray(3 + n)
      }
      this.wake()
    })
    this.proc.stdout.on('end', () => { this.eof = true; this.wake() })
    this.exited = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => resolve(signal ? 128 : code)))
  }

  wake () {
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w()
    }
  }

  send (type, body = Buffer.alloc(0)) {
    const hdr = Buffer.from([type.charCodeAt(0), body.length >> 8, body.length & 0xff])
    this.proc.stdin.write(Buffer.concat([hdr, body]))
  }

  // The next frame; { type: null } once the peer closed its output.
  async recv (ms = 20000) {
    while (this.frames.length === 0 && !this.eof) {
      let timer
      await new Promise((resolve) => {
        this.waiter = resolve
        timer = setTimeout(resolve, ms)
      })
      clearTimeout(timer)
      if (this.frames.length === 0 && !this.eof && this.waiter) {
        throw new Error(`no answer from noise_peer in ${ms / 1000} s`)
      }
    }
    return this.frames.length ? this.frames.shift() : { type: null, body: null }
  }

  async expect (type, what) {
    const f = await this.recv()
    if (f.type !== type) {
      const got = f.type === null ? 'end of output'
        : f.type === 'X' ? `rejection (${f.body})` : `frame '${f.type}'`
      throw new Error(`${what}: expected frame '${type}', got ${got}`)
    }
    return f.body
  }

  async close () {
    this.proc.stdin.end()
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10000)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }

  lastWords () {
    return this.stderr.trim().split('\n').slice(-3)
      .map((l) => l.replace(/^noise_peer: /, '')).join(' | ')
  }
}

function peerArgs (s) {
  const args = ['-r', s.cRole, '-p', s.pattern, '-c', s.cipher.toLowerCase(),
    '-C', hex(s.clusterId), '-s', hex(s.cKey.sk)]
  if (s.pattern === 'IK' && s.cRole === 'initiator') args.push('-k', hex(s.jsKey.pk))
  return args
}

function newSession (ad, cipher, pattern, cRole) {
  const s = { ad, cipher, pattern, cRole, cKey: keypair(), jsKey: keypair(),
    clusterId: crypto.randomBytes(16) }
  s.jsInitiator = cRole === 'responder'
  s.jsPrologue = channelPrologue(s.clusterId, cipher)
  return s
}

function makeJs (s, prologue) {
  const rs = s.pattern === 'IK' && s.jsInitiator ? s.cKey.pk : null
  return s.ad.make(s.pattern, s.cipher, s.jsInitiator, prologue, s.jsKey, rs)
}

const writerIsJs = (s, i) => (i % 2 === 0) === s.jsInitiator

// ---- one full session, checked step by step ------------------------------

async function fullSession (s) {
  const r = { handshake: [], transport: [], toDoteros: [], fromDoteros: [] }
  const peer = new Peer(peerArgs(s))
  let js = null
  let ch = null
  let phase = 'handshake'
  try {
    js = makeJs(s, s.jsPrologue)
    const n = HS_MESSAGES[s.pattern]
    for (let i = 0; i < n; i++) {
      if (writerIsJs(s, i)) {
        const payload = hsPayload(i, 'node')
        const msg = js.write(payload)
        // Every message but XX's first (-> e, in clear) is authenticated:
        // Doteros must reject any change, and keep its state.
        const bad = []
        if (!(s.pattern === 'XX' && i === 0)) {
          for (let pos = 0; pos < msg.length; pos++) bad.push([`byte ${pos} flipped`, flip(msg, pos)])
          bad.push(['truncated', msg.subarray(0, msg.length - 1)])
          bad.push(['extended', Buffer.concat([msg, Buffer.from([0])])])
        }
        for (const [how, m] of bad) {
          peer.send('M', m)
          const f = await peer.recv()
          if (f.type !== 'X') {
            r.toDoteros.push(`handshake message ${i}, ${how}: answered '${f.type}'`)
            throw new Error('Doteros took a changed handshake message')
          }
        }
        peer.send('M', msg)
        const got = await peer.expect('A', `handshake message ${i}`)
        if (!got.equals(payload)) r.handshake.push(`handshake message ${i}: Doteros read payload ${hex(got)}`)
      } else {
        const msg = await peer.expect('M', `handshake message ${i}`)
        const got = js.read(msg)
        if (!got.equals(hsPayload(i, 'doteros'))) r.handshake.push(`handshake message ${i}: ${s.ad.lib} read payload ${hex(got)}`)
      }
    }
    if (!js.done) throw new Error(`${s.ad.lib} did not finish the handshake`)
    const h = await peer.expect('H', 'handshake hash')
    const cHash = h.subarray(0, 64)
    const cRemote = h.subarray(64)
    if (!cHash.equals(js.hash())) {
      r.handshake.push(`handshake hashes differ: Doteros ${hex(cHash)}, ${s.ad.lib} ${hex(js.hash())}`)
    }
    if (!cRemote.equals(s.jsKey.pk)) r.handshake.push(`Doteros learned remote static ${hex(cRemote)}, not ${hex(s.jsKey.pk)}`)
    if (!js.remoteStatic().equals(s.cKey.pk)) r.handshake.push(`${s.ad.lib} learned remote static ${hex(js.remoteStatic())}, not ${hex(s.cKey.pk)}`)
    peer.send('H', js.hash())
    await peer.expect('A', 'hash comparison by Doteros')

    phase = 'transport'
    ch = js.split()
    let last = null
    for (let j = 0; j < MSG_LEN.length; j++) {
      const pt = plaintext(j, true)
      const ct = ch.encrypt(pt)
      const positions = [...new Set([0, ct.length >> 1, ct.length - 17, ct.length - 16, ct.length - 1])]
        .filter((p) => p >= 0)
      const bad = positions.map((p) => [`byte ${p} flipped`, flip(ct, p)])
      bad.push(['truncated', ct.subarray(0, ct.length - 1)])
      if (ct.length < 65535) bad.push(['extended', Buffer.concat([ct, Buffer.from([0])])])
      for (const [how, m] of bad) {
        peer.send('M', m)
        const f = await peer.recv()
        if (f.type !== 'X') {
          r.toDoteros.push(`transport message ${j} (${pt.length} bytes), ${how}: answered '${f.type}'`)
          throw new Error('Doteros took a changed transport message')
        }
      }
      peer.send('M', ct)
      const got = await peer.expect('A', `transport message ${j} to Doteros`)
      if (!got.equals(pt)) r.transport.push(`transport message ${j} to Doteros: decrypted to ${got.length} other bytes`)
      last = ct

      const back = await peer.expect('M', `transport message ${j} from Doteros`)
      for (const p of [...new Set([0, back.length - 1])]) {
        let took = false
        try {
          ch.decrypt(flip(back, p))
          took = true
        } catch {}
        if (took) r.fromDoteros.push(`transport message ${j} from Doteros, byte ${p} flipped: ${s.ad.lib} took it`)
      }
      let mine
      try {
        mine = ch.decrypt(back)
      } catch (e) {
        r.transport.push(`transport message ${j} from Doteros does not decrypt: ${e.message}`)
        throw new Error('transport failed')
      }
      if (!mine.equals(plaintext(j, false))) r.transport.push(`transport message ${j} from Doteros: decrypted to ${mine.length} other bytes`)
    }
    peer.send('M', last) // a replay
    const f = await peer.recv()
    if (f.type !== 'X') r.toDoteros.push(`a replayed transport message was answered '${f.type}'`)
    peer.send('Q')
    phase = 'end'
    const code = await peer.close()
    if (code !== 0) r.transport.push(`noise_peer exited ${code}: ${peer.lastWords()}`)
  } catch (e) {
    const why = `${e.message} (noise_peer: ${peer.lastWords()})`
    if (phase === 'handshake') {
      r.handshake.push(why)
      r.transport.push('not reached')
      r.fromDoteros.push('not reached')
    } else if (phase === 'transport') {
      r.transport.push(why)
    }
    if (r.toDoteros.length === 0 && phase !== 'end') r.toDoteros.push(`not finished: ${e.message}`)
    peer.proc.kill('SIGKILL')
    await peer.exited
  } finally {
    if (ch) ch.free()
    if (js) js.free()
  }
  return r
}

// ---- handshakes that must not complete -----------------------------------

// Runs the handshake with message `tamper.msg` changed at `tamper.pos`
// ('first' or 'last' byte) in transit, or with `prologue` on the library's
// side. Returns null if some end rejected a message, else what happened.
async function brokenHandshake (s, { tamper = null, prologue = s.jsPrologue }) {
  const peer = new Peer(peerArgs(s))
  let js = null
  let outcome = null
  const change = (i, msg) => {
    if (!tamper || tamper.msg !== i) return msg
    return flip(msg, tamper.pos === 'first' ? 0 : msg.length - 1)
  }
  try {
    js = makeJs(s, prologue)
    const n = HS_MESSAGES[s.pattern]
    for (let i = 0; i < n; i++) {
      if (writerIsJs(s, i)) {
        peer.send('M', change(i, js.write(hsPayload(i, 'node'))))
        const f = await peer.recv()
        if (f.type === 'X') return null // Doteros rejected it
        if (f.type !== 'A') throw new Error(`message ${i}: unexpected ${f.type === null ? 'end of output' : `frame '${f.type}'`}`)
      } else {
        const msg = await peer.expect('M', `handshake message ${i}`)
        try {
          js.read(change(i, msg))
        } catch {
          return null // the library rejected it
        }
      }
    }
    const h = await peer.recv()
    outcome = `both ends completed the handshake (Doteros sent '${h.type}')`
  } catch (e) {
    outcome = `${e.message} (noise_peer: ${peer.lastWords()})`
  } finally {
    if (js) js.free()
    peer.proc.stdin.end()
    const timer = setTimeout(() => peer.proc.kill('SIGKILL'), 10000)
    await peer.exited
    clearTimeout(timer)
  }
  return outcome
}

// ---- TAP ---------------------------------------------------------------------

async function cipherRuns (cipher) {
  const p = new Peer(['-r', 'responder', '-p', 'XX', '-c', cipher.toLowerCase(),
    '-P', '', '-s', '00'.repeat(32)])
  return (await p.close()) !== 77
}

let count = 0
let failed = 0
function report (ok, name, diags = [], skip = null) {
  count++
  if (!ok) failed++
  console.log(`${ok ? 'ok' : 'not ok'} ${count} - ${name}${skip ? ` # SKIP ${skip}` : ''}`)
  for (const d of diags) console.log(`# ${d}`)
}

async function main () {
  let libs
  try {
    libs = await loadLibraries()
  } catch (e) {
    console.log(`1..0 # SKIP npm modules missing (scripts/deps runs npm ci in tests/interop): ${e.message.split('\n')[0]}`)
    return 0
  }
  const runs = []
  for (const ad of libs) {
    for (const cipher of ad.ciphers) {
      for (const pattern of ['XX', 'IK']) {
        for (const cRole of ['initiator', 'responder']) runs.push({ ad, cipher, pattern, cRole })
      }
    }
  }
  const PER_RUN = 6
  console.log(`1..${runs.length * PER_RUN}`)
  const available = {}
  for (const c of ['ChaChaPoly', 'AESGCM']) available[c] = await cipherRuns(c)

  for (const { ad, cipher, pattern, cRole } of runs) {
    const name = `${ad.lib} ${ad.version}, Noise_${pattern}_25519_${cipher}_BLAKE2b, Doteros ${cRole}`
    if (!available[cipher]) {
      for (let k = 0; k < PER_RUN; k++) report(true, name, [], `${cipher} does not run on this CPU`)
      continue
    }
    const s = newSession(ad, cipher, pattern, cRole)
    const r = await fullSession(s)
    const keys = [`Doteros static ${hex(s.cKey.sk)}, ${ad.lib} static ${hex(s.jsKey.sk)}, cluster id ${hex(s.clusterId)}`]
    report(r.handshake.length === 0, `${name}: handshake completes, payloads arrive, hashes and static keys agree`,
      r.handshake.length ? [...r.handshake, ...keys] : [])
    report(r.transport.length === 0, `${name}: ${MSG_LEN.length} transport messages (0 to 65519 bytes) each way decrypt to the expected plaintexts`,
      r.transport)
    report(r.toDoteros.length === 0, `${name}: Doteros rejects every changed, truncated or extended message and a replay, and goes on`,
      r.toDoteros)
    report(r.fromDoteros.length === 0, `${name}: ${ad.lib} rejects changed transport messages from Doteros`,
      r.fromDoteros)

    const bad = []
    for (let i = 0; i < HS_MESSAGES[pattern]; i++) {
      for (const pos of ['first', 'last']) {
        const t = newSession(ad, cipher, pattern, cRole)
        const out = await brokenHandshake(t, { tamper: { msg: i, pos } })
        if (out !== null) bad.push(`message ${i} (${writerIsJs(t, i) ? `${ad.lib} to Doteros` : `Doteros to ${ad.lib}`}), ${pos} byte flipped: ${out}`)
      }
    }
    report(bad.length === 0, `${name}: a flipped byte in any handshake message stops the handshake (${HS_MESSAGES[pattern] * 2} sessions)`, bad)

    const t = newSession(ad, cipher, pattern, cRole)
    const otherId = flip(t.clusterId, 15)
    const out = await brokenHandshake(t, { prologue: channelPrologue(otherId, cipher) })
    report(out === null, `${name}: a prologue with another cluster id stops the handshake`, out ? [out] : [])
  }
  return failed ? 1 : 0
}

main().then((code) => { process.exitCode = code }, (e) => {
  console.log(`Bail out! ${e.stack || e}`)
  process.exitCode = 1
})
