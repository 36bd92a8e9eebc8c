// The typed API client: bearer token on every call, one transparent refresh on 401 shared by
// all callers (refresh tokens rotate and are single use: a second refresh with the same token
// would be taken as reuse and revoke the session), and problem+json turned into ApiError.
// The refresh token itself is an HttpOnly cookie the browser sends to /api/v1/auth only.
import createClient from 'openapi-fetch'
import type { components, paths } from './schema'
import { ApiError, toApiError } from './errors'
import { getSession, setSession, type Session } from './tokens'

const BASE = ''
const NO_REFRESH = ['/api/v1/auth/login', '/api/v1/auth/refresh']

let refreshing: Promise<boolean> | null = null
let signedOutHandler: (() => void) | null = null

/** Called when the session cannot be refreshed (expired or revoked): the app returns to sign-in. */
export function onSignedOut(fn: () => void): void {
  signedOutHandler = fn
}

async function doRefresh(baseFetch: typeof fetch): Promise<boolean> {
  const s = getSession()
  if (!s) return false
  let res: Response
  try {
    // api-coverage: POST /api/v1/auth/refresh (raw: the refreshing fetch must not refresh itself)
    res = await baseFetch(new Request(`${BASE}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      // No token in the body: the server reads its cookie and answers with a new one.
      body: '{}',
      credentials: 'same-origin',
    }))
  } catch {
    // Network trouble is not a reason to sign out: keep the tokens, let the caller retry.
    return false
  }
  if (!res.ok) {
    if (res.status === 401 || res.status === 400) {
      setSession(null)
      signedOutHandler?.()
    }
    return false
  }
  const body = (await res.json()) as components['schemas']['LoginResponse']
  setSession({ access: body.access_token, user: body.user })
  return true
}

/** One refresh at a time: concurrent 401s wait for the same promise. */
export function refreshOnce(baseFetch: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<boolean> {
  if (!refreshing) {
    refreshing = doRefresh(baseFetch).finally(() => {
      refreshing = null
    })
  }
  return refreshing
}

function withBearer(req: Request, token: string | undefined): Request {
  const r = new Request(req)
  if (token) r.headers.set('Authorization', `Bearer ${token}`)
  return r
}

/** A fetch that signs requests and refreshes once on 401. Exported for tests. */
export function makeAuthFetch(baseFetch: typeof fetch = globalThis.fetch.bind(globalThis)) {
  return async function authFetch(input: Request): Promise<Response> {
    const path = new URL(input.url, 'http://x').pathname
    const retry = input.clone()
    const sent = getSession()?.access
    const res = await baseFetch(withBearer(input, sent))
    if (res.status !== 401 || NO_REFRESH.includes(path) || !getSession()) return res
    // Another call may already have refreshed while this one was in flight.
    const now = getSession()?.access
    const ok = now && now !== sent ? true : await refreshOnce(baseFetch)
    if (!ok) return res
    return baseFetch(withBearer(retry, getSession()?.access))
  }
}

const authFetch = makeAuthFetch()

export const api = createClient<paths>({
  baseUrl: BASE,
  fetch: (req: Request) => authFetch(req),
})

type Result<T> = { data?: T; error?: unknown; response: Response }

/**
 * Unwraps an openapi-fetch result or throws ApiError. A fetch that never reached the server
 * (offline, DNS, reset) becomes ApiError code `network`.
 */
export async function call<T>(p: Promise<Result<T>>): Promise<T> {
  let r: Result<T>
  try {
    r = await p
  } catch (e) {
    if (e instanceof ApiError) throw e
    throw new ApiError(0, 'network')
  }
  if (r.error !== undefined || !r.response.ok) throw toApiError(r.response.status, r.error)
  return r.data as T
}
