// The guard phone's offline queue (IndexedDB, here fake-indexeddb) and its sync with the server:
// what is decided and queued when the network is gone, what is sent when it is back, and what
// stays when sending fails.
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import fixture from '../fixtures/xa1-tokens.json'

const T = fixture.tokens
const user = { id: 'g1', username: 'guard1', display_name: '门卫一', role: 'guard', is_active: true, class_ids: [], created_at: '', updated_at: '' }

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })
}

type Server = (req: Request, path: string) => Promise<Response>

/** Fresh modules over a fake server (the client binds fetch when it is imported). */
async function load(server: Server) {
  vi.resetModules()
  const calls: { path: string; body: unknown }[] = []
  vi.stubGlobal('fetch', async (input: Request) => {
    const path = new URL(input.url).pathname
    const text = await input.clone().text()
    calls.push({ path, body: text ? JSON.parse(text) : null })
    return server(input, path)
  })
  const tokens = await import('../../src/api/tokens')
  tokens.setSession({ access: 'acc', user: user as never })
  const store = await import('../../src/offline/store')
  const sync = await import('../../src/offline/sync')
  return { store, sync, calls }
}

const offline: Server = async () => {
  throw new TypeError('Failed to fetch')
}

function setOnline(on: boolean) {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => on })
}

/** The cache a guard phone holds after a refresh: the fixture's key, one revoked pass. */
async function seedCache(store: Awaited<ReturnType<typeof load>>['store']) {
  await store.kvSet('keys', fixture.keys.map((k) => ({ kid: k.kid, public_key: k.public_key })))
  await store.kvSet('revoked', [fixture.revoked_pass_id])
}

describe('offline queue and sync', () => {
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(fixture.inside * 1000)
    localStorage.clear()
    setOnline(true)
  })
  afterEach(async () => {
    const store = await import('../../src/offline/store')
    await store.wipe()
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('keeps queued scans until they are dequeued, and forgets everything on wipe', async () => {
    const { store } = await load(offline)
    const scan = (id: string, at: string) => ({ client_event_id: id, token: T.good, direction: 'exit' as const, gate: '东门', scanned_at: at, offline_result: 'allow' as const })
    await store.enqueue(scan('e1', '2026-12-01T08:00:00Z'))
    await store.enqueue(scan('e2', '2026-12-01T08:01:00Z'))
    await store.enqueue(scan('e1', '2026-12-01T08:00:00Z'))
    expect(await store.queueCount()).toBe(2)
    await store.dequeue(['e1'])
    expect((await store.queued()).map((s) => s.client_event_id)).toEqual(['e2'])
    await store.kvSet('keys', ['k'])
    await store.wipe()
    expect(await store.queueCount()).toBe(0)
    expect(await store.kvGet('keys')).toBeUndefined()
  })

  it('remembers a pass let through for two days, then forgets it', async () => {
    const { store } = await load(offline)
    await store.markUsed('p1:exit')
    expect([...(await store.usedSet())]).toEqual(['p1:exit'])
    vi.setSystemTime(fixture.inside * 1000 + 49 * 3600 * 1000)
    expect([...(await store.usedSet())]).toEqual([])
  })

  it('decides on the phone when offline, queues the scan and refuses the same pass twice', async () => {
    const { store, sync, calls } = await load(offline)
    await seedCache(store)
    setOnline(false)
    const first = await sync.scan(T.good, 'exit', '东门', 'ev-1')
    expect(first.offline).toBe(true)
    expect(first.response).toMatchObject({ result: 'allow', pass_id: fixture.claims.pass_id })
    const again = await sync.scan(T.good, 'exit', '东门', 'ev-2')
    expect(again.response).toMatchObject({ result: 'deny', code: 'pass_already_used' })
    const revoked = await sync.scan(T.revoked, 'exit', '东门', 'ev-3')
    expect(revoked.response).toMatchObject({ result: 'deny', code: 'pass_revoked' })
    // Nothing was sent; all three wait, each with what the phone decided.
    expect(calls).toEqual([])
    expect(sync.pending.value).toBe(3)
    const q = (await store.queued()).sort((a, b) => a.client_event_id.localeCompare(b.client_event_id))
    expect(q.map((s) => [s.client_event_id, s.offline_result])).toEqual([['ev-1', 'allow'], ['ev-2', 'deny'], ['ev-3', 'deny']])
  })

  it('decides on the phone when the server is unreachable (502/503/504 or no answer)', async () => {
    const { store, sync, calls } = await load(async () => json(503, { code: 'unavailable', status: 503, title: '', detail: '', type: '' }))
    await seedCache(store)
    const r = await sync.scan(T.good, 'exit', '东门', 'ev-9')
    expect(r.offline).toBe(true)
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/gate/scans'])
    expect(await store.queueCount()).toBe(1)
  })

  it('does not decide alone on an answer about the guard (403): it throws and queues nothing', async () => {
    const { store, sync } = await load(async () => json(403, { code: 'forbidden', status: 403, title: '', detail: '', type: '' }))
    await seedCache(store)
    await expect(sync.scan(T.good, 'exit', '东门', 'ev-x')).rejects.toMatchObject({ code: 'forbidden' })
    expect(await store.queueCount()).toBe(0)
  })

  it('sends the queue oldest first with the same event ids once the network is back', async () => {
    let up = false
    const { store, sync, calls } = await load(async (_req, path) => {
      if (!up) throw new TypeError('Failed to fetch')
      if (path === '/api/v1/gate/scans/batch') return json(200, { results: [] })
      return json(404, {})
    })
    await seedCache(store)
    setOnline(false)
    // The store keeps them by event id: the later scan's id sorts first.
    await sync.scan(T.exit_only, 'exit', '东门', 'ev-a')
    vi.setSystemTime(fixture.inside * 1000 - 60_000)
    await sync.scan(T.good, 'exit', '东门', 'ev-b')
    // Still down: the flush fails and the queue stays whole.
    await sync.flushQueue()
    expect(sync.pending.value).toBe(2)
    expect(await store.queueCount()).toBe(2)
    up = true
    setOnline(true)
    await sync.flushQueue()
    const sent = calls.filter((c) => c.path === '/api/v1/gate/scans/batch' && c.body)
    const last = sent[sent.length - 1].body as { scans: { client_event_id: string; offline_result: string }[] }
    expect(last.scans.map((s) => s.client_event_id)).toEqual(['ev-b', 'ev-a'])
    expect(sync.pending.value).toBe(0)
    expect(await store.queueCount()).toBe(0)
  })

  it('keeps the queue when the server refuses the batch', async () => {
    const { store, sync } = await load(async () => json(500, { code: 'internal', status: 500, title: '', detail: '', type: '' }))
    await seedCache(store)
    setOnline(false)
    await sync.scan(T.good, 'exit', '东门', 'ev-1')
    setOnline(true)
    await sync.flushQueue()
    expect(await store.queueCount()).toBe(1)
    expect(sync.pending.value).toBe(1)
  })

  it('refreshes the keys and revocations, and says false when offline', async () => {
    let up = true
    const { store, sync } = await load(async (_req, path) => {
      if (!up) throw new TypeError('Failed to fetch')
      if (path === '/api/v1/gate/keys') return json(200, { keys: fixture.keys, offline_max_age_hours: 6 })
      if (path === '/api/v1/gate/revocations') return json(200, { revoked: [{ pass_id: 'p-9', revoked_at: '2026-12-01T00:00:00Z' }] })
      return json(404, {})
    })
    expect(await sync.refreshCache()).toBe(true)
    expect(await store.kvGet('revoked')).toEqual(['p-9'])
    expect(sync.maxAgeHours.value).toBe(6)
    expect(sync.refreshedAt.value).toBe(fixture.inside * 1000)
    up = false
    vi.setSystemTime(fixture.inside * 1000 + 60_000)
    expect(await sync.refreshCache()).toBe(false)
    expect(sync.refreshedAt.value).toBe(fixture.inside * 1000)
  })

  it('sends what waits before forgetting it all at sign-out', async () => {
    let up = false
    const { store, sync, calls } = await load(async (_req, path) => {
      if (!up) throw new TypeError('Failed to fetch')
      return path === '/api/v1/gate/scans/batch' ? json(200, { results: [] }) : json(404, {})
    })
    await seedCache(store)
    setOnline(false)
    await sync.scan(T.good, 'exit', '东门', 'ev-1')
    up = true
    setOnline(true)
    await sync.signOutGate()
    expect(calls.some((c) => c.path === '/api/v1/gate/scans/batch')).toBe(true)
    expect(sync.pending.value).toBe(0)
    expect(await store.kvGet('keys')).toBeUndefined()
  })
})
