import { beforeEach, describe, expect, it, vi } from 'vitest'
import { makeAuthFetch, onSignedOut, call } from '../../src/api/client'
import { ApiError, errorMessage, toApiError } from '../../src/api/errors'
import { getSession, setSession } from '../../src/api/tokens'
import createClient from 'openapi-fetch'
import type { paths } from '../../src/api/schema'

const user = { id: 'u1', username: 'guard1', display_name: '门卫一', role: 'guard', is_active: true, class_ids: [], created_at: '', updated_at: '' } as const

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } })
}

/**
 * A fake server: access tokens `a1`, `a2`…; refresh tokens rotate and are single use, and
 * live in the browser's HttpOnly cookie jar (`jar`), which the page's code cannot see.
 */
function fakeServer() {
  let access = 'a1'
  let refresh = 'r1'
  const jar = { refresh: 'r1' }
  const usedRefresh = new Set<string>()
  const refreshCalls: string[] = []
  const refreshBodies: unknown[] = []
  const fetch = vi.fn(async (req: Request) => {
    const path = new URL(req.url).pathname
    if (path === '/api/v1/auth/refresh') {
      refreshBodies.push(await req.json())
      // The browser attaches the cookie to a same-origin request.
      const presented = req.credentials === 'omit' ? '' : jar.refresh
      refreshCalls.push(presented)
      await new Promise((r) => setTimeout(r, 10))
      if (presented !== refresh || usedRefresh.has(presented)) {
        return json(401, { code: 'refresh_token_invalid', status: 401, title: '', detail: '', type: '' })
      }
      usedRefresh.add(refresh)
      access = `a${refreshCalls.length + 1}`
      refresh = `r${refreshCalls.length + 1}`
      jar.refresh = refresh
      return json(200, { access_token: access, token_type: 'Bearer', expires_in: 900, user })
    }
    if (req.headers.get('Authorization') !== `Bearer ${access}`) {
      return json(401, { code: 'token_expired', status: 401, title: '', detail: '', type: '' })
    }
    return json(200, { ok: path })
  })
  return {
    fetch,
    refreshCalls,
    refreshBodies,
    jar,
    expire() {
      access = `stale-${Math.random()}`
    },
  }
}

describe('API client', () => {
  beforeEach(() => {
    setSession({ access: 'a1', user: { ...user, class_ids: [] } })
  })

  it('sends the bearer token', async () => {
    const srv = fakeServer()
    const f = makeAuthFetch(srv.fetch as unknown as typeof fetch)
    const res = await f(new Request('http://t/api/v1/me'))
    expect(res.status).toBe(200)
    expect(srv.refreshCalls).toHaveLength(0)
  })

  it('refreshes once for concurrent 401s and retries each request', async () => {
    const srv = fakeServer()
    srv.expire()
    const f = makeAuthFetch(srv.fetch as unknown as typeof fetch)
    const results = await Promise.all([
      f(new Request('http://t/api/v1/me')),
      f(new Request('http://t/api/v1/classes')),
      f(new Request('http://t/api/v1/users', { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'Content-Type': 'application/json' } })),
    ])
    expect(results.map((r) => r.status)).toEqual([200, 200, 200])
    expect(srv.refreshCalls).toEqual(['r1'])
    // The refresh token never passes through the page: not sent in the body, not stored.
    expect(srv.refreshBodies).toEqual([{}])
    expect(srv.jar.refresh).toBe('r2')
    expect(getSession()?.access).toBe('a2')
    expect(localStorage.getItem('xiaoan.session')).not.toContain('r2')
    expect(Object.keys(getSession() ?? {}).sort()).toEqual(['access', 'user'])
  })

  it('retries a request body after refresh', async () => {
    const srv = fakeServer()
    srv.expire()
    const seen: string[] = []
    const wrapped = (async (req: Request) => {
      if (req.method === 'POST' && !req.url.endsWith('/refresh')) seen.push(await req.clone().text())
      return srv.fetch(req)
    }) as unknown as typeof fetch
    const f = makeAuthFetch(wrapped)
    const r = await f(new Request('http://t/api/v1/users', { method: 'POST', body: '{"x":1}' }))
    expect(r.status).toBe(200)
    expect(seen).toEqual(['{"x":1}', '{"x":1}'])
  })

  it('signs out when the refresh token is refused', async () => {
    const srv = fakeServer()
    srv.expire()
    srv.jar.refresh = 'not-the-current-one'
    setSession({ access: 'old', user: { ...user, class_ids: [] } })
    const out = vi.fn()
    onSignedOut(out)
    const f = makeAuthFetch(srv.fetch as unknown as typeof fetch)
    const r = await f(new Request('http://t/api/v1/me'))
    expect(r.status).toBe(401)
    expect(getSession()).toBeNull()
    expect(out).toHaveBeenCalledOnce()
  })

  it('keeps the session when the refresh fails for lack of network', async () => {
    let first = true
    const f = makeAuthFetch((async (req: Request) => {
      if (req.url.endsWith('/refresh')) throw new TypeError('Failed to fetch')
      if (first) {
        first = false
        return json(401, { code: 'token_expired' })
      }
      return json(200, {})
    }) as unknown as typeof fetch)
    const r = await f(new Request('http://t/api/v1/me'))
    expect(r.status).toBe(401)
    expect(getSession()?.access).toBe('a1')
  })

  it('does not refresh on a failed login', async () => {
    const srv = fakeServer()
    const f = makeAuthFetch((async () => json(401, { code: 'invalid_credentials' })) as unknown as typeof fetch)
    const r = await f(new Request('http://t/api/v1/auth/login', { method: 'POST', body: '{}' }))
    expect(r.status).toBe(401)
    expect(srv.refreshCalls).toHaveLength(0)
  })

  it('turns problem+json into ApiError with its code, and a dead network into `network`', async () => {
    const c = createClient<paths>({ baseUrl: 'http://t', fetch: async () => json(422, { code: 'csv_invalid', status: 422, title: '', detail: 'x', type: '', errors: [{ field: '班级', code: 'not_found', message: 'm', line: 3 }] }) })
    const e = await call(c.POST('/api/v1/students/import', { body: 'a', bodySerializer: (b: string) => b })).catch((x) => x)
    expect(e).toBeInstanceOf(ApiError)
    expect(e.code).toBe('csv_invalid')
    expect(e.errors[0].line).toBe(3)

    const dead = createClient<paths>({ baseUrl: 'http://t', fetch: async () => { throw new TypeError('Failed to fetch') } })
    const n = await call(dead.GET('/api/v1/me')).catch((x) => x)
    expect(n).toBeInstanceOf(ApiError)
    expect(n.isNetwork).toBe(true)
  })
})

describe('error messages', () => {
  const msgs: Record<string, string> = {
    'errors.invalid_credentials': '用户名或密码错误',
    'errors.network': '网络',
    'errors.server': '服务器',
    'errors.forbidden_role': '无权限',
    'errors.route_not_found': '不可用',
    'errors.unknown': '失败',
  }
  const t = (k: string) => msgs[k] ?? `!${k}`
  const te = (k: string) => k in msgs

  it('maps a known code to its translation', () => {
    expect(errorMessage(new ApiError(401, 'invalid_credentials'), t, te)).toBe('用户名或密码错误')
  })
  it('falls back by status for unknown codes', () => {
    expect(errorMessage(new ApiError(503, 'whatever'), t, te)).toBe('服务器')
    expect(errorMessage(new ApiError(403, 'whatever'), t, te)).toBe('无权限')
    expect(errorMessage(new ApiError(0, 'network'), t, te)).toBe('网络')
    expect(errorMessage(new ApiError(409, 'brand_new_code'), t, te)).toBe('失败')
    expect(errorMessage(new Error('boom'), t, te)).toBe('网络')
  })
  it('reads non-problem bodies', () => {
    expect(toApiError(502, '<html>').code).toBe('http_502')
    expect(toApiError(0, undefined).code).toBe('network')
  })
})
