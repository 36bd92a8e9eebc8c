// API failures as one type: a problem+json `code`, or `network` when the server was not reached.
import type { components } from './schema'

export type FieldError = components['schemas']['FieldError']

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string
  readonly errors: FieldError[]
  /** For `too_many_attempts`: when signing in is possible again (RFC 3339). */
  readonly lockedUntil: string | null

  constructor(status: number, code: string, detail = '', errors: FieldError[] = [], lockedUntil: string | null = null) {
    super(`${status} ${code}`)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.detail = detail
    this.errors = errors
    this.lockedUntil = lockedUntil
  }

  /** The request never got an answer: the typed input must be kept and a retry offered. */
  get isNetwork(): boolean {
    return this.code === 'network'
  }
}

/** Builds an ApiError from whatever openapi-fetch handed back as `error`. */
export function toApiError(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object' && 'code' in body && typeof (body as { code: unknown }).code === 'string') {
    const p = body as { code: string; detail?: string; errors?: FieldError[]; locked_until?: unknown }
    const lockedUntil = typeof p.locked_until === 'string' ? p.locked_until : null
    return new ApiError(status, p.code, p.detail ?? '', Array.isArray(p.errors) ? p.errors : [], lockedUntil)
  }
  if (status === 0) return new ApiError(0, 'network')
  return new ApiError(status, `http_${status}`)
}

type Translate = (key: string, named?: Record<string, unknown>) => string
type Has = (key: string) => boolean

/**
 * The message to show for an error: the code's own translation when there is one, else a
 * message for the HTTP status class. The server's `detail` is never shown raw, so the UI stays
 * in the user's language.
 */
export function errorMessage(err: unknown, t: Translate, te: Has): string {
  const e = err instanceof ApiError ? err : new ApiError(0, 'network')
  const instant = e.code === 'too_many_attempts' && e.lockedUntil ? Date.parse(e.lockedUntil) : NaN
  if (!Number.isNaN(instant)) {
    // Said in the phone's own time, rounded up to the minute: "try again after 17:15".
    const until = new Date(Math.ceil(instant / 60000) * 60000)
    const hhmm = `${String(until.getHours()).padStart(2, '0')}:${String(until.getMinutes()).padStart(2, '0')}`
    return t('errors.too_many_attempts_until', { time: hhmm })
  }
  if (te(`errors.${e.code}`)) return t(`errors.${e.code}`)
  if (e.status === 0) return t('errors.network')
  if (e.status >= 500) return t('errors.server')
  if (e.status === 403) return t('errors.forbidden_role')
  if (e.status === 404) return t('errors.route_not_found')
  return t('errors.unknown', { code: e.code })
}
