// Loads what a screen shows and never shows a false zero: `data` stays null while loading (the
// screen draws a skeleton), and when the network is gone it holds the last figures this phone
// saw (kept under `cacheKey`) with the time they were fetched, so the screen can say "offline,
// as of 10:42" instead of "0". Other errors are kept as an ApiError for the screen to translate.
import { computed, ref, shallowRef, type Ref } from 'vue'
import { ApiError } from '../api/errors'

const PREFIX = 'xa.last.'

export interface LoadOptions {
  /**
   * Where the last answer is kept for offline use (localStorage). Only for figures and lists
   * without personal data of students: what is cached stays on the phone. Include the user's
   * id so that a shared phone never shows one account's figures to another.
   */
  cacheKey?: string | null
  /** Load at once (default true). */
  immediate?: boolean
}

interface Cached<T> {
  at: number
  data: T
}

function readCache<T>(key: string): Cached<T> | null {
  try {
    const s = globalThis.localStorage?.getItem(PREFIX + key)
    if (!s) return null
    const c = JSON.parse(s) as Cached<T>
    return typeof c?.at === 'number' && 'data' in c ? c : null
  } catch {
    return null
  }
}

function writeCache<T>(key: string, c: Cached<T>): void {
  try {
    globalThis.localStorage?.setItem(PREFIX + key, JSON.stringify(c))
  } catch {
    /* a full or disabled storage only loses the offline copy */
  }
}

/** Forgets every cached answer (sign-out). */
export function clearLoadCache(): void {
  try {
    const ls = globalThis.localStorage
    if (!ls) return
    for (const k of Object.keys(ls)) if (k.startsWith(PREFIX)) ls.removeItem(k)
  } catch {
    /* nothing to forget */
  }
}

export interface LoadState<T> {
  data: Ref<T | null>
  /** A request is in flight. */
  loading: Ref<boolean>
  /** The first answer has not come yet: draw a skeleton, not a zero. */
  pending: Readonly<Ref<boolean>>
  /** The last request did not reach the server; `data` (if any) is the cached copy. */
  offline: Ref<boolean>
  /** When `data` was fetched from the server (ms since epoch). */
  at: Ref<number | null>
  /** A server answer that is not data (403, 500 …). Null when offline: `offline` says that. */
  error: Ref<ApiError | null>
  reload: () => Promise<void>
}

export function useLoad<T>(fn: () => Promise<T>, opts: LoadOptions = {}): LoadState<T> {
  const data = shallowRef<T | null>(null) as Ref<T | null>
  const loading = ref(false)
  const offline = ref(false)
  const at = ref<number | null>(null)
  const error = shallowRef<ApiError | null>(null)
  let seq = 0

  async function reload(): Promise<void> {
    const mine = ++seq
    loading.value = true
    try {
      const v = await fn()
      if (mine !== seq) return
      const now = Date.now()
      data.value = v
      at.value = now
      offline.value = false
      error.value = null
      if (opts.cacheKey) writeCache(opts.cacheKey, { at: now, data: v })
    } catch (e) {
      if (mine !== seq) return
      const err = e instanceof ApiError ? e : new ApiError(0, 'network')
      if (err.isNetwork) {
        offline.value = true
        error.value = null
        // Keep what is on screen; else fall back to the last answer this phone saw.
        if (data.value === null && opts.cacheKey) {
          const c = readCache<T>(opts.cacheKey)
          if (c) {
            data.value = c.data
            at.value = c.at
          }
        }
      } else {
        offline.value = false
        error.value = err
      }
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  const pending = computed(() => data.value === null && (loading.value || (!offline.value && !error.value)))
  if (opts.immediate !== false) void reload()
  return { data, loading, pending, offline, at, error, reload }
}
