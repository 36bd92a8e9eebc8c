import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/api/errors'
import { AllowedHere, CameraCooldown, allowedHereVerdict, extractToken, isRepeatDeny, newEventId, verdictFromError, verdictFromResponse } from '../../src/views/guard/verdict'

describe('scan verdict', () => {
  it('allows with the student and class', () => {
    const v = verdictFromResponse({ result: 'allow', code: 'ok', student: { name: '张三', class: '2019级1班' }, pass: { return_by: '2026-11-29T09:00:00Z' } }, 'exit')
    expect(v).toMatchObject({ kind: 'allow', headlineKey: 'scan.allow', reasonKey: 'scan.allowExit', studentName: '张三', className: '2019级1班', returnBy: '2026-11-29T09:00:00Z' })
  })
  it('shows no return time on a return scan', () => {
    const v = verdictFromResponse({ result: 'allow', code: 'ok', student: { name: '张三', class: '1班' }, pass: { return_by: 'x' } }, 'return')
    expect(v.reasonKey).toBe('scan.allowReturn')
    expect(v.className).toBe('1班')
    expect(v.returnBy).toBeNull()
  })
  it('denies an already-used pass with its plain reason', () => {
    const v = verdictFromResponse({ result: 'deny', code: 'pass_already_used', student: { name: '张三', class: '1班' } }, 'exit')
    expect(v).toMatchObject({ kind: 'deny', headlineKey: 'scan.deny.headline', reasonKey: 'scan.deny.already_used', studentName: '张三' })
  })
  it('reads codes with or without the pass_ prefix', () => {
    expect(verdictFromResponse({ result: 'deny', code: 'revoked' }, 'exit').reasonKey).toBe('scan.deny.revoked')
    expect(verdictFromResponse({ result: 'deny', code: 'pass_revoked' }, 'exit').reasonKey).toBe('scan.deny.revoked')
    expect(verdictFromResponse({ result: 'deny', code: 'unknown_key' }, 'exit').reasonKey).toBe('scan.deny.unknown_key')
  })
  it('denies an unknown code with the generic reason', () => {
    expect(verdictFromResponse({ result: 'deny', code: 'something_new' }, 'exit').reasonKey).toBe('scan.deny.other')
  })
  it('treats a pass problem (4xx) as a deny', () => {
    expect(verdictFromError(new ApiError(422, 'pass_bad_signature'))).toMatchObject({ kind: 'deny', reasonKey: 'scan.deny.bad_signature' })
    expect(verdictFromError(new ApiError(422, 'malformed_token'))).toMatchObject({ kind: 'deny', reasonKey: 'scan.deny.malformed' })
    expect(verdictFromError(new ApiError(400, 'invalid_body'))).toMatchObject({ kind: 'deny', reasonKey: 'scan.deny.malformed' })
  })
  it('never shows a network or server failure as allow or deny', () => {
    expect(verdictFromError(new ApiError(0, 'network'))).toMatchObject({ kind: 'error', reasonKey: 'scan.networkNotChecked' })
    expect(verdictFromError(new ApiError(500, 'internal_error'))).toMatchObject({ kind: 'error', reasonKey: 'scan.serverNotChecked' })
    expect(verdictFromError(new TypeError('x'))).toMatchObject({ kind: 'error' })
    expect(verdictFromError(new ApiError(403, 'forbidden_role')).kind).toBe('error')
  })
})

describe('scan input', () => {
  it('reads a bare token or one inside a URL', () => {
    expect(extractToken('  XA1.abc.def \n')).toBe('XA1.abc.def')
    expect(extractToken('https://school.example/p?t=XA1.abc%2Bdef')).toBe('XA1.abc+def')
  })
  it('ignores the same camera code shortly after a verdict', () => {
    const f = new CameraCooldown(4000, 2000)
    expect(f.accept('a', 0)).toBe(true)
    expect(f.accept('a', 1000)).toBe(false)
    expect(f.accept('b', 1000)).toBe(true)
    // Out of view for a while and past the cool-down: checked again.
    expect(f.gone('a', 3500)).toBe(true)
    expect(f.accept('a', 5000)).toBe(true)
  })
  it('checks a QR held in view once, however long it is held (issue 14)', () => {
    const f = new CameraCooldown(10000, 2000)
    let checks = 0
    for (let t = 0; t <= 15000; t += 125) if (f.accept('a', t)) checks++
    expect(checks).toBe(1)
    expect(f.gone('a', 15100)).toBe(false)
    expect(f.gone('a', 17000)).toBe(true)
    // Left the frame and back after the cool-down: a new check.
    expect(f.accept('a', 17000)).toBe(true)
  })
  it('keeps a sighting while busy without using up the check', () => {
    const f = new CameraCooldown(10000, 2000)
    expect(f.accept('a', 0, false)).toBe(false)
    expect(f.accept('a', 100)).toBe(true)
  })
  it('turns a repeat deny of a pass this phone allowed into 已放行 (camera)', () => {
    const here = new AllowedHere()
    const allow = verdictFromResponse({ result: 'allow', code: 'ok', student: { name: '张三', class: '1班' } }, 'exit')
    here.add('t', 'exit', allow, 0)
    expect(here.get('t', 'return', 1000)).toBeNull()
    const earlier = here.get('t', 'exit', 1000)
    expect(earlier).not.toBeNull()
    const deny = verdictFromResponse({ result: 'deny', code: 'pass_already_used' }, 'exit')
    expect(isRepeatDeny(deny, 'exit')).toBe(true)
    const v = allowedHereVerdict('exit', earlier!)
    expect(v.kind).toBe('allow')
    expect(v.studentName).toBe('张三')
  })
  it('makes distinct v4 event ids', () => {
    const a = newEventId()
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(newEventId()).not.toBe(a)
  })
})
