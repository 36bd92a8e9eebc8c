// Offline verification of a leave pass (format XA1, see GET /api/v1/gate/keys and
// backend/src/passes/token.rs): the same steps and codes as the server, so that a pass the
// phone lets out offline is one the server would have let out. Pure, unit-tested against tokens
// made by the Rust signer (tests/fixtures/xa1-tokens.json).
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'

// Synchronous SHA-512: WebCrypto (crypto.subtle) is missing on plain-http gate phones.
ed.hashes.sha512 = sha512

export interface CachedKey {
  kid: string
  public_key: string
}

export interface Claims {
  kid: string
  pass_id: string
  student_id: string
  kind: 'exit_only' | 'exit_and_return'
  valid_from: number
  valid_until: number
  return_by: number | null
  student_name: string
  class_name: string
}

export type TokenCheck = { ok: true; claims: Claims } | { ok: false; code: 'malformed_token' | 'unknown_key' | 'bad_signature' }

const FIXED = 54
const PAYLOAD_MAX = FIXED + 2 + 30 + 60
const TOKEN_MAX = 4 + Math.ceil(PAYLOAD_MAX / 3) * 4 + 1 + 86

/** RFC 4648 §5 without padding; null on any other character or an impossible length. */
export function b64urlDecode(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null
  const std = s.replace(/-/g, '+').replace(/_/g, '/')
  try {
    const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4))
    return Uint8Array.from(bin, (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}

export function b64urlEncode(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += String.fromCharCode(x)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function uuid(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Verifies the signature first with the key for the token's kid, then decodes the claims. */
export function verifyToken(token: string, keys: readonly CachedKey[]): TokenCheck {
  const t = token.trim()
  const parts = t.split('.')
  if (t.length > TOKEN_MAX || parts.length !== 3 || parts[0] !== 'XA1') return { ok: false, code: 'malformed_token' }
  const p = b64urlDecode(parts[1])
  const sig = b64urlDecode(parts[2])
  if (!p || !sig || sig.length !== 64 || p.length < FIXED + 2 || p.length > PAYLOAD_MAX || p[0] !== 1) {
    return { ok: false, code: 'malformed_token' }
  }
  const kid = b64urlEncode(p.subarray(1, 9))
  const key = keys.find((k) => k.kid === kid)
  const pub = key ? b64urlDecode(key.public_key) : null
  if (!pub || pub.length !== 32) return { ok: false, code: 'unknown_key' }
  let good = false
  try {
    // zip215 off: RFC 8032 rules, as the server's verify_strict.
    good = ed.verify(sig, p, pub, { zip215: false })
  } catch {
    good = false
  }
  if (!good) return { ok: false, code: 'bad_signature' }
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength)
  const kindByte = p[41]
  if (kindByte > 1) return { ok: false, code: 'malformed_token' }
  const n = p[54]
  const nameEnd = 55 + n
  if (p.length < nameEnd + 1 || p.length !== nameEnd + 1 + p[nameEnd]) return { ok: false, code: 'malformed_token' }
  let student_name: string
  let class_name: string
  try {
    student_name = utf8.decode(p.subarray(55, nameEnd))
    class_name = utf8.decode(p.subarray(nameEnd + 1))
  } catch {
    return { ok: false, code: 'malformed_token' }
  }
  const returnBy = dv.getUint32(50)
  return {
    ok: true,
    claims: {
      kid,
      pass_id: uuid(p.subarray(9, 25)),
      student_id: uuid(p.subarray(25, 41)),
      kind: kindByte === 0 ? 'exit_only' : 'exit_and_return',
      valid_from: dv.getUint32(42),
      valid_until: dv.getUint32(46),
      return_by: returnBy === 0 ? null : returnBy,
      student_name,
      class_name,
    },
  }
}

/** What the phone knows offline. `used`: `<pass_id>:<direction>` this phone already let through. */
export interface OfflineCache {
  keys: readonly CachedKey[]
  revoked: ReadonlySet<string>
  used: ReadonlySet<string>
}

/** The offline verdict, shaped like the server's ScanResponse so that the same screen shows it. */
export interface OfflineDecision {
  result: 'allow' | 'deny'
  code: string
  pass_id: string | null
  student: { name: string; class: string } | null
  pass: { kind: string; return_by: string | null; valid_until: string } | null
}

export function usedKey(passId: string, direction: 'exit' | 'return'): string {
  return `${passId}:${direction}`
}

/** The server's rules (gate::judge), at unix second `at`, with what the phone has cached. */
export function decideOffline(token: string, direction: 'exit' | 'return', cache: OfflineCache, at: number): OfflineDecision {
  const v = verifyToken(token, cache.keys)
  if (!v.ok) return { result: 'deny', code: v.code, pass_id: null, student: null, pass: null }
  const c = v.claims
  const iso = (s: number) => new Date(s * 1000).toISOString()
  const base = {
    pass_id: c.pass_id,
    student: { name: c.student_name, class: c.class_name },
    pass: { kind: c.kind, return_by: c.return_by === null ? null : iso(c.return_by), valid_until: iso(c.valid_until) },
  }
  const deny = (code: string): OfflineDecision => ({ result: 'deny', code, ...base })
  if (direction === 'exit') {
    if (cache.revoked.has(c.pass_id)) return deny('pass_revoked')
    if (at < c.valid_from) return deny('pass_not_yet_valid')
    if (at >= c.valid_until) return deny('pass_expired')
    if (cache.used.has(usedKey(c.pass_id, 'exit'))) return deny('pass_already_used')
  } else {
    // A student coming back is let in whatever the window (as on the server); only the
    // state matters, and offline the phone knows only its own scans.
    if (cache.used.has(usedKey(c.pass_id, 'return'))) return deny('already_returned')
  }
  return { result: 'allow', code: 'ok', ...base }
}
