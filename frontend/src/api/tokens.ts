// Where the session's tokens live: localStorage, so a reload keeps the guard signed in.
import type { components } from './schema'

export type User = components['schemas']['UserResponse']
export interface Session {
  access: string
  refresh: string
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
        current = JSON.parse(raw) as Session
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
  if (s) st?.setItem(KEY, JSON.stringify(s))
  else st?.removeItem(KEY)
  for (const l of listeners) l(s)
}

export function onSessionChange(fn: (s: Session | null) => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
