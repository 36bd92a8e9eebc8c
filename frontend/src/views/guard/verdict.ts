// What the guard sees after a scan, decided from the server's answer (or its failure).
// Pure so that it is unit-tested: the mapping from codes to a green or red screen must not drift.
import { ApiError } from '../../api/errors'
import type { components } from '../../api/schema'

export type Direction = 'exit' | 'return'

type S = components['schemas']
/**
 * What a verdict is made from: the fields of POST /api/v1/gate/scans's answer that the screen
 * shows (the phone's own offline decision has them too). Derived from the spec, never retyped.
 */
export type ScanAnswer = Pick<S['ScanResponse'], 'result'> & {
  /** One of the spec's `ScanCode`s, or (from a server newer than this page) one it does not
   * know yet: shown as a generic refusal, never as a pass. */
  code: S['ScanCode'] | (string & {})
  student?: S['ScanStudent'] | null
  pass?: Pick<S['ScanPass'], 'return_by'> | null
}

export interface Verdict {
  kind: 'allow' | 'deny' | 'error'
  /** i18n key of the big word: 放行 / 禁止 / 未能核验 */
  headlineKey: string
  /** i18n key of the reason line, in plain words */
  reasonKey: string
  studentName: string
  className: string
  /** for an allowed exit with a return time: when the student must be back */
  returnBy: string | null
  code: string
  /** Decided by the phone alone (no network): the screen says so. */
  offline: boolean
}

/** Deny reasons we have a plain sentence for (i18n `scan.deny.<reason>`). */
export const DENY_REASONS = [
  'bad_signature',
  'malformed',
  'unknown_key',
  'not_yet_valid',
  'expired',
  'revoked',
  'already_used',
  'already_returned',
  'return_before_exit',
  'not_found',
  'no_return',
  'student_disabled',
] as const

const ALIASES: Record<string, string> = { malformed_token: 'malformed', token_malformed: 'malformed', invalid_token: 'malformed', already_out: 'already_used' }

/** The reason key for a deny code, with or without a `pass_` prefix. */
export function reasonFor(code: string): string {
  const c = code.replace(/^pass_/, '')
  const r = ALIASES[c] ?? c
  return (DENY_REASONS as readonly string[]).includes(r) ? `scan.deny.${r}` : 'scan.deny.other'
}

export function verdictFromResponse(r: ScanAnswer, direction: Direction, offline = false): Verdict {
  const studentName = r.student?.name ?? ''
  const className = r.student?.class ?? ''
  if (r.result === 'allow') {
    return {
      kind: 'allow',
      headlineKey: 'scan.allow',
      reasonKey: direction === 'exit' ? 'scan.allowExit' : 'scan.allowReturn',
      studentName,
      className,
      returnBy: direction === 'exit' ? (r.pass?.return_by ?? null) : null,
      code: r.code,
      offline,
    }
  }
  const code = r.code
  // Offline, a key the phone does not have means the pass cannot be checked here at all.
  const reasonKey = offline && code === 'unknown_key' ? 'scan.offline.cannotVerify' : reasonFor(code)
  return { kind: 'deny', headlineKey: 'scan.deny.headline', reasonKey, studentName, className, returnBy: null, code, offline }
}

/**
 * A failed request. A 4xx problem with a pass code is still a verdict about the pass (deny);
 * a network or server failure is not: the guard must be told the pass was NOT checked.
 */
export function verdictFromError(e: unknown): Verdict {
  const err = e instanceof ApiError ? e : new ApiError(0, 'network')
  const base = { studentName: '', className: '', returnBy: null, code: err.code, offline: false }
  if (err.status >= 400 && err.status < 500 && reasonFor(err.code) !== 'scan.deny.other') {
    return { ...base, kind: 'deny', headlineKey: 'scan.deny.headline', reasonKey: reasonFor(err.code) }
  }
  if (err.status === 401) return { ...base, kind: 'error', headlineKey: 'scan.error', reasonKey: 'errors.unauthenticated' }
  if (err.status === 403) return { ...base, kind: 'error', headlineKey: 'scan.error', reasonKey: 'errors.forbidden_role' }
  if (err.status === 0) return { ...base, kind: 'error', headlineKey: 'scan.error', reasonKey: 'scan.networkNotChecked' }
  if (err.status === 422 || err.status === 400) return { ...base, kind: 'deny', headlineKey: 'scan.deny.headline', reasonKey: 'scan.deny.malformed' }
  return { ...base, kind: 'error', headlineKey: 'scan.error', reasonKey: 'scan.serverNotChecked' }
}

/** What the camera read: a bare token, or a URL carrying it (?t= / #t=). */
export function extractToken(text: string): string {
  const s = text.trim()
  const m = /[?#&]t=([^&#\s]+)/.exec(s)
  return m ? decodeURIComponent(m[1]) : s
}

/** The manual code's characters (no 0/O, 1/I/L look-alikes), as the server makes them. */
const SHORT_CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/

/** A typed 8-character pass code (any case, spaces or dashes), normalised; null for anything else. */
export function shortCodeOf(text: string): string | null {
  const c = text.replace(/[\s-]/g, '').toUpperCase()
  return SHORT_CODE.test(c) ? c : null
}

/** A typed code cannot be checked without the server: the guard is told to use the QR. */
export function codeNeedsNetworkVerdict(): Verdict {
  return { kind: 'error', headlineKey: 'scan.error', reasonKey: 'scan.codeNeedsNetwork', studentName: '', className: '', returnBy: null, code: 'offline', offline: true }
}

/**
 * The camera decodes a QR held up to it several times a second. A code is submitted once;
 * it is not submitted again while it stays in view (seen again within `goneMs`) nor within
 * `coolMs` of that submission, so a student holding the pass up is scanned once.
 */
export class CameraCooldown {
  private seen = new Map<string, number>()
  private sent = new Map<string, number>()
  constructor(
    private coolMs = 10000,
    private goneMs = 2000,
  ) {}
  /**
   * The camera decoded `token` at `now`: true when it may be checked. `free`: the page will
   * check it now (false while busy or showing a verdict: only the sighting is kept).
   */
  accept(token: string, now = Date.now(), free = true): boolean {
    const last = this.seen.get(token)
    remember(this.seen, token, now)
    const sent = this.sent.get(token)
    const inView = last !== undefined && now - last < this.goneMs
    if (sent !== undefined && (now - sent < this.coolMs || inView)) return false
    if (free) remember(this.sent, token, now)
    return free
  }
  /** Not decoded for `goneMs`: the QR has left the frame. */
  gone(token: string, now = Date.now()): boolean {
    const last = this.seen.get(token)
    return last === undefined || now - last >= this.goneMs
  }
}

/** The passes this phone let through (per direction), so a later camera sighting of one is not a red screen. */
export class AllowedHere {
  private at = new Map<string, { t: number; v: Verdict }>()
  constructor(private keepMs = 30 * 60 * 1000) {}
  add(token: string, dir: Direction, v: Verdict, now = Date.now()): void {
    const key = `${dir}:${token}`
    this.at.delete(key)
    this.at.set(key, { t: now, v })
    if (this.at.size > 100) this.at.delete(this.at.keys().next().value as string)
  }
  /** The allow this phone showed for `token` in `dir`, if recent. */
  get(token: string, dir: Direction, now = Date.now()): Verdict | null {
    const e = this.at.get(`${dir}:${token}`)
    return e && now - e.t < this.keepMs ? e.v : null
  }
}

function remember(m: Map<string, number>, key: string, value: number): void {
  m.delete(key)
  m.set(key, value)
  if (m.size > 100) m.delete(m.keys().next().value as string)
}

/** A pass this phone already let through in this direction, seen again by the camera: not a deny. */
export function allowedHereVerdict(direction: Direction, earlier: Verdict): Verdict {
  return {
    kind: 'allow',
    headlineKey: 'scan.allowedHere.headline',
    reasonKey: direction === 'exit' ? 'scan.allowedHere.exit' : 'scan.allowedHere.return',
    studentName: earlier.studentName,
    className: earlier.className,
    returnBy: earlier.returnBy,
    code: 'allowed_here',
    offline: false,
  }
}

/** The deny a second check of a pass gets once it was let through in that direction. */
export function isRepeatDeny(v: Verdict, direction: Direction): boolean {
  return v.kind === 'deny' && (direction === 'exit' ? v.code === 'pass_already_used' || v.code === 'already_out' : v.code === 'already_returned')
}

export function newEventId(): string {
  const c = globalThis.crypto
  if (c && typeof c.randomUUID === 'function') return c.randomUUID()
  // randomUUID needs a secure context; a gate phone on plain http still has getRandomValues.
  const b = new Uint8Array(16)
  c.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
