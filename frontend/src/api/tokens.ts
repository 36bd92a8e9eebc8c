// Where the session lives: the short-lived access token and the user in localStorage, so a
// reload keeps the guard signed in. The refresh token is NOT here: the server keeps it in an
// HttpOnly cookie that no script (an injected one included) can read.
import type { components } from './schema'

export type User = components['schemas']['UserResponse']
export interface Session {
  access: string
  user: User
}

const KEY = 'xiaoan.session'
let current: Session | null = null
let loaded = false
const listeners = new Set<(s: Session | null) => void>()

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

export function getSession(): Session | null {
  if (!loaded) {
    loaded = true
    const raw = storage()?.getItem(KEY)
    if (raw) {
      try {
        const stored = JSON.parse(raw) as Session & { refresh?: unknown }
        current = { access: stored.access, user: stored.user }
        // A session saved by an older version held the refresh token: take it out of storage.
        if ('refresh' in stored) storage()?.setItem(KEY, JSON.stringify(current))
      } catch {
        current = null
      }
    }
  }
  return current
}

export function setSession(s: Session | null): void {
  loaded = true
  current = s
  const st = storage()
  if (s) st?.setItem(KEY, JSON.stringify({ access: s.access, user: s.user }))
  else st?.removeItem(KEY)
  for (const l of listeners) l(s)
}

export function onSessionChange(fn: (s: Session | null) => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
