// Evacuation head-counts (应急疏散 清点人数): the office starts and closes one, class teachers
// report their class from the assembly point, the office and the principal watch the board.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Board = S['HeadcountBoard']
export type BoardClass = S['BoardClass']
export type Summary = S['HeadcountSummary']
export type OpenHeadcount = S['OpenHeadcount']
export type ClassSheet = S['ClassSheet']
export type ReportBody = S['ClassReportRequest']
export type ReportAnswer = S['ClassReportResponse']
export type Absence = S['Absence']
export type AbsenceReason = S['AbsenceReason']
export type StartBody = S['StartHeadcountRequest']

export const ABSENCE_REASONS: AbsenceReason[] = ['leave_pass', 'absent_today', 'missing']

const id = (v: string) => ({ params: { path: { id: v } } })
const cls = (h: string, c: string) => ({ params: { path: { id: h, class_id: c } } })

export const openHeadcount = () => call(api.GET('/api/v1/headcounts/open'))
export const listHeadcounts = (cursor?: string, activityId?: string) =>
  call(api.GET('/api/v1/headcounts', { params: { query: { limit: 20, cursor, activity_id: activityId } } }))
export const getBoard = (v: string) => call(api.GET('/api/v1/headcounts/{id}', id(v)))
export const startHeadcount = (body: StartBody) => call(api.POST('/api/v1/headcounts', { body }))
export const closeHeadcount = (v: string, note: string) => call(api.POST('/api/v1/headcounts/{id}/close', { ...id(v), body: { note } }))
export const getClassSheet = (h: string, c: string) => call(api.GET('/api/v1/headcounts/{id}/classes/{class_id}', cls(h, c)))
export const reportClass = (h: string, c: string, body: ReportBody) =>
  call(api.PUT('/api/v1/headcounts/{id}/classes/{class_id}', { ...cls(h, c), body }))

/** `6分30秒` / `6 min 30 s`. */
export function fmtSeconds(secs: number, zh = true): string {
  const m = Math.floor(secs / 60)
  const s = secs % 60
  if (zh) return m > 0 ? `${m}分${s}秒` : `${s}秒`
  return m > 0 ? `${m} min ${s} s` : `${s} s`
}
