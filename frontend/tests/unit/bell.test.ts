// The bell's shared unread count: no figure until the server answers (never a false zero), one
// request at a time, stale-only refresh on focus, kept when offline, lowered at once by reading,
// and never carried from one account to another on a shared phone.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'

const teacher = { id: 't1', username: 'teacher1', display_name: '班主任一', role: 'class_teacher', is_active: true, class_ids: [], created_at: '', updated_at: '' }
const guard = { ...teacher, id: 'g1', username: 'guard1', role: 'guard' }

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}
const page = (n: number) => json(200, { items: [], next_cursor: null, unread_count: n })

async function load(server: (url: string) => Promise<Response>, user: object = teacher) {
  vi.resetModules()
  const fetch = vi.fn((req: Request | string) => server(typeof req === 'string' ? req : req.url))
  vi.stubGlobal('fetch', fetch)
  const tokens = await import('../../src/api/tokens')
  tokens.setSession({ access: 'a', user: user as never })
  const bell = await import('../../src/composables/useBell')
  return { bell, fetch, tokens }
}

describe('the bell', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
  })

  it('shows no figure until the answer, asks once at a time, only for unread', async () => {
    let release!: () => void
    const { bell, fetch } = await load(() => new Promise((r) => (release = () => r(page(4)))))
    const { count } = bell.useBell()
    expect(count.value).toBeNull()
    void bell.refreshBell()
    void bell.refreshBell()
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(String(fetch.mock.calls[0][0] instanceof Request ? fetch.mock.calls[0][0].url : fetch.mock.calls[0][0])).toContain('unread=true')
    expect(count.value).toBeNull()
    release()
    await flushPromises()
    expect(count.value).toBe(4)
  })

  it('on focus asks again only when the figure is stale', async () => {
    const { bell, fetch } = await load(async () => page(2))
    await bell.refreshBell()
    await bell.refreshBell(true)
    expect(fetch).toHaveBeenCalledTimes(1)
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + bell.POLL_MS + 1)
    await bell.refreshBell(true)
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('reading lowers the count at once, never below zero; read-all empties it', async () => {
    const { bell } = await load(async () => page(2))
    const { count } = bell.useBell()
    bell.markedRead()
    expect(count.value).toBeNull()
    await bell.refreshBell()
    bell.markedRead()
    expect(count.value).toBe(1)
    bell.markedRead(5)
    expect(count.value).toBe(0)
    bell.setUnread(3)
    bell.allRead()
    expect(count.value).toBe(0)
  })

  it('offline or refused, keeps what it showed instead of a made-up zero', async () => {
    let answer: () => Promise<Response> = async () => page(7)
    const { bell } = await load(() => answer())
    const { count } = bell.useBell()
    await bell.refreshBell()
    expect(count.value).toBe(7)
    answer = async () => {
      throw new TypeError('Failed to fetch')
    }
    await bell.refreshBell()
    expect(count.value).toBe(7)
    answer = async () => json(500, { code: 'internal_error', title: 'x', status: 500 })
    await bell.refreshBell()
    expect(count.value).toBe(7)
  })

  it("forgets one account's figure when another signs in on the phone", async () => {
    let n = 5
    const { bell, tokens } = await load(async () => page(n))
    const { count } = bell.useBell()
    await bell.refreshBell()
    expect(count.value).toBe(5)
    tokens.setSession({ access: 'b', user: guard as never })
    n = 1
    let release!: () => void
    const waiting = new Promise<void>((r) => (release = r))
    vi.stubGlobal('fetch', vi.fn(async () => {
      await waiting
      return page(n)
    }))
    const p = bell.refreshBell()
    expect(count.value).toBeNull()
    release()
    await p
    expect(count.value).toBe(1)
  })
})
