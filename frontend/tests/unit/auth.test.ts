// The auth store and the session it keeps: the refresh token is the server's HttpOnly cookie,
// never in localStorage (issue 15 #16); a lock-out says until when (issue 14).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

const user = { id: 'u1', username: 'guard1', display_name: '门卫一', role: 'guard', is_active: true, class_ids: [], created_at: '', updated_at: '' }

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })
}

/** Fresh modules (the token store reads localStorage once) over a fake server. */
async function load(server: (req: Request) => Promise<Response>) {
  vi.resetModules()
  const calls: Request[] = []
  vi.stubGlobal('fetch', async (input: Request) => {
    calls.push(input.clone())
    return server(input)
  })
  const { useAuth } = await import('../../src/stores/auth')
  const tokens = await import('../../src/api/tokens')
  setActivePinia(createPinia())
  return { auth: useAuth(), tokens, calls }
}

describe('auth store', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => vi.unstubAllGlobals())

  it('keeps the access token and the user, never the refresh token', async () => {
    const { auth, tokens } = await load(async (req) => {
      expect(new URL(req.url).pathname).toBe('/api/v1/auth/login')
      // API clients get the refresh token in the body too: the SPA must drop it.
      return json(200, { access_token: 'acc-1', token_type: 'Bearer', expires_in: 900, refresh_token: 'secret-refresh', user })
    })
    await auth.login('guard1', 'pw')
    expect(auth.user?.username).toBe('guard1')
    expect(tokens.getSession()?.access).toBe('acc-1')
    const stored = localStorage.getItem('xiaoan.session') ?? ''
    expect(stored).toContain('acc-1')
    expect(stored).not.toContain('secret-refresh')
    expect(Object.keys(JSON.parse(stored)).sort()).toEqual(['access', 'user'])
  })

  it('removes a refresh token left in storage by an older version', async () => {
    localStorage.setItem('xiaoan.session', JSON.stringify({ access: 'acc-0', refresh: 'old-refresh', user }))
    const { auth, tokens } = await load(async () => json(500, {}))
    expect(auth.user?.username).toBe('guard1')
    expect(tokens.getSession()?.access).toBe('acc-0')
    expect(localStorage.getItem('xiaoan.session')).not.toContain('old-refresh')
  })

  it('refreshes with the cookie only and signs out through the server', async () => {
    localStorage.setItem('xiaoan.session', JSON.stringify({ access: 'stale', user }))
    // The stored access token has expired: only a refreshed one is accepted.
    let access = 'not-issued-yet'
    const { auth, tokens, calls } = await load(async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/api/v1/auth/refresh') {
        access = 'acc-2'
        return json(200, { access_token: access, token_type: 'Bearer', expires_in: 900, user })
      }
      if (path === '/api/v1/auth/logout') return new Response(null, { status: 204 })
      if (req.headers.get('Authorization') !== `Bearer ${access}`) return json(401, { code: 'token_expired' })
      return json(200, user)
    })
    const { api, call } = await import('../../src/api/client')
    await call(api.GET('/api/v1/me'))
    const refresh = calls.find((r) => r.url.endsWith('/api/v1/auth/refresh'))
    expect(refresh).toBeDefined()
    expect(await refresh!.text()).toBe('{}')
    expect(refresh!.credentials).toBe('same-origin')
    expect(tokens.getSession()?.access).toBe('acc-2')
    await auth.logout()
    expect(calls.some((r) => r.url.endsWith('/api/v1/auth/logout'))).toBe(true)
    expect(auth.user).toBeNull()
    expect(localStorage.getItem('xiaoan.session')).toBeNull()
  })

  it('says until when the account is locked, in local time', async () => {
    const { auth } = await load(async () => {
      // Locked until 17:14:30 local time: "try again after 17:15".
      const until = new Date(2026, 11, 1, 17, 14, 30)
      return json(429, { code: 'too_many_attempts', status: 429, title: '', detail: '', type: '', locked_until: until.toISOString() })
    })
    const { errorMessage } = await import('../../src/api/errors')
    const err = await auth.login('principal', 'wrong').catch((e) => e)
    expect(err.code).toBe('too_many_attempts')
    const zh: Record<string, string> = { 'errors.too_many_attempts_until': '账号已锁定，请于 {time} 后再试' }
    const t = (k: string, named?: Record<string, unknown>) => (zh[k] ?? k).replace('{time}', String(named?.time))
    expect(errorMessage(err, t, (k) => k in zh)).toBe('账号已锁定，请于 17:15 后再试')
  })
})
