// Offline verification on the phone against tokens made by the real Rust signer
// (backend/src/passes/token.rs writes and checks tests/fixtures/xa1-tokens.json).
import { describe, expect, it } from 'vitest'
import fixture from '../fixtures/xa1-tokens.json'
import { b64urlDecode, b64urlEncode, decideOffline, usedKey, verifyToken, type OfflineCache } from '../../src/offline/xa1'
import { verdictFromResponse } from '../../src/views/guard/verdict'

const T = fixture.tokens
const cache = (over: Partial<OfflineCache> = {}): OfflineCache => ({
  keys: fixture.keys,
  revoked: new Set([fixture.revoked_pass_id]),
  used: new Set(),
  ...over,
})

describe('XA1 on the phone, byte for byte with the server', () => {
  it('decodes a good pass to exactly the claims the server signed', () => {
    const r = verifyToken(T.good, fixture.keys)
    expect(r).toEqual({ ok: true, claims: fixture.claims })
  })

  it('allows a good pass inside its window, with the name and class from the pass', () => {
    const d = decideOffline(T.good, 'exit', cache(), fixture.inside)
    expect(d.result).toBe('allow')
    expect(d.student).toEqual({ name: fixture.claims.student_name, class: fixture.claims.class_name })
    expect(d.pass?.return_by).toBe(new Date(fixture.claims.return_by * 1000).toISOString())
    const v = verdictFromResponse(d, 'exit', true)
    expect(v).toMatchObject({ kind: 'allow', headlineKey: 'scan.allow', offline: true, studentName: '欧阳子涵' })
  })

  it('reads an exit-only pass (no return time)', () => {
    const r = verifyToken(T.exit_only, fixture.keys)
    expect(r.ok && r.claims).toMatchObject({ kind: 'exit_only', return_by: null, student_name: '李明' })
  })

  it('refuses a tampered pass: bad signature, nothing from it believed', () => {
    const d = decideOffline(T.tampered, 'exit', cache(), fixture.inside)
    expect(d).toMatchObject({ result: 'deny', code: 'bad_signature', student: null })
    // A flipped bit in the signature too.
    const [p, pl, sig] = T.good.split('.')
    const s = b64urlDecode(sig)!
    s[10] ^= 1
    expect(decideOffline(`${p}.${pl}.${b64urlEncode(s)}`, 'exit', cache(), fixture.inside).code).toBe('bad_signature')
  })

  it('refuses outside the window: expired, not yet valid', () => {
    expect(decideOffline(T.good, 'exit', cache(), fixture.after).code).toBe('pass_expired')
    expect(decideOffline(T.good, 'exit', cache(), fixture.before).code).toBe('pass_not_yet_valid')
  })

  it('refuses a revoked pass from the cached revocation list', () => {
    const d = decideOffline(T.revoked, 'exit', cache(), fixture.inside)
    expect(d).toMatchObject({ result: 'deny', code: 'pass_revoked' })
    expect(decideOffline(T.revoked, 'exit', cache({ revoked: new Set() }), fixture.inside).result).toBe('allow')
  })

  it('refuses a key the phone does not know with "cannot verify offline"', () => {
    const d = decideOffline(T.unknown_key, 'exit', cache(), fixture.inside)
    expect(d).toMatchObject({ result: 'deny', code: 'unknown_key' })
    expect(verdictFromResponse(d, 'exit', true).reasonKey).toBe('scan.offline.cannotVerify')
    // No keys cached at all: the same.
    expect(decideOffline(T.good, 'exit', cache({ keys: [] }), fixture.inside).code).toBe('unknown_key')
  })

  it('refuses a pass this phone already let out', () => {
    const used = new Set([usedKey(fixture.claims.pass_id, 'exit')])
    expect(decideOffline(T.good, 'exit', cache({ used }), fixture.inside)).toMatchObject({ result: 'deny', code: 'pass_already_used' })
    // ... but lets the student back in, once.
    expect(decideOffline(T.good, 'return', cache({ used }), fixture.after).result).toBe('allow')
    used.add(usedKey(fixture.claims.pass_id, 'return'))
    expect(decideOffline(T.good, 'return', cache({ used }), fixture.after).code).toBe('already_returned')
  })

  it('calls garbage malformed', () => {
    for (const bad of ['', 'hello', 'XA1..', 'XA2.AAAA.AAAA', T.good.slice(0, 60), `${T.good}.x`, T.good.replace('XA1.', 'XA1.!')]) {
      expect(decideOffline(bad, 'exit', cache(), fixture.inside).code, bad).toBe('malformed_token')
    }
  })
})
