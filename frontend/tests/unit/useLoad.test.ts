import { beforeEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import { ApiError } from '../../src/api/errors'
import { clearLoadCache, useLoad } from '../../src/composables/useLoad'

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('useLoad: never a false zero', () => {
  beforeEach(() => {
    localStorage.clear()
  })

  it('is pending (skeleton, no figure) until the first answer', async () => {
    let resolve!: (v: { n: number }) => void
    const s = useLoad(() => new Promise<{ n: number }>((r) => (resolve = r)))
    expect(s.pending.value).toBe(true)
    expect(s.data.value).toBeNull()
    resolve({ n: 2 })
    await flush()
    expect(s.pending.value).toBe(false)
    expect(s.data.value).toEqual({ n: 2 })
    expect(s.at.value).not.toBeNull()
  })

  it('offline: shows the last known figure with its time, not zero', async () => {
    const online = useLoad(async () => ({ on_campus: 2 }), { cacheKey: 'visitors.u1' })
    await flush()
    const seenAt = online.at.value
    const offline = useLoad<{ on_campus: number }>(async () => {
      throw new ApiError(0, 'network')
    }, { cacheKey: 'visitors.u1' })
    await flush()
    expect(offline.offline.value).toBe(true)
    expect(offline.error.value).toBeNull()
    expect(offline.data.value).toEqual({ on_campus: 2 })
    expect(offline.at.value).toBe(seenAt)
    expect(offline.pending.value).toBe(false)
  })

  it('offline with nothing cached: says so, shows no figure', async () => {
    const s = useLoad(async () => {
      throw new TypeError('Failed to fetch')
    }, { cacheKey: 'never' })
    await flush()
    expect(s.offline.value).toBe(true)
    expect(s.data.value).toBeNull()
    expect(s.pending.value).toBe(false)
  })

  it('keeps the figures on screen when a refresh fails offline', async () => {
    let fail = false
    const s = useLoad(async () => {
      if (fail) throw new ApiError(0, 'network')
      return 5
    })
    await flush()
    fail = true
    await s.reload()
    expect(s.data.value).toBe(5)
    expect(s.offline.value).toBe(true)
  })

  it('a server error is an error, not offline and not a zero', async () => {
    const s = useLoad(async () => {
      throw new ApiError(403, 'forbidden_role')
    })
    await flush()
    expect(s.error.value?.code).toBe('forbidden_role')
    expect(s.offline.value).toBe(false)
    expect(s.data.value).toBeNull()
    expect(s.pending.value).toBe(false)
  })

  it('a late answer never overwrites a newer one', async () => {
    const answers: ((v: number) => void)[] = []
    const s = useLoad(() => new Promise<number>((r) => answers.push(r)))
    void s.reload()
    answers[1](2)
    await flush()
    answers[0](1)
    await flush()
    await nextTick()
    expect(s.data.value).toBe(2)
  })

  it('forgets cached figures at sign-out', async () => {
    useLoad(async () => 7, { cacheKey: 'dash.u1' })
    await flush()
    clearLoadCache()
    const s = useLoad<number>(async () => {
      throw new ApiError(0, 'network')
    }, { cacheKey: 'dash.u1' })
    await flush()
    expect(s.data.value).toBeNull()
  })
})
