// The auth store over its whole life: sign-in (and a refused one), the role's home, a refresh
// when the access token expires, expiry of the session itself (sign-out to the login page),
// and sign-out (with the server unreachable too; a guard's offline gate data goes with it).
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

const teacher = { id: 'u1', username: 'teacher1', display_name: '王老师', role: 'class_teacher', is_active: true, class_ids: ['c1'], created_at: '', updated_at: '' }
const guard = { ...teacher, id: 'g1', username: 'guard1', display_name: '门卫一', role: 'guard', class_ids: [] }

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })
}
const problem = (status: number, code: string) => json(status, { code, status, title: '', detail: '', type: '' })

async function load(server: (req: Request, path: string) => Promise<Response>) {
  vi.resetModules()
  const paths: string[] = []
  vi.stubGlobal('fetch', async (input: Request) => {
    const path = new URL(input.url).pathname
    paths.push(path)
    return server(input, path)
  })
  const { useAuth } = await import('../../src/stores/auth')
  const tokens = await import('../../src/api/tokens')
  const client = await import('../../src/api/client')
  setActivePinia(createPinia())
  return { auth: useAuth(), tokens, client, paths }
}

describe('auth store life cycle', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => vi.unstubAllGlobals())

  it('signs in, knows the role and its home', async () => {
    const { auth } = await load(async () => json(200, { access_token: 'a1', token_type: 'Bearer', expires_in: 900, user: teacher }))
    expect([auth.user, auth.role, auth.home]).toEqual([null, null, '/login'])
    await auth.login('teacher1', 'xiaoan-demo')
    expect(auth.role).toBe('class_teacher')
    expect(auth.home).toBe('/teacher/passes')
  })

  it('keeps nobody signed in after a refused sign-in', async () => {
    const { auth, tokens } = await load(async () => problem(401, 'invalid_credentials'))
    await expect(auth.login('teacher1', 'wrong')).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 })
    expect(auth.user).toBeNull()
    expect(tokens.getSession()).toBeNull()
    expect(localStorage.getItem('xiaoan.session')).toBeNull()
  })

  it('refreshes an expired access token once and retries, staying signed in', async () => {
    localStorage.setItem('xiaoan.session', JSON.stringify({ access: 'old', user: teacher }))
    const { auth, client, paths } = await load(async (req, path) => {
      if (path === '/api/v1/auth/refresh') return json(200, { access_token: 'new', token_type: 'Bearer', expires_in: 900, user: { ...teacher, display_name: '王老师（新）' } })
      return req.headers.get('Authorization') === 'Bearer new' ? json(200, { items: [], next_cursor: null }) : problem(401, 'token_expired')
    })
    await client.call(client.api.GET('/api/v1/hazards', { params: { query: {} } }))
    expect(paths).toEqual(['/api/v1/hazards', '/api/v1/auth/refresh', '/api/v1/hazards'])
    // The store follows the refreshed session.
    expect(auth.user?.display_name).toBe('王老师（新）')
  })

  it('signs out to the login page when the session itself has expired', async () => {
    localStorage.setItem('xiaoan.session', JSON.stringify({ access: 'old', user: teacher }))
    const { auth, client, tokens } = await load(async (_req, path) => (path === '/api/v1/auth/refresh' ? problem(401, 'refresh_token_invalid') : problem(401, 'token_expired')))
    const signedOut = vi.fn()
    client.onSignedOut(signedOut)
    await expect(client.call(client.api.GET('/api/v1/hazards', { params: { query: {} } }))).rejects.toMatchObject({ status: 401 })
    expect(signedOut).toHaveBeenCalledOnce()
    expect(auth.user).toBeNull()
    expect(auth.home).toBe('/login')
    expect(tokens.getSession()).toBeNull()
    expect(localStorage.getItem('xiaoan.session')).toBeNull()
  })

  it('signs out locally even when the server cannot be reached', async () => {
    localStorage.setItem('xiaoan.session', JSON.stringify({ access: 'a', user: teacher }))
    const { auth, paths } = await load(async () => {
      throw new TypeError('Failed to fetch')
    })
    expect(auth.role).toBe('class_teacher')
    await auth.logout()
    expect(paths).toContain('/api/v1/auth/logout')
    expect(auth.user).toBeNull()
    expect(localStorage.getItem('xiaoan.session')).toBeNull()
  })

  it('takes a guard\'s offline gate data away at sign-out', async () => {
    localStorage.setItem('xiaoan.session', JSON.stringify({ access: 'a', user: guard }))
    const { auth } = await load(async () => new Response(null, { status: 204 }))
    const store = await import('../../src/offline/store')
    await store.kvSet('keys', [{ kid: 'k', public_key: 'p' }])
    await auth.logout()
    expect(await store.kvGet('keys')).toBeUndefined()
    expect(auth.user).toBeNull()
  })
})
