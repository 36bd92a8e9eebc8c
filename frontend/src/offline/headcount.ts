// The class teacher's head-count reports on a crowded network: each report is kept on the phone
// (localStorage: ids and counts only, never a name) under its client report id until the server
// has answered it. A retry sends the very same report id and version, so the server applies it
// once; a report the server refuses (the office already entered the class, the head-count is
// closed, the numbers do not add up) leaves the queue with the reason, for the teacher to see.
import { ref } from 'vue'
import { ApiError } from '../api/errors'
import { reportClass, type ReportAnswer, type ReportBody } from '../api/headcount'

const KEY = 'xa.headcount.queue'

export interface QueuedReport {
  headcount_id: string
  class_id: string
  body: ReportBody
  queued_at: number
}

/** Reports waiting for the network. */
export const waiting = ref(0)

function read(): QueuedReport[] {
  try {
    const s = globalThis.localStorage?.getItem(KEY)
    const list = s ? (JSON.parse(s) as QueuedReport[]) : []
    return Array.isArray(list) ? list : []
  } catch {
    return []
  }
}

function write(list: QueuedReport[]): void {
  try {
    if (list.length) globalThis.localStorage?.setItem(KEY, JSON.stringify(list))
    else globalThis.localStorage?.removeItem(KEY)
  } catch {
    /* storage full or disabled: the report stays in memory on the page */
  }
  waiting.value = list.length
}

/** What is queued for one class of one head-count (the newest report), if anything. */
export function queuedFor(headcountId: string, classId: string): QueuedReport | null {
  return read().find((q) => q.headcount_id === headcountId && q.class_id === classId) ?? null
}

export type Outcome =
  | { state: 'sent'; answer: ReportAnswer }
  | { state: 'queued' }
  | { state: 'refused'; error: ApiError }

async function send(q: QueuedReport): Promise<Outcome> {
  try {
    return { state: 'sent', answer: await reportClass(q.headcount_id, q.class_id, q.body) }
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(0, 'network')
    // A server under load (5xx) is like no network: the same report is tried again later.
    if (err.isNetwork || err.status >= 500) return { state: 'queued' }
    return { state: 'refused', error: err }
  }
}

/**
 * Sends a report now, keeping it queued until answered. A newer report for the same class
 * replaces a queued older one (the teacher corrected the count before it got through).
 */
export async function submitReport(headcountId: string, classId: string, body: ReportBody): Promise<Outcome> {
  const q: QueuedReport = { headcount_id: headcountId, class_id: classId, body, queued_at: Date.now() }
  write([...read().filter((x) => !(x.headcount_id === headcountId && x.class_id === classId)), q])
  const out = await send(q)
  if (out.state !== 'queued') write(read().filter((x) => x.body.client_report_id !== body.client_report_id))
  return out
}

/** Sends what waits, oldest first; stops at the first network failure. */
export async function flushReports(onOutcome?: (q: QueuedReport, o: Outcome) => void): Promise<void> {
  for (const q of read().sort((a, b) => a.queued_at - b.queued_at)) {
    const out = await send(q)
    if (out.state === 'queued') break
    write(read().filter((x) => x.body.client_report_id !== q.body.client_report_id))
    onOutcome?.(q, out)
  }
  waiting.value = read().length
}

/** Forgets every queued report (sign-out). */
export function wipeReports(): void {
  write([])
}

waiting.value = read().length

/** A fresh report id (randomUUID needs a secure context; a phone on plain http has getRandomValues). */
export function newReportId(): string {
  const c = globalThis.crypto
  if (c && typeof c.randomUUID === 'function') return c.randomUUID()
  const b = new Uint8Array(16)
  c.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
