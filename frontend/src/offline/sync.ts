// The gate keeps working offline: online scans go to the server as before; when the network is
// gone (or slow) the phone decides alone with its cached keys and revocations, queues the scan
// and sends the queue with the batch endpoint once the network is back. The same client event
// id is used online and in the queue, so a scan whose slow request did reach the server is not
// recorded twice.
import { ref } from 'vue'
import { api, call } from '../api/client'
import { ApiError } from '../api/errors'
import { decideOffline, usedKey, type CachedKey, type OfflineDecision } from './xa1'
import * as store from './store'

/** An online scan slower than this is decided on the phone. */
export const ONLINE_TIMEOUT_MS = 3000
const REFRESH_EVERY_MS = 5 * 60 * 1000

export const pending = ref(0)
/** When keys and revocations were last fetched (ms), null before the first time. */
export const refreshedAt = ref<number | null>(null)
export const maxAgeHours = ref(12)

type Direction = 'exit' | 'return'
export interface ScanOutcome {
  /** The server's ScanResponse or the phone's own decision, in the same shape. */
  response: OfflineDecision
  offline: boolean
}

async function safe<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p
  } catch {
    return fallback
  }
}

/** Reads what is cached (pending count, age) into the refs. */
export async function loadState(): Promise<void> {
  pending.value = await safe(store.queueCount(), 0)
  refreshedAt.value = (await safe(store.kvGet<number>('refreshed_at'), undefined)) ?? null
  maxAgeHours.value = (await safe(store.kvGet<number>('max_age_hours'), undefined)) ?? 12
}

/** Fetches the published keys and the revoked passes. False when offline. */
export async function refreshCache(): Promise<boolean> {
  try {
    const [k, r] = await Promise.all([call(api.GET('/api/v1/gate/keys', {})), call(api.GET('/api/v1/gate/revocations', { params: { query: {} } }))])
    const keys: CachedKey[] = k.keys.map((x) => ({ kid: x.kid, public_key: x.public_key }))
    await store.kvSet('keys', keys)
    await store.kvSet('revoked', r.revoked.map((x) => x.pass_id))
    await store.kvSet('max_age_hours', k.offline_max_age_hours)
    const now = Date.now()
    await store.kvSet('refreshed_at', now)
    refreshedAt.value = now
    maxAgeHours.value = k.offline_max_age_hours
    return true
  } catch {
    return false
  }
}

let flushing: Promise<void> | null = null

/** Sends the queued scans (oldest first, 500 at a time); each sent batch leaves the queue. */
export function flushQueue(): Promise<void> {
  if (!flushing) {
    flushing = (async () => {
      try {
        for (;;) {
          const all = (await store.queued()).sort((a, b) => a.scanned_at.localeCompare(b.scanned_at))
          if (!all.length) break
          const batch = all.slice(0, 500)
          await call(api.POST('/api/v1/gate/scans/batch', { body: { scans: batch } }))
          await store.dequeue(batch.map((s) => s.client_event_id))
          pending.value = await store.queueCount()
        }
      } catch {
        /* offline again, or the server is down: the queue stays for the next try */
      } finally {
        pending.value = await safe(store.queueCount(), pending.value)
        flushing = null
      }
    })()
  }
  return flushing
}

function isUnreachable(e: unknown): boolean {
  return !(e instanceof ApiError) || e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504
}

async function decideHere(token: string, direction: Direction, gate: string, id: string): Promise<ScanOutcome> {
  const [keys, revoked, used] = await Promise.all([
    safe(store.kvGet<CachedKey[]>('keys'), undefined),
    safe(store.kvGet<string[]>('revoked'), undefined),
    safe(store.usedSet(), new Set<string>()),
  ])
  const d = decideOffline(token, direction, { keys: keys ?? [], revoked: new Set(revoked ?? []), used }, Math.floor(Date.now() / 1000))
  await store.enqueue({ client_event_id: id, token: token.trim(), direction, gate, scanned_at: new Date().toISOString(), offline_result: d.result })
  if (d.result === 'allow' && d.pass_id) await safe(store.markUsed(usedKey(d.pass_id, direction)), undefined)
  pending.value = await safe(store.queueCount(), pending.value + 1)
  return { response: d, offline: true }
}

/** One scan: the server when it answers in time, else the phone. Throws only for answers that are not about the pass (401, 403, …). */
export async function scan(token: string, direction: Direction, gate: string, id: string): Promise<ScanOutcome> {
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return decideHere(token, direction, gate, id)
  // Online again: whatever waits goes first. The server flags an offline scan dated before
  // this phone's last online scan, so the queue should not arrive after this scan.
  if (pending.value) void flushQueue()
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), ONLINE_TIMEOUT_MS)
  try {
    const r = await call(api.POST('/api/v1/gate/scans', { body: { token, direction, gate, client_event_id: id }, signal: ctl.signal }))
    if (r.result === 'allow' && r.pass?.id) await safe(store.markUsed(usedKey(r.pass.id, direction)), undefined)
    // The network works: if the flush before this scan failed, try again.
    if (pending.value) void flushQueue()
    return {
      response: {
        result: r.result,
        code: r.code,
        pass_id: r.pass?.id ?? null,
        student: r.student ? { name: r.student.name, class: r.student.class } : null,
        pass: r.pass ? { kind: r.pass.kind, return_by: r.pass.return_by ?? null, valid_until: r.pass.valid_until } : null,
      },
      offline: false,
    }
  } catch (e) {
    if (isUnreachable(e)) return decideHere(token, direction, gate, id)
    throw e
  } finally {
    clearTimeout(timer)
  }
}

/** A typed manual code: the server only (the phone cannot resolve a code). Null when unreachable. */
export async function scanCode(code: string, direction: Direction, gate: string, id: string): Promise<ScanOutcome | null> {
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return null
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), ONLINE_TIMEOUT_MS)
  try {
    const r = await call(api.POST('/api/v1/gate/scans', { body: { code, direction, gate, client_event_id: id }, signal: ctl.signal }))
    if (r.result === 'allow' && r.pass?.id) await safe(store.markUsed(usedKey(r.pass.id, direction)), undefined)
    return {
      response: {
        result: r.result,
        code: r.code,
        pass_id: r.pass?.id ?? null,
        student: r.student ? { name: r.student.name, class: r.student.class } : null,
        pass: r.pass ? { kind: r.pass.kind, return_by: r.pass.return_by ?? null, valid_until: r.pass.valid_until } : null,
      },
      offline: false,
    }
  } catch (e) {
    if (isUnreachable(e)) return null
    throw e
  } finally {
    clearTimeout(timer)
  }
}

/** Background work while the scan page is open: refresh the cache, drain the queue. */
export function startGateSync(): () => void {
  const tick = () => {
    void loadState().then(async () => {
      await flushQueue()
      await refreshCache()
    })
  }
  const onOnline = () => tick()
  tick()
  const timer = setInterval(tick, REFRESH_EVERY_MS)
  window.addEventListener('online', onOnline)
  return () => {
    clearInterval(timer)
    window.removeEventListener('online', onOnline)
  }
}

/** Sign-out: send what waits if the server is reachable, then forget everything. */
export async function signOutGate(): Promise<void> {
  if ((await safe(store.queueCount(), 0)) > 0) {
    await Promise.race([flushQueue(), new Promise((r) => setTimeout(r, 5000))])
  }
  await store.wipe()
  pending.value = 0
  refreshedAt.value = null
}
